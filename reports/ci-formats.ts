/**
 * Benchmark results in the formats continuous-benchmarking tools ingest, rendered from the same
 * report model as every other format:
 *
 * - github-action-benchmark's custom JSON (`tool: customBiggerIsBetter` / `customSmallerIsBetter`):
 *   an array of `{name, unit, value, range, extra}`; one file per direction, as the action wants.
 * - Bencher Metric Format (`bencher run --adapter json`): `{benchmark: {measure: {value,
 *   lower_value, upper_value}}}` with the 95% bootstrap CI as the bounds.
 * - A hyperfine-style Markdown table (`hyperfine --export-markdown`): mean ± σ, min, max and the
 *   ratio to the baseline, per profile and workload.
 */
import { BENCH_METRICS, type Better } from "./metrics.js";
import type { BenchCell, MetricSummary, ReportModel } from "./summarize.js";

/** One entry of github-action-benchmark's custom JSON. */
export interface GithubBenchmarkEntry {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
  readonly range: string;
  readonly extra: string;
}

function benchName(cell: BenchCell): string {
  return `${cell.profile}/${cell.workload}/${cell.config}`;
}

/** Half the width of the CI, as "± x" (github-action-benchmark shows it beside the value). */
function range(summary: MetricSummary): string {
  return `± ${round((summary.ciHigh - summary.ciLow) / 2)}`;
}

/** Six significant digits: enough for any chart, and stable text. */
function round(value: number): number {
  return Number(value.toPrecision(6));
}

/**
 * github-action-benchmark entries for the metrics whose better direction is `better`: modeled
 * metrics of every bench cell (and measured CPU time, labelled), micro-benchmarks among "lower".
 */
export function githubBenchmarkEntries(model: ReportModel, better: Better): GithubBenchmarkEntry[] {
  const entries: GithubBenchmarkEntry[] = [];
  for (const cell of model.bench) {
    for (const metric of BENCH_METRICS) {
      const summary = cell.metrics[metric.id];
      if (summary === undefined || metric.better !== better) continue;
      entries.push({
        name: `${benchName(cell)} ${metric.label}`,
        unit: metric.unit,
        value: round(summary.mean),
        range: range(summary),
        extra: `${metric.measured ? "measured" : "modeled"}; n=${summary.n}; 95% CI [${round(summary.ciLow)}, ${round(summary.ciHigh)}]`,
      });
    }
  }
  if (better === "lower") {
    for (const cell of model.microbench) {
      entries.push({
        name: `${cell.suite}/${cell.group}/${cell.name}`,
        unit: "ns/op",
        value: round(cell.nsPerOp.mean),
        range: range(cell.nsPerOp),
        extra: `measured; n=${cell.nsPerOp.n}`,
      });
    }
  }
  return entries;
}

/** github-action-benchmark JSON text for one direction. Ends with a newline. */
export function renderGithubBenchmark(model: ReportModel, better: Better): string {
  return `${JSON.stringify(githubBenchmarkEntries(model, better), null, 2)}\n`;
}

/** Bencher's measure slug for a metric id: lower-case kebab, e.g. "latNs.p99" → "latns-p99". */
function measureSlug(id: string): string {
  return id.replace(/[^A-Za-z0-9]+/g, "-").toLowerCase();
}

/** Bencher Metric Format text: every bench cell's metrics and every micro-benchmark. Ends with a newline. */
export function renderBencher(model: ReportModel): string {
  const out: Record<string, Record<string, { value: number; lower_value: number; upper_value: number }>> = {};
  const measure = (s: MetricSummary) => ({
    value: round(s.mean),
    lower_value: round(s.ciLow),
    upper_value: round(s.ciHigh),
  });
  for (const cell of model.bench) {
    const measures: (typeof out)[string] = {};
    for (const metric of BENCH_METRICS) {
      const summary = cell.metrics[metric.id];
      if (summary !== undefined) measures[measureSlug(metric.id)] = measure(summary);
    }
    out[benchName(cell)] = measures;
  }
  for (const cell of model.microbench) {
    out[`${cell.suite}/${cell.group}/${cell.name}`] = { latency: measure(cell.nsPerOp) };
  }
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** Sample standard deviation estimated from the MAD (robust, and the model keeps no raw samples). */
function sigma(summary: MetricSummary): number {
  return summary.mad * 1.4826;
}

function fixed(value: number): string {
  return value >= 100 ? value.toFixed(1) : value >= 1 ? value.toFixed(2) : value.toFixed(3);
}

/**
 * hyperfine-style Markdown: for each profile and workload, the configs' modeled throughput as
 * mean ± σ, min, max and the ratio to the baseline (linear when present, else the fastest).
 * Ends with a newline; empty when there are no bench records.
 */
export function renderHyperfineMarkdown(model: ReportModel): string {
  const groups = new Map<string, BenchCell[]>();
  for (const cell of model.bench) {
    if (cell.metrics.mbps === undefined) continue;
    const key = `${cell.profile} · ${cell.workload}`;
    groups.set(key, [...(groups.get(key) ?? []), cell]);
  }
  const out: string[] = [];
  for (const [title, cells] of groups) {
    const baseline =
      cells.find((c) => c.config === "linear") ??
      cells.reduce((best, c) => (c.metrics.mbps!.mean > best.metrics.mbps!.mean ? c : best));
    const base = baseline.metrics.mbps!.mean;
    out.push(
      `### ${title}`,
      "",
      `| Config | Mean [MB/s] | Min [MB/s] | Max [MB/s] | Relative to ${baseline.config} |`,
      "|:---|---:|---:|---:|---:|",
    );
    for (const cell of cells) {
      const s = cell.metrics.mbps!;
      const relative = base === 0 ? "n/a" : fixed(s.mean / base);
      const spread = base === 0 ? "" : ` ± ${fixed(sigma(s) / base)}`;
      out.push(
        `| \`${cell.config}\` | ${fixed(s.mean)} ± ${fixed(sigma(s))} | ${fixed(s.min)} | ${fixed(s.max)} | ${cell === baseline ? "1.00" : `${relative}${spread}`} |`,
      );
    }
    out.push("");
  }
  return out.join("\n");
}
