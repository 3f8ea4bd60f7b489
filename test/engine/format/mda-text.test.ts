import { describe, expect, it } from "vitest";
import { MemoryDevice } from "../../../engine/block/memory.js";
import { lvmCrc } from "../../../engine/format/crc.js";
import type { RawLocn } from "../../../engine/format/mda-header.js";
import {
  MetadataTooLargeError,
  maxMetadataBytes,
  placeMetadataText,
  readMetadataText,
  writeMetadataText,
} from "../../../engine/format/mda-text.js";

const MDA_60K = 61440;
const ctx = { vgName: "vg0", seqno: 7, device: "/dev/loop0" };

function locnOf(offsetBytes: number, sizeBytes: number, checksum = 0): RawLocn {
  return { offsetBytes, sizeBytes, checksum, flags: 0 };
}

function textOf(sizeBytes: number, fill: number): Uint8Array {
  const text = new Uint8Array(sizeBytes).fill(fill);
  text[sizeBytes - 1] = 0;
  return text;
}

describe("circular metadata buffer placement", () => {
  it("reproduces the observed sequence 512 → 1536 → 2560 → 4096 → 6144", () => {
    const sizes = [1000, 700, 1400, 1900, 300];
    const offsets: number[] = [];
    let old: RawLocn | undefined;
    for (const sizeBytes of sizes) {
      const p = placeMetadataText(MDA_60K, old, { ...ctx, sizeBytes });
      offsets.push(p.offsetBytes);
      old = locnOf(p.offsetBytes, sizeBytes);
    }
    expect(offsets).toEqual([512, 1536, 2560, 4096, 6144]);
  });

  it("wraps a 5330-byte copy at 60416 into 1024 + 4306 bytes, and the next copy starts at 5120", () => {
    // An old copy ending just before 60416 makes the new one start there.
    const old = locnOf(59392, 1000);
    const p = placeMetadataText(MDA_60K, old, { ...ctx, sizeBytes: 5330 });
    expect(p.offsetBytes).toBe(60416);
    expect(p.wrapBytes).toBe(4306);
    expect(p.writes).toEqual([
      { offsetBytes: 60416, lengthBytes: 1024, textStartBytes: 0, textEndBytes: 1024 },
      // Only the wrapped part is zero-filled up to the next sector: 4306 → 4608.
      { offsetBytes: 512, lengthBytes: 4608, textStartBytes: 1024, textEndBytes: 5330 },
    ]);
    const next = placeMetadataText(MDA_60K, locnOf(60416, 5330), { ...ctx, sizeBytes: 100 });
    expect(next.offsetBytes).toBe(5120);
  });

  it("starts at 512 when slot 0 is empty or ignored, and when fewer than 512 bytes remain", () => {
    expect(placeMetadataText(MDA_60K, undefined, { ...ctx, sizeBytes: 10 }).offsetBytes).toBe(512);
    expect(
      placeMetadataText(MDA_60K, { ...locnOf(4096, 100), flags: 1 }, { ...ctx, sizeBytes: 10 }).offsetBytes,
    ).toBe(512);
    expect(placeMetadataText(MDA_60K, locnOf(60416, 1000), { ...ctx, sizeBytes: 10 }).offsetBytes).toBe(512);
    // Ends at 60928: the rounded start 61440 is past size - 512, so back to the beginning...
    expect(placeMetadataText(MDA_60K, locnOf(59905, 1024), { ...ctx, sizeBytes: 10 }).offsetBytes).toBe(512);
    // ...while ending at 60927 still allows a start at 60928, exactly 512 before the end.
    expect(placeMetadataText(MDA_60K, locnOf(59904, 1024), { ...ctx, sizeBytes: 10 }).offsetBytes).toBe(
      60928,
    );
  });

  it("follows a wrapped old copy: new start after its wrapped tail", () => {
    const p = placeMetadataText(MDA_60K, locnOf(60928, 1000), { ...ctx, sizeBytes: 10 });
    // wrap = 60928 + 1000 - 61440 = 488 → old_last = 999 → new start 1024.
    expect(p.offsetBytes).toBe(1024);
  });

  it("computes LVM2's maximum copy size and refuses larger text with LVM2's message", () => {
    expect(maxMetadataBytes(1044480)).toBe(521472);
    expect(() => placeMetadataText(1044480, undefined, { ...ctx, sizeBytes: 521473 })).toThrow(
      new MetadataTooLargeError(
        "VG vg0 7 metadata on /dev/loop0 (521473 bytes) exceeds maximum metadata size (521472 bytes)",
      ),
    );
    expect(placeMetadataText(1044480, undefined, { ...ctx, sizeBytes: 521472 }).offsetBytes).toBe(512);
  });

  it("never overlaps the live copy for any size up to the maximum", () => {
    // Sizes from 2: LVM2's own overlap test reads a 1-byte copy (first == last byte) as overlapping.
    for (let oldOffset = 512; oldOffset < MDA_60K; oldOffset += 512 * 7) {
      for (const oldSize of [2, 511, 512, 5000, maxMetadataBytes(MDA_60K)]) {
        for (const newSize of [2, 512, 4000, maxMetadataBytes(MDA_60K)]) {
          const p = placeMetadataText(MDA_60K, locnOf(oldOffset, oldSize), { ...ctx, sizeBytes: newSize });
          expect(p.offsetBytes % 512).toBe(0);
          expect(p.offsetBytes).toBeGreaterThanOrEqual(512);
        }
      }
    }
  });
});

describe("writing and reading copies", () => {
  it("writes a wrapped copy in two parts, zero-fills the tail, and reads it back with its CRC", () => {
    const device = new MemoryDevice("pv0.img", 1 << 20);
    device.write(4096, new Uint8Array(MDA_60K).fill(0xee));
    const text = textOf(5330, 0x41);
    const p = placeMetadataText(MDA_60K, locnOf(59392, 1000), { ...ctx, sizeBytes: 5330 });
    writeMetadataText(device, 4096, p, text);
    const tail = new Uint8Array(512);
    device.read(4096 + 512 + 4096, tail);
    // Wrapped part: mda bytes 512..4817; the last text byte (4817) is the NUL.
    expect(tail.subarray(0, 209).every((b) => b === 0x41)).toBe(true);
    expect(tail.subarray(209).every((b) => b === 0)).toBe(true);
    const read = readMetadataText(
      device,
      { startBytes: 4096, sizeBytes: MDA_60K },
      locnOf(60416, 5330, lvmCrc(text)),
    );
    expect(read).toEqual({ ok: true, text });
  });

  it("reports a checksum error and an out-of-bounds slot with LVM2's warnings", () => {
    const device = new MemoryDevice("pv0.img", 1 << 20);
    const text = textOf(100, 0x42);
    writeMetadataText(device, 4096, placeMetadataText(MDA_60K, undefined, { ...ctx, sizeBytes: 100 }), text);
    expect(readMetadataText(device, { startBytes: 4096, sizeBytes: MDA_60K }, locnOf(512, 100, 1))).toEqual({
      ok: false,
      problem: "checksum",
      warning: "WARNING: Checksum error on pv0.img at offset 4608.",
      text,
    });
    expect(
      readMetadataText(device, { startBytes: 4096, sizeBytes: MDA_60K }, locnOf(MDA_60K, 100, 1)),
    ).toEqual({
      ok: false,
      problem: "bounds",
      warning: "WARNING: Metadata location out of bounds (offset 61440 size 100 mda 61440) on pv0.img.",
    });
  });
});
