import { describe, expect, it } from "vitest";
import { Rng } from "../../engine/sim/rng.js";
import { jobsFromFioFile } from "../../workloads/fio-ini.js";
import { formatFioJson, formatFioNormal, formatVerifyFailure, num2str } from "../../workloads/fio-output.js";
import type { RunResult } from "../../workloads/runner.js";
import { runJobs } from "../../workloads/runner.js";
import { FlatDevice } from "./doubles.js";

const JOBS = `
[global]
size=256k
verify=xxhash

[writer]
rw=randwrite
iodepth=4
fsync=16

[reader]
stonewall
rw=randread
`;

function sample(): RunResult {
  const device = new FlatDevice("vg0-lv0", 1 << 20, { serviceNs: 20_000, nsPerByte: 0.5 });
  return runJobs(jobsFromFioFile(JOBS, { file: "t.fio" }), device, { rng: Rng.fromSeed(5) });
}

describe("fio's num2str", () => {
  it.each([
    [999, {}, "999"],
    [12345, {}, "12.3k"],
    [12345, { pow2: true, unit: "B" }, "12.1KiB"],
    [50331648, { pow2: true, unit: "B/s" }, "48.0MiB/s"],
    [50331648, { unit: "B/s" }, "50.3MB/s"],
    [1073741824, { pow2: true, unit: "B" }, "1024MiB"],
    [123456, { maxDigits: 6 }, "123456"],
  ] as const)("%d %j → %s", (value, options, text) => {
    expect(num2str(value, options)).toBe(text);
  });
});

describe("fio JSON output", () => {
  it("uses fio's field names and units", () => {
    const result = sample();
    const json = JSON.parse(formatFioJson(result));
    expect(json["fio version"]).toMatch(/^lvmlab-fio/);
    expect(json.jobs).toHaveLength(2);
    const writer = json.jobs[0];
    expect(writer.jobname).toBe("writer");
    expect(writer["job options"]).toEqual({
      rw: "randwrite",
      bs: "4k",
      size: "256k",
      iodepth: "4",
      fsync: "16",
      verify: "xxhash",
    });
    expect(writer.groupid).toBe(0);
    expect(json.jobs[1].groupid).toBe(1);
    const w = writer.write;
    const stats = result.jobs[0]!.write;
    expect(w.io_bytes).toBe(256 * 1024);
    expect(w.io_kbytes).toBe(256);
    expect(w.total_ios).toBe(64);
    expect(w.iops).toBeCloseTo(64 / (result.jobs[0]!.runtimeNs / 1e9), 6);
    expect(w.bw_bytes).toBe(Math.floor((256 * 1024) / (result.jobs[0]!.runtimeNs / 1e9)));
    expect(w.bw).toBe(Math.floor(w.bw_bytes / 1024));
    expect(w.runtime).toBe(Math.round(result.jobs[0]!.runtimeNs / 1e6));
    expect(Object.keys(w.clat_ns)).toEqual(["min", "max", "mean", "stddev", "N", "percentile"]);
    expect(w.clat_ns.N).toBe(64);
    expect(w.clat_ns.percentile["99.000000"]).toBe(stats.latency.p99Ns);
    expect(w.clat_ns.percentile["50.000000"]).toBe(stats.latency.p50Ns);
    expect(Object.keys(w.clat_ns.percentile)).toHaveLength(17);
    expect(w.lat_ns.min).toBe(stats.latency.minNs);
    expect(writer.read.total_ios).toBe(0);
    expect(writer.sync.total_ios).toBe(4);
    expect(writer.iodepth_level[">=64"]).toBe(0);
    expect(writer.lvmlab.verify).toMatchObject({ kind: "xxh64", failed: 0, blocks_checked: 64 });
    expect(json.jobs[1].read.total_ios).toBe(64);
  });

  it("is the same bytes for the same seed, apart from measured CPU", () => {
    const strip = (text: string) => {
      const json = JSON.parse(text);
      delete json.lvmlab.measured_cpu;
      return JSON.stringify(json);
    };
    expect(strip(formatFioJson(sample()))).toBe(strip(formatFioJson(sample())));
  });
});

describe("fio normal output", () => {
  it("follows fio's layout", () => {
    const result = sample();
    const text = formatFioNormal(result);
    const job = result.jobs[0]!;
    const runtimeMs = Math.round(job.runtimeNs / 1e6);
    expect(text).toContain("writer: (g=0): rw=randwrite, bs=(R) 4096B-4096B, (W) 4096B-4096B");
    expect(text).toContain("writer: (groupid=0, jobs=1): err= 0: pid=0");
    expect(text).toMatch(
      new RegExp(
        `  write: IOPS=[0-9.]+k?, BW=[0-9.]+[KM]iB/s \\([0-9.]+[kM]B/s\\)\\(256KiB/${runtimeMs}msec\\)`,
      ),
    );
    expect(text).toMatch(/ {4}clat \(nsec\): min=\d+, max=\d+, avg= *[0-9.]+, stdev= *[0-9.]+/);
    expect(text).toMatch(
      / {4}clat percentiles \(nsec\):\n {5}\| {2}1\.00th=\[ *\d+\], {2}5\.00th=\[ *\d+\],/,
    );
    expect(text).toContain("99.99th=[");
    expect(text).toContain("Run status group 0 (all jobs):");
    expect(text).toMatch(
      / {2}WRITE: bw=[0-9.]+[KM]iB\/s \([0-9.]+[kM]B\/s\), .*io=256KiB \(262kB\), run=\d+-\d+msec/,
    );
    expect(text).toContain("Run status group 1 (all jobs):");
    expect(text).toMatch(/ {3}READ: bw=/);
    expect(text).toContain("IO depths    : 1=");
  });

  it("prints verify failures the way fio logs them", () => {
    const line = formatVerifyFailure({
      job: "w",
      file: "vg0-lv0",
      blockIndex: 2,
      offsetBytes: 8192,
      lengthBytes: 4096,
      requestOffsetBytes: 8192,
      requestLengthBytes: 4096,
      classification: "misdirected",
      expected: { allowed: [5], durable: 5 },
      found: { generation: 3, offsetBytes: 4096 },
      fioReason: "bad header offset 4096, wanted 8192",
      detail: "misdirected: the unit holds LV 0 offset 4096 generation 3",
    });
    expect(line.split("\n")[0]).toBe(
      "verify: bad header offset 4096, wanted 8192 at file vg0-lv0 offset 8192, length 4096 (requested block: offset=8192, length=4096)",
    );
    expect(line).toContain("lvmlab: misdirected");
  });
});
