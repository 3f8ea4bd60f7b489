/**
 * Before/after comparison of two record sets: per cell and metric, base and head means, the
 * change, a seeded 95% bootstrap CI of head ÷ base, and a verdict that calls a regression only
 * when the whole CI lies past the threshold in the bad direction.
 */
import { BENCH_METRICS, type Better, type MetricDef, MICROBENCH_METRIC } from "./metrics.js";
import type { RecordSet } from "./record-set.js";
import { bootstrapRatioCi, mean } from "./stats.js";
import { compareConfig, compareText, type Provenance, summarizeProvenance } from "./summarize.js";

/** Default regression threshold in percent. */
export const DEFAULT_THRESHOLD_PERCENT = 5;

/**
 * Fewest samples per side before a measured (CPU time) metric may gate: with fewer, its bootstrap
 * interval is too unstable to tell noise from a regression.
 */
const MEASURED_MIN_SAMPLES = 10;

/**
 * Deliberate bug for proving the compare tests can fail: every metric is judged as
 * higher-is-better, so a latency regression reads as an improvement.
 */
export const MUTATION_COMPARE_IGNORES_DIRECTION = "reports.compare.ignores-metric-direction";
/**
 * Deliberate bug: the verdict uses the point estimate instead of the whole CI, so noise around the
 * threshold raises false alarms (the criterion pitfall the CI rule exists to avoid).
 */
export const MUTATION_COMPARE_POINT_ESTIMATE = "reports.compare.point-estimate-verdict";

/** The compare mutations with what they break, in the engine's MutationInfo shape. */
export const COMPARE_MUTATIONS: readonly { readonly name: string; readonly description: string }[] = [
  {
    name: MUTATION_COMPARE_IGNORES_DIRECTION,
    description: "compare judges latency, CPU and write amplification as higher-is-better",
  },
  {
    name: MUTATION_COMPARE_POINT_ESTIMATE,
    description: "compare calls a regression from the mean ratio alone, ignoring its confidence interval",
  },
];

/** faster = better past the threshold, slower = worse past it, no change = the CI reaches inside it. */
export type Verdict = "faster" | "slower" | "no change";

/** One metric of one cell, before and after. */
export interface MetricComparison {
  readonly kind: "bench" | "microbench";
  /** Cell key: "profile/workload/config" for bench, "suite/group/name" for micro-benchmarks. */
  readonly cell: string;
  readonly metric: string;
  readonly label: string;
  readonly unit: string;
  readonly better: Better;
  readonly measured: boolean;
  readonly baseN: number;
  readonly headN: number;
  readonly baseMean: number;
  readonly headMean: number;
  /** headMean ÷ baseMean. */
  readonly ratio: number;
  /** Bounds of the bootstrap CI of the ratio. */
  readonly ratioLow: number;
  readonly ratioHigh: number;
  readonly verdict: Verdict;
  /**
   * Whether this row's verdict counts towards the exit code: modeled metrics always (they are
   * deterministic), measured ones only with `gateMeasured` and enough samples on both sides.
   */
  readonly gating: boolean;
}

/** The whole comparison. */
export interface CompareResult {
  readonly thresholdPercent: number;
  readonly confidence: number;
  readonly comparisons: MetricComparison[];
  /** Cells present only in head. */
  readonly added: string[];
  /** Cells present only in base. */
  readonly removed: string[];
  /** Gating rows judged slower / faster; measured rows that do not gate are shown but not counted. */
  readonly regressions: number;
  readonly improvements: number;
  /** Rows that gate. Zero means nothing was compared that could fail the gate. */
  readonly gated: number;
  /** Whether measured CPU time gates (and from how many samples per side). */
  readonly measuredGate: { readonly enabled: boolean; readonly minSamples: number };
  readonly base: Provenance;
  readonly head: Provenance;
  readonly warnings: string[];
}

/** Options for compareRecordSets. */
export interface CompareOptions {
  readonly thresholdPercent?: number;
  readonly confidence?: number;
  readonly resamples?: number;
  /** Extra seed material for the bootstrap; the default makes reports reproducible. */
  readonly seed?: string;
  /** Deliberate bugs to enable (tests only); see COMPARE_MUTATIONS. */
  readonly mutations?: ReadonlySet<string>;
  /** Let measured CPU time gate too (default: shown only; it is noise on a shared machine). */
  readonly gateMeasured?: boolean;
  /** Samples per side a measured metric needs to gate (default {@link MEASURED_MIN_SAMPLES}). */
  readonly measuredMinSamples?: number;
}

/** Judges a ratio CI against the threshold, in the metric's direction. */
export function verdictOf(
  ratioLow: number,
  ratioHigh: number,
  better: Better,
  thresholdPercent: number,
): Verdict {
  if (!(ratioLow <= ratioHigh)) throw new RangeError(`Ratio CI [${ratioLow}, ${ratioHigh}] is inverted`);
  const t = thresholdPercent / 100;
  const wholeCiBelow = ratioHigh < 1 - t;
  const wholeCiAbove = ratioLow > 1 + t;
  if (better === "higher") return wholeCiBelow ? "slower" : wholeCiAbove ? "faster" : "no change";
  return wholeCiAbove ? "slower" : wholeCiBelow ? "faster" : "no change";
}

function mutatedVerdict(
  ci: { estimate: number; low: number; high: number },
  better: Better,
  settings: { thresholdPercent: number; mutations: ReadonlySet<string> },
): Verdict {
  const direction = settings.mutations.has(MUTATION_COMPARE_IGNORES_DIRECTION) ? "higher" : better;
  if (settings.mutations.has(MUTATION_COMPARE_POINT_ESTIMATE)) {
    return verdictOf(ci.estimate, ci.estimate, direction, settings.thresholdPercent);
  }
  return verdictOf(ci.low, ci.high, direction, settings.thresholdPercent);
}

interface Cell<R> {
  readonly key: string;
  readonly records: R[];
}

function cellsOf<R>(records: readonly R[], keyOf: (record: R) => string): Map<string, Cell<R>> {
  const cells = new Map<string, Cell<R>>();
  for (const record of records) {
    const key = keyOf(record);
    const cell = cells.get(key);
    if (cell === undefined) cells.set(key, { key, records: [record] });
    else cell.records.push(record);
  }
  return cells;
}

function compareCells<R>(
  kind: MetricComparison["kind"],
  base: Map<string, Cell<R>>,
  head: Map<string, Cell<R>>,
  metrics: readonly MetricDef<R>[],
  settings: {
    thresholdPercent: number;
    confidence: number;
    resamples: number | undefined;
    seed: string;
    mutations: ReadonlySet<string>;
    gateMeasured: boolean;
    measuredMinSamples: number;
  },
  out: { comparisons: MetricComparison[]; added: string[]; removed: string[] },
): void {
  for (const key of base.keys()) if (!head.has(key)) out.removed.push(`${kind} ${key}`);
  for (const key of head.keys()) if (!base.has(key)) out.added.push(`${kind} ${key}`);
  for (const [key, headCell] of head) {
    const baseCell = base.get(key);
    if (baseCell === undefined) continue;
    for (const metric of metrics) {
      const values = (cell: Cell<R>) =>
        cell.records.map((r) => metric.read(r)).filter((v): v is number => v !== undefined);
      const baseValues = values(baseCell);
      const headValues = values(headCell);
      // A metric one side does not record (e.g. CPU time from an older writer) cannot be compared.
      if (baseValues.length === 0 || headValues.length === 0) continue;
      const ci = bootstrapRatioCi(baseValues, headValues, {
        seed: `compare:${settings.seed}:${kind}:${key}:${metric.id}`,
        confidence: settings.confidence,
        resamples: settings.resamples,
      });
      out.comparisons.push({
        kind,
        cell: key,
        metric: metric.id,
        label: metric.label,
        unit: metric.unit,
        better: metric.better,
        measured: metric.measured,
        baseN: baseValues.length,
        headN: headValues.length,
        baseMean: mean(baseValues),
        headMean: mean(headValues),
        ratio: ci.estimate,
        ratioLow: ci.low,
        ratioHigh: ci.high,
        verdict: mutatedVerdict(ci, metric.better, settings),
        gating:
          !metric.measured ||
          (settings.gateMeasured &&
            Math.min(baseValues.length, headValues.length) >= settings.measuredMinSamples),
      });
    }
  }
}

function benchOrder(a: string, b: string): number {
  const [pa = "", wa = "", ca = ""] = a.split("/");
  const [pb = "", wb = "", cb = ""] = b.split("/");
  return compareText(pa, pb) || compareText(wa, wb) || compareConfig(ca, cb);
}

/**
 * Compares base and head records (each possibly several shards merged). Sample order within a
 * cell is normalised by (seed, repetition), so shard order does not change the result.
 */
export function compareRecordSets(
  base: RecordSet,
  head: RecordSet,
  options: CompareOptions = {},
): CompareResult {
  const thresholdPercent = options.thresholdPercent ?? DEFAULT_THRESHOLD_PERCENT;
  if (!(thresholdPercent >= 0 && thresholdPercent < 100)) {
    throw new RangeError(`Threshold ${thresholdPercent}% must be in [0, 100)`);
  }
  const settings = {
    thresholdPercent,
    confidence: options.confidence ?? 0.95,
    resamples: options.resamples,
    seed: options.seed ?? "lvmlab",
    mutations: options.mutations ?? new Set<string>(),
    gateMeasured: options.gateMeasured ?? false,
    measuredMinSamples: options.measuredMinSamples ?? MEASURED_MIN_SAMPLES,
  };
  const out = { comparisons: [] as MetricComparison[], added: [] as string[], removed: [] as string[] };
  const byBenchKey = (r: { profile: string; workload: string; config: string }) =>
    `${r.profile}/${r.workload}/${r.config}`;
  const sortBench = <R extends { seed: number; repetition: number }>(records: readonly R[]) =>
    [...records].sort((a, b) => a.seed - b.seed || a.repetition - b.repetition);
  compareCells(
    "bench",
    cellsOf(sortBench(base.bench), byBenchKey),
    cellsOf(sortBench(head.bench), byBenchKey),
    BENCH_METRICS,
    settings,
    out,
  );
  const byMicroKey = (r: { suite: string; group: string; name: string }) => `${r.suite}/${r.group}/${r.name}`;
  const sortMicro = <R extends { repetition: number }>(records: readonly R[]) =>
    [...records].sort((a, b) => a.repetition - b.repetition);
  compareCells(
    "microbench",
    cellsOf(sortMicro(base.microbench), byMicroKey),
    cellsOf(sortMicro(head.microbench), byMicroKey),
    [MICROBENCH_METRIC],
    settings,
    out,
  );
  const metricOrder = new Map([...BENCH_METRICS, MICROBENCH_METRIC].map((m, i) => [m.id, i]));
  out.comparisons.sort(
    (a, b) =>
      compareText(a.kind, b.kind) ||
      (a.kind === "bench" ? benchOrder(a.cell, b.cell) : compareText(a.cell, b.cell)) ||
      (metricOrder.get(a.metric) ?? 0) - (metricOrder.get(b.metric) ?? 0),
  );
  const warnings = [...base.warnings.map((w) => `base: ${w}`), ...head.warnings.map((w) => `head: ${w}`)];
  const schemaOf = (set: RecordSet) => set.meta.find((m) => m.schema !== undefined)?.schema;
  const baseSchema = schemaOf(base);
  const headSchema = schemaOf(head);
  if (baseSchema !== undefined && headSchema !== undefined && baseSchema !== headSchema) {
    warnings.push(
      `Base records use schema v${baseSchema} and head records v${headSchema}; only fields both versions define are compared`,
    );
  }
  if (out.comparisons.length === 0) {
    warnings.push("No benchmark cell appears in both base and head; nothing was compared");
  } else if (!out.comparisons.some((c) => c.gating)) {
    warnings.push(
      settings.gateMeasured
        ? `Only measured metrics were compared, with fewer than ${settings.measuredMinSamples} samples a side; nothing gates`
        : "Only measured metrics were compared and they do not gate without --gate-measured; nothing gates",
    );
  }
  return {
    thresholdPercent,
    confidence: settings.confidence,
    comparisons: out.comparisons,
    added: out.added.sort(compareText),
    removed: out.removed.sort(compareText),
    regressions: out.comparisons.filter((c) => c.gating && c.verdict === "slower").length,
    improvements: out.comparisons.filter((c) => c.gating && c.verdict === "faster").length,
    gated: out.comparisons.filter((c) => c.gating).length,
    measuredGate: { enabled: settings.gateMeasured, minSamples: settings.measuredMinSamples },
    base: summarizeProvenance(base.meta),
    head: summarizeProvenance(head.meta),
    warnings,
  };
}
