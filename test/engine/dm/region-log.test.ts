import { describe, expect, it } from "vitest";
import { MirrorTarget } from "../../../engine/dm/mirror/mirror.js";
import { RegionHash } from "../../../engine/dm/mirror/region-hash.js";
import {
  CoreRegionLog,
  DiskRegionLog,
  diskLogIoBytes,
  MIRROR_LOG_MAGIC,
  regionBitsetBytes,
  testBitLe,
} from "../../../engine/dm/mirror/region-log.js";
import { TestDisk } from "./harness.js";

const noLegs = (t: number) => ({ doneNs: t, failed: false });

function header(bytes: Uint8Array, magic: number, version: number, regions: bigint): void {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  v.setUint32(0, magic, true);
  v.setUint32(4, version, true);
  v.setBigUint64(8, regions, true);
}

describe("region log sizes", () => {
  it("round the bitset to 32 bits and the I/O to a sector, as dm-log does", () => {
    expect(regionBitsetBytes(1)).toBe(4);
    expect(regionBitsetBytes(33)).toBe(8);
    expect(diskLogIoBytes(8)).toBe(1536);
    expect(diskLogIoBytes(4096 * 8 + 1)).toBe(Math.ceil((1024 + 4100) / 512) * 512);
  });
});

describe("core log", () => {
  it("starts all clean and all out of sync, or all in sync with nosync", () => {
    const log = new CoreRegionLog({ regionSizeSectors: 8, targetSectors: 100 });
    expect(log.regionCount).toBe(13);
    expect(log.isClean(12)).toBe(true);
    expect(log.inSync(0)).toBe(false);
    expect(log.syncCount).toBe(0);
    const nosync = new CoreRegionLog({ regionSizeSectors: 8, targetSectors: 100, sync: "nosync" });
    expect(nosync.syncCount).toBe(13);
    expect(() => new CoreRegionLog({ regionSizeSectors: 12, targetSectors: 100 })).toThrow(/power of two/);
  });

  it("hands out resync work forward only, skipping regions being recovered", () => {
    const log = new CoreRegionLog({ regionSizeSectors: 8, targetSectors: 32 });
    expect(log.getResyncWork()).toBe(0);
    expect(log.getResyncWork()).toBe(1);
    log.setRegionSync(0, true);
    log.setRegionSync(1, false);
    expect(log.getResyncWork()).toBe(2);
    expect(log.getResyncWork()).toBe(3);
    // Region 1 fell out of sync behind the search: it waits for the next activation.
    expect(log.getResyncWork()).toBeUndefined();
    log.resume(0);
    expect(log.getResyncWork()).toBe(1);
  });
});

describe("disk log resume", () => {
  it("a zeroed (new) log means every region is dirty; nosync makes every region clean", () => {
    const dev = new TestDisk("mlog", 4096);
    const log = new DiskRegionLog({ device: dev, regionSizeSectors: 8, targetSectors: 80 });
    log.resume(0);
    expect(log.syncCount).toBe(0);
    const dv = new DataView(dev.durable.buffer);
    expect(dv.getUint32(0, true)).toBe(MIRROR_LOG_MAGIC);
    expect(dv.getBigUint64(8, true)).toBe(10n);
    const dev2 = new TestDisk("mlog2", 4096);
    const nosync = new DiskRegionLog({
      device: dev2,
      regionSizeSectors: 8,
      targetSectors: 80,
      sync: "nosync",
    });
    nosync.resume(0);
    expect(nosync.syncCount).toBe(10);
    // Bits past the region count are cleared on disk.
    expect(dev2.durable[1024 + 1]).toBe(0b11);
  });

  it("an lvcreate-initialised log (nr_regions = all ones) keeps its bits; a wrong magic distrusts them", () => {
    const dev = new TestDisk("mlog", 4096);
    header(dev.current, MIRROR_LOG_MAGIC, 2, 0xffffffffffffffffn);
    dev.current[1024] = 0b1011_1111; // region 6 dirty
    dev.current[1025] = 0b11;
    const log = new DiskRegionLog({ device: dev, regionSizeSectors: 8, targetSectors: 80 });
    log.resume(0);
    expect(log.syncCount).toBe(9);
    expect(log.inSync(6)).toBe(false);
    expect(log.getResyncWork()).toBe(6);
    const bad = new TestDisk("bad", 4096);
    header(bad.current, 0x12345678, 2, 10n);
    bad.current.fill(0xff, 1024, 1026);
    const badLog = new DiskRegionLog({ device: bad, regionSizeSectors: 8, targetSectors: 80 });
    badLog.resume(0);
    expect(badLog.syncCount).toBe(0);
  });

  it("grows: regions past the stored count are dirty; version 1 is upgraded; other versions are refused", () => {
    const dev = new TestDisk("mlog", 4096);
    header(dev.current, MIRROR_LOG_MAGIC, 1, 4n);
    dev.current[1024] = 0xff;
    dev.current[1025] = 0xff;
    const log = new DiskRegionLog({ device: dev, regionSizeSectors: 8, targetSectors: 80 });
    log.resume(0);
    expect(log.syncCount).toBe(4);
    expect(new DataView(dev.current.buffer).getUint32(4, true)).toBe(2);
    header(dev.current, MIRROR_LOG_MAGIC, 3, 10n);
    expect(() =>
      new DiskRegionLog({ device: dev, regionSizeSectors: 8, targetSectors: 80 }).resume(0),
    ).toThrow(/incompatible mirror log version 3/);
  });

  it("an unreadable log treats every region as out of sync and reports the log failed", () => {
    const dev = new TestDisk("mlog", 4096);
    dev.failReads = true;
    const log = new DiskRegionLog({ device: dev, regionSizeSectors: 8, targetSectors: 80, sync: "nosync" });
    log.resume(0);
    expect(log.syncCount).toBe(10); // nosync: unknown regions count as clean
    const dirty = new DiskRegionLog({ device: dev, regionSizeSectors: 8, targetSectors: 80 });
    dirty.resume(0);
    expect(dirty.syncCount).toBe(0);
    expect(dirty.failed).toBe(true);
    expect(dirty.statusParams()).toBe("3 disk mlog D");
  });

  it("refuses a log device too small for its bitset", () => {
    expect(
      () =>
        new DiskRegionLog({ device: new TestDisk("tiny", 1024), regionSizeSectors: 8, targetSectors: 80 }),
    ).toThrow(/too small/);
  });

  it("a failed leg flush before a clear distrusts every region", () => {
    const dev = new TestDisk("mlog", 4096);
    const log = new DiskRegionLog({ device: dev, regionSizeSectors: 8, targetSectors: 80, sync: "nosync" });
    log.resume(0);
    log.markRegion(3);
    log.flush(0, noLegs);
    log.clearRegion(3);
    log.flush(0, (t) => ({ doneNs: t, failed: true }));
    for (let r = 0; r < 10; r++) expect(testBitLe(dev.durable.subarray(1024), r)).toBe(false);
  });
});

describe("region hash", () => {
  it("moves regions CLEAN → DIRTY → clean list → cleared, and keeps NOSYNC off the clean list", () => {
    const log = new CoreRegionLog({ regionSizeSectors: 8, targetSectors: 80, sync: "nosync" });
    const rh = new RegionHash(log);
    rh.inc(2);
    rh.inc(2);
    expect(rh.getState(2)).toBe("DIRTY");
    expect(log.isClean(2)).toBe(false);
    rh.dec(2);
    expect(rh.cleanListSize).toBe(0);
    rh.dec(2);
    expect(rh.getState(2)).toBe("CLEAN");
    expect(rh.cleanListSize).toBe(1);
    rh.updateStates(0, { errorsHandled: false, flushLegs: noLegs });
    expect(log.isClean(2)).toBe(true);
    rh.inc(5);
    rh.markNosync(5);
    rh.dec(5);
    expect(rh.getState(5)).toBe("NOSYNC");
    expect(rh.cleanListSize).toBe(0);
    expect(() => rh.dec(5)).toThrow(/without a pending write/);
  });

  it("a failed recovery leaves the region out of sync only when errors are handled", () => {
    for (const errorsHandled of [true, false]) {
      const log = new CoreRegionLog({ regionSizeSectors: 8, targetSectors: 16 });
      const rh = new RegionHash(log);
      const region = rh.startRecovery()!;
      expect(rh.getState(region)).toBe("RECOVERING");
      expect(() => rh.inc(region)).toThrow(/being recovered/);
      rh.endRecovery(region, false);
      rh.updateStates(0, { errorsHandled, flushLegs: noLegs });
      expect(log.inSync(region)).toBe(!errorsHandled);
    }
  });
});

describe("mirror resync errors", () => {
  it("a leg failing during resync is marked S", () => {
    const legs = [new TestDisk("pv0", 64 * 1024), new TestDisk("pv1", 64 * 1024)];
    const mirror = new MirrorTarget("m", {
      lengthSectors: 128,
      regionSizeSectors: 32,
      legs: legs.map((device) => ({ device, offsetSectors: 0 })),
      handleErrors: true,
    });
    legs[1]!.failWrites = true;
    const step = mirror.resyncStep();
    expect(step.success).toBe(false);
    expect(mirror.legHealth()).toBe("AS");
    expect(mirror.syncPercent).toBe(0);
  });
});
