import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../cli/program.js";

const JOB = `[global]
ioengine=libaio
direct=1
bs=4k
size=4m
verify=crc32c

[writer]
rw=randwrite
iodepth=8
number_ios=256
fsync=32
`;

describe("lvmlab fio", () => {
  const dir = mkdtempSync(join(tmpdir(), "lvmlab-fio-"));
  let out = "";
  const write = process.stdout.write.bind(process.stdout);
  beforeEach(() => {
    out = "";
    process.stdout.write = ((chunk: string) => {
      out += chunk;
      return true;
    }) as typeof process.stdout.write;
  });
  afterEach(() => {
    process.stdout.write = write;
  });

  it("prints fio's JSON field names for a job file on a striped VG", async () => {
    const file = join(dir, "job.fio");
    writeFileSync(file, JOB);
    expect(await runCli(["fio", file, "--layout", "striped", "--output-format", "json"])).toBe(0);
    const json = JSON.parse(out) as {
      jobs: {
        jobname: string;
        write: { iops: number; bw_bytes: number; clat_ns: { percentile: Record<string, number> } };
      }[];
    };
    const job = json.jobs[0]!;
    expect(job.jobname).toBe("writer");
    expect(job.write.iops).toBeGreaterThan(0);
    expect(job.write.bw_bytes).toBeGreaterThan(0);
    expect(job.write.clat_ns.percentile["99.000000"]).toBeGreaterThan(0);
  });

  it("prints fio's normal layout and is deterministic for a seed", async () => {
    const file = join(dir, "job2.fio");
    writeFileSync(file, JOB);
    expect(await runCli(["fio", file, "--profile", "hdd", "--seed", "5"])).toBe(0);
    const first = out.replace(/lvmlab: measured CPU.*\n/, "");
    out = "";
    expect(await runCli(["fio", file, "--profile", "hdd", "--seed", "5"])).toBe(0);
    expect(out.replace(/lvmlab: measured CPU.*\n/, "")).toBe(first);
    expect(first).toMatch(/write: IOPS=/);
    expect(first).toMatch(/Run status group 0/);
  });

  it("runs on every layout, mirror, snapshot and mid-pvmove included", async () => {
    const file = join(dir, "layouts.fio");
    writeFileSync(file, JOB.replace("number_ios=256", "number_ios=64"));
    const iops: Record<string, number> = {};
    for (const layout of ["linear", "mirror", "snapshot", "pvmove"]) {
      out = "";
      expect(await runCli(["fio", file, "--layout", layout, "--output-format", "json"])).toBe(0);
      iops[layout] = (JSON.parse(out) as { jobs: { write: { iops: number } }[] }).jobs[0]!.write.iops;
    }
    // A first write to a snapshotted origin copies the old chunk first, so it cannot beat linear.
    expect(iops.snapshot).toBeLessThan(iops.linear!);
    for (const value of Object.values(iops)) expect(value).toBeGreaterThan(0);
  });

  it("runs fio's trim modes on every layout and fills the trim section", async () => {
    const file = join(dir, "trim.fio");
    writeFileSync(
      file,
      "[global]\nsize=4m\nverify=crc32c\n\n[tw]\nrw=randtrimwrite\nbs=64k\niodepth=8\n\n[t]\nstonewall\nrw=trim\nbs=4k,4k,1m\n",
    );
    for (const layout of ["linear", "striped", "mirror", "snapshot", "pvmove"]) {
      out = "";
      expect(await runCli(["fio", file, "--layout", layout, "--output-format", "json"]), layout).toBe(0);
      const [tw, t] = (
        JSON.parse(out) as {
          jobs: { trim: { io_bytes: number; total_ios: number }; write: { io_bytes: number } }[];
        }
      ).jobs;
      expect([tw!.trim.io_bytes, tw!.write.io_bytes, tw!.trim.total_ios], layout).toEqual([
        4 << 20,
        4 << 20,
        64,
      ]);
      expect([t!.trim.io_bytes, t!.trim.total_ios], layout).toEqual([4 << 20, 4]);
    }
  });

  it("refuses an unsupported option by name, with exit code 2", async () => {
    const file = join(dir, "bad.fio");
    writeFileSync(file, "[x]\nrw=write\nzonemode=zbd\n");
    expect(await runCli(["fio", file])).toBe(2);
    expect(await runCli(["fio", join(dir, "missing.fio")])).toBe(2);
  });
});
