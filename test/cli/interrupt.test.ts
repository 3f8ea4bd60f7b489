/**
 * Interrupts with real processes and signals: SIGINT and SIGTERM stop a sweep at the next case
 * boundary whatever the worker count, the NDJSON ends with a summary marked interrupted, the exit
 * code is 130 or 143, a second signal stops at once with every line whole, and --resume drops a
 * torn last line before it appends.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLI_BUILT, killAll, runCliProcess, startCli } from "../support/cli-process.js";

interface Line {
  readonly type: string;
  readonly key?: string;
  readonly interrupted?: boolean;
  readonly cases?: number;
}

/** Every line of the file parsed; throws on a line that is not whole JSON. */
function records(path: string): Line[] {
  const text = readFileSync(path, "utf8");
  expect(text.endsWith("\n")).toBe(true);
  return text
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as Line);
}

const SWEEP = ["run", "bit-rot-detected", "--seeds", "1..400", "--verbose"];

describe.skipIf(!CLI_BUILT)("lvmlab run under SIGINT and SIGTERM (real processes)", () => {
  const dir = mkdtempSync(join(tmpdir(), "lvmlab-interrupt-"));
  afterEach(killAll);

  it("stops a one-worker sweep at a case boundary on SIGINT, marks it interrupted, exits 130", async () => {
    const out = join(dir, "int.ndjson");
    const proc = startCli([...SWEEP, "--ndjson", out]);
    await proc.waitFor(/ok {3}bit-rot-detected@2\n/);
    proc.child.kill("SIGINT");
    expect(await proc.exit).toBe(130);
    const lines = records(out);
    const cases = lines.filter((l) => l.type === "case");
    expect(cases.length).toBeGreaterThanOrEqual(2);
    expect(cases.length).toBeLessThan(400);
    expect(lines.at(-1)).toMatchObject({ type: "summary", interrupted: true, cases: cases.length });
    expect(proc.stderr).toContain("interrupted");
  });

  it("stops a two-worker sweep on SIGTERM and exits 143", async () => {
    const out = join(dir, "term.ndjson");
    const proc = startCli([...SWEEP, "--workers", "2", "--ndjson", out]);
    await proc.waitFor(/ok {3}bit-rot-detected@2\n/);
    proc.child.kill("SIGTERM");
    expect(await proc.exit).toBe(143);
    const lines = records(out);
    expect(lines.at(-1)).toMatchObject({ type: "summary", interrupted: true });
  });

  it("stops at once on a second SIGINT, leaving only whole lines", async () => {
    const out = join(dir, "twice.ndjson");
    const proc = startCli([...SWEEP, "--workers", "2", "--ndjson", out]);
    await proc.waitFor(/ok {3}bit-rot-detected@2\n/);
    proc.child.kill("SIGINT");
    await proc.waitFor(/again to stop now/);
    proc.child.kill("SIGINT");
    expect(await proc.exit).toBe(130);
    // Records are written in case order, so a case finished on one worker may still wait for its
    // predecessor; whatever was written is whole, and no summary claims the sweep finished.
    const lines = records(out);
    expect(lines[0]).toMatchObject({ type: "meta" });
    expect(lines.filter((l) => l.type === "summary" && l.interrupted !== true)).toEqual([]);
    expect(proc.stderr).toContain("stopped by a second SIGINT");
  });

  it("resumes after a torn last line: drops it, reruns that case, and ends with one summary", async () => {
    const out = join(dir, "torn.ndjson");
    const first = await runCliProcess(["run", "bit-rot-detected", "--seeds", "1..3", "-q", "--ndjson", out]);
    expect(first.code).toBe(0);
    // A killed writer: the summary is gone and the next case record is cut mid-line.
    const whole = readFileSync(out, "utf8").split("\n");
    const kept = whole.filter((l) => !l.includes('"type":"summary"') && l !== "");
    const torn = `${kept.join("\n")}\n{"type":"case","scenario":"bit-rot-detected","seed":4,"sta`;
    writeFileSync(out, torn);
    const resumed = await runCliProcess([
      "run",
      "bit-rot-detected",
      "--seeds",
      "1..5",
      "-q",
      "--resume",
      out,
    ]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/dropped 1 line/);
    const lines = records(out);
    const keys = lines.filter((l) => l.type === "case").map((l) => l.key);
    expect(keys).toEqual([1, 2, 3, 4, 5].map((s) => `bit-rot-detected@${s}`));
    expect(lines.filter((l) => l.type === "summary")).toEqual([
      expect.objectContaining({ cases: 5, interrupted: false }),
    ]);
    expect(lines.filter((l) => l.type === "meta")).toHaveLength(1);
  });
});
