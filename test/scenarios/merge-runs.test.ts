import { describe, expect, it } from "vitest";
import { mergeRuns } from "../../scenarios/merge.js";
import type { RunRecord } from "../../scenarios/read-cases.js";

const meta = (shard?: number): RunRecord => ({
  type: "meta",
  tool: "lvmlab",
  command: `lvmlab run x --seeds 1..2${shard === undefined ? "" : ` --shard ${shard}/2`}`,
  ...(shard === undefined ? {} : { shard: { index: shard, count: 2 } }),
});
const progress = (seed: number): RunRecord => ({
  type: "progress",
  scenario: "x",
  seed,
  kind: "pvmove",
  tNs: 1,
  percent: 50,
});
const kase = (seed: number, status = "pass"): RunRecord => ({
  type: "case",
  scenario: "x",
  seed,
  key: `x@${seed}`,
  status,
});
const summary = (cases: number): RunRecord => ({
  type: "summary",
  cases,
  passed: cases,
  failed: 0,
  interrupted: false,
  shard: null,
});

describe("mergeRuns", () => {
  it("keeps an exploration's coverage record once when every shard wrote it", () => {
    const coverage: RunRecord = {
      type: "coverage",
      scenario: "x",
      seed: 1,
      points: 5,
      exploredPoints: 5,
      cases: 10,
      sampled: false,
      policies: [
        { policy: "subset", exploredPoints: 5 },
        { policy: "torn", exploredPoints: 5 },
      ],
    };
    const merged = mergeRuns([
      [meta(1), coverage, kase(1), summary(1)],
      [meta(2), coverage, kase(2), summary(1)],
    ]);
    expect(merged.lines.filter((l) => (l as RunRecord).type === "coverage")).toEqual([coverage]);
  });

  it("keeps every record kind, each case once with its timeline, and one meta for complete shards", () => {
    const bench: RunRecord = { type: "bench", config: "linear", workload: "w", profile: "p", seed: 1 };
    const shard1 = [meta(1), progress(2), kase(2), summary(1)];
    const shard2 = [meta(2), progress(1), kase(1), bench, summary(1)];
    const merged = mergeRuns([shard1, shard2, shard1]);
    expect(merged.lines).toEqual([
      meta(),
      progress(1),
      kase(1),
      progress(2),
      kase(2),
      bench,
      { type: "summary", cases: 2, passed: 2, failed: 0, interrupted: false, shard: null },
    ]);
    expect(merged.warnings).toEqual([]);
    expect(merged.conflicts).toEqual([]);
  });

  it("warns of a missing shard, keeps a conflicting failure, and marks an unfinished input interrupted", () => {
    const merged = mergeRuns([[meta(1), kase(1), summary(1)], [kase(1, "fail")]]);
    expect(merged.conflicts).toEqual(["x@1"]);
    expect(merged.records[0]?.status).toBe("fail");
    expect(merged.summary.interrupted).toBe(true);
    const incomplete = mergeRuns([
      [meta(1), kase(1), summary(1)],
      [meta(1), kase(1), summary(1)],
    ]);
    expect(incomplete.lines[0]).toEqual(meta(1));
    const missing = mergeRuns([[meta(1)], [{ ...meta(2), shard: { index: 2, count: 3 } }]]);
    expect(missing.warnings.join()).toMatch(/missing/);
  });
});
