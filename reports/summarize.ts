/**
 * Turns a record set into the normalised report model every renderer draws from: cases per
 * scenario, bench cells with means and bootstrap CIs, mutants, and progress timelines.
 */
import { BENCH_METRICS, MICROBENCH_METRIC } from "./metrics.js";
import type { RecordSet } from "./record-set.js";
import type {
  BenchRecord,
  CaseRecord,
  CoverageRecord,
  FaultRecord,
  MetaRecord,
  MicrobenchRecord,
  MutantRecord,
  ProgressKind,
  ProgressRecord,
} from "./records.js";
import { RECORD_SCHEMA_VERSION } from "./records.js";
import { bootstrapMeanCi, mad, mean, median } from "./stats.js";

/** The config every overhead ratio is taken against. */
export const BASELINE_CONFIG = "linear";
/** Most points kept per progress series; longer series are thinned evenly (first and last kept). */
export const MAX_POINTS_PER_SERIES = 1000;

/** Mean, spread and 95% bootstrap CI of one metric over a cell's samples. */
export interface MetricSummary {
  readonly n: number;
  readonly mean: number;
  readonly median: number;
  readonly mad: number;
  readonly min: number;
  readonly max: number;
  readonly ciLow: number;
  readonly ciHigh: number;
}

/** One macro-benchmark cell (config × workload × profile) over all its seeds and repetitions. */
export interface BenchCell {
  readonly config: string;
  readonly workload: string;
  readonly profile: string;
  readonly samples: number;
  readonly seeds: number[];
  /** Metric id (see BENCH_METRICS) → summary; metrics no sample carries are absent. */
  readonly metrics: Readonly<Record<string, MetricSummary>>;
  /**
   * Throughput relative to linear: the mean of the records' own `relativeToLinear` when every
   * sample has one, else mean IOPS ÷ the linear cell's mean IOPS; null without a baseline.
   */
  readonly relativeToLinear: number | null;
  /** 95% bootstrap interval of the per-sample ratios to linear, when every sample has one. */
  readonly relativeCi: { readonly low: number; readonly high: number } | undefined;
  /** Fewest I/Os any sample completed (percentiles rest on it); undefined for older records. */
  readonly iosPerSample: number | undefined;
  /** What the model cannot predict about this cell (the first sample's caveat). */
  readonly caveat: string | undefined;
}

/** One micro-benchmark case over its repetitions. */
export interface MicrobenchCell {
  readonly suite: string;
  readonly group: string;
  readonly name: string;
  readonly baseline: string | undefined;
  readonly ratioToBaseline: number | undefined;
  readonly nsPerOp: MetricSummary;
}

/** Cases of one scenario. */
export interface ScenarioSummary {
  readonly scenario: string;
  readonly passed: number;
  readonly failed: number;
  readonly cases: CaseRecord[];
}

/** One line of a progress chart. */
export interface ProgressSeries {
  readonly kind: ProgressKind;
  readonly lv: string | undefined;
  readonly points: { readonly tNs: number; readonly percent: number }[];
}

/** Progress and faults of one (scenario, seed) case over virtual time. */
export interface Timeline {
  readonly scenario: string;
  readonly seed: number;
  readonly series: ProgressSeries[];
  readonly faults: FaultRecord[];
}

/** Where the records came from, merged over every meta record (shards, several runs). */
export interface Provenance {
  readonly tool: string | undefined;
  readonly version: string | undefined;
  readonly schema: number | undefined;
  readonly commits: string[];
  readonly commands: string[];
  readonly seeds: number[];
  readonly node: string | undefined;
  readonly cpu: string | undefined;
  readonly cores: number | undefined;
  readonly shards: string[];
  /** Device profile name → one-line definition, from the meta records. */
  readonly profiles: Readonly<Record<string, string>>;
  /** Config name → one-line meaning, from the meta records. */
  readonly configs: Readonly<Record<string, string>>;
}

/** The normalised content of a report. */
export interface ReportModel {
  readonly provenance: Provenance;
  readonly cases: {
    readonly total: number;
    readonly passed: number;
    readonly failed: number;
    readonly scenarios: ScenarioSummary[];
  };
  readonly bench: BenchCell[];
  readonly microbench: MicrobenchCell[];
  readonly mutants: { readonly total: number; readonly caught: number; readonly list: MutantRecord[] };
  /** What each exploration covered, by scenario and seed. */
  readonly coverage: ExplorationCoverage[];
  readonly timelines: Timeline[];
  readonly warnings: string[];
}

/** One exploration's coverage, with how many of its cases the records hold. */
export interface ExplorationCoverage extends CoverageRecord {
  /** Explored case records found for this scenario and seed (fewer than `cases`: a lost shard). */
  readonly casesRecorded: number;
}

/**
 * Coverage records once per (scenario, seed) — shards each write the same one — with the explored
 * case records counted against the plan, so a missing shard or an interrupted run shows.
 */
function summarizeCoverage(
  records: readonly CoverageRecord[],
  cases: readonly CaseRecord[],
  warnings: string[],
): ExplorationCoverage[] {
  const byKey = new Map<string, CoverageRecord>();
  for (const record of records) {
    const key = `${record.scenario}@${record.seed}`;
    const seen = byKey.get(key);
    if (seen !== undefined && JSON.stringify(seen) !== JSON.stringify(record)) {
      warnings.push(`Coverage of ${key} differs between inputs (different explorations); the first is shown`);
      continue;
    }
    byKey.set(key, seen ?? record);
  }
  const recorded = new Map<string, number>();
  for (const c of cases) {
    if (c.crashPoint === undefined || c.crashPoint === null) continue;
    const key = `${c.scenario}@${c.seed}`;
    recorded.set(key, (recorded.get(key) ?? 0) + 1);
  }
  const out: ExplorationCoverage[] = [];
  for (const [key, record] of byKey) {
    const casesRecorded = recorded.get(key) ?? 0;
    if (casesRecorded < record.cases) {
      warnings.push(
        `Exploration ${key} planned ${record.cases} cases but the records hold ${casesRecorded} (a missing shard or an interrupted run)`,
      );
    }
    out.push({ ...record, casesRecorded });
  }
  return out.sort((a, b) => compareText(a.scenario, b.scenario) || a.seed - b.seed);
}

/** Byte-order string comparison: locale-independent, so output does not depend on the machine. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders configs with the linear baseline first, the rest by name. */
export function compareConfig(a: string, b: string): number {
  if (a === b) return 0;
  if (a === BASELINE_CONFIG) return -1;
  if (b === BASELINE_CONFIG) return 1;
  return compareText(a, b);
}

function compareCases(a: CaseRecord, b: CaseRecord): number {
  return (
    compareText(a.scenario, b.scenario) ||
    a.seed - b.seed ||
    compareText(a.crashPoint ?? "", b.crashPoint ?? "")
  );
}

/** Summarises metric samples; the CI seed is derived from `key` so each cell's CI is independent. */
function summarizeMetric(values: readonly number[], key: string): MetricSummary {
  const ci = bootstrapMeanCi(values, { seed: `ci:${key}` });
  return {
    n: values.length,
    mean: ci.estimate,
    median: median(values),
    mad: mad(values),
    min: values.reduce((a, b) => Math.min(a, b)),
    max: values.reduce((a, b) => Math.max(a, b)),
    ciLow: ci.low,
    ciHigh: ci.high,
  };
}

/** Merges every meta record into one provenance (first wins for single facts, lists keep all). */
export function summarizeProvenance(meta: readonly MetaRecord[]): Provenance {
  const unique = <T>(values: (T | undefined)[]): T[] => [
    ...new Set(values.filter((v): v is T => v !== undefined)),
  ];
  const first = meta[0];
  return {
    tool: first?.tool,
    version: first?.version,
    schema: first?.schema,
    commits: unique(meta.map((m) => m.commit)),
    commands: unique(meta.map((m) => m.command)),
    seeds: unique(meta.map((m) => m.seed)),
    node: first?.node,
    cpu: first?.cpu,
    cores: first?.cores,
    shards: unique(meta.map((m) => (m.shard ? `${m.shard.index}/${m.shard.count}` : undefined))),
    profiles: Object.assign({}, ...meta.map((m) => m.profiles ?? {})),
    configs: Object.assign({}, ...meta.map((m) => m.configs ?? {})),
  };
}

function summarizeCases(cases: readonly CaseRecord[], warnings: string[]): ReportModel["cases"] {
  const ordered = [...cases].sort(compareCases);
  const scenarios: ScenarioSummary[] = [];
  const seen = new Set<string>();
  for (const record of ordered) {
    // The runner's case key names an explored case's crash policy too (`…/write:57/torn`), so the
    // same point under two policies is two cases, not a duplicate.
    const caseKey = (record as { key?: unknown }).key;
    const key =
      typeof caseKey === "string"
        ? caseKey
        : `${record.scenario}\u0000${record.seed}\u0000${record.crashPoint ?? ""}`;
    if (seen.has(key)) {
      warnings.push(
        `Case ${typeof caseKey === "string" ? caseKey : `${record.scenario} seed ${record.seed}${record.crashPoint ? ` ${record.crashPoint}` : ""}`} appears more than once; were shards merged twice?`,
      );
    }
    seen.add(key);
    let last = scenarios[scenarios.length - 1];
    if (last === undefined || last.scenario !== record.scenario) {
      last = { scenario: record.scenario, passed: 0, failed: 0, cases: [] };
      scenarios.push(last);
    }
    last.cases.push(record);
    if (record.status === "pass") (last as { passed: number }).passed += 1;
    else (last as { failed: number }).failed += 1;
  }
  const passed = ordered.filter((c) => c.status === "pass").length;
  return { total: ordered.length, passed, failed: ordered.length - passed, scenarios };
}

function checkSummaries(set: RecordSet, warnings: string[]): void {
  if (set.summaries.length === 0) return;
  let declared = 0;
  for (const summary of set.summaries) {
    declared += summary.cases;
    if (summary.passed + summary.failed !== summary.cases) {
      warnings.push(
        `Summary record says cases=${summary.cases} but passed=${summary.passed} + failed=${summary.failed}; the writer is inconsistent`,
      );
    }
  }
  if (declared !== set.cases.length) {
    warnings.push(
      `Summary records declare ${declared} cases but ${set.cases.length} case records were read; a shard may be missing or truncated`,
    );
  }
}

function groupBy<T>(items: readonly T[], keyOf: (item: NoInfer<T>) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}

/** Key of a bench cell, also used by `compare`. */
function benchCellKey(record: Pick<BenchRecord, "config" | "workload" | "profile">): string {
  return `${record.profile}/${record.workload}/${record.config}`;
}

function summarizeBench(records: readonly BenchRecord[]): BenchCell[] {
  const cells: BenchCell[] = [];
  for (const [key, unordered] of groupBy(records, benchCellKey)) {
    // Sample order feeds the bootstrap, so fix it: shards concatenated in any order give one report.
    const samples = [...unordered].sort((a, b) => a.seed - b.seed || a.repetition - b.repetition);
    const first = samples[0]!;
    const metrics: Record<string, MetricSummary> = {};
    for (const metric of BENCH_METRICS) {
      const values = samples.map((s) => metric.read(s)).filter((v): v is number => v !== undefined);
      if (values.length > 0) metrics[metric.id] = summarizeMetric(values, `${key}/${metric.id}`);
    }
    const relatives = samples.map((s) => s.relativeToLinear);
    const allRelative = relatives.every((r): r is number => typeof r === "number");
    const ownRelative = allRelative ? mean(relatives) : null;
    const relativeCi = allRelative ? summarizeMetric(relatives, `${key}/relativeToLinear`) : undefined;
    const ios = samples.map((s) => s.ios).filter((v): v is number => typeof v === "number");
    cells.push({
      config: first.config,
      workload: first.workload,
      profile: first.profile,
      samples: samples.length,
      seeds: [...new Set(samples.map((s) => s.seed))].sort((a, b) => a - b),
      metrics,
      relativeToLinear: ownRelative,
      relativeCi: relativeCi === undefined ? undefined : { low: relativeCi.ciLow, high: relativeCi.ciHigh },
      iosPerSample: ios.length === samples.length ? Math.min(...ios) : undefined,
      caveat: samples.find((s) => s.caveat !== undefined)?.caveat,
    });
  }
  cells.sort(
    (a, b) =>
      compareText(a.profile, b.profile) ||
      compareText(a.workload, b.workload) ||
      compareConfig(a.config, b.config),
  );
  return cells.map((cell) => {
    if (cell.relativeToLinear !== null) return cell;
    const linear = cells.find(
      (c) => c.config === BASELINE_CONFIG && c.workload === cell.workload && c.profile === cell.profile,
    );
    const linearIops = linear?.metrics.iops?.mean;
    const iops = cell.metrics.iops?.mean;
    if (linearIops === undefined || iops === undefined || linearIops === 0) return cell;
    return { ...cell, relativeToLinear: iops / linearIops };
  });
}

/** Key of a micro-benchmark case, also used by `compare`. */
function microbenchKey(record: Pick<MicrobenchRecord, "suite" | "group" | "name">): string {
  return `${record.suite}/${record.group}/${record.name}`;
}

function summarizeMicrobench(records: readonly MicrobenchRecord[]): MicrobenchCell[] {
  const cells: MicrobenchCell[] = [];
  for (const [key, unordered] of groupBy(records, microbenchKey)) {
    const rows = [...unordered].sort((a, b) => a.repetition - b.repetition);
    const first = rows[0]!;
    const ratios = rows.map((r) => r.ratioToBaseline).filter((r): r is number => r !== undefined);
    cells.push({
      suite: first.suite,
      group: first.group,
      name: first.name,
      baseline: first.baseline,
      ratioToBaseline: ratios.length > 0 ? mean(ratios) : undefined,
      nsPerOp: summarizeMetric(
        rows.map((r) => MICROBENCH_METRIC.read(r)!),
        `${key}/nsPerOp`,
      ),
    });
  }
  return cells.sort(
    (a, b) => compareText(a.suite, b.suite) || compareText(a.group, b.group) || compareText(a.name, b.name),
  );
}

function thin<T>(points: readonly T[]): T[] {
  if (points.length <= MAX_POINTS_PER_SERIES) return [...points];
  const step = (points.length - 1) / (MAX_POINTS_PER_SERIES - 1);
  const kept: T[] = [];
  for (let i = 0; i < MAX_POINTS_PER_SERIES; i++) kept.push(points[Math.round(i * step)]!);
  return kept;
}

function summarizeTimelines(progress: readonly ProgressRecord[], faults: readonly FaultRecord[]): Timeline[] {
  const caseKey = (r: { scenario: string; seed: number }) => `${r.scenario}\u0000${r.seed}`;
  const progressByCase = groupBy(progress, caseKey);
  const faultsByCase = groupBy(faults, caseKey);
  const keys = [...new Set([...progressByCase.keys(), ...faultsByCase.keys()])];
  const timelines: Timeline[] = [];
  for (const key of keys) {
    const samples = progressByCase.get(key) ?? [];
    const caseFaults = [...(faultsByCase.get(key) ?? [])].sort(
      (a, b) => a.tNs - b.tNs || compareText(a.kind, b.kind),
    );
    const first = samples[0] ?? caseFaults[0]!;
    const series: ProgressSeries[] = [];
    for (const group of groupBy(samples, (s) => `${s.kind}\u0000${s.lv ?? ""}`).values()) {
      const points = group.map((s) => ({ tNs: s.tNs, percent: s.percent })).sort((a, b) => a.tNs - b.tNs);
      series.push({ kind: group[0]!.kind, lv: group[0]!.lv, points: thin(points) });
    }
    series.sort((a, b) => compareText(a.kind, b.kind) || compareText(a.lv ?? "", b.lv ?? ""));
    timelines.push({ scenario: first.scenario, seed: first.seed, series, faults: caseFaults });
  }
  return timelines.sort((a, b) => compareText(a.scenario, b.scenario) || a.seed - b.seed);
}

/** Builds the report model; deterministic for the same records in any order of shards. */
export function summarizeRecords(set: RecordSet): ReportModel {
  const warnings = [...set.warnings];
  const newer = set.meta.find((m) => m.schema !== undefined && m.schema > RECORD_SCHEMA_VERSION);
  if (newer !== undefined) {
    warnings.push(
      `Records use schema v${newer.schema} but this lvmlab reads v${RECORD_SCHEMA_VERSION}; fields it does not know are ignored, upgrade lvmlab to see them`,
    );
  }
  const cases = summarizeCases(set.cases, warnings);
  checkSummaries(set, warnings);
  const mutants = [...set.mutants].sort((a, b) => compareText(a.name, b.name));
  return {
    provenance: summarizeProvenance(set.meta),
    cases,
    bench: summarizeBench(set.bench),
    microbench: summarizeMicrobench(set.microbench),
    mutants: { total: mutants.length, caught: mutants.filter((m) => m.caught).length, list: mutants },
    coverage: summarizeCoverage(set.coverage, set.cases, warnings),
    timelines: summarizeTimelines(set.progress, set.faults),
    warnings,
  };
}
