import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FioSyntaxError, formatFioJobFile, jobsFromFioFile, parseFioIni } from "../../workloads/fio-ini.js";
import { defineJob, JobSpecError, minBlockBytes } from "../../workloads/job-spec.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/workloads/${name}`, import.meta.url), "utf8");

describe("fio job files", () => {
  it("reads [global] inheritance, comments, flags and fio's option syntax", () => {
    const jobs = jobsFromFioFile(fixture("mixed.fio"), { file: "mixed.fio" });
    expect(jobs.map((j) => j.name)).toEqual(["seq-read", "rand-write", "mixed", "per-direction"]);
    const [seq, rand, mixed, per] = jobs as [
      (typeof jobs)[0],
      (typeof jobs)[0],
      (typeof jobs)[0],
      (typeof jobs)[0],
    ];
    expect(seq).toMatchObject({ rw: "read", iodepth: 8, size: { bytes: 64 * 1024 * 1024 } });
    expect(seq.bs.read).toEqual({ kind: "fixed", bytes: 4096 });
    expect(seq.passthrough).toEqual({ ioengine: "libaio", direct: "1", group_reporting: "" });
    expect(rand).toMatchObject({
      rw: "randwrite",
      iodepth: 32,
      randomDistribution: { kind: "zipf", theta: 1.2 },
      fsync: 64,
      verify: "crc32c",
      verifyBacklog: 1024,
    });
    expect(mixed).toMatchObject({
      stonewall: true,
      rw: "randrw",
      rwmixread: 70,
      rateIops: { read: 500, write: 1000 },
      runtimeNs: 30e9,
      timeBased: true,
      fuaPercentage: 10,
      offset: { percent: 25 },
    });
    expect(mixed.bs.write).toEqual({
      kind: "split",
      entries: [
        { bytes: 4096, percent: 50 },
        { bytes: 65536, percent: 40 },
        { bytes: 1048576, percent: 10 },
      ],
    });
    expect(per).toMatchObject({
      rw: "rw",
      bs: { read: { kind: "fixed", bytes: 8192 }, write: { kind: "range", minBytes: 4096, maxBytes: 65536 } },
      rateBytesPerSec: { read: 1048576, write: 0 },
      randomDistribution: { kind: "normal", devPercent: 5, center: 0.25 },
      norandommap: true,
      numjobs: 2,
      numberIos: 1000,
      endFsync: true,
      verify: "pattern",
      verifyPattern: [0xde, 0xad, 0xbe, 0xef],
    });
  });

  it("round-trips: print(parse(x)) parses back to the same jobs", () => {
    for (const name of ["mixed.fio", "kb-base-1000.fio"]) {
      const jobs = jobsFromFioFile(fixture(name), { file: name });
      const printed = formatFioJobFile(jobs);
      expect(jobsFromFioFile(printed, { file: "printed.fio" })).toEqual(jobs);
    }
  });

  it("reads sizes under kb_base=1000 as the standards say", () => {
    const [job] = jobsFromFioFile(fixture("kb-base-1000.fio"));
    expect(job).toMatchObject({ kbBase: 1000, size: { bytes: 1_000_000 }, ioSizeBytes: 10_000_000 });
    expect(job!.bs.write).toEqual({ kind: "fixed", bytes: 4096 });
  });

  it("rejects an unsupported option naming the option, the job and the line", () => {
    let error: unknown;
    try {
      jobsFromFioFile(fixture("unsupported-option.fio"), { file: "unsupported-option.fio" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JobSpecError);
    const spec = error as JobSpecError;
    expect(spec.option).toBe("ramp_time");
    expect(spec.job).toBe("warm");
    expect(spec.message).toBe(
      'Job "warm" (unsupported-option.fio:6): option ramp_time=5: is not supported by lvmlab; remove it or see workloads/README.md for the supported list',
    );
  });

  it.each([
    ["[j]\nrw=trimread\n", "rw", /lvmlab models read, write, .*randtrimwrite; pick one/],
    ["[j]\nbs=4k,4k,4k,4k\n", "bs", /at most read,write,trim/],
    ["[j]\nrw=randtrim\nbs=4k,4k,1000\n", "bs", /multiples of 512/],
    ["[j]\nbs=4q\n", "bs", /"4q" is not a size/],
    ["[j]\nbs=1000\n", "bs", /multiples of 512/],
    ["[j]\nbssplit=4k/60:8k/60\n", "bssplit", /add up to 120/],
    ["[j]\nrandom_distribution=zoned:60/10:40/90\n", "random_distribution", /zoned/],
    ["[j]\nrandom_distribution=zipf:1\n", "random_distribution", /different from 1.0/],
    ["[j]\nverify=md5\n", "verify", /xxhash/],
    ["[j]\niodepth=0\n", "iodepth", /too small|>=1/i],
    ["[j]\nverify=pattern\n", "verify_pattern", /needs verify_pattern/],
    ["[j]\nrw=write:4k\n", "rw", /offset modifier/],
    ["[j]\ntime_based\n", "time_based", /needs runtime/],
  ])("rejects %j with an error naming %s", (text, option, detail) => {
    let error: unknown;
    try {
      jobsFromFioFile(text, { file: "x.fio" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JobSpecError);
    expect((error as JobSpecError).option).toBe(option);
    expect((error as JobSpecError).message).toMatch(detail);
  });

  it("reports syntax errors with file and line", () => {
    expect(() => parseFioIni("rw=read\n", { file: "a.fio" })).toThrow(FioSyntaxError);
    expect(() => parseFioIni("[ok]\n[broken\n", { file: "a.fio" })).toThrow(
      /a\.fio:2: malformed section header/,
    );
    expect(() => jobsFromFioFile("[global]\nbs=4k\n", { file: "g.fio" })).toThrow(/no job sections/);
  });

  it("defineJob fills fio's defaults and names the fio option in schema errors", () => {
    const job = defineJob({ name: "d" });
    expect(job).toMatchObject({
      rw: "read",
      iodepth: 1,
      rwmixread: 50,
      verify: "none",
      loops: 1,
      kbBase: 1024,
    });
    expect(job.bs.read).toEqual({ kind: "fixed", bytes: 4096 });
    expect(() => defineJob({ name: "d", runtimeNs: -1 })).toThrow(/option runtime=-1/);
    expect(() => defineJob({ name: "d", bogus: 1 } as never)).toThrow(/option bogus=\?: is not an option/);
  });
});

describe("fio trim modes and the trim field", () => {
  const one = (text: string) => jobsFromFioFile(text, { file: "t.fio" })[0]!;
  const fixed = (bytes: number) => ({ kind: "fixed", bytes });

  it.each(["trim", "randtrim", "trimwrite", "randtrimwrite"] as const)("reads rw=%s", (mode) => {
    const job = one(`[j]\nrw=${mode}\nbs=64k\n`);
    expect(job.rw).toBe(mode);
    expect(job.bs.trim).toEqual(fixed(65536));
    expect(formatFioJobFile([job])).toContain(`rw=${mode}\nbs=64k\n`);
  });

  it("spreads bs=read,write,trim as fio does: a value not ended by a comma applies to the next directions", () => {
    const cases: [string, number, number, number][] = [
      ["bs=8k", 8192, 8192, 8192],
      ["bs=8k,32k", 8192, 32768, 32768],
      ["bs=8k,32k,", 8192, 32768, 4096],
      ["bs=,8k", 4096, 8192, 8192],
      ["bs=,8k,", 4096, 8192, 4096],
      ["bs=8k,32k,1m", 8192, 32768, 1048576],
      ["bs=,,1m", 4096, 4096, 1048576],
    ];
    for (const [line, read, write, trim] of cases) {
      const job = one(`[j]\nrw=randtrim\n${line}\n`);
      expect(job.bs, line).toEqual({ read: fixed(read), write: fixed(write), trim: fixed(trim) });
    }
  });

  it("takes a trim field in bsrange, bssplit, rate and rate_iops, and prints it back", () => {
    const job = one(
      "[j]\nrw=randtrimwrite\nbsrange=4k-8k,4k-8k,64k-256k\nbssplit=,4k/50:8k/50,\nrate=1m,2m,3m\nrate_iops=,,100\n",
    );
    expect(job.bs.trim).toEqual({ kind: "range", minBytes: 65536, maxBytes: 262144 });
    expect(job.bs.write).toEqual({
      kind: "split",
      entries: [
        { bytes: 4096, percent: 50 },
        { bytes: 8192, percent: 50 },
      ],
    });
    expect(job.rateBytesPerSec).toEqual({ read: 1048576, write: 2097152, trim: 3145728 });
    expect(job.rateIops).toEqual({ read: 0, write: 0, trim: 100 });
    const printed = formatFioJobFile([job]);
    expect(printed).toContain("bsrange=4k-8k,,64k-256k\n");
    expect(printed).toContain("bssplit=,4k/50:8k/50,\n");
    expect(printed).toContain("rate=1048576,2097152,3145728\n");
    expect(jobsFromFioFile(printed, { file: "again.fio" })).toEqual([job]);
  });

  it("aligns trim and randtrimwrite jobs to their trim sizes, a trimwrite job to its write and trim sizes", () => {
    expect(minBlockBytes(one("[j]\nrw=randtrim\nbs=4k,4k,64k\n"))).toBe(65536);
    expect(minBlockBytes(one("[j]\nrw=trimwrite\nbs=4k,16k,64k\n"))).toBe(16384);
    // randtrimwrite writes what it trimmed: only the trim sizes count.
    expect(minBlockBytes(one("[j]\nrw=randtrimwrite\nbs=4k,16k,64k\n"))).toBe(65536);
    // Read and write modes keep counting both read and write sizes, as before trims were modelled.
    expect(minBlockBytes(one("[j]\nrw=randread\nbs=64k,4k,1m\n"))).toBe(4096);
  });

  it("defineJob gives a job with no trim sizes its write sizes, as fio's bs=r,w does", () => {
    const job = defineJob({
      name: "d",
      rw: "trim",
      bs: { read: { kind: "fixed", bytes: 4096 }, write: { kind: "fixed", bytes: 8192 } },
      rateIops: { read: 0, write: 50 },
    });
    expect(job.bs.trim).toEqual(fixed(8192));
    expect(job.rateIops.trim).toBe(50);
  });

  it("checks verify_interval against the trim sizes of a mode that trims", () => {
    expect(() => one("[j]\nrw=randtrimwrite\nbs=8k,8k,12k\nverify=xxhash\nverify_interval=8k\n")).toThrow(
      /verify_interval=8192: does not divide block size 12288/,
    );
    // A mode that never trims does not care about trim sizes.
    expect(one("[j]\nrw=randwrite\nbs=8k,8k,12k\nverify=xxhash\nverify_interval=8k\n").rw).toBe("randwrite");
  });
});
