import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { INITIAL_CRC, lvmCrc, lvmCrcChain } from "../../../engine/format/crc.js";
import { REAL_LABEL_SECTOR, REAL_MDA_HEADER } from "./helpers.js";

// lib/misc/crc.c written out directly: reflected table for 0xEDB88320, no inversions.
const TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function referenceCrc(initial: number, buf: Uint8Array): number {
  let crc = initial >>> 0;
  for (const b of buf) crc = (TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8)) >>> 0;
  return crc;
}

describe("lvmCrc", () => {
  it("matches the label CRC stored on a real disk (bytes 20..511)", () => {
    expect(lvmCrc(REAL_LABEL_SECTOR.subarray(20))).toBe(0xe1199784);
  });

  it("matches the mda_header CRC stored on a real disk (bytes 4..511)", () => {
    expect(lvmCrc(REAL_MDA_HEADER.subarray(4))).toBe(0x95b9b5f6);
  });

  it("of an empty buffer is the seed (no inversion)", () => {
    expect(lvmCrc(new Uint8Array(0))).toBe(INITIAL_CRC);
  });

  it("equals LVM2's table loop for any bytes and seed", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 0, max: 0xffffffff }), (buf, seed) => {
        expect(lvmCrc(buf, seed)).toBe(referenceCrc(seed, buf));
      }),
      { numRuns: 200 },
    );
  });

  it("chained over the two parts of a wrapped copy equals the CRC of the joined text", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(400), (buf, cut) => {
        const at = Math.min(cut, buf.length);
        expect(lvmCrcChain([buf.subarray(0, at), buf.subarray(at)])).toBe(lvmCrc(buf));
      }),
      { numRuns: 200 },
    );
  });
});
