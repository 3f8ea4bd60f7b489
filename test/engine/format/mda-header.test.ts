import { describe, expect, it } from "vitest";
import {
  BAD_MDA,
  badFieldNames,
  encodeMdaHeader,
  FMTT_MAGIC,
  parseMdaHeader,
} from "../../../engine/format/mda-header.js";
import { REAL_MDA_HEADER } from "./helpers.js";

const REAL_SLOT0 = { offsetBytes: 1536, sizeBytes: 1185, checksum: 0xcb7a9673, flags: 0 };

// Warning wording is Debian lvm2 2.03.16's (real-lvm2.test.ts compares it with the real tool).
describe("mda_header", () => {
  it("decodes the real header of §1.5 to the documented values", () => {
    const parsed = parseMdaHeader(REAL_MDA_HEADER, { device: "real", expectedStartBytes: 4096 });
    expect(parsed.badFields).toBe(0);
    expect(parsed.warnings).toEqual([]);
    expect(parsed.header).toMatchObject({
      checksum: 0x95b9b5f6,
      version: 1,
      startBytes: 4096,
      sizeBytes: 0xff000,
      committed: REAL_SLOT0,
      precommitted: { offsetBytes: 0, sizeBytes: 0, checksum: 0, flags: 0 },
    });
    expect(Buffer.from(parsed.header.magic).toString("latin1")).toBe(" LVM2 x[5A%r0N*>");
  });

  it("encodes the same values to the same 512 bytes, checksum included", () => {
    expect(encodeMdaHeader({ startBytes: 4096, sizeBytes: 0xff000 }, { committed: REAL_SLOT0 })).toEqual(
      REAL_MDA_HEADER,
    );
  });

  it("classifies a bad checksum with LVM2's warning (stored value in bare hex)", () => {
    const bad = REAL_MDA_HEADER.slice();
    bad[0] = 0;
    const parsed = parseMdaHeader(bad, { device: "/dev/loop0", expectedStartBytes: 4096 });
    expect(parsed.badFields).toBe(BAD_MDA.CHECKSUM);
    expect(parsed.warnings).toEqual(["WARNING: wrong checksum 95b9b500 in mda header on /dev/loop0 at 4096"]);
  });

  it("classifies a bad magic, version, start and size with one warning each", () => {
    const bytes = encodeMdaHeader({ startBytes: 8192, sizeBytes: 1 << 20 });
    bytes[4] = 0x21; // magic
    bytes[20] = 2; // version
    bytes.fill(0, 32, 40); // size 0
    const parsed = parseMdaHeader(bytes, { device: "d", expectedStartBytes: 4096 });
    expect(badFieldNames(parsed.badFields)).toEqual(["HEADER", "CHECKSUM", "MAGIC", "VERSION", "START"]);
    expect(parsed.warnings).toEqual([
      expect.stringMatching(/^WARNING: wrong checksum [0-9a-f]+ in mda header on d at 4096$/),
      "WARNING: wrong magic number in mda header on d at 4096",
      "WARNING: wrong version 2 in mda header on d at 4096",
      "WARNING: wrong start sector 8192 in mda header on d at 4096",
      "WARNING: Metadata area size 0 too small in mda header on d at 4096.",
    ]);
  });

  it("never throws on arbitrary bytes", () => {
    for (let seed = 0; seed < 200; seed++) {
      const bytes = new Uint8Array(512).map((_, i) => (i * 131 + seed * 977) & 0xff);
      if (seed % 3 === 0) bytes.set(FMTT_MAGIC, 4);
      const parsed = parseMdaHeader(bytes, { device: "d", expectedStartBytes: 4096 });
      expect(parsed.badFields).not.toBe(0);
    }
  });
});
