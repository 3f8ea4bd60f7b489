/**
 * The terminal summary in the style of `deno bench` and mitata: provenance lines, cases per
 * scenario with the replay command of every failure, and benchmark tables with ratios to linear.
 */

import { caseLabel, caseVerdict, damageSummary } from "./case-text.js";
import { createPainter, type Painter } from "./color.js";
import { stripControlDeep } from "./escape.js";
import { formatCount, formatMetric, formatNs, formatRatio, formatSpread } from "./format.js";
import { BASELINE_CONFIG, type BenchCell, type ReportModel } from "./summarize.js";
import { ciSupported, MIN_SAMPLES_FOR_CI, metricSupported } from "./support.js";

/** Options for the terminal summary. */
export interface TerminalOptions {
  /** Emit ANSI colour (decide with shouldUseColor); off by default so files and pipes stay plain. */
  readonly color?: boolean;
  /** Most failing cases listed in full; the rest are counted. */
  readonly maxFailuresShown?: number;
}

const DEFAULT_MAX_FAILURES = 50;

function pad(text: string, width: number, align: "left" | "right"): string {
  return align === "left" ? text.padEnd(width) : text.padStart(width);
}

/** Lays out rows as columns; colour is applied per cell after padding so widths stay right. */
function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly ("left" | "right")[],
): { header: string; rule: string; rows: string[][] } {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const cells = (row: readonly string[]) => row.map((cell, i) => pad(cell, widths[i]!, align[i] ?? "left"));
  const headerLine = cells(header).join("  ").trimEnd();
  return {
    header: headerLine,
    rule: "-".repeat(headerLine.length),
    rows: rows.map(cells),
  };
}

function provenanceLines(model: ReportModel, paint: Painter): string[] {
  const p = model.provenance;
  const lines: string[] = [];
  const tool = [p.tool ?? "lvmlab", p.version, p.commits.length > 0 ? `@ ${p.commits.join(", ")}` : undefined]
    .filter(Boolean)
    .join(" ");
  lines.push(paint("dim", `tool: ${tool}${p.schema !== undefined ? ` (records v${p.schema})` : ""}`));
  if (p.node !== undefined || p.cpu !== undefined) {
    const cores = p.cores !== undefined ? ` (${p.cores} cores)` : "";
    lines.push(paint("dim", `runtime: node ${p.node ?? "?"} · cpu: ${p.cpu ?? "?"}${cores}`));
  }
  for (const command of p.commands) lines.push(paint("dim", `command: ${command}`));
  if (p.shards.length > 0) lines.push(paint("dim", `shards: ${p.shards.join(", ")}`));
  return lines;
}

function caseLines(model: ReportModel, paint: Painter, maxFailures: number): string[] {
  if (model.cases.total === 0) return [];
  const lines: string[] = [""];
  const layout = table(
    ["scenario", "cases", "passed", "failed"],
    model.cases.scenarios.map((s) => [
      s.scenario,
      String(s.cases.length),
      String(s.passed),
      String(s.failed),
    ]),
    ["left", "right", "right", "right"],
  );
  lines.push(paint("bold", layout.header), paint("dim", layout.rule));
  let shown = 0;
  model.cases.scenarios.forEach((scenario, index) => {
    const row = layout.rows[index]!;
    const mark = scenario.failed > 0 ? paint("red", "✗") : paint("green", "✓");
    const failed = scenario.failed > 0 ? paint("red", row[3]!) : row[3]!;
    lines.push(`${row[0]!}  ${row[1]!}  ${row[2]!}  ${failed}  ${mark}`);
    for (const record of scenario.cases) {
      if (record.status !== "fail") continue;
      shown += 1;
      if (shown > maxFailures) continue;
      lines.push(
        `  ${paint("red", "✗")} ${caseLabel(record)}: ${caseVerdict(record)} (${damageSummary(record.verify)})`,
      );
      lines.push(`    ${paint("dim", "replay:")} ${paint("cyan", record.replay)}`);
    }
  });
  if (shown > maxFailures)
    lines.push(paint("dim", `  … ${shown - maxFailures} more failing cases not shown`));
  lines.push("");
  const verdict = model.cases.failed > 0 ? paint("red", `${model.cases.failed} failed`) : "0 failed";
  lines.push(
    `${paint("bold", "cases:")} ${paint("green", `${model.cases.passed} passed`)}, ${verdict} (${model.cases.total} total)`,
  );
  return lines;
}

function metricCell(cell: BenchCell, id: string): string {
  const m = cell.metrics[id];
  if (m === undefined) return "-";
  // A percentile with fewer than 10 I/Os beyond it is only the sample's maximum: not printed.
  if (!metricSupported(id, cell.iosPerSample)) return "-";
  const spread = ciSupported(m.n) ? ` ${formatSpread(m.mean, m.ciLow, m.ciHigh)}` : "";
  switch (id) {
    case "iops":
      return `${formatCount(m.mean)}${spread}`;
    case "mbps":
      return formatMetric(m.mean, "MB/s");
    case "writeAmplification":
      return formatMetric(m.mean, "×");
    case "cpuNsPerOp":
      return formatMetric(m.mean, "ns/op");
    default:
      return formatNs(m.mean);
  }
}

function benchLines(model: ReportModel, paint: Painter): string[] {
  if (model.bench.length === 0) return [];
  const withCpu = model.bench.some((c) => c.metrics.cpuNsPerOp !== undefined);
  const header = [
    "benchmark (modeled)",
    "n",
    "iops",
    "MB/s",
    "p50",
    "p99",
    "p99.9",
    "write amp",
    "vs linear",
  ];
  if (withCpu) header.push("cpu (measured)");
  const rows = model.bench.map((cell) => {
    const row = [
      `  ${cell.config}`,
      String(cell.samples),
      metricCell(cell, "iops"),
      metricCell(cell, "mbps"),
      metricCell(cell, "latNs.p50"),
      metricCell(cell, "latNs.p99"),
      metricCell(cell, "latNs.p999"),
      metricCell(cell, "writeAmplification"),
      cell.relativeToLinear === null
        ? "-"
        : `${formatRatio(cell.relativeToLinear)} linear${cell.caveat === undefined ? "" : " *"}`,
    ];
    if (withCpu) row.push(metricCell(cell, "cpuNsPerOp"));
    return row;
  });
  const align = header.map((_, i) => (i === 0 ? "left" : "right") as "left" | "right");
  const layout = table(header, rows, align);
  const lines: string[] = ["", paint("bold", layout.header), paint("dim", layout.rule)];
  let group = "";
  model.bench.forEach((cell, index) => {
    const key = `${cell.profile} · ${cell.workload}`;
    if (key !== group) {
      if (group !== "") lines.push("");
      lines.push(paint("cyan", key));
      group = key;
    }
    const row = layout.rows[index]!;
    const ratio = cell.relativeToLinear;
    const slow = ratio !== null && cell.config !== BASELINE_CONFIG && ratio < 0.95;
    lines.push(
      row
        .map((text, i) => (i === 8 && slow ? paint("yellow", text) : text))
        .join("  ")
        .trimEnd(),
    );
  });
  lines.push(...definitionLines(model, paint));
  return lines;
}

/** Each profile's definition, each config's meaning and each caveat, under the bench table. */
function definitionLines(model: ReportModel, paint: Painter): string[] {
  const lines: string[] = [];
  const profiles = [...new Set(model.bench.map((c) => c.profile))];
  const defined = profiles.filter((p) => model.provenance.profiles[p] !== undefined);
  if (defined.length > 0) {
    lines.push("", paint("bold", "profiles:"));
    for (const p of defined) lines.push(`  ${model.provenance.profiles[p]}`);
  }
  const configs = [...new Set(model.bench.map((c) => c.config))];
  const meant = configs.filter((c) => model.provenance.configs[c] !== undefined);
  if (meant.length > 0) {
    lines.push("", paint("bold", "configs:"));
    const width = Math.max(...meant.map((c) => c.length));
    for (const c of meant) lines.push(`  ${c.padEnd(width)}  ${model.provenance.configs[c]}`);
  }
  const caveats = new Map<string, string[]>();
  for (const c of model.bench) {
    if (c.caveat === undefined) continue;
    const where = `${c.config} on ${c.profile} (${c.workload})`;
    caveats.set(c.caveat, [...(caveats.get(c.caveat) ?? []), where]);
  }
  if (caveats.size > 0) {
    lines.push("", paint("bold", "* caveats (cells the model cannot fully predict):"));
    for (const [text, cells] of caveats) lines.push(`  ${text}: ${cells.join(", ")}`);
  }
  lines.push(
    "",
    paint(
      "dim",
      `n = independent samples; ± intervals need n ≥ ${MIN_SAMPLES_FOR_CI}; a percentile needs 10 I/Os beyond it ("-" otherwise)`,
    ),
  );
  return lines;
}

function microbenchLines(model: ReportModel, paint: Painter): string[] {
  if (model.microbench.length === 0) return [];
  const rows = model.microbench.map((cell) => [
    `${cell.suite} › ${cell.group === "" ? "" : `${cell.group} › `}${cell.name}`,
    String(cell.nsPerOp.n),
    `${formatNs(cell.nsPerOp.mean)}/iter`,
    cell.nsPerOp.n > 1 ? formatSpread(cell.nsPerOp.mean, cell.nsPerOp.ciLow, cell.nsPerOp.ciHigh) : "",
    `(${formatNs(cell.nsPerOp.min)} … ${formatNs(cell.nsPerOp.max)})`,
    cell.ratioToBaseline === undefined
      ? cell.baseline === undefined
        ? "baseline"
        : "-"
      : `${formatRatio(cell.ratioToBaseline)} ${cell.baseline ?? "baseline"}`,
  ]);
  const layout = table(
    ["micro-benchmark (measured)", "n", "time (avg)", "±", "(min … max)", "vs baseline"],
    rows,
    ["left", "right", "right", "right", "right", "right"],
  );
  return [
    "",
    paint("bold", layout.header),
    paint("dim", layout.rule),
    ...layout.rows.map((r) => r.join("  ").trimEnd()),
  ];
}

function mutantLines(model: ReportModel, paint: Painter): string[] {
  const { total, caught, list } = model.mutants;
  if (total === 0) return [];
  const lines = [
    "",
    `${paint("bold", "mutants:")} ${caught}/${total} caught${caught === total ? "" : paint("red", ` (${total - caught} survived)`)}`,
  ];
  for (const mutant of list) {
    const by = mutant.caughtBy.length > 0 ? ` by ${mutant.caughtBy.join(", ")}` : "";
    lines.push(
      mutant.caught
        ? `  ${paint("green", "✓")} ${mutant.name}${paint("dim", by)}`
        : `  ${paint("red", "✗")} ${mutant.name} ${paint("red", "not caught")}`,
    );
  }
  return lines;
}

/** `explored S@seed: 589 of 589 crash points × 2 policies (subset 589, torn 589), 1178 cases`. */
function coverageLines(model: ReportModel, paint: Painter): string[] {
  if (model.coverage.length === 0) return [];
  const lines = ["", paint("bold", "exploration coverage:")];
  for (const c of model.coverage) {
    const policies = c.policies.map((p) => `${p.policy} ${p.exploredPoints}`).join(", ");
    const sample = c.sampled ? paint("yellow", " (a seeded sample)") : "";
    const short =
      c.casesRecorded < c.cases
        ? paint("red", ` — only ${c.casesRecorded} of ${c.cases} cases recorded`)
        : "";
    lines.push(
      `  ${c.scenario}@${c.seed}: ${c.exploredPoints} of ${c.points} crash points × ${c.policies.length} ${c.policies.length === 1 ? "policy" : "policies"} (${policies}), ${c.cases} cases${sample}${short}`,
    );
  }
  return lines;
}

/** Renders the terminal summary; plain text unless `color` is set. Ends with a newline. */
export function renderTerminal(untrusted: ReportModel, options: TerminalOptions = {}): string {
  const model = stripControlDeep(untrusted);
  const paint = createPainter(options.color === true);
  const lines = [
    ...provenanceLines(model, paint),
    ...caseLines(model, paint, options.maxFailuresShown ?? DEFAULT_MAX_FAILURES),
    ...benchLines(model, paint),
    ...microbenchLines(model, paint),
    ...mutantLines(model, paint),
    ...coverageLines(model, paint),
  ];
  if (model.warnings.length > 0) lines.push("");
  for (const warning of model.warnings) lines.push(paint("yellow", `warning: ${warning}`));
  return `${lines.join("\n")}\n`;
}
