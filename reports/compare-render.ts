/** Renders a CompareResult as a terminal table, a GFM table, or JSON. */
import { createPainter } from "./color.js";
import type { CompareResult, MetricComparison, Verdict } from "./compare.js";
import { escapeMarkdownCell, stripControlDeep } from "./escape.js";
import { formatChange, formatMetric } from "./format.js";
import type { Provenance } from "./summarize.js";

/** Options shared by the compare renderers. */
export interface CompareRenderOptions {
  readonly color?: boolean;
  /** List only rows whose verdict is not "no change" (the totals still count every row). */
  readonly onlyChanges?: boolean;
}

function side(p: Provenance): string {
  const commit = p.commits.length > 0 ? ` @ ${p.commits.join(", ")}` : "";
  return `${p.tool ?? "lvmlab"}${p.version ? ` ${p.version}` : ""}${commit}`;
}

function rowsOf(result: CompareResult, options: CompareRenderOptions): MetricComparison[] {
  return options.onlyChanges
    ? result.comparisons.filter((c) => c.verdict !== "no change")
    : result.comparisons;
}

/** The verdict, marked when the row is shown for information and does not gate. */
function verdictText(c: MetricComparison): string {
  return c.gating ? c.verdict : `${c.verdict} (not gating)`;
}

function cells(c: MetricComparison): string[] {
  return [
    `${c.kind === "microbench" ? "micro " : ""}${c.cell}`,
    `${c.label}${c.measured ? " (measured)" : ""}`,
    formatMetric(c.baseMean, c.unit),
    formatMetric(c.headMean, c.unit),
    formatChange(c.ratio),
    `[${formatChange(c.ratioLow)}, ${formatChange(c.ratioHigh)}]`,
    verdictText(c),
  ];
}

const HEADER = ["cell", "metric", "base", "head", "change", "95% CI", "verdict"];

function totals(result: CompareResult): string {
  const unchanged = result.gated - result.regressions - result.improvements;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const shown = result.comparisons.length - result.gated;
  const info = shown > 0 ? `; ${shown} measured shown, not gating` : "";
  return `${plural(result.regressions, "regression")}, ${plural(result.improvements, "improvement")}, ${unchanged} unchanged (threshold ${result.thresholdPercent}%${info})`;
}

/** Terminal table of the comparison with a one-line verdict at the end. Ends with a newline. */
export function renderCompareTerminal(untrusted: CompareResult, options: CompareRenderOptions = {}): string {
  const result = stripControlDeep(untrusted);
  const paint = createPainter(options.color === true);
  const rows = rowsOf(result, options).map(cells);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const layout = (row: readonly string[]) =>
    row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ");
  const tone: Record<Verdict, (text: string) => string> = {
    faster: (t) => paint("green", t),
    slower: (t) => paint("red", t),
    "no change": (t) => paint("dim", t),
  };
  const lines = [
    paint("dim", `base: ${side(result.base)}`),
    paint("dim", `head: ${side(result.head)}`),
    paint(
      "dim",
      `${Math.round(result.confidence * 100)}% bootstrap CI of head ÷ base; a verdict needs the whole CI past ±${result.thresholdPercent}%`,
    ),
    "",
    paint("bold", layout(HEADER).trimEnd()),
  ];
  rowsOf(result, options).forEach((c, index) => {
    const text = layout(rows[index]!);
    const verdict = verdictText(c);
    const cut = text.length - verdict.length;
    lines.push(`${text.slice(0, cut)}${c.gating ? tone[c.verdict](verdict) : paint("dim", verdict)}`);
  });
  for (const cell of result.added) lines.push(paint("cyan", `added: ${cell}`));
  for (const cell of result.removed) lines.push(paint("yellow", `removed: ${cell}`));
  for (const warning of result.warnings) lines.push(paint("yellow", `warning: ${warning}`));
  lines.push("", result.regressions > 0 ? paint("red", totals(result)) : paint("green", totals(result)));
  return `${lines.join("\n")}\n`;
}

/** GFM before/after table with Δ %, CI and verdict, for articles. Ends with a newline. */
export function renderCompareMarkdown(result: CompareResult, options: CompareRenderOptions = {}): string {
  const rows = rowsOf(result, options).map((c) =>
    cells(c).map((text, i) =>
      i === 6 && c.gating && c.verdict !== "no change" ? `**${text}**` : escapeMarkdownCell(text),
    ),
  );
  const out = [
    "# lvmlab compare",
    "",
    `> Base: ${escapeMarkdownCell(side(result.base))}  `,
    `> Head: ${escapeMarkdownCell(side(result.head))}  `,
    `> ${Math.round(result.confidence * 100)}% bootstrap CI of head ÷ base; verdicts need the whole CI past ±${result.thresholdPercent}%`,
    "",
    `| Cell | Metric | Base | Head | Δ % | ${Math.round(result.confidence * 100)}% CI of Δ | Verdict |`,
    "| --- | --- | --: | --: | --: | --: | --- |",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ];
  if (result.added.length > 0 || result.removed.length > 0) {
    out.push("");
    for (const cell of result.added) out.push(`- added: ${escapeMarkdownCell(cell)}`);
    for (const cell of result.removed) out.push(`- removed: ${escapeMarkdownCell(cell)}`);
  }
  out.push("", `**${totals(result)}**`);
  if (result.warnings.length > 0)
    out.push("", ...result.warnings.map((w) => `- warning: ${escapeMarkdownCell(w)}`));
  return `${out.join("\n")}\n`;
}

/** The comparison as pretty-printed JSON. Ends with a newline. */
export function renderCompareJson(result: CompareResult): string {
  return `${JSON.stringify({ report: "lvmlab-compare", version: 1, ...result }, null, 2)}\n`;
}
