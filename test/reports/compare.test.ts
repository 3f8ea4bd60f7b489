import { describe, expect, it } from "vitest";
import {
  compareRecordSets,
  MUTATION_COMPARE_IGNORES_DIRECTION,
  MUTATION_COMPARE_POINT_ESTIMATE,
  verdictOf,
} from "../../reports/compare.js";
import { renderCompareMarkdown, renderCompareTerminal } from "../../reports/compare-render.js";
import { parseRecords } from "../../reports/read-records.js";
import { mergeRecordSets } from "../../reports/record-set.js";
import { createRng, type Rng } from "../../reports/stats.js";
import { benchRecord, ndjson } from "./helpers.js";

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

/** One bench cell sampled over SEEDS with multiplicative noise of ±noisePercent, scaled by `factor`. */
function cellRecords(
  rng: Rng,
  cell: { config: string; workload?: string },
  options: { noisePercent: number; throughputFactor?: number },
): Record<string, unknown>[] {
  const factor = options.throughputFactor ?? 1;
  return SEEDS.map((seed) => {
    const noise = 1 + (rng() * 2 - 1) * (options.noisePercent / 100);
    const scale = factor * noise;
    return benchRecord({
      ...cell,
      seed,
      iops: 10_000 * scale,
      mbps: 40.96 * scale,
      latNs: { p50: 1e5 / scale, p90: 1.5e5 / scale, p99: 3e5 / scale, p999: 7e5 / scale, max: 2e6 / scale },
      writeAmplification: 2,
      cpuNsPerOp: 2000 / noise,
    });
  });
}

function run(seed: string, head: { mirror?: number; linear?: number }) {
  const base = createRng(`base:${seed}`);
  const next = createRng(`head:${seed}`);
  const baseSet = parseRecords(
    ndjson([
      ...cellRecords(base, { config: "linear" }, { noisePercent: 2 }),
      ...cellRecords(base, { config: "mirror" }, { noisePercent: 2 }),
    ]),
  );
  const headSet = parseRecords(
    ndjson([
      ...cellRecords(next, { config: "linear" }, { noisePercent: 2, throughputFactor: head.linear ?? 1 }),
      ...cellRecords(next, { config: "mirror" }, { noisePercent: 2, throughputFactor: head.mirror ?? 1 }),
    ]),
  );
  return { baseSet, headSet };
}

describe("compare verdicts", () => {
  it("detects a planted 20% throughput regression across seeds", () => {
    const { baseSet, headSet } = run("planted", { mirror: 0.8 });
    const result = compareRecordSets(baseSet, headSet, { thresholdPercent: 5 });
    const mirror = result.comparisons.filter((c) => c.cell === "ssd/randwrite-4k/mirror");
    const byMetric = new Map(mirror.map((c) => [c.metric, c]));
    expect(byMetric.get("iops")?.verdict).toBe("slower");
    expect(byMetric.get("mbps")?.verdict).toBe("slower");
    // Latency is lower-is-better: 1/0.8 = +25% must also read as slower.
    expect(byMetric.get("latNs.p99")?.verdict).toBe("slower");
    expect(byMetric.get("iops")!.ratio).toBeGreaterThan(0.77);
    expect(byMetric.get("iops")!.ratio).toBeLessThan(0.83);
    expect(byMetric.get("iops")!.ratioHigh).toBeLessThan(0.95);
    // Linear was left alone: only noise there.
    for (const c of result.comparisons.filter((c) => c.cell === "ssd/randwrite-4k/linear")) {
      expect(c.verdict, `${c.cell} ${c.metric}`).toBe("no change");
    }
    expect(result.regressions).toBe(7);
  });

  it("ignores ±2% seeded noise at a 5% threshold (A/A runs raise no alarm)", () => {
    let alarms = 0;
    for (let trial = 0; trial < 20; trial++) {
      const { baseSet, headSet } = run(`aa-${trial}`, {});
      const result = compareRecordSets(baseSet, headSet, { thresholdPercent: 5, resamples: 500 });
      alarms += result.regressions + result.improvements;
      expect(result.comparisons.length).toBe(18);
    }
    expect(alarms).toBe(0);
  });

  it("calls a 20% improvement faster, in both metric directions", () => {
    const { baseSet, headSet } = run("better", { mirror: 1.25 });
    const result = compareRecordSets(baseSet, headSet);
    const mirror = new Map(
      result.comparisons.filter((c) => c.cell.endsWith("/mirror")).map((c) => [c.metric, c.verdict]),
    );
    expect(mirror.get("iops")).toBe("faster");
    expect(mirror.get("latNs.p50")).toBe("faster");
    expect(mirror.get("writeAmplification")).toBe("no change");
    expect(result.regressions).toBe(0);
  });

  it("does not gate a change smaller than the threshold even when it is certain", () => {
    const base = parseRecords(ndjson([benchRecord({ iops: 1000 })]));
    const head = parseRecords(ndjson([benchRecord({ iops: 970 })]));
    const iops = compareRecordSets(base, head).comparisons.find((c) => c.metric === "iops")!;
    expect(iops.verdict).toBe("no change");
    const strict = compareRecordSets(base, head, { thresholdPercent: 2 }).comparisons.find(
      (c) => c.metric === "iops",
    )!;
    expect(strict.verdict).toBe("slower");
  });

  it("needs the whole CI past the threshold", () => {
    expect(verdictOf(0.8, 0.94, "higher", 5)).toBe("slower");
    expect(verdictOf(0.8, 0.96, "higher", 5)).toBe("no change");
    expect(verdictOf(1.06, 1.2, "higher", 5)).toBe("faster");
    expect(verdictOf(1.06, 1.2, "lower", 5)).toBe("slower");
    expect(verdictOf(0.8, 0.94, "lower", 5)).toBe("faster");
    expect(() => verdictOf(1.1, 1.0, "lower", 5)).toThrow(/inverted/);
  });
});

/** Verdicts for a 7% drop measured with ±10% noise: the CI reaches inside a 5% threshold. */
function noisySmallDrop(mutations: ReadonlySet<string> = new Set()) {
  const base = createRng("wide-base");
  const head = createRng("wide-head");
  const baseSet = parseRecords(ndjson(cellRecords(base, { config: "linear" }, { noisePercent: 10 })));
  const headSet = parseRecords(
    ndjson(cellRecords(head, { config: "linear" }, { noisePercent: 10, throughputFactor: 0.93 })),
  );
  return compareRecordSets(baseSet, headSet, { thresholdPercent: 5, mutations });
}

describe("compare gates on the whole CI, not on noise", () => {
  it("does not call a 7% drop inside ±10% noise a regression", () => {
    const iops = noisySmallDrop().comparisons.find((c) => c.metric === "iops")!;
    expect(iops.ratio).toBeLessThan(0.95);
    expect(iops.ratioHigh).toBeGreaterThan(0.95);
    expect(iops.verdict).toBe("no change");
  });
});

describe("mutations prove these tests can fail", () => {
  it("judging by the point estimate raises the false alarm the CI rule avoids", () => {
    const iops = noisySmallDrop(new Set([MUTATION_COMPARE_POINT_ESTIMATE])).comparisons.find(
      (c) => c.metric === "iops",
    )!;
    expect(iops.verdict).toBe("slower");
  });

  it("ignoring the metric direction turns the planted latency regression into an improvement", () => {
    const { baseSet, headSet } = run("planted", { mirror: 0.8 });
    const mutated = compareRecordSets(baseSet, headSet, {
      mutations: new Set([MUTATION_COMPARE_IGNORES_DIRECTION]),
    });
    const p99 = mutated.comparisons.find(
      (c) => c.cell === "ssd/randwrite-4k/mirror" && c.metric === "latNs.p99",
    );
    expect(p99?.verdict).toBe("faster");
    expect(mutated.regressions).not.toBe(7);
  });
});

describe("compare inputs", () => {
  it("reports added and removed cells and compares only cells on both sides", () => {
    const base = parseRecords(ndjson([benchRecord({ config: "linear" }), benchRecord({ config: "mirror" })]));
    const head = parseRecords(
      ndjson([benchRecord({ config: "linear" }), benchRecord({ config: "striped" })]),
    );
    const result = compareRecordSets(base, head);
    expect(result.added).toEqual(["bench ssd/randwrite-4k/striped"]);
    expect(result.removed).toEqual(["bench ssd/randwrite-4k/mirror"]);
    expect(new Set(result.comparisons.map((c) => c.cell))).toEqual(new Set(["ssd/randwrite-4k/linear"]));
    const text = renderCompareTerminal(result);
    expect(text).toContain("added: bench ssd/randwrite-4k/striped");
    expect(text).toContain("removed: bench ssd/randwrite-4k/mirror");
  });

  it("gives the same result for shards in any order and for one concatenated file", () => {
    const { baseSet, headSet } = run("shards", { mirror: 0.8 });
    const half = (set: typeof baseSet, odd: boolean) => ({
      ...set,
      bench: set.bench.filter((r) => r.seed % 2 === (odd ? 1 : 0)),
    });
    const whole = compareRecordSets(baseSet, headSet);
    const sharded = compareRecordSets(
      mergeRecordSets([half(baseSet, false), half(baseSet, true)]),
      mergeRecordSets([half(headSet, true), half(headSet, false)]),
    );
    expect(sharded).toEqual(whole);
  });

  it("skips metrics one side does not record (an older writer without CPU time)", () => {
    const base = parseRecords(ndjson([benchRecord()]));
    const head = parseRecords(ndjson([benchRecord({ cpuNsPerOp: 1234 })]));
    const metrics = compareRecordSets(base, head).comparisons.map((c) => c.metric);
    expect(metrics).not.toContain("cpuNsPerOp");
    expect(metrics).toContain("iops");
  });

  it("compares micro-benchmark rows by ns/op (lower is better)", () => {
    const row = (nsPerOp: number, repetition: number) => ({
      type: "microbench",
      suite: "block",
      group: "write",
      name: "sparse",
      nsPerOp,
      repetition,
    });
    const base = parseRecords(ndjson([row(100, 0), row(101, 1), row(99, 2)]));
    const head = parseRecords(ndjson([row(130, 0), row(131, 1), row(129, 2)]));
    const [only] = compareRecordSets(base, head).comparisons;
    expect(only?.kind).toBe("microbench");
    expect(only?.verdict).toBe("slower");
  });

  it("warns when nothing overlaps, and renders Markdown with bold verdicts", () => {
    const base = parseRecords(ndjson([benchRecord({ config: "a" })]));
    const head = parseRecords(ndjson([benchRecord({ config: "b" })]));
    const empty = compareRecordSets(base, head);
    expect(empty.warnings).toContain("No benchmark cell appears in both base and head; nothing was compared");
    const { baseSet, headSet } = run("md", { mirror: 0.8 });
    const md = renderCompareMarkdown(compareRecordSets(baseSet, headSet), { onlyChanges: true });
    expect(md).toContain("| ssd/randwrite-4k/mirror | IOPS |");
    expect(md).toContain("| **slower** |");
    expect(md).not.toContain("no change |");
  });

  it("compares across record schema versions and says so", () => {
    const base = parseRecords(ndjson([{ type: "meta", schema: 1 }, benchRecord()]));
    const head = parseRecords(ndjson([{ type: "meta", schema: 2 }, benchRecord({ newField: { x: 1 } })]));
    const result = compareRecordSets(base, head);
    expect(result.warnings).toContain(
      "Base records use schema v1 and head records v2; only fields both versions define are compared",
    );
    expect(result.regressions).toBe(0);
  });

  it("rejects a threshold outside [0, 100)", () => {
    const set = parseRecords(ndjson([benchRecord()]));
    expect(() => compareRecordSets(set, set, { thresholdPercent: -1 })).toThrow(/Threshold -1%/);
  });
});
