/**
 * `lvmlab compare` as a CI gate: modeled metrics gate exactly, noisy measured CPU time is shown but
 * gates only with --gate-measured and enough samples, and a comparison of nothing exits 2.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "../../cli/errors.js";
import { runCli } from "../../cli/program.js";
import { benchRecord, ndjson } from "../reports/helpers.js";

let stdout = "";
let stderr = "";
beforeEach(() => {
  stdout = "";
  stderr = "";
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
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

const dir = mkdtempSync(join(tmpdir(), "lvmlab-gate-"));
function file(name: string, records: object[]): string {
  const path = join(dir, name);
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
