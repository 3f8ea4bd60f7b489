import { describe, expect, it } from "vitest";
import type { BlockDevice, IoOptions, IoStats, WriteOptions } from "../../engine/block/device.js";
import { emptyIoStats } from "../../engine/block/device.js";
import { BlockDeviceError } from "../../engine/block/errors.js";
import { Rng } from "../../engine/sim/rng.js";
import { jobsFromFioFile } from "../../workloads/fio-ini.js";
import { formatFioJson, formatFioNormal } from "../../workloads/fio-output.js";
import { ShadowOracle } from "../../workloads/oracle.js";
import { runJobs } from "../../workloads/runner.js";
import { FlatDevice } from "./doubles.js";

const KiB = 1024;
const MiB = 1 << 20;

interface Seen {
  readonly op: "read" | "write" | "discard";
  readonly offsetBytes: number;
  readonly lengthBytes: number;
}

/** A flat device that logs every request and charges `discardNs` per discard. */
class Spy implements BlockDevice {
  readonly stats: IoStats = emptyIoStats();
  readonly seen: Seen[] = [];
  constructor(
    readonly inner: FlatDevice,
    readonly discardNs = 0,
  ) {}
  get name() {
    return this.inner.name;
  }
  get sizeBytes() {
    return this.inner.sizeBytes;
  }
  read(offsetBytes: number, dst: Uint8Array, options?: IoOptions) {
    this.seen.push({ op: "read", offsetBytes, lengthBytes: dst.length });
    return this.inner.read(offsetBytes, dst, options);
  }
  write(offsetBytes: number, data: Uint8Array, options?: WriteOptions) {
    this.seen.push({ op: "write", offsetBytes, lengthBytes: data.length });
    return this.inner.write(offsetBytes, data, options);
  }
  flush(options?: IoOptions) {
    return this.inner.flush(options);
  }
  discard(offsetBytes: number, lengthBytes: number, options: IoOptions = {}) {
    this.seen.push({ op: "discard", offsetBytes, lengthBytes });
    this.inner.discard(offsetBytes, lengthBytes, options);
    return (options.issueNs ?? 0) + this.discardNs;
  }
}

const jobs = (text: string) => jobsFromFioFile(text, { file: "trim.fio" });
const run = (text: string, device: BlockDevice, options: { seed?: number; oracle?: ShadowOracle } = {}) =>
  runJobs(jobs(text), device, {
    rng: Rng.fromSeed(options.seed ?? 1),
    ...(options.oracle === undefined ? {} : { oracle: options.oracle }),
  });

describe("runJobs trim modes", () => {
  it("rw=randtrim discards every block of its region once, timed and counted as fio's trim direction", () => {
    const device = new Spy(new FlatDevice("d", MiB), 1000);
    const r = run("[t]\nrw=randtrim\nbs=64k\nsize=1m\n", device).jobs[0]!;
    expect(r.trim.ios).toBe(16);
    expect(r.trim.bytes).toBe(MiB);
    expect(r.read.ios + r.write.ios).toBe(0);
    // iodepth=1: one discard after another, each 1 µs.
    expect(r.runtimeNs).toBe(16_000);
    expect(r.trim.latency.meanNs).toBe(1000);
    const offsets = device.seen.map((s) => s.offsetBytes);
    expect(device.seen.every((s) => s.op === "discard" && s.lengthBytes === 64 * KiB)).toBe(true);
    expect([...offsets].sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i * 64 * KiB));
    expect(offsets).not.toEqual([...offsets].sort((a, b) => a - b));
  });

  it("rw=trim walks its region in order with the third bs field; iodepth queues trims like writes", () => {
    const device = new Spy(new FlatDevice("d", MiB), 1000);
    const r = run("[t]\nrw=trim\nbs=4k,4k,128k\nsize=512k\niodepth=4\n", device).jobs[0]!;
    expect(device.seen.map((s) => [s.offsetBytes, s.lengthBytes])).toEqual(
      [0, 1, 2, 3].map((i) => [i * 128 * KiB, 128 * KiB]),
    );
    // Four in flight at once: issued at depths 1, 2, 3 and 4 (fio's levels 1, 2, 4).
    expect(r.depthHistogram.slice(0, 3)).toEqual([1, 2, 1]);
    expect(r.trim.ios).toBe(4);
  });

  it("rw=trimwrite alternates a trim and a write of the same block, and moves twice size and number_ios", () => {
    const device = new Spy(new FlatDevice("d", MiB));
    const r = run("[t]\nrw=trimwrite\nbs=16k\nsize=128k\n", device).jobs[0]!;
    expect(device.seen.map((s) => `${s.op[0]}${s.offsetBytes / (16 * KiB)}`)).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].flatMap((i) => [`d${i}`, `w${i}`]),
    );
    expect([r.trim.bytes, r.write.bytes]).toEqual([128 * KiB, 128 * KiB]);
    const capped = run("[t]\nrw=trimwrite\nbs=16k\nnumber_ios=3\n", new FlatDevice("d", MiB)).jobs[0]!;
    expect([capped.trim.ios, capped.write.ios]).toEqual([3, 3]);
  });

  it("rw=randtrimwrite writes exactly the range it just trimmed, with the trim's size", () => {
    const device = new Spy(new FlatDevice("d", MiB));
    const r = run("[t]\nrw=randtrimwrite\nbs=4k,4k,16k\nsize=256k\n", device).jobs[0]!;
    expect(r.trim.ios).toBe(16);
    expect(r.write.ios).toBe(16);
    for (let i = 0; i < device.seen.length; i += 2) {
      const [trim, write] = [device.seen[i]!, device.seen[i + 1]!];
      expect(trim.op).toBe("discard");
      expect(write).toEqual({ op: "write", offsetBytes: trim.offsetBytes, lengthBytes: 16 * KiB });
    }
  });

  it("tells the oracle: trimmed blocks may read as zeros, the rest must still hold their data", () => {
    const flat = new FlatDevice("d", MiB);
    const oracle = new ShadowOracle();
    run("[w]\nrw=write\nbs=4k\nsize=256k\nverify=xxhash\nend_fsync=1\n", flat, { oracle });
    const trimmed = run("[t]\nrw=randtrim\nbs=16k\nsize=128k\nverify=xxhash\n", flat, { oracle });
    expect(trimmed.verifyFailures).toBe(0);
    const report = oracle.verifyDevice(flat, 0);
    expect(report.ok).toBe(true);
    expect(flat.bytes.subarray(0, 128 * KiB).every((b) => b === 0)).toBe(true);
    // Zeros outside the trimmed range are data loss.
    flat.bytes.fill(0, 200 * KiB, 204 * KiB);
    expect(oracle.verifyDevice(flat, 0).counts.lost).toBe(1);
  });

  it("verifies what randtrimwrite wrote over the ranges it trimmed", () => {
    const flat = new FlatDevice("d", MiB);
    const r = run("[t]\nrw=randtrimwrite\nbs=8k\nsize=256k\nverify=crc32c\niodepth=4\nfsync=4\n", flat)
      .jobs[0]!;
    expect(r.verify.blocksChecked).toBe(32);
    expect(r.verify.failed).toBe(0);
  });

  it("a device that refuses discards ends the job with fio's err and names the trim", () => {
    class NoDiscard extends FlatDevice {
      override discard(offsetBytes: number, lengthBytes: number): number {
        throw new BlockDeviceError("EINVAL", this.name, offsetBytes, lengthBytes, "no discards here");
      }
    }
    const result = run("[t]\nrw=randtrim\nbs=64k\nsize=1m\n", new NoDiscard("snap", MiB));
    const r = result.jobs[0]!;
    expect(r.error?.code).toBe("EINVAL");
    expect(r.error?.message).toMatch(/^trim of 65536 bytes at \d+ on snap failed: .*no discards here/);
    expect(r.trim.ios).toBe(0);
    expect(formatFioNormal(result)).toContain("err=EINVAL (trim of 65536 bytes");
    expect(JSON.parse(formatFioJson(result)).jobs[0].error).toBe(22);
  });

  it("fills fio's trim sections, in normal and JSON output, the same bytes for the same seed", () => {
    const text = "[t]\nrw=randtrimwrite\nbs=16k\nsize=512k\niodepth=2\n";
    const once = (seed: number) => run(text, new Spy(new FlatDevice("d", MiB), 2000), { seed });
    const result = once(3);
    const normal = formatFioNormal(result);
    expect(normal).toContain("(T) 16384B-16384B");
    expect(normal).toMatch(/\n {2}trim: IOPS=[\d.k]+, BW=/);
    expect(normal).toMatch(/\n {3}TRIM: bw=.*io=512KiB/);
    expect(normal).toContain("issued rwts: total=0,32,32,0");
    expect(normal).toContain("discarded=512KiB");
    const json = JSON.parse(formatFioJson(result)).jobs[0];
    expect(json.trim).toMatchObject({ io_bytes: 512 * KiB, total_ios: 32, io_kbytes: 512 });
    expect(json.trim.clat_ns.N).toBe(32);
    expect(json.trim.clat_ns.min).toBeGreaterThanOrEqual(2000);
    const jobsOf = (seed: number) => JSON.stringify(JSON.parse(formatFioJson(once(seed))).jobs);
    expect(jobsOf(3)).toBe(jobsOf(3));
    const offsets = (seed: number) => {
      const device = new Spy(new FlatDevice("d", MiB));
      run(text, device, { seed });
      return device.seen.map((s) => s.offsetBytes);
    };
    expect(offsets(3)).toEqual(offsets(3));
    expect(offsets(3)).not.toEqual(offsets(4));
  });
});
