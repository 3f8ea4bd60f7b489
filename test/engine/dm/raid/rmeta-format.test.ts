/** The dm-raid superblock and md bitmap superblock encode to the kernel's byte layout and back. */
import { describe, expect, it } from "vitest";
import {
  BITMAP_MAGIC,
  bitmapAreaBytes,
  DM_RAID_MAGIC,
  decodeBitmapSuperblock,
  decodeSuperblock,
  encodeBitmapSuperblock,
  encodeSuperblock,
  MAX_SECTOR,
  RmetaFormatError,
} from "../../../../engine/dm/raid/rmeta-format.js";

const sb = {
  numDevices: 2,
  arrayPosition: 1,
  events: 0x15n,
  failedDevices: [0, 70],
  diskRecoveryOffset: MAX_SECTOR,
  arrayResyncOffset: 4096n,
  level: 1,
  arraySectors: 131072,
  sectors: 131072,
};

describe("dm-raid superblock", () => {
  it("puts every field at the kernel's offset, little-endian, with no checksum", () => {
    const buf = encodeSuperblock(sb);
    const v = new DataView(buf.buffer);
    expect(buf.byteLength).toBe(512);
    expect([...buf.subarray(0, 4)]).toEqual([0x44, 0x6d, 0x52, 0x64]);
    expect(v.getUint32(0, true)).toBe(DM_RAID_MAGIC);
    expect(v.getUint32(4, true)).toBe(1);
    expect(v.getUint32(8, true)).toBe(2);
    expect(v.getUint32(12, true)).toBe(1);
    expect(v.getBigUint64(16, true)).toBe(0x15n);
    expect(v.getBigUint64(24, true)).toBe(1n);
    expect(v.getBigUint64(32, true)).toBe(MAX_SECTOR);
    expect(v.getBigUint64(40, true)).toBe(4096n);
    expect(v.getUint32(48, true)).toBe(1);
    expect(v.getBigUint64(64, true)).toBe(MAX_SECTOR);
    expect(v.getBigUint64(88, true)).toBe(131072n);
    expect(v.getBigUint64(112, true)).toBe(131072n);
    expect(v.getBigUint64(120, true)).toBe(1n << 6n);
    expect(buf.subarray(148).every((b) => b === 0)).toBe(true);
  });

  it("round-trips, reads a zeroed sector as new, and refuses unknown feature flags", () => {
    expect(decodeSuperblock(encodeSuperblock(sb))).toEqual(sb);
    expect(decodeSuperblock(new Uint8Array(512))).toBeUndefined();
    const bad = encodeSuperblock(sb);
    bad[4] = 3;
    expect(() => decodeSuperblock(bad)).toThrow(RmetaFormatError);
  });
});

describe("md bitmap superblock", () => {
  it("encodes magic, version 4, events and chunk size, and rejects bad chunk sizes", () => {
    const bsb = {
      events: 7n,
      eventsCleared: 6n,
      syncSizeSectors: 131072,
      state: 0,
      chunkSizeBytes: 2 * 1024 * 1024,
      daemonSleepSeconds: 5,
    };
    const buf = encodeBitmapSuperblock(bsb);
    const v = new DataView(buf.buffer);
    expect(buf.byteLength).toBe(256);
    expect(v.getUint32(0, true)).toBe(BITMAP_MAGIC);
    expect(v.getUint32(4, true)).toBe(4);
    expect(v.getUint32(52, true)).toBe(2 * 1024 * 1024);
    expect(decodeBitmapSuperblock(buf)).toEqual(bsb);
    v.setUint32(52, 3000, true);
    expect(() => decodeBitmapSuperblock(buf)).toThrow(/power of 2/);
  });

  it("sizes the on-disk bitmap as 256 bytes plus one bit per region, in whole sectors", () => {
    expect(bitmapAreaBytes(32)).toBe(512);
    expect(bitmapAreaBytes(2048)).toBe(512);
    expect(bitmapAreaBytes(2049)).toBe(1024);
  });
});
