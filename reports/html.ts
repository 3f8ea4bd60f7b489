/**
 * One self-contained HTML report: inline CSS and SVG, no scripts, no external URLs (a CSP meta
 * tag forbids both), every record-derived text escaped, byte-deterministic for the same model.
 */
import { caseLabel, caseVerdict, damageSummary, faultSummary } from "./case-text.js";
import { formatCount, formatMetric, formatNs, formatRatio } from "./format.js";
import { LATENCY_POINTS } from "./metrics.js";
import type { CaseRecord } from "./records.js";
import { type BenchCell, compareText, type ReportModel } from "./summarize.js";
import { renderBarChart } from "./svg/bars.js";
import { el, lines, type Markup, text } from "./svg/element.js";
import { renderPercentileChart } from "./svg/percentiles.js";
import { renderProgressChart } from "./svg/progress.js";

/** Options for the HTML report. */
export interface HtmlOptions {
  readonly title?: string;
  /** Most case rows in the table (failures first); the rest are counted. */
  readonly maxCaseRows?: number;
  /** Most progress timelines charted; timelines of failing cases come first. */
  readonly maxTimelines?: number;
}

const DEFAULT_MAX_CASE_ROWS = 1000;
const DEFAULT_MAX_TIMELINES = 24;

const STYLE = `
:root { color-scheme: light; --fg: #1d2329; --muted: #5c6670; --line: #d8dde3; --bg: #ffffff; --pass: #1a7f37; --fail: #c0392b; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1240px; padding: 24px 32px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.provenance { color: var(--muted); margin: 0 0 4px; }
code { font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; background: #f3f5f7; padding: 1px 4px; border-radius: 3px; word-break: break-all; }
.tiles { display: flex; gap: 12px; flex-wrap: wrap; margin: 16px 0; }
.tile { border: 1px solid var(--line); border-radius: 6px; padding: 10px 16px; min-width: 150px; }
.tile .big { font-size: 24px; font-weight: 600; display: block; }
.tile.bad .big { color: var(--fail); }
.tile.good .big { color: var(--pass); }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 6px; }
svg.chart { display: block; font-family: system-ui, "DejaVu Sans", sans-serif; }
svg .chart-title { font-size: 13px; font-weight: 600; fill: var(--fg); }
svg .tick, svg .legend, svg .axis-label { font-size: 11px; fill: var(--muted); }
svg .value { font-size: 10px; fill: var(--fg); }
svg .grid { stroke: #eceff2; stroke-width: 1; }
svg .axis { stroke: #8a949e; stroke-width: 1; }
svg .error-bar { stroke: #1d2329; stroke-width: 1.5; }
svg .line { stroke-width: 2; }
svg .fault { stroke-width: 1.5; stroke-dasharray: 4 3; }
svg .fault-label { font-size: 10px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.status-pass { color: var(--pass); font-weight: 600; }
.status-fail { color: var(--fail); font-weight: 600; }
.muted { color: var(--muted); }
.warnings li { color: #8a5a00; }
`;

function section(id: string, heading: string, children: Markup[]): Markup {
  return el("section", { id }, [el("h2", {}, [text(heading)]), ...children]);
}

function tableOf(header: readonly { label: string; num?: boolean }[], rows: readonly Markup[][]): Markup {
  return el("table", {}, [
    el("thead", {}, [
      el(
        "tr",
        {},
        header.map((h) => el("th", { class: h.num ? "num" : undefined }, [text(h.label)])),
      ),
    ]),
    el(
      "tbody",
      {},
      rows.map((cells) => el("tr", {}, cells)),
    ),
  ]);
}

function td(value: string, num = false): Markup {
  return el("td", { class: num ? "num" : undefined }, [text(value)]);
}

function provenance(model: ReportModel): Markup[] {
  const p = model.provenance;
  const facts = [
    `${p.tool ?? "lvmlab"}${p.version ? ` ${p.version}` : ""}`,
    p.commits.length > 0 ? `commit ${p.commits.join(", ")}` : undefined,
    p.schema !== undefined ? `records v${p.schema}` : undefined,
    p.node ? `node ${p.node}` : undefined,
    p.cpu ? `${p.cpu}${p.cores !== undefined ? ` (${p.cores} cores)` : ""}` : undefined,
    p.shards.length > 0 ? `shards ${p.shards.join(", ")}` : undefined,
  ].filter((f): f is string => f !== undefined);
  return [
    el("p", { class: "provenance" }, [text(facts.join(" · "))]),
    ...p.commands.map((c) =>
      el("p", { class: "provenance" }, [text("Reproduce: "), el("code", {}, [text(c)])]),
    ),
  ];
}

function tiles(model: ReportModel): Markup {
  const tile = (label: string, value: string, tone?: "good" | "bad") =>
    el("div", { class: tone ? `tile ${tone}` : "tile" }, [
      el("span", { class: "big" }, [text(value)]),
      text(label),
    ]);
  const items: Markup[] = [];
  if (model.cases.total > 0) {
    items.push(tile("cases passed", `${model.cases.passed}/${model.cases.total}`, "good"));
    items.push(tile("cases failed", String(model.cases.failed), model.cases.failed > 0 ? "bad" : "good"));
  }
  if (model.mutants.total > 0) {
    const survived = model.mutants.total - model.mutants.caught;
    items.push(
      tile("mutants caught", `${model.mutants.caught}/${model.mutants.total}`, survived > 0 ? "bad" : "good"),
    );
  }
  if (model.bench.length > 0) items.push(tile("benchmark cells", String(model.bench.length)));
  if (model.microbench.length > 0) items.push(tile("micro-benchmarks", String(model.microbench.length)));
  return el("div", { class: "tiles" }, items);
}

function groupCells(cells: readonly BenchCell[]): BenchCell[][] {
  const groups: BenchCell[][] = [];
  for (const cell of cells) {
    const last = groups[groups.length - 1];
    if (last?.[0]?.profile === cell.profile && last[0].workload === cell.workload) last.push(cell);
    else groups.push([cell]);
  }
  return groups;
}

function throughputSection(model: ReportModel): Markup[] {
  const groups = groupCells(model.bench.filter((c) => c.metrics.mbps !== undefined));
  if (groups.length === 0) return [];
  const figures = groups.map((group) => {
    const first = group[0]!;
    const bars = group.slice(0, 12).map((cell) => {
      const m = cell.metrics.mbps!;
      const ratio = cell.relativeToLinear === null ? "" : `, ${formatRatio(cell.relativeToLinear)} linear`;
      return { label: cell.config, value: m.mean, low: m.ciLow, high: m.ciHigh, detail: `n=${m.n}${ratio}` };
    });
    return el("figure", {}, [
      renderBarChart(bars, {
        title: `${first.workload} on ${first.profile} (MB/s)`,
        format: (v) => formatCount(v),
      }),
    ]);
  });
  return [
    section("throughput", "Throughput (modeled, mean with 95% bootstrap CI)", [
      el("div", { class: "charts" }, figures),
    ]),
  ];
}

function latencySection(model: ReportModel): Markup[] {
  const groups = groupCells(
    model.bench.filter((c) => LATENCY_POINTS.every((p) => c.metrics[`latNs.${p.id}`])),
  );
  if (groups.length === 0) return [];
  const figures = groups.map((group) => {
    const first = group[0]!;
    const series = group.slice(0, 8).map((cell) => ({
      label: cell.config,
      points: LATENCY_POINTS.map((p) => ({
        label: p.label,
        fraction: p.fraction,
        valueNs: cell.metrics[`latNs.${p.id}`]!.mean,
      })),
    }));
    return el("figure", {}, [
      renderPercentileChart(series, { title: `${first.workload} on ${first.profile}: latency` }),
    ]);
  });
  return [
    section("latency", "Latency percentiles (modeled, mean over samples)", [
      el("div", { class: "charts" }, figures),
    ]),
  ];
}

function progressSection(model: ReportModel, maxTimelines: number): Markup[] {
  const failing = new Set(
    model.cases.scenarios.flatMap((s) =>
      s.cases.filter((c) => c.status === "fail").map((c) => `${c.scenario}\u0000${c.seed}`),
    ),
  );
  const isFailing = (t: { scenario: string; seed: number }) => failing.has(`${t.scenario}\u0000${t.seed}`);
  // Failing cases first (stable, so the order stays scenario then seed), then as many others as fit.
  const timelines = model.timelines
    .filter((t) => t.series.length > 0 || t.faults.length > 0)
    .sort((a, b) => Number(isFailing(b)) - Number(isFailing(a)));
  if (timelines.length === 0) return [];
  const shown = timelines.slice(0, maxTimelines);
  const children: Markup[] = [
    el(
      "div",
      { class: "charts" },
      shown.map((t) =>
        el("figure", {}, [
          renderProgressChart(t, { title: `${t.scenario} seed ${t.seed}: progress and faults` }),
        ]),
      ),
    ),
  ];
  if (timelines.length > shown.length) {
    children.push(
      el("p", { class: "muted" }, [text(`${timelines.length - shown.length} more timelines not drawn`)]),
    );
  }
  return [section("progress", "Background work over virtual time", children)];
}

function caseRow(c: CaseRecord): Markup[] {
  return [
    td(c.scenario),
    td(caseLabel(c)),
    el("td", { class: `status-${c.status}` }, [text(c.status)]),
    td(faultSummary(c)),
    td(damageSummary(c.verify)),
    td(caseVerdict(c)),
    el("td", {}, [el("code", {}, [text(c.replay)])]),
  ];
}

function caseSection(model: ReportModel, maxRows: number): Markup[] {
  if (model.cases.total === 0) return [];
  const all = model.cases.scenarios.flatMap((s) => s.cases);
  const ordered = [...all.filter((c) => c.status === "fail"), ...all.filter((c) => c.status === "pass")];
  const shown = ordered.slice(0, maxRows);
  const summary = tableOf(
    [
      { label: "Scenario" },
      { label: "Cases", num: true },
      { label: "Passed", num: true },
      { label: "Failed", num: true },
    ],
    model.cases.scenarios.map((s) => [
      td(s.scenario),
      td(String(s.cases.length), true),
      td(String(s.passed), true),
      el("td", { class: s.failed > 0 ? "num status-fail" : "num" }, [text(String(s.failed))]),
    ]),
  );
  const children = [
    summary,
    tableOf(
      [
        { label: "Scenario" },
        { label: "Case" },
        { label: "Status" },
        { label: "Faults" },
        { label: "Damage" },
        { label: "Verdict" },
        { label: "Replay" },
      ],
      shown.map(caseRow),
    ),
  ];
  if (ordered.length > shown.length) {
    children.push(
      el("p", { class: "muted" }, [text(`${ordered.length - shown.length} more cases not listed`)]),
    );
  }
  return [section("cases", "Cases (failures first)", children)];
}

function benchTableSection(model: ReportModel): Markup[] {
  if (model.bench.length === 0) return [];
  const value = (cell: BenchCell, id: string, unit: string) => {
    const m = cell.metrics[id];
    return m === undefined ? "–" : formatMetric(m.mean, unit);
  };
  const rows = model.bench.map((cell) => {
    const iops = cell.metrics.iops;
    return [
      td(cell.profile),
      td(cell.workload),
      td(cell.config),
      td(String(cell.samples), true),
      td(iops ? formatCount(iops.mean) : "–", true),
      td(iops ? `${formatCount(iops.ciLow)} – ${formatCount(iops.ciHigh)}` : "–", true),
      td(value(cell, "mbps", "MB/s"), true),
      td(value(cell, "latNs.p99", "ns"), true),
      td(value(cell, "writeAmplification", "×"), true),
      td(cell.relativeToLinear === null ? "–" : formatRatio(cell.relativeToLinear), true),
      td(value(cell, "cpuNsPerOp", "ns/op"), true),
    ];
  });
  const header = [
    { label: "Profile" },
    { label: "Workload" },
    { label: "Config" },
    { label: "n", num: true },
    { label: "IOPS", num: true },
    { label: "95% CI", num: true },
    { label: "MB/s", num: true },
    { label: "p99", num: true },
    { label: "Write amp", num: true },
    { label: "vs linear", num: true },
    { label: "CPU/op (measured)", num: true },
  ];
  return [section("bench", "Benchmark cells", [tableOf(header, rows)])];
}

function microbenchSection(model: ReportModel): Markup[] {
  if (model.microbench.length === 0) return [];
  const rows = model.microbench.map((c) => [
    td(c.suite),
    td(c.group),
    td(c.name),
    td(String(c.nsPerOp.n), true),
    td(formatNs(c.nsPerOp.mean), true),
    td(`${formatNs(c.nsPerOp.ciLow)} – ${formatNs(c.nsPerOp.ciHigh)}`, true),
    td(
      c.ratioToBaseline === undefined
        ? c.baseline === undefined
          ? "baseline"
          : "–"
        : `${formatRatio(c.ratioToBaseline)} ${c.baseline ?? "baseline"}`,
      true,
    ),
  ]);
  const header = [
    { label: "Suite" },
    { label: "Group" },
    { label: "Case" },
    { label: "n", num: true },
    { label: "time/op", num: true },
    { label: "95% CI", num: true },
    { label: "vs baseline", num: true },
  ];
  return [section("microbench", "Micro-benchmarks (measured on this machine)", [tableOf(header, rows)])];
}

function mutantSection(model: ReportModel): Markup[] {
  if (model.mutants.total === 0) return [];
  const rows = model.mutants.list.map((m) => [
    td(m.name),
    el("td", { class: m.caught ? "status-pass" : "status-fail" }, [text(m.caught ? "caught" : "survived")]),
    td(m.caughtBy.length > 0 ? m.caughtBy.join(", ") : "–"),
  ]);
  return [
    section("mutants", "Mutants", [
      tableOf([{ label: "Mutant" }, { label: "Result" }, { label: "Caught by" }], rows),
    ]),
  ];
}

function warningSection(model: ReportModel): Markup[] {
  if (model.warnings.length === 0) return [];
  const items = [...model.warnings].sort(compareText).map((w) => el("li", {}, [text(w)]));
  return [section("warnings", "Warnings", [el("ul", { class: "warnings" }, items)])];
}

/** Renders the full HTML document. Ends with a newline. */
export function renderHtml(model: ReportModel, options: HtmlOptions = {}): string {
  const title = options.title ?? "lvmlab report";
  const body = lines([
    el("header", {}, [el("h1", {}, [text(title)]), ...provenance(model)]),
    tiles(model),
    ...throughputSection(model),
    ...latencySection(model),
    ...progressSection(model, options.maxTimelines ?? DEFAULT_MAX_TIMELINES),
    ...caseSection(model, options.maxCaseRows ?? DEFAULT_MAX_CASE_ROWS),
    ...benchTableSection(model),
    ...microbenchSection(model),
    ...mutantSection(model),
    ...warningSection(model),
  ]);
  const head = [
    '<meta charset="utf-8">',
    // No network and no scripts: the report must open offline and cannot run what a record smuggles in.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    el("title", {}, [text(title)]).html,
    `<style>${STYLE}</style>`,
  ].join("\n");
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n${head}\n</head>\n<body>\n${body.html}\n</body>\n</html>\n`;
}
