import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { QUICK_PLAN } from "../../../bench/overhead/plan.js";
import { runOverheadQuick } from "../../../bench/overhead/quick.js";
import { runCli } from "../../../cli/program.js";
import { BenchRecordSchema } from "../../../reports/records.js";

const dir = mkdtempSync(join(tmpdir(), "lvmlab-bench-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run the CLI with stdout and stderr captured. */
async function cli(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: "", stderr: "" };
  const writes = {
    stdout: process.stdout.write.bind(process.stdout),
    stderr: process.stderr.write.bind(process.stderr),
  };
  process.stdout.write = ((chunk: string) => {
    out.stdout += chunk;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => {
    out.stderr += chunk;
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await runCli(argv), ...out };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
  }
}

function benchLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, "utf8")
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((r) => r.type === "bench");
}

describe("lvmlab bench overhead", () => {
  it("runs --quick, prints the Markdown overhead table and writes valid records", async () => {
    const ndjson = join(dir, "quick.ndjson");
    const run = await cli([
      "bench",
      "overhead",
      "--quick",
      "--config",
      "mirror-2leg-core-sharedbus",
      "--workload",
      "write-1m-qd8,randread-4k-qd32",
      "--format",
      "md",
      "--ndjson",
      ndjson,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("### Throughput on realdm-100mib-1kiops (MB/s, % of linear)");
    // 1.5× bus over two legs: 0.75 of linear for sequential writes, reads unaffected.
    expect(run.stdout).toMatch(/\| mirror-2leg-core-sharedbus \| \S+ \(100%\) \| \S+ \(75%\) \|/);
    expect(run.stdout).toContain("Reproduce: `lvmlab bench overhead --quick --config");
    const records = benchLines(ndjson);
    // linear + 1 config, 2 workloads, the quick plan's seeds.
    expect(records).toHaveLength(2 * 2 * QUICK_PLAN.seeds.length);
    for (const r of records) expect(BenchRecordSchema.safeParse(r).success).toBe(true);
    expect(run.stderr).toMatch(/8 samples in [\d.]+ s; records written to/);
  });

  it("refuses bad arguments with one line and exit code 2", async () => {
    const badConfig = await cli(["bench", "overhead", "--config", "raid7"]);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toMatch(/^lvmlab: Unknown overhead config "raid7"; use one of linear,/);
    const badSeeds = await cli(["bench", "overhead", "--seeds", "9..1"]);
    expect(badSeeds.code).toBe(2);
    expect(badSeeds.stderr).toContain('Seed range "9..1" must go upwards');
    const badPath = await cli([
      "bench",
      "overhead",
      "--quick",
      "--ndjson",
      join(dir, "missing", "out.ndjson"),
    ]);
    expect(badPath.code).toBe(2);
    expect(badPath.stderr).toMatch(
      /^lvmlab: Cannot write --ndjson .*missing.* does not exist; create it first\n$/,
    );
    const badSize = await cli(["bench", "overhead", "--quick", "--lv-size", "7"]);
    expect(badSize.code).toBe(2);
    expect(badSize.stderr).toContain("multiple of 6 MiB");
  });

  it("flags a planted regression in lvmlab compare of two runs, and nothing without it", async () => {
    const argv = (file: string) => [
      "bench",
      "overhead",
      "--quick",
      "--config",
      "mirror-2leg-core",
      "--workload",
      "randwrite-4k-qd32",
      "--profile",
      "nvme",
      "--seeds",
      "1..4",
      "--ndjson",
      file,
    ];
    const base = join(dir, "base.ndjson");
    const head = join(dir, "head.ndjson");
    expect((await cli(argv(base))).code).toBe(0);
    expect((await cli(argv(head))).code).toBe(0);
    // CPU time is measured, so two runs differ in it; compare only the modeled metrics here.
    const modeledOnly = (path: string, plant: (r: Record<string, unknown>) => void) => {
      const lines = readFileSync(path, "utf8")
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      for (const r of lines) {
        delete r.cpuNsPerOp;
        if (r.type === "bench") plant(r);
      }
      writeFileSync(path, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
    };
    modeledOnly(base, () => {});
    modeledOnly(head, () => {});
    const same = await cli(["compare", base, head, "--format", "json"]);
    expect(same.code, same.stdout).toBe(0);
    expect(same.stdout).not.toContain('"slower"');

    // The planted change: the mirror loses 20% of its IOPS and MB/s in every sample.
    modeledOnly(head, (r) => {
      if (r.config === "mirror-2leg-core") {
        r.iops = (r.iops as number) * 0.8;
        r.mbps = (r.mbps as number) * 0.8;
      }
    });
    const planted = await cli(["compare", base, head, "--format", "json"]);
    expect(planted.code).toBe(1);
    const { comparisons } = JSON.parse(planted.stdout) as {
      comparisons: { cell: string; metric: string; verdict: string }[];
    };
    const slower = comparisons.filter((c) => c.verdict === "slower").map((c) => `${c.cell} ${c.metric}`);
    expect(slower).toEqual([
      "nvme/randwrite-4k-qd32/mirror-2leg-core iops",
      "nvme/randwrite-4k-qd32/mirror-2leg-core mbps",
    ]);
  });

  it("runOverheadQuick writes the quick matrix for the nightly", async () => {
    const ndjson = join(dir, "nightly-bench.ndjson");
    const started = performance.now();
    const records = await runOverheadQuick({ ndjsonPath: ndjson });
    const seconds = (performance.now() - started) / 1000;
    const samples = QUICK_PLAN.configs.length * QUICK_PLAN.workloads.length * QUICK_PLAN.seeds.length;
    expect(records).toHaveLength(samples);
    expect(benchLines(ndjson)).toHaveLength(samples);
    expect(readFileSync(ndjson, "utf8").split("\n")[0]).toContain(
      '"command":"lvmlab bench overhead --quick"',
    );
    // The nightly budget is about 10 s on two shared cores; leave room for a loaded machine.
    expect(seconds).toBeLessThan(30);
  });

  it("refuses --real runs real disks cannot reproduce before booting anything", async () => {
    for (const [argv, message] of [
      [["--config", "pvmove"], /pvmove: the model's unthrottled background copy races/],
      [["--quick"], /--real cannot be combined with --quick/],
      [["--lv-size", "18"], /multiple of 12 MiB/],
      [["--throttle-iops", "0"], /--throttle-iops must be a positive number/],
    ] as const) {
      const result = await cli(["bench", "overhead", "--real", ...argv]);
      expect(result.code, argv.join(" ")).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    }
  });
});
