import { describe, expect, it } from "vitest";
import type { BlockExpectation, BlockIdentity } from "../../workloads/verify-header.js";
import { checkBlock, fillBlock, HEADER_BYTES, readHeader } from "../../workloads/verify-header.js";

const base: BlockIdentity = { lvId: 3, offsetBytes: 65536, generation: 9, seed: 77, verify: "xxh64" };

function expectOf(identity: BlockIdentity, allowed = [identity.generation]): BlockExpectation {
  return { ...identity, allowed, durable: identity.generation };
}

describe("verify header", () => {
  it.each(["xxh64", "crc32c", "pattern"] as const)(
    "fills and checks a %s unit of several sizes",
    (verify) => {
      for (const size of [512, 4096, 65536 + 4096, 1 << 20]) {
        const identity = { ...base, verify, pattern: Uint8Array.of(0xde, 0xad, 0xbe, 0xef) };
        const buf = new Uint8Array(size);
        fillBlock(buf, identity);
        expect(checkBlock(buf, expectOf(identity)).classification).toBe("ok");
        buf[size - 1]! ^= 1;
        expect(checkBlock(buf, expectOf(identity)).classification).toBe("corrupt");
      }
    },
  );

  it("records every identity field, protected by the header checksum", () => {
    const buf = new Uint8Array(4096);
    fillBlock(buf, { ...base, offsetBytes: 2 ** 40, generation: 2 ** 33 + 5 });
    const header = readHeader(buf);
    expect(header).toMatchObject({
      magic: 0x766d766c,
      version: 1,
      kind: "xxh64",
      headerBytes: HEADER_BYTES,
      lvId: 3,
      lengthBytes: 4096,
      offsetBytes: 2 ** 40,
      generation: 2 ** 33 + 5,
      seed: 77,
    });
    expect(header.storedCrc).toBe(header.computedCrc);
  });

  it("derives the payload from the identity: same identity same bytes, any change different bytes", () => {
    const fill = (identity: BlockIdentity) => {
      const buf = new Uint8Array(4096);
      fillBlock(buf, identity);
      return Buffer.from(buf.subarray(HEADER_BYTES)).toString("hex");
    };
    const reference = fill(base);
    expect(fill({ ...base })).toBe(reference);
    expect(fill({ ...base, generation: 10 })).not.toBe(reference);
    expect(fill({ ...base, offsetBytes: 69632 })).not.toBe(reference);
    expect(fill({ ...base, lvId: 4 })).not.toBe(reference);
    expect(fill({ ...base, seed: 78 })).not.toBe(reference);
  });

  it("fills the pattern payload with fio's verify_pattern repeated", () => {
    const buf = new Uint8Array(1024);
    fillBlock(buf, { ...base, verify: "pattern", pattern: Uint8Array.of(1, 2, 3) });
    expect([...buf.subarray(HEADER_BYTES, HEADER_BYTES + 7)]).toEqual([1, 2, 3, 1, 2, 3, 1]);
  });

  it("names a foreign seed as fio does", () => {
    const buf = new Uint8Array(4096);
    fillBlock(buf, { ...base, seed: 5 });
    const check = checkBlock(buf, expectOf(base));
    expect(check.classification).toBe("corrupt");
    expect(check.fioReason).toBe("bad header rand_seed 5, wanted 77");
  });

  it("refuses units that are not whole sectors and generation 0", () => {
    expect(() => fillBlock(new Uint8Array(1000), base)).toThrow(/multiple of 512/);
    expect(() => fillBlock(new Uint8Array(4096), { ...base, generation: 0 })).toThrow(/positive/);
  });
});
