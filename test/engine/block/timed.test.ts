import { describe, expect, it } from "vitest";
import {
  type BlockDevice,
  emptyIoStats,
  type IoOptions,
  type WriteOptions,
} from "../../../engine/block/device.js";
import { BlockDeviceError, isBlockDeviceError } from "../../../engine/block/errors.js";
import { MemoryDevice } from "../../../engine/block/memory.js";
import { TimedDevice } from "../../../engine/block/timed.js";
import { Rng } from "../../../engine/sim/rng.js";
import { Bus } from "../../../engine/sim/timing/bus.js";
import { customProfile } from "../../../engine/sim/timing/custom.js";
import { HDD_PROFILE, REALDM_PROFILE } from "../../../engine/sim/timing/profiles.js";
import { MUTATION_BANDWIDTH_PER_SERVER } from "../../../engine/sim/timing/queue.js";

const MiB = 1024 * 1024;

/** A device that records what reached it and completes a fixed delay after issue. */
class DelayDevice implements BlockDevice {
  readonly name = "delay0";
  readonly sizeBytes = 64 * MiB;
  readonly stats = emptyIoStats();
  readonly fuaSeen: boolean[] = [];
  constructor(readonly delayNs: number) {}
  read(_offsetBytes: number, dst: Uint8Array, options: IoOptions = {}): number {
    this.stats.readOps += 1;
    this.stats.readBytes += dst.length;
    return (options.issueNs ?? 0) + this.delayNs;
  }
  write(offsetBytes: number, data: Uint8Array, options: WriteOptions = {}): number {
    if (offsetBytes >= this.sizeBytes)
      throw new BlockDeviceError("ENXIO", this.name, offsetBytes, data.length, "gone");
    this.fuaSeen.push(options.fua === true);
    this.stats.writeOps += 1;
    return (options.issueNs ?? 0) + this.delayNs;
  }
  flush(options: IoOptions = {}): number {
    this.stats.flushOps += 1;
    return (options.issueNs ?? 0) + this.delayNs;
  }
  discard(_offsetBytes: number, _lengthBytes: number, options: IoOptions = {}): number {
    this.stats.discardOps += 1;
    return (options.issueNs ?? 0) + this.delayNs;
  }
}

describe("TimedDevice", () => {
  it("passes data through to the inner device unchanged", () => {
    const inner = new MemoryDevice("pv0", 16 * MiB);
    const disk = new TimedDevice(inner, REALDM_PROFILE);
    const data = Rng.fromSeed(1).bytes(8192);
    disk.write(4096, data);
    const back = new Uint8Array(8192);
    disk.read(4096, back);
    expect(back).toEqual(data);
    expect(disk.name).toBe("pv0");
    expect(disk.sizeBytes).toBe(16 * MiB);
    expect(disk.stats).toBe(inner.stats);
    expect(disk.stats.writeBytes).toBe(8192);
  });

  it("returns completion times from the model: 1 MiB at 100 MiB/s takes 10 ms", () => {
    const disk = new TimedDevice(
      new MemoryDevice("pv0", 16 * MiB),
      customProfile({ bandwidthBytesPerSec: 100 * MiB }),
    );
    const data = new Uint8Array(MiB);
    expect(disk.write(0, data, { issueNs: 5_000 })).toBe(10_005_000);
    // Issued at the same instant, the second request queues behind the first.
    expect(disk.read(0, data, { issueNs: 5_000 })).toBe(20_005_000);
    expect(disk.counters.queueWaitNs).toBe(10_000_000);
    expect(disk.counters.requests).toBe(2);
  });

  it("charges FUA writes a flush on a volatile cache and passes FUA down", () => {
    const fields = { bandwidthBytesPerSec: 1e12, writeLatencyNs: 10_000, flushLatencyNs: 400_000 };
    const inner = new DelayDevice(0);
    const cached = new TimedDevice(inner, customProfile({ ...fields, volatileCache: true }));
    const plain = cached.write(0, new Uint8Array(512), { issueNs: 0 });
    const fua = cached.write(0, new Uint8Array(512), { issueNs: plain, fua: true });
    expect(fua - plain - (plain - 0)).toBe(400_000);
    expect(inner.fuaSeen).toEqual([false, true]);

    const safe = new TimedDevice(new DelayDevice(0), customProfile({ ...fields, volatileCache: false }));
    const a = safe.write(0, new Uint8Array(512));
    const b = safe.write(0, new Uint8Array(512), { issueNs: a, fua: true });
    expect(b - a).toBe(a);
  });

  it("times flushes and discards without a transfer", () => {
    const disk = new TimedDevice(
      new MemoryDevice("pv0", 16 * MiB),
      customProfile({ bandwidthBytesPerSec: 1e6, writeLatencyNs: 3_000, flushLatencyNs: 70_000 }),
    );
    expect(disk.discard(0, 8 * MiB, { issueNs: 100 })).toBe(3_100);
    expect(disk.flush({ issueNs: 10_000 })).toBe(80_000);
    expect(disk.stats.discardOps).toBe(1);
    expect(disk.stats.flushOps).toBe(1);
    expect(disk.counters.flushes).toBe(1);
    expect(disk.counters.discards).toBe(1);
  });

  it("keeps the later completion when the inner device is itself slower", () => {
    const disk = new TimedDevice(
      new DelayDevice(50_000_000),
      customProfile({ bandwidthBytesPerSec: 100 * MiB }),
    );
    expect(disk.write(0, new Uint8Array(MiB), { issueNs: 1_000 })).toBe(50_001_000);
  });

  it("lets inner errors through and charges no modelled time for them", () => {
    const disk = new TimedDevice(new DelayDevice(0), REALDM_PROFILE);
    let caught: unknown;
    try {
      disk.write(128 * MiB, new Uint8Array(512));
    } catch (error) {
      caught = error;
    }
    expect(isBlockDeviceError(caught, "ENXIO")).toBe(true);
    expect(disk.counters.requests).toBe(0);
    const misaligned = new TimedDevice(new MemoryDevice("pv1", MiB), REALDM_PROFILE);
    expect(() => misaligned.read(100, new Uint8Array(512))).toThrow(BlockDeviceError);
    expect(misaligned.counters.requests).toBe(0);
  });

  it("passes timing mutations to its queue", () => {
    const profile = customProfile({ bandwidthBytesPerSec: 100 * MiB, parallelism: 2 });
    const drain = (disk: TimedDevice) =>
      Math.max(disk.write(0, new Uint8Array(MiB)), disk.write(MiB, new Uint8Array(MiB)));
    expect(drain(new TimedDevice(new DelayDevice(0), profile))).toBe(20_000_000);
    const mutated = new TimedDevice(new DelayDevice(0), profile, {
      mutations: new Set([MUTATION_BANDWIDTH_PER_SERVER]),
    });
    expect(drain(mutated)).toBe(10_000_000);
  });

  it("makes sequential disk reads far cheaper than random ones", () => {
    const disk = new TimedDevice(new MemoryDevice("hdd0", 1024 * MiB), HDD_PROFILE, {
      rng: Rng.fromSeed(3).fork("timing").fork("hdd0"),
    });
    const buf = new Uint8Array(4096);
    let nowNs = 0;
    for (let i = 0; i < 64; i++) nowNs = disk.read(i * 4096, buf, { issueNs: nowNs });
    const sequentialNs = nowNs;
    const offsets = Rng.fromSeed(3).fork("workload");
    for (let i = 0; i < 64; i++) nowNs = disk.read(offsets.int(256 * 1024) * 4096, buf, { issueNs: nowNs });
    expect((nowNs - sequentialNs) / sequentialNs).toBeGreaterThan(10);
  });

  it("shares a bus: two disks streaming behind one 100 MiB/s bus get half each", () => {
    const bus = new Bus("ctl0", { bandwidthBytesPerSec: 100 * MiB });
    const disks = [0, 1].map(
      (i) => new TimedDevice(new DelayDevice(0), REALDM_PROFILE, { bus, rng: Rng.fromSeed(i) }),
    );
    const doneNs = [0, 0];
    const data = new Uint8Array(MiB);
    for (let i = 0; i < 32; i++) {
      for (const [k, disk] of disks.entries()) doneNs[k] = disk.write(i * MiB, data, { issueNs: doneNs[k] });
    }
    for (const ns of doneNs) expect(32 / (ns / 1e9)).toBeCloseTo(50, -1);
    expect(bus.counters.bytes).toBe(64 * MiB);
  });
});
