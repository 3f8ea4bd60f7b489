/**
 * One self-contained HTML report: inline CSS and SVG, no scripts, no external URLs (a CSP meta
 * tag forbids both), every record-derived text escaped, byte-deterministic for the same model.
 */
import { caseLabel, caseVerdict, damageSummary, faultSummary } from "./case-text.js";
import { formatCount, formatMetric, formatNs, formatRatio } from "./format.js";
import { LATENCY_POINTS } from "./metrics.js";
import type { CaseRecord } from "./records.js";
import { type BenchCell, compareText, type ReportModel, type Timeline } from "./summarize.js";
import { ciSupported, MIN_SAMPLES_FOR_CI, metricSupported } from "./support.js";
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
    const bars = group.slice(0, 24).map((cell) => {
      const m = cell.metrics.mbps!;
      const ratio =
        cell.relativeToLinear === null ? "" : `, ${formatPercent(cell.relativeToLinear)} of linear`;
      const interval = ciSupported(m.n) ? { low: m.ciLow, high: m.ciHigh } : {};
      return {
        label: `${cell.config}${cell.caveat === undefined ? "" : " *"}`,
        value: m.mean,
        ...interval,
        detail: `n=${m.n}${ratio}`,
      };
    });
    return el("figure", {}, [
      renderBarChart(bars, {
        title: `${first.workload} on ${first.profile} (MB/s)`,
        format: (v) => formatCount(v),
      }),
    ]);
  });
  return [
    section("throughput", "Throughput (modeled, mean; 95% bootstrap CI where n ≥ 5)", [
      el("div", { class: "charts" }, figures),
      el("p", { class: "muted" }, [
        text(
          `n = independent samples (seeds × repetitions); no error bar is drawn under n = ${MIN_SAMPLES_FOR_CI}. * marks a caveat, listed under Definitions.`,
        ),
      ]),
    ]),
  ];
}

function formatPercent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

function latencySection(model: ReportModel): Markup[] {
  const groups = groupCells(
    model.bench.filter((c) => LATENCY_POINTS.every((p) => c.metrics[`latNs.${p.id}`])),
  );
  if (groups.length === 0) return [];
  const figures = groups.flatMap((group) => {
    const first = group[0]!;
    // Only the percentiles every sample of the chart supports (10 I/Os beyond each).
    const points = LATENCY_POINTS.filter((p) =>
      group.every((c) => metricSupported(`latNs.${p.id}`, c.iosPerSample)),
    );
    if (points.length < 2) return [];
    const ios = Math.min(...group.map((c) => c.iosPerSample ?? Number.POSITIVE_INFINITY));
    const series = group.slice(0, 8).map((cell) => ({
      label: cell.config,
      points: points.map((p) => ({
        label: p.label,
        fraction: p.fraction,
        valueNs: cell.metrics[`latNs.${p.id}`]!.mean,
      })),
    }));
    const perSample = Number.isFinite(ios) ? `, ${ios} I/Os per sample` : "";
    return [
      el("figure", {}, [
        renderPercentileChart(series, {
          title: `${first.workload} on ${first.profile}: latency${perSample}`,
        }),
      ]),
    ];
  });
  if (figures.length === 0) return [];
  return [
    section("latency", "Latency percentiles (modeled, mean over samples)", [
      el("div", { class: "charts" }, figures),
      el("p", { class: "muted" }, [
        text(
          "A percentile is drawn only when every sample has at least 10 I/Os beyond it (p99 needs 1000, p99.9 10 000).",
        ),
      ]),
    ]),
  ];
}

/** The kinds of background work a timeline shows, e.g. "pvmove+resync". */
function workKinds(t: Timeline): string {
  return [...new Set(t.series.map((s) => s.kind))].sort(compareText).join("+") || "faults only";
}

/**
 * Timelines to draw: failing cases first, then one per kind of background work and scenario in
 * turn (pvmove, resync, merge, …), so every kind in the run is shown before a second seed of any.
 */
function chooseTimelines(model: ReportModel, max: number): Timeline[] {
  const failing = new Set(
    model.cases.scenarios.flatMap((s) =>
      s.cases.filter((c) => c.status === "fail").map((c) => `${c.scenario}\u0000${c.seed}`),
    ),
  );
  const all = model.timelines.filter((t) => t.series.length > 0 || t.faults.length > 0);
  const chosen: Timeline[] = all.filter((t) => failing.has(`${t.scenario}\u0000${t.seed}`)).slice(0, max);
  const byKind = new Map<string, Timeline[]>();
  for (const t of all) {
    if (chosen.includes(t)) continue;
    const kind = workKinds(t);
    byKind.set(kind, [...(byKind.get(kind) ?? []), t]);
  }
  // Within a kind, one timeline per scenario before a second seed of any scenario.
  const queues = [...byKind.keys()].sort(compareText).map((kind) => {
    const list = byKind.get(kind)!;
    const firsts = list.filter((t, i) => list.findIndex((u) => u.scenario === t.scenario) === i);
    return [...firsts, ...list.filter((t) => !firsts.includes(t))];
  });
  while (chosen.length < max && queues.some((q) => q.length > 0)) {
    for (const queue of queues) {
      const next = queue.shift();
      if (next !== undefined && chosen.length < max) chosen.push(next);
    }
  }
  return chosen;
}

function progressSection(model: ReportModel, maxTimelines: number): Markup[] {
  const all = model.timelines.filter((t) => t.series.length > 0 || t.faults.length > 0);
  if (all.length === 0) return [];
  const shown = chooseTimelines(model, maxTimelines);
  const kinds = [...new Set(all.map(workKinds))].sort(compareText);
  const children: Markup[] = [
    el("p", { class: "muted" }, [
      text(
        `Kinds of background work in this run: ${kinds.join(", ")}. A power cut shows as a drop at its fault marker.`,
      ),
    ]),
    el(
      "div",
      { class: "charts" },
      shown.map((t) =>
        el("figure", {}, [
          renderProgressChart(t, { title: `${t.scenario} seed ${t.seed}: ${workKinds(t)}` }),
        ]),
      ),
    ),
  ];
  if (all.length > shown.length) {
    children.push(
      el("p", { class: "muted" }, [text(`${all.length - shown.length} more timelines not drawn`)]),
    );
  }
  return [section("progress", "Background work over virtual time", children)];
}

/** Each device profile's definition, each config's meaning and each caveat, as a writer needs them. */
function definitionSection(model: ReportModel): Markup[] {
  if (model.bench.length === 0) return [];
  const profiles = [...new Set(model.bench.map((c) => c.profile))].sort(compareText);
  const configs = [...new Set(model.bench.map((c) => c.config))].sort(compareText);
  const items: Markup[] = [];
  items.push(el("h3", {}, [text("Device profiles")]));
  items.push(
    el(
      "ul",
      {},
      profiles.map((p) =>
        el("li", {}, [text(model.provenance.profiles[p] ?? `${p}: definition not recorded`)]),
      ),
    ),
  );
  items.push(el("h3", {}, [text("Configs")]));
  items.push(
    el(
      "ul",
      {},
      configs.map((c) =>
        el("li", {}, [
          el("code", {}, [text(c)]),
          text(`: ${model.provenance.configs[c] ?? "meaning not recorded"}`),
        ]),
      ),
    ),
  );
  const caveats = new Map<string, string[]>();
  for (const c of model.bench) {
    if (c.caveat === undefined) continue;
    caveats.set(c.caveat, [...(caveats.get(c.caveat) ?? []), `${c.config} (${c.workload}, ${c.profile})`]);
  }
  if (caveats.size > 0) {
    items.push(el("h3", {}, [text("* Caveats: cells the model cannot fully predict")]));
    items.push(
      el(
        "ul",
        {},
        [...caveats].map(([why, cells]) => el("li", {}, [text(`${why}: ${cells.join("; ")}`)])),
      ),
    );
  }
  return [section("definitions", "Definitions", items)];
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
    if (m === undefined) return "–";
    return metricSupported(id, cell.iosPerSample) ? formatMetric(m.mean, unit) : "– (too few I/Os)";
  };
  const rows = model.bench.map((cell) => {
    const iops = cell.metrics.iops;
    return [
      td(cell.profile),
      td(cell.workload),
      td(cell.config),
      td(String(cell.samples), true),
      td(iops ? formatCount(iops.mean) : "–", true),
      td(
        !iops
          ? "–"
          : ciSupported(cell.samples)
            ? `${formatCount(iops.ciLow)} – ${formatCount(iops.ciHigh)}`
            : `– (n < ${MIN_SAMPLES_FOR_CI})`,
        true,
      ),
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

function coverageSection(model: ReportModel): Markup[] {
  if (model.coverage.length === 0) return [];
  const rows = model.coverage.map((c) => [
    td(`${c.scenario}@${c.seed}`),
    td(`${c.exploredPoints} of ${c.points}`),
    td(c.policies.map((p) => `${p.policy} ${p.exploredPoints}`).join(", ")),
    el("td", { class: c.casesRecorded < c.cases ? "status-fail" : "status-pass" }, [
      text(`${c.casesRecorded} of ${c.cases}`),
    ]),
    td(c.sampled ? "seeded sample" : "all"),
  ]);
  return [
    section("coverage", "Exploration coverage", [
      tableOf(
        [
          { label: "Case" },
          { label: "Crash points explored" },
          { label: "Per policy" },
          { label: "Cases recorded" },
          { label: "Cases" },
        ],
        rows,
      ),
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
    ...definitionSection(model),
    ...progressSection(model, options.maxTimelines ?? DEFAULT_MAX_TIMELINES),
    ...caseSection(model, options.maxCaseRows ?? DEFAULT_MAX_CASE_ROWS),
    ...benchTableSection(model),
    ...microbenchSection(model),
    ...mutantSection(model),
    ...coverageSection(model),
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
