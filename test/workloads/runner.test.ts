import { describe, expect, it } from "vitest";
import type { BlockDevice, IoOptions, IoStats, WriteOptions } from "../../engine/block/device.js";
import { emptyIoStats } from "../../engine/block/device.js";
import { BlockDeviceError } from "../../engine/block/errors.js";
import { isSimulationHalt, SimulationHalt } from "../../engine/sim/halt.js";
import { Rng } from "../../engine/sim/rng.js";
import type { JobInput } from "../../workloads/job-spec.js";
import { defineJob } from "../../workloads/job-spec.js";
import { ShadowOracle } from "../../workloads/oracle.js";
import { runJobs } from "../../workloads/runner.js";
import { CacheDouble, FlatDevice } from "./doubles.js";

const MiB = 1 << 20;

function job(input: Partial<JobInput> & { name?: string }) {
  return defineJob({ name: "job", ...input } as JobInput);
}

function run(
  inputs: (Partial<JobInput> & { name?: string })[],
  device: BlockDevice | BlockDevice[],
  seed = 1,
) {
  return runJobs(
    inputs.map((i) => job(i)),
    device,
    { rng: Rng.fromSeed(seed) },
  );
}

/** Passes everything through, but lets a test corrupt writes or halt the machine. */
class Wrapper implements BlockDevice {
  readonly stats: IoStats = emptyIoStats();
  writes = 0;
  constructor(
    readonly inner: BlockDevice,
    readonly onWrite: (index: number, data: Uint8Array) => void,
  ) {}
  get name() {
    return this.inner.name;
  }
  get sizeBytes() {
    return this.inner.sizeBytes;
  }
  read(offsetBytes: number, dst: Uint8Array, options?: IoOptions) {
    return this.inner.read(offsetBytes, dst, options);
  }
  write(offsetBytes: number, data: Uint8Array, options?: WriteOptions) {
    this.writes += 1;
    const copy = data.slice();
    this.onWrite(this.writes, copy);
    return this.inner.write(offsetBytes, copy, options);
  }
  flush(options?: IoOptions) {
    return this.inner.flush(options);
  }
  discard(offsetBytes: number, lengthBytes: number, options?: IoOptions) {
    return this.inner.discard(offsetBytes, lengthBytes, options);
  }
}

/** A two-leg mirror: every write goes to both PVs, for write amplification. */
class Mirror implements BlockDevice {
  readonly stats: IoStats = emptyIoStats();
  readonly name = "mirror";
  constructor(readonly legs: [FlatDevice, FlatDevice]) {}
  get sizeBytes() {
    return this.legs[0].sizeBytes;
  }
  read(offsetBytes: number, dst: Uint8Array, options?: IoOptions) {
    return this.legs[0].read(offsetBytes, dst, options);
  }
  write(offsetBytes: number, data: Uint8Array, options?: WriteOptions) {
    return Math.max(...this.legs.map((leg) => leg.write(offsetBytes, data, options)));
  }
  flush(options?: IoOptions) {
    return Math.max(...this.legs.map((leg) => leg.flush(options)));
  }
  discard(): number {
    throw new Error("not used");
  }
}

describe("runJobs timing", () => {
  it("iodepth=1 serialises: run time is N × service time and latency is the service time", () => {
    const device = new FlatDevice("d", MiB, { serviceNs: 1000 });
    const result = run([{ rw: "randread", numberIos: 100 }], device);
    const r = result.jobs[0]!;
    expect(r.read.ios).toBe(100);
    expect(r.runtimeNs).toBe(100 * 1000);
    expect(r.read.latency.meanNs).toBe(1000);
    expect(r.read.iops).toBeCloseTo(1e6, 6);
  });

  it("iodepth=4 on one server queues: same throughput, four times the latency in steady state", () => {
    const device = new FlatDevice("d", 4 * MiB, { serviceNs: 1000 });
    const r = run([{ rw: "randread", numberIos: 400, iodepth: 4 }], device).jobs[0]!;
    expect(r.runtimeNs).toBe(400 * 1000);
    // HDR buckets hold three significant digits.
    expect(Math.abs(r.read.latency.p50Ns - 4000)).toBeLessThanOrEqual(4);
    // The first three wait 0, 1 and 2 service times less than the steady state.
    expect(r.read.latency.meanNs).toBe((1000 + 2000 + 3000 + 397 * 4000) / 400);
    expect(r.read.latency.minNs).toBe(1000);
  });

  it("iodepth=4 on four servers runs four at once", () => {
    const device = new FlatDevice("d", 4 * MiB, { serviceNs: 1000, servers: 4 });
    const r = run([{ rw: "randread", numberIos: 400, iodepth: 4 }], device).jobs[0]!;
    expect(r.runtimeNs).toBe(100 * 1000);
    expect(r.read.latency.maxNs).toBe(1000);
    expect(r.depthHistogram[2]).toBeGreaterThan(390);
  });

  it("rate_iops paces issues linearly from the job start", () => {
    const device = new FlatDevice("d", MiB);
    const r = run([{ rw: "write", numberIos: 10, rateIops: { read: 0, write: 1000 } }], device).jobs[0]!;
    expect(r.write.ios).toBe(10);
    expect(r.runtimeNs).toBe(9_000_000);
  });

  it("rate (bytes/s) paces the same way", () => {
    const device = new FlatDevice("d", MiB);
    const r = run([{ rw: "write", numberIos: 11, rateBytesPerSec: { read: 0, write: 4096 * 100 } }], device)
      .jobs[0]!;
    expect(r.runtimeNs).toBe(100_000_000);
  });

  it("runtime stops a time-based job in virtual time", () => {
    const device = new FlatDevice("d", 64 * 1024, { serviceNs: 10_000 });
    const r = run([{ rw: "randread", runtimeNs: 1_000_000, timeBased: true }], device).jobs[0]!;
    expect(r.read.ios).toBe(100);
  });

  it("size bounds a sequential job to one pass; loops repeats it", () => {
    const device = new FlatDevice("d", MiB);
    expect(run([{ rw: "write", size: { bytes: "64k" } }], device).jobs[0]!.write.bytes).toBe(65536);
    expect(run([{ rw: "write", size: { bytes: "64k" }, loops: 3 }], device).jobs[0]!.write.bytes).toBe(
      3 * 65536,
    );
  });

  it("stonewall starts the next group when the previous one ends", () => {
    const device = new FlatDevice("d", MiB, { serviceNs: 1000 });
    const result = run(
      [
        { name: "a", rw: "write", numberIos: 10 },
        { name: "b", rw: "read", numberIos: 5, stonewall: true },
      ],
      device,
    );
    expect(result.groups).toHaveLength(2);
    expect(result.jobs[1]!.startNs).toBe(result.jobs[0]!.endNs);
    expect(result.endNs).toBe(15_000);
  });
});

describe("runJobs flushes, FUA, mixes and write amplification", () => {
  it("flushes every fsync=N writes after its in-flight writes complete", () => {
    const device = new FlatDevice("d", MiB, { serviceNs: 100 });
    const r = run([{ rw: "randwrite", numberIos: 100, fsync: 10, iodepth: 8 }], device).jobs[0]!;
    expect(device.stats.flushOps).toBe(10);
    expect(r.sync.ios).toBe(10);
  });

  it("issues about fua_percentage of writes with FUA", () => {
    const device = new FlatDevice("d", 16 * MiB);
    const r = run([{ rw: "randwrite", numberIos: 2000, fuaPercentage: 30, norandommap: true }], device)
      .jobs[0]!;
    expect(r.fuaWrites / 2000).toBeGreaterThan(0.27);
    expect(r.fuaWrites / 2000).toBeLessThan(0.33);
  });

  it("mixes reads and writes by rwmixread", () => {
    const device = new FlatDevice("d", 16 * MiB);
    const r = run([{ rw: "randrw", numberIos: 4000, rwmixread: 70 }], device).jobs[0]!;
    expect(r.read.ios + r.write.ios).toBe(4000);
    expect(r.read.ios / 4000).toBeGreaterThan(0.67);
    expect(r.read.ios / 4000).toBeLessThan(0.73);
  });

  it("measures write amplification from the PV counters: a two-leg mirror writes 2×", () => {
    const legs: [FlatDevice, FlatDevice] = [new FlatDevice("pv0", MiB), new FlatDevice("pv1", MiB)];
    const result = runJobs([job({ rw: "randwrite", numberIos: 50 })], new Mirror(legs), {
      rng: Rng.fromSeed(3),
      pvs: legs,
    });
    expect(result.writeAmplification).toBe(2);
    expect(result.pvBytesWritten).toBe(2 * 50 * 4096);
  });

  it("is deterministic per seed and differs across seeds", () => {
    const offsets = (seed: number) => {
      const device = new Wrapper(new FlatDevice("d", MiB), () => {});
      const seen: number[] = [];
      const spy = new Wrapper(device, () => {});
      spy.write = (offsetBytes: number, data: Uint8Array, options?: WriteOptions) => {
        seen.push(offsetBytes);
        return device.write(offsetBytes, data, options);
      };
      run([{ rw: "randwrite", numberIos: 50 }], spy, seed);
      return seen;
    };
    expect(offsets(5)).toEqual(offsets(5));
    expect(offsets(5)).not.toEqual(offsets(6));
  });
});

describe("runJobs verification", () => {
  it("writes verify headers and reads every written block back clean", () => {
    const device = new FlatDevice("d", MiB, { serviceNs: 50 });
    const result = run([{ rw: "randwrite", size: { bytes: "256k" }, verify: "crc32c", iodepth: 4 }], device);
    const r = result.jobs[0]!;
    expect(r.write.ios).toBe(64);
    expect(r.verify.blocksChecked).toBe(64);
    expect(r.verify.failed).toBe(0);
    expect(result.verifyFailures).toBe(0);
  });

  it("catches a device that corrupts writes, in reads, backlog checks and the final pass", () => {
    const device = new Wrapper(new FlatDevice("d", MiB), (index, data) => {
      if (index % 7 === 0) data[100]! ^= 0xff;
    });
    const result = run(
      [{ rw: "randwrite", size: { bytes: "128k" }, verify: "xxh64", verifyBacklog: 8 }],
      device,
    );
    const r = result.jobs[0]!;
    expect(r.verify.failed).toBeGreaterThan(0);
    expect(r.verify.counts.corrupt).toBe(r.verify.failed);
    expect(result.verifyFailures).toBe(r.verify.failed);
  });

  it("verifies reads of a mixed job against the latest generation", () => {
    const device = new FlatDevice("d", 64 * 1024);
    const r = run([{ rw: "randrw", loops: 40, verify: "xxh64", norandommap: true }], device).jobs[0]!;
    expect(r.verify.failed).toBe(0);
    expect(r.verify.blocksChecked).toBeGreaterThan(100);
  });

  it("splits large blocks into verify_interval units, each with a header", () => {
    const device = new FlatDevice("d", MiB);
    const oracle = new ShadowOracle();
    runJobs(
      [
        job({
          rw: "write",
          size: { bytes: "256k" },
          bs: { read: { kind: "fixed", bytes: 65536 }, write: { kind: "fixed", bytes: 65536 } },
          verify: "xxh64",
          verifyIntervalBytes: 4096,
        }),
      ],
      device,
      {
        rng: Rng.fromSeed(1),
        oracle,
      },
    );
    expect(oracle.registration(0).blockBytes).toBe(4096);
    expect(oracle.writtenBlocks(0)).toHaveLength(64);
    expect(oracle.verifyDevice(device, 0).ok).toBe(true);
  });

  it("a device error ends the job with fio's err and keeps the rest of the run going", () => {
    const inner = new FlatDevice("d", MiB);
    const device = new Wrapper(inner, (index) => {
      if (index === 5) throw new BlockDeviceError("EIO", "d", 0, 4096, "injected");
    });
    const r = run([{ rw: "write", numberIos: 20 }], device).jobs[0]!;
    expect(r.error?.code).toBe("EIO");
    expect(r.write.ios).toBe(4);
  });

  it("a power cut mid-run propagates and the oracle accepts every crash state of the cache", () => {
    const cache = new CacheDouble("disk", 64 * 1024);
    const halting = new Wrapper(cache, (index) => {
      if (index === 30) throw new SimulationHalt("power-cut", "write 30");
    });
    const oracle = new ShadowOracle();
    let halted = false;
    try {
      runJobs([job({ rw: "randwrite", loops: 10, fsync: 8, verify: "xxh64", norandommap: true })], halting, {
        rng: Rng.fromSeed(9),
        oracle,
      });
    } catch (error) {
      halted = isSimulationHalt(error);
    }
    expect(halted).toBe(true);
    expect(cache.log.length).toBeGreaterThan(0);
    expect(cache.log.length).toBeLessThanOrEqual(8);
    for (let mask = 0; mask < 1 << cache.log.length; mask++) {
      const report = oracle.verifyDevice(cache.crashState(mask), 0);
      expect(report.ok, JSON.stringify(report.examples)).toBe(true);
    }
    // The flushed writes must be there: wipe the media and the oracle objects.
    const wiped = cache.crashState(0);
    wiped.bytes.fill(0);
    expect(oracle.verifyDevice(wiped, 0).counts.lost).toBeGreaterThan(0);
  });

  it("several targets are chosen by filename", () => {
    const a = new FlatDevice("lv-a", MiB);
    const b = new FlatDevice("lv-b", MiB);
    run(
      [
        { name: "x", filename: "lv-b", rw: "write", numberIos: 3 },
        { name: "y", filename: "lv-a", rw: "write", numberIos: 1 },
      ],
      [a, b],
    );
    expect(a.stats.writeOps).toBe(1);
    expect(b.stats.writeOps).toBe(3);
    expect(() => run([{ name: "z", filename: "nope", rw: "write", numberIos: 1 }], [a, b])).toThrow(
      /filename=nope/,
    );
  });
});
