import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderJunit } from "../../reports/junit.js";
import { renderMarkdown } from "../../reports/markdown.js";
import { parseRecords, readRecords } from "../../reports/read-records.js";
import { emptyRecordSet, mergeRecordSets } from "../../reports/record-set.js";
import { MAX_POINTS_PER_SERIES, summarizeRecords } from "../../reports/summarize.js";
import { renderTerminal } from "../../reports/terminal.js";
import { writeAllReports } from "../../reports/write-all.js";
import { benchRecord, caseRecord, fixture, ndjson } from "./helpers.js";

describe("summarizeRecords", () => {
  it("counts cases per scenario, sorted by scenario, seed and crash point", () => {
    const model = summarizeRecords(
      parseRecords(
        ndjson([
          caseRecord({ scenario: "b", seed: 2 }),
          caseRecord({ scenario: "a", seed: 3, status: "fail" }),
          caseRecord({ scenario: "b", seed: 1 }),
        ]),
      ),
    );
    expect(model.cases).toMatchObject({ total: 3, passed: 2, failed: 1 });
    expect(model.cases.scenarios.map((s) => [s.scenario, s.passed, s.failed])).toEqual([
      ["a", 0, 1],
      ["b", 2, 0],
    ]);
    expect(model.cases.scenarios[1]?.cases.map((c) => c.seed)).toEqual([1, 2]);
  });

  it("warns when summary records disagree with the cases read (a missing shard) or with themselves", () => {
    const model = summarizeRecords(
      parseRecords(
        ndjson([
          caseRecord(),
          { type: "summary", cases: 2, passed: 2, failed: 0 },
          { type: "summary", cases: 1, passed: 0, failed: 0 },
        ]),
      ),
    );
    expect(model.warnings).toContain(
      "Summary records declare 3 cases but 1 case records were read; a shard may be missing or truncated",
    );
    expect(model.warnings.some((w) => w.includes("passed=0 + failed=0"))).toBe(true);
  });

  it("warns about a case that appears twice (shards merged twice)", () => {
    const model = summarizeRecords(parseRecords(ndjson([caseRecord(), caseRecord()])));
    expect(model.warnings).toEqual([
      "Case pvmove-power-cut seed 1 appears more than once; were shards merged twice?",
    ]);
  });

  it("keeps one explored point under two policies as two cases, not a duplicate", () => {
    const at = { crashPoint: "write 7" };
    const model = summarizeRecords(
      parseRecords(
        ndjson([
          caseRecord({ ...at, key: "pvmove-power-cut@1/write:7/subset" }),
          caseRecord({ ...at, key: "pvmove-power-cut@1/write:7/torn" }),
        ]),
      ),
    );
    expect(model.warnings).toEqual([]);
    expect(model.cases.total).toBe(2);
  });

  it("shows exploration coverage once per scenario and seed, and warns when cases are missing", () => {
    const coverage = {
      type: "coverage",
      scenario: "pvmove-power-cut",
      seed: 1,
      points: 3,
      exploredPoints: 3,
      cases: 3,
      sampled: false,
      policies: [{ policy: "torn", exploredPoints: 3 }],
    };
    const explored = (n: number) =>
      caseRecord({ crashPoint: `write ${n}`, key: `pvmove-power-cut@1/write:${n}/torn` });
    const complete = summarizeRecords(
      parseRecords(ndjson([coverage, coverage, explored(1), explored(2), explored(3)])),
    );
    expect(complete.coverage).toEqual([{ ...coverage, casesRecorded: 3 }]);
    expect(complete.warnings).toEqual([]);
    expect(renderTerminal(complete)).toContain(
      "  pvmove-power-cut@1: 3 of 3 crash points × 1 policy (torn 3), 3 cases\n",
    );
    expect(renderMarkdown(complete)).toContain("| pvmove-power-cut | 1 | 3 | 3 | torn 3 | 3 | 3 | no |");
    const short = summarizeRecords(parseRecords(ndjson([coverage, explored(1)])));
    expect(short.warnings).toEqual([
      "Exploration pvmove-power-cut@1 planned 3 cases but the records hold 1 (a missing shard or an interrupted run)",
    ]);
  });

  it("aggregates bench samples per cell and derives the ratio to linear when records lack one", () => {
    const model = summarizeRecords(
      parseRecords(
        ndjson([
          benchRecord({ config: "mirror", seed: 1, iops: 900 }),
          benchRecord({ config: "linear", seed: 1, iops: 1000 }),
          benchRecord({ config: "mirror", seed: 2, iops: 1100 }),
          benchRecord({ config: "linear", seed: 2, iops: 1000 }),
          benchRecord({ config: "snapshot", seed: 1, iops: 500, relativeToLinear: 0.4 }),
        ]),
      ),
    );
    expect(model.bench.map((c) => c.config)).toEqual(["linear", "mirror", "snapshot"]);
    const mirror = model.bench[1]!;
    expect(mirror.samples).toBe(2);
    expect(mirror.seeds).toEqual([1, 2]);
    expect(mirror.metrics.iops?.mean).toBe(1000);
    expect(mirror.metrics.iops?.min).toBe(900);
    expect(mirror.metrics.iops?.ciLow).toBeGreaterThanOrEqual(900);
    expect(mirror.metrics.iops?.ciHigh).toBeLessThanOrEqual(1100);
    expect(mirror.relativeToLinear).toBe(1);
    // The writer's own paired ratio wins over the derived one.
    expect(model.bench[2]?.relativeToLinear).toBe(0.4);
    expect(model.bench[0]?.metrics.cpuNsPerOp).toBeUndefined();
  });

  it("thins long progress series to a bounded number of points, keeping first and last", () => {
    const records = Array.from({ length: 5000 }, (_, i) => ({
      type: "progress",
      scenario: "s",
      seed: 1,
      kind: "resync",
      tNs: i * 1000,
      percent: (i / 4999) * 100,
    }));
    const [timeline] = summarizeRecords(parseRecords(ndjson(records))).timelines;
    const points = timeline!.series[0]!.points;
    expect(points).toHaveLength(MAX_POINTS_PER_SERIES);
    expect(points[0]).toEqual({ tNs: 0, percent: 0 });
    expect(points[points.length - 1]).toEqual({ tNs: 4999 * 1000, percent: 100 });
  });

  it("warns when records come from a newer schema version", () => {
    const model = summarizeRecords(parseRecords(ndjson([{ type: "meta", schema: 99 }, caseRecord()])));
    expect(model.warnings[0]).toMatch(/^Records use schema v99 but this lvmlab reads v1;/);
  });

  it("merges provenance over shards", () => {
    const model = summarizeRecords(
      parseRecords(
        ndjson([
          { type: "meta", tool: "lvmlab", version: "0.1.0", commit: "aaa", shard: { index: 1, count: 2 } },
          { type: "meta", tool: "lvmlab", version: "0.1.0", commit: "aaa", shard: { index: 2, count: 2 } },
        ]),
      ),
    );
    expect(model.provenance.commits).toEqual(["aaa"]);
    expect(model.provenance.shards).toEqual(["1/2", "2/2"]);
  });
});

describe("writeAllReports", () => {
  it("writes the five formats and returns their paths", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "lvmlab-all-")), "nested", "out");
    const paths = writeAllReports(await readRecords(fixture("results.ndjson")), dir);
    expect(Object.values(paths).map((p) => p.slice(dir.length + 1))).toEqual([
      "summary.txt",
      "report.md",
      "report.html",
      "junit.xml",
      "report.json",
    ]);
    expect(readFileSync(paths.summary, "utf8")).toBe(readFileSync(fixture("results.golden.txt"), "utf8"));
    expect(readFileSync(paths.html, "utf8")).toBe(readFileSync(fixture("results.golden.html"), "utf8"));
  });
});

describe("large inputs", () => {
  // Spreading more than roughly 100k arguments (push(...items)) overflows V8's stack.
  it("merges 300k cases without overflowing the stack", () => {
    const template = parseRecords(ndjson([caseRecord()])).cases[0]!;
    const shard = emptyRecordSet();
    for (let i = 0; i < 300_000; i++) shard.cases.push(template);
    expect(mergeRecordSets([shard, emptyRecordSet()]).cases).toHaveLength(300_000);
  });

  it("renders a 30k-case scenario (about 300k JUnit lines) without overflowing the stack", () => {
    const template = parseRecords(ndjson([caseRecord()])).cases[0]!;
    const set = emptyRecordSet();
    for (let seed = 0; seed < 30_000; seed++) set.cases.push({ ...template, seed });
    const xml = renderJunit(summarizeRecords(set));
    expect(xml.match(/<testcase /g)?.length).toBe(30_000);
  });
});
