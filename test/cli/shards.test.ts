/**
 * Shards from the CI engines, as separate processes: four `lvmlab run --shard auto` processes (with
 * GitLab's 1-based CI_NODE_INDEX) split a sweep, `lvmlab merge` joins them, and every report of
 * the merged file is byte-identical to the report of the unsharded run, charts and provenance
 * included.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import * as reports from "../../reports/mod.js";
import { CLI_BUILT, killAll, runCliProcess } from "../support/cli-process.js";

// Scenarios with pvmove and resync progress samples and fault markers, so the charts have data.
const SWEEP = [
  "run",
  "pvmove-cut-resume",
  "mirror-crash-disk-log",
  "bit-rot-detected",
  "--seeds",
  "1..3",
  "-q",
];
const NO_CI = {
  JOB_COMPLETION_INDEX: "",
  CI_NODE_INDEX: "",
  BUILDKITE_PARALLEL_JOB: "",
  CIRCLE_NODE_INDEX: "",
};

describe.skipIf(!CLI_BUILT)("4 shards as separate processes merge to the unsharded run", () => {
  const dir = mkdtempSync(join(tmpdir(), "lvmlab-shards-"));
  afterEach(killAll);

  it("gives byte-identical reports (terminal, Markdown, HTML with charts, JUnit, JSON)", async () => {
    const whole = join(dir, "whole.ndjson");
    const shardFiles = [1, 2, 3, 4].map((k) => join(dir, `shard-${k}.ndjson`));
    const runs = await Promise.all([
      runCliProcess([...SWEEP, "--ndjson", whole], { env: NO_CI }),
      ...shardFiles.map((file, i) =>
        runCliProcess([...SWEEP, "--shard", "auto", "--ndjson", file], {
          env: { ...NO_CI, CI_NODE_INDEX: String(i + 1), CI_NODE_TOTAL: "4" },
        }),
      ),
    ]);
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    // Each shard recorded the exact command that reproduces it, with the shard it resolved to.
    const meta = (file: string) =>
      JSON.parse(readFileSync(file, "utf8").split("\n")[0]!) as { command: string };
    expect(meta(shardFiles[2]!).command).toBe(
      "lvmlab run pvmove-cut-resume mirror-crash-disk-log bit-rot-detected --seeds 1..3 --shard 3/4",
    );
    const caseCount = (file: string) => (readFileSync(file, "utf8").match(/"type":"case"/g) ?? []).length;
    expect(shardFiles.map(caseCount).reduce((a, b) => a + b, 0)).toBe(9);
    expect(shardFiles.filter((f) => caseCount(f) > 0).length).toBeGreaterThan(1);

    const merged = join(dir, "merged.ndjson");
    const merge = await runCliProcess(["merge", ...shardFiles, "--ndjson", merged]);
    expect(merge.code, merge.stderr).toBe(0);
    expect(merge.stderr).toBe("");
    const text = readFileSync(merged, "utf8");
    expect(text).toMatch(/"type":"progress"/);
    expect(text).toMatch(/"type":"fault"/);

    // The renderers `lvmlab report` uses, in this process (spawning ten more would add nothing).
    const render = async (file: string) => {
      const records = await reports.readRecordFiles([file]);
      const model = reports.summarizeRecords(records);
      const timestamp = "2024-01-01T00:00:00";
      return {
        warnings: records.warnings,
        terminal: reports.renderTerminal(model, { color: false }),
        md: reports.renderMarkdown(model),
        html: reports.renderHtml(model),
        junit: reports.renderJunit(model, { timestamp }),
        json: reports.renderJson(model),
      };
    };
    const [a, b] = await Promise.all([render(whole), render(merged)]);
    for (const format of ["warnings", "terminal", "md", "html", "junit", "json"] as const) {
      expect(b[format], format).toEqual(a[format]);
    }
    const html = b.html;
    expect(html).toContain("<svg");
    expect(html).toContain(
      "lvmlab run pvmove-cut-resume mirror-crash-disk-log bit-rot-detected --seeds 1..3",
    );
  });
});
