import { mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "../../cli/errors.js";
import { runCli } from "../../cli/program.js";
import { benchRecord, caseRecord, fixture, ndjson } from "./helpers.js";

// The CLI commands live in cli/cmd-report.ts and cli/cmd-compare.ts; their tests sit with the reports.
let stdout = "";
let stderr = "";

beforeEach(() => {
  // JUnit's timestamp is wall-clock; the reproducible-builds variable pins it to the golden file's.
  vi.stubEnv("SOURCE_DATE_EPOCH", "0");
  stdout = "";
  stderr = "";
  process.exitCode = undefined;
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "lvmlab-cli-"));
}

describe("lvmlab --help", () => {
  it("lists report and compare", async () => {
    expect(await runCli(["--help"])).toBe(EXIT_OK);
    expect(stdout).toMatch(/report \[options\] <results\.\.\.>/);
    expect(stdout).toMatch(/compare \[options\] \[base\] \[head\]/);
  });
});

describe("lvmlab report", () => {
  it("prints the terminal summary without colour when stdout is not a TTY", async () => {
    expect(await runCli(["report", fixture("results.ndjson")])).toBe(EXIT_OK);
    expect(stdout).toBe(readFileSync(fixture("results.golden.txt"), "utf8"));
    expect(stderr).toContain('unknown record type "future-record"');
  });

  it("writes each format to --out", async () => {
    const dir = tempDir();
    for (const [format, golden] of [
      ["md", "results.golden.md"],
      ["html", "results.golden.html"],
      ["junit", "results.golden.xml"],
      ["json", "results.golden.json"],
    ] as const) {
      const out = join(dir, `report.${format}`);
      expect(await runCli(["report", fixture("results.ndjson"), "--format", format, "--out", out])).toBe(
        EXIT_OK,
      );
      expect(readFileSync(out, "utf8")).toBe(readFileSync(fixture(golden), "utf8"));
    }
  });

  it("writes every format with --out-dir and prints where", async () => {
    const dir = join(tempDir(), "out");
    expect(await runCli(["report", fixture("results.ndjson"), "--out-dir", dir])).toBe(EXIT_OK);
    expect(stdout).toContain(join(dir, "report.html"));
    expect(readFileSync(join(dir, "junit.xml"), "utf8")).toBe(
      readFileSync(fixture("results.golden.xml"), "utf8"),
    );
  });

  it("exits 1 with --check when a case failed, 0 when all passed", async () => {
    expect(await runCli(["report", fixture("results.ndjson"), "--check"])).toBe(EXIT_FAILED);
    process.exitCode = undefined;
    const dir = tempDir();
    const good = join(dir, "good.ndjson");
    writeFileSync(good, ndjson([caseRecord()]));
    expect(await runCli(["report", good, "--check"])).toBe(EXIT_OK);
  });

  it("exits 2 with one clear line for a missing file", async () => {
    expect(await runCli(["report", "/nonexistent/results.ndjson"])).toBe(EXIT_USAGE);
    expect(stderr).toBe(
      "lvmlab: Cannot read /nonexistent/results.ndjson: no such file or directory; pass NDJSON files written by lvmlab\n",
    );
  });

  it("exits 2 naming file, line and field for a bad record", async () => {
    const path = join(tempDir(), "bad.ndjson");
    writeFileSync(path, ndjson([caseRecord(), caseRecord({ status: "maybe" })]));
    expect(await runCli(["report", path])).toBe(EXIT_USAGE);
    expect(stderr).toMatch(
      new RegExp(`^lvmlab: ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2: case record, field "status": `),
    );
    expect(stderr.trim().split("\n")).toHaveLength(1);
  });

  it("exits 2 for an unknown format", async () => {
    expect(await runCli(["report", fixture("results.ndjson"), "--format", "pdf"])).toBe(EXIT_USAGE);
  });
});

describe("lvmlab compare", () => {
  function sides(headFactor: number) {
    const dir = tempDir();
    const records = (factor: number, seedOffset: number) =>
      [1, 2, 3, 4].map((seed) => {
        const noise = 1 + ((seed + seedOffset) % 3) * 0.005;
        return benchRecord({ seed, iops: 10_000 * factor * noise, mbps: 41 * factor * noise });
      });
    const base = join(dir, "base.ndjson");
    const head = join(dir, "head.ndjson");
    writeFileSync(base, ndjson(records(1, 0)));
    writeFileSync(head, ndjson(records(headFactor, 1)));
    return { dir, base, head };
  }

  it("exits 0 when nothing regressed", async () => {
    const { base, head } = sides(1);
    expect(await runCli(["compare", base, head])).toBe(EXIT_OK);
    expect(stdout).toContain("0 regressions");
  });

  it("exits 1 on a 20% regression and lists it", async () => {
    const { base, head } = sides(0.8);
    expect(await runCli(["compare", base, head, "--threshold", "5"])).toBe(EXIT_FAILED);
    expect(stdout).toMatch(/ssd\/randwrite-4k\/linear\s+IOPS .* -(19|20)\.\d%.* slower/);
  });

  it("passes a 20% regression when the threshold is 25%", async () => {
    const { base, head } = sides(0.8);
    expect(await runCli(["compare", base, head, "--threshold", "25"])).toBe(EXIT_OK);
  });

  it("accepts shard files via --base/--head and directories, and writes JSON", async () => {
    const dir = tempDir();
    const shard = (name: string, seeds: number[], factor: number) => {
      const path = join(dir, name);
      writeFileSync(path, ndjson(seeds.map((seed) => benchRecord({ seed, iops: 1000 * factor }))));
      return path;
    };
    const b1 = shard("b1.ndjson", [1, 2], 1);
    const b2 = shard("b2.ndjson", [3, 4], 1);
    const h1 = shard("h1.ndjson", [1, 2], 0.5);
    const h2 = shard("h2.ndjson", [3, 4], 0.5);
    const out = join(dir, "cmp.json");
    expect(
      await runCli(["compare", "--base", b1, b2, "--head", h1, h2, "--format", "json", "--out", out]),
    ).toBe(EXIT_FAILED);
    const json = JSON.parse(readFileSync(out, "utf8")) as {
      comparisons: { metric: string; baseN: number }[];
    };
    expect(json.comparisons.find((c) => c.metric === "iops")?.baseN).toBe(4);
    const baseDir = join(dir, "base");
    const headDir = join(dir, "head");
    mkdirSync(baseDir);
    mkdirSync(headDir);
    renameSync(b1, join(baseDir, "shard-1.ndjson"));
    renameSync(b2, join(baseDir, "shard-2.ndjson"));
    renameSync(h1, join(headDir, "shard-1.ndjson"));
    renameSync(h2, join(headDir, "shard-2.ndjson"));
    const fromDirs = join(dir, "dirs.json");
    expect(await runCli(["compare", baseDir, headDir, "--format", "json", "--out", fromDirs])).toBe(
      EXIT_FAILED,
    );
    expect(readFileSync(fromDirs, "utf8")).toBe(readFileSync(out, "utf8"));
  });

  it("exits 2 for a bad threshold, missing inputs, or a bad record", async () => {
    const { base, head, dir } = sides(1);
    expect(await runCli(["compare", base, head, "--threshold", "five"])).toBe(EXIT_USAGE);
    expect(stderr).toContain('Invalid --threshold "five"');
    expect(await runCli(["compare", base])).toBe(EXIT_USAGE);
    expect(stderr).toContain("Missing input");
    const bad = join(dir, "bad.ndjson");
    writeFileSync(bad, '{"type":"bench","config":"linear"}\n');
    expect(await runCli(["compare", base, bad])).toBe(EXIT_USAGE);
    expect(stderr).toContain(`${bad}:1: bench record, field "workload"`);
  });
});

// compare as a CI gate: modeled metrics gate exactly, measured CPU time only when asked and with
// enough samples, and a comparison of nothing exits 2.
const gateDir = tempDir();
function file(name: string, records: object[]): string {
  const path = join(gateDir, name);
  writeFileSync(path, ndjson(records));
  return path;
}

/** `n` samples of one cell; CPU time drifts by `cpuFactor` (a loaded machine), the model does not. */
function run(n: number, cpuFactor: number, iops = 10_000): object[] {
  return Array.from({ length: n }, (_, seed) =>
    benchRecord({ seed, iops, cpuNsPerOp: Math.round((2000 + seed * 7) * cpuFactor) }),
  );
}

describe("lvmlab compare gate", () => {
  it("passes two runs of the same code even when measured CPU time moved by 40%", async () => {
    const base = file("same-base.ndjson", run(2, 1));
    const head = file("same-head.ndjson", run(2, 1.4));
    expect(await runCli(["compare", base, head])).toBe(EXIT_OK);
    expect(stdout).toMatch(/slower \(not gating\)/);
    expect(stdout).toMatch(/0 regressions, .* \(threshold 5%; 1 measured shown, not gating\)/);
    // Even when asked, two samples a side are too few for a measured metric to gate.
    expect(await runCli(["compare", base, head, "--gate-measured"])).toBe(EXIT_OK);
  });

  it("fails on a modeled regression, and on measured CPU only with --gate-measured and enough samples", async () => {
    const slower = file("modeled-head.ndjson", run(2, 1, 9_000));
    expect(await runCli(["compare", file("modeled-base.ndjson", run(2, 1)), slower])).toBe(EXIT_FAILED);
    const base = file("cpu-base.ndjson", run(12, 1));
    const head = file("cpu-head.ndjson", run(12, 1.4));
    expect(await runCli(["compare", base, head])).toBe(EXIT_OK);
    expect(await runCli(["compare", base, head, "--gate-measured"])).toBe(EXIT_FAILED);
    expect(await runCli(["compare", base, head, "--gate-measured", "--measured-min-samples", "20"])).toBe(
      EXIT_OK,
    );
    expect(await runCli(["compare", base, head, "--measured-min-samples", "1"])).toBe(EXIT_USAGE);
  });

  it("exits 2 when nothing was compared or nothing gates", async () => {
    const a = file("a.ndjson", [benchRecord({ profile: "hdd" })]);
    const b = file("b.ndjson", [benchRecord({ profile: "nvme" })]);
    expect(await runCli(["compare", a, b])).toBe(EXIT_USAGE);
    expect(stderr).toContain("Nothing to compare: no benchmark cell appears in both BASE and HEAD");
    const micro = (nsPerOp: number) => ({ type: "microbench", suite: "s", group: "g", name: "n", nsPerOp });
    const m1 = file("m1.ndjson", [micro(10)]);
    const m2 = file("m2.ndjson", [micro(11)]);
    expect(await runCli(["compare", m1, m2])).toBe(EXIT_USAGE);
    expect(stderr).toContain("Nothing to gate on");
  });
});
