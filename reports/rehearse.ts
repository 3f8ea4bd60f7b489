/**
 * The rehearsal report (`lvmlab rehearse`): the recovery matrix (steps × crash windows × recovery
 * paths) with each cell's outcome and replay command, the recommended recovery per window, the
 * modeled duration of each step, and the before/after throughput of each LV — in the terminal,
 * Markdown and self-contained HTML. Rendered from records only (the `case` records tagged
 * `rehearse`, `rehearse-step` and `rehearse-recommendation` records, and `bench` records of
 * profile `rehearse`), so `lvmlab report` and this agree.
 */
import type { Painter } from "./color.js";
import { escapeHtml, escapeMarkdownCell, markdownCode, stripControl } from "./escape.js";
import { formatNs } from "./format.js";
import type { RecordSet } from "./record-set.js";

/** Record types a rehearsal writes besides case, bench, meta and summary. */
export const REHEARSAL_RECORD_TYPES: ReadonlySet<string> = new Set([
  "rehearse-step",
  "rehearse-recommendation",
]);

/** One plan step. */
export interface RehearsalStepView {
  readonly step: number;
  readonly line: number;
  readonly command: string;
  readonly exitCode: number;
  readonly durationNs: number;
  /** Time until the copy finished (pvmove), when the step copies. */
  readonly copyNs: number | undefined;
  readonly windowsFound: number;
  readonly windowsTried: number;
  readonly coverage: string;
}

/** One matrix cell. */
export interface RehearsalCellView {
  readonly step: number;
  readonly window: string;
  readonly boot: string;
  readonly path: string;
  readonly title: string;
  readonly outcome: string;
  readonly detail: string;
  readonly replay: string;
}

/** One row of the throughput table. */
export interface RehearsalThroughputView {
  readonly lv: string;
  readonly when: string;
  readonly mbps: number;
  readonly iops: number;
  readonly p99Ns: number;
}

/** A rehearsal as its records describe it. */
export interface RehearsalView {
  readonly name: string;
  readonly command: string;
  readonly profiles: Readonly<Record<string, string>>;
  readonly disks: Readonly<Record<string, string>>;
  /** Device name of the late disk, when the rehearsal had late-PV cases. */
  readonly lateDisk: string | undefined;
  readonly steps: readonly RehearsalStepView[];
  readonly cells: readonly RehearsalCellView[];
  readonly recommendations: ReadonlyMap<
    string,
    { readonly path: string | null; readonly outcome: string | null }
  >;
  readonly throughput: readonly RehearsalThroughputView[];
}

const str = (v: unknown, fallback = ""): string => (typeof v === "string" ? stripControl(v) : fallback);
const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

function rowKey(step: number, window: string, boot: string): string {
  return `${step}\u0000${window}\u0000${boot}`;
}

/** The rehearsal in a record set, or undefined when it holds none. */
export function rehearsalFromRecords(set: RecordSet): RehearsalView | undefined {
  const cells: RehearsalCellView[] = [];
  let name = "";
  for (const record of set.cases) {
    const r = (record as Record<string, unknown>).rehearse;
    if (typeof r !== "object" || r === null) continue;
    const f = r as Record<string, unknown>;
    name ||= record.scenario;
    cells.push({
      step: num(f.step),
      window: str(f.window),
      boot: str(f.boot),
      path: str(f.path),
      title: str(f.title, str(f.path)),
      outcome: str(f.outcome),
      detail: str(f.detail),
      replay: stripControl(record.replay),
    });
  }
  const steps: RehearsalStepView[] = [];
  const recommendations = new Map<string, { path: string | null; outcome: string | null }>();
  let lateDisk: string | undefined;
  for (const unknown of set.unknown) {
    const v = unknown.value;
    if (unknown.type === "rehearse-step") {
      steps.push({
        step: num(v.step),
        line: num(v.line),
        command: str(v.command),
        exitCode: num(v.exitCode),
        durationNs: num(v.durationNs),
        copyNs: typeof v.copyNs === "number" ? v.copyNs : undefined,
        windowsFound: num(v.windowsFound),
        windowsTried: num(v.windowsTried),
        coverage: str(v.coverage),
      });
    } else if (unknown.type === "rehearse-recommendation") {
      recommendations.set(rowKey(num(v.step), str(v.window), str(v.boot)), {
        path: typeof v.path === "string" ? v.path : null,
        outcome: typeof v.outcome === "string" ? v.outcome : null,
      });
    }
  }
  if (cells.length === 0 && steps.length === 0) return undefined;
  const meta = set.meta[0] as Record<string, unknown> | undefined;
  const disks = (meta?.configs ?? {}) as Record<string, string>;
  const late = (meta?.rehearseLateDisk ?? undefined) as unknown;
  if (typeof late === "string") lateDisk = stripControl(late);
  const throughput = set.bench
    .filter((b) => b.profile === "rehearse")
    .map((b) => {
      const when = /(before|during step \d+|after)$/.exec(b.workload)?.[1] ?? b.workload;
      return { lv: stripControl(b.config), when, mbps: b.mbps, iops: b.iops, p99Ns: b.latNs.p99 };
    });
  steps.sort((a, b) => a.step - b.step);
  return {
    name,
    command: str(meta?.command),
    profiles: (meta?.profiles ?? {}) as Record<string, string>,
    disks,
    lateDisk,
    steps,
    cells,
    recommendations,
    throughput,
  };
}

/** The outcome as the matrix prints it. */
export function outcomeLabel(outcome: string): string {
  switch (outcome) {
    case "safe":
      return "safe";
    case "data-lost":
      return "DATA LOST";
    case "manual":
      return "manual repair";
    case "destructive":
      return "DESTRUCTIVE";
    default:
      return outcome;
  }
}

function bootLabel(view: RehearsalView, boot: string): string {
  return boot === "late" ? `${view.lateDisk ?? "a disk"} late` : "all disks";
}

interface MatrixTable {
  readonly step: RehearsalStepView;
  readonly paths: readonly { readonly id: string; readonly title: string }[];
  readonly rows: readonly {
    readonly window: string;
    readonly boot: string;
    readonly cells: ReadonlyMap<string, RehearsalCellView>;
    readonly recommended: { readonly path: string | null; readonly outcome: string | null } | undefined;
  }[];
}

function matrices(view: RehearsalView): MatrixTable[] {
  return view.steps.map((step) => {
    const cells = view.cells.filter((c) => c.step === step.step);
    const paths: { id: string; title: string }[] = [];
    for (const c of cells)
      if (!paths.some((p) => p.id === c.path)) paths.push({ id: c.path, title: c.title });
    const rows: MatrixTable["rows"][number][] = [];
    for (const c of cells) {
      let row = rows.find((r) => r.window === c.window && r.boot === c.boot);
      if (row === undefined) {
        row = {
          window: c.window,
          boot: c.boot,
          cells: new Map(),
          recommended: view.recommendations.get(rowKey(step.step, c.window, c.boot)),
        };
        rows.push(row);
      }
      (row.cells as Map<string, RehearsalCellView>).set(c.path, c);
    }
    return { step, paths, rows };
  });
}

function recommendedText(
  r: { readonly path: string | null; readonly outcome: string | null } | undefined,
): string {
  if (r?.path == null) return "-";
  return r.outcome === "safe" ? r.path : `${r.path} (none safe; ${outcomeLabel(r.outcome ?? "")})`;
}

function throughputRows(view: RehearsalView): { lv: string; cols: Map<string, RehearsalThroughputView> }[] {
  const rows: { lv: string; cols: Map<string, RehearsalThroughputView> }[] = [];
  for (const t of view.throughput) {
    let row = rows.find((r) => r.lv === t.lv);
    if (row === undefined) {
      row = { lv: t.lv, cols: new Map() };
      rows.push(row);
    }
    row.cols.set(t.when, t);
  }
  return rows;
}

function throughputColumns(view: RehearsalView): string[] {
  const cols: string[] = [];
  for (const t of view.throughput) if (!cols.includes(t.when)) cols.push(t.when);
  const rank = (w: string) => (w === "before" ? 0 : w === "after" ? 2 : 1);
  return cols.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function mbps(t: RehearsalThroughputView | undefined): string {
  return t === undefined
    ? "-"
    : `${t.mbps.toFixed(2)} MB/s, ${Math.round(t.iops)} IOPS, p99 ${formatNs(t.p99Ns)}`;
}

function ratio(row: { cols: Map<string, RehearsalThroughputView> }): string {
  const before = row.cols.get("before");
  const after = row.cols.get("after");
  if (before === undefined || after === undefined || before.mbps === 0) return "-";
  return `${(after.mbps / before.mbps).toFixed(2)}×`;
}

/** A step's modeled duration: metadata-only steps take no modeled time; a copy says when it ended. */
function durationText(s: RehearsalStepView): string {
  if (s.durationNs === 0) return "metadata only (no modeled I/O time)";
  const total = formatNs(s.durationNs);
  return s.copyNs === undefined
    ? total
    : `${total} (copy done at ${formatNs(s.copyNs)}; pvmove polls every 15 s)`;
}

function pad(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - [...text].length));
}

function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...(r[i] ?? "")].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => pad(c, widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

/** The rehearsal for a terminal: steps, the matrix per step, unsafe cells with replay, throughput. */
export function renderRehearsalTerminal(
  view: RehearsalView,
  options: { readonly paint?: Painter } = {},
): string {
  const paint = options.paint ?? ((_s, t) => t);
  const color = (outcome: string, text: string) =>
    outcome === "safe"
      ? paint("green", text)
      : outcome === "destructive" || outcome === "data-lost"
        ? paint("red", text)
        : paint("yellow", text);
  const out: string[] = [paint("bold", `Rehearsal ${view.name}`), ""];
  out.push(
    ...textTable(
      ["step", "command", "modeled duration", "crash windows"],
      view.steps.map((s) => [
        String(s.step),
        s.exitCode === 0 ? s.command : `${s.command} (exit ${s.exitCode} without a crash)`,
        durationText(s),
        s.windowsTried < s.windowsFound
          ? `${s.windowsTried} of ${s.windowsFound} (sampled)`
          : String(s.windowsFound),
      ]),
    ),
  );
  for (const m of matrices(view)) {
    out.push("", paint("bold", `Step ${m.step.step}: ${m.step.command}`));
    if (m.rows.length === 0) {
      out.push("  no crash window in this step");
      continue;
    }
    const header = ["crash window", "boot", ...m.paths.map((p) => p.id), "recommended"];
    const rows = m.rows.map((r) => [
      r.window,
      bootLabel(view, r.boot),
      ...m.paths.map((p) => {
        const c = r.cells.get(p.id);
        return c === undefined ? "-" : outcomeLabel(c.outcome);
      }),
      recommendedText(r.recommended),
    ]);
    const table = textTable(header, rows);
    out.push(...table.slice(0, 2).map((l) => `  ${l}`));
    // Colour after padding so escape codes do not disturb the columns.
    for (const line of table.slice(2)) {
      let painted = line;
      for (const label of ["DESTRUCTIVE", "DATA LOST", "manual repair", "safe"]) {
        const outcome = {
          DESTRUCTIVE: "destructive",
          "DATA LOST": "data-lost",
          "manual repair": "manual",
          safe: "safe",
        }[label]!;
        painted = painted.replaceAll(` ${label} `, ` ${color(outcome, label)} `);
      }
      out.push(`  ${painted}`);
    }
  }
  const unsafe = view.cells.filter((c) => c.outcome !== "safe");
  if (unsafe.length > 0) {
    out.push("", paint("bold", "Cells that are not safe"));
    for (const c of unsafe) {
      out.push(
        `  step ${c.step} ${c.window}, ${bootLabel(view, c.boot)}, ${c.title}: ${color(c.outcome, outcomeLabel(c.outcome))}: ${c.detail}`,
        `    ${paint("dim", c.replay)}`,
      );
    }
  }
  const safe = view.cells.find((c) => c.outcome === "safe");
  if (safe !== undefined) out.push("", paint("dim", `Every cell replays the same way, e.g. ${safe.replay}`));
  const rows = throughputRows(view);
  if (rows.length > 0) {
    const cols = throughputColumns(view);
    out.push("", paint("bold", "Throughput of the workload per LV (modeled)"));
    out.push(
      ...textTable(
        ["LV", ...cols, "after/before"],
        rows.map((r) => [r.lv, ...cols.map((c) => mbps(r.cols.get(c))), ratio(r)]),
      ).map((l) => `  ${l}`),
    );
  }
  for (const s of view.steps) if (s.coverage !== "") out.push(paint("dim", s.coverage));
  return `${out.join("\n")}\n`;
}

/** The rehearsal as Markdown for a write-up. */
export function renderRehearsalMarkdown(view: RehearsalView): string {
  const cell = escapeMarkdownCell;
  const out: string[] = [`## Rehearsal ${cell(view.name)}`, ""];
  if (view.command !== "") out.push(`Reproduce with ${markdownCode(view.command)}.`, "");
  const disks = Object.entries(view.disks);
  if (disks.length > 0) {
    out.push("| disk | what it is |", "|---|---|");
    for (const [name, what] of disks)
      out.push(`| ${markdownCode(name, { inTable: true })} | ${cell(what)} |`);
    out.push("");
  }
  out.push(
    "### Steps",
    "",
    "| step | command | modeled duration | crash windows tried |",
    "|---:|---|---:|---|",
  );
  for (const s of view.steps) {
    const tried =
      s.windowsTried < s.windowsFound
        ? `${s.windowsTried} of ${s.windowsFound} (sampled)`
        : `${s.windowsFound}`;
    const failed = s.exitCode === 0 ? "" : ` (exit ${s.exitCode} without a crash)`;
    out.push(
      `| ${s.step} | ${markdownCode(s.command, { inTable: true })}${failed} | ${durationText(s)} | ${tried} |`,
    );
  }
  for (const m of matrices(view)) {
    out.push("", `### Recovery matrix, step ${m.step.step}: ${markdownCode(m.step.command)}`, "");
    if (m.rows.length === 0) {
      out.push("No crash window in this step.");
      continue;
    }
    out.push(
      `| crash window | boot | ${m.paths.map((p) => cell(p.title)).join(" | ")} | recommended |`,
      `|---|---|${m.paths.map(() => "---").join("|")}|---|`,
    );
    for (const r of m.rows) {
      const cols = m.paths.map((p) => {
        const c = r.cells.get(p.id);
        if (c === undefined) return "-";
        const label = outcomeLabel(c.outcome);
        return c.outcome === "safe" ? label : `**${label}**`;
      });
      out.push(
        `| ${cell(r.window)} | ${cell(bootLabel(view, r.boot))} | ${cols.join(" | ")} | ${cell(recommendedText(r.recommended))} |`,
      );
    }
    out.push("", "| crash window | boot | recovery | outcome | why | replay |", "|---|---|---|---|---|---|");
    for (const c of view.cells.filter((x) => x.step === m.step.step)) {
      out.push(
        `| ${cell(c.window)} | ${cell(bootLabel(view, c.boot))} | ${cell(c.title)} | ${outcomeLabel(c.outcome)} | ${cell(c.detail)} | ${markdownCode(c.replay, { inTable: true })} |`,
      );
    }
  }
  const rows = throughputRows(view);
  if (rows.length > 0) {
    const cols = throughputColumns(view);
    out.push("", "### Throughput per LV (modeled)", "");
    out.push(
      `| LV | ${cols.map(cell).join(" | ")} | after/before |`,
      `|---|${cols.map(() => "---").join("|")}|---:|`,
    );
    for (const r of rows)
      out.push(`| ${cell(r.lv)} | ${cols.map((c) => cell(mbps(r.cols.get(c)))).join(" | ")} | ${ratio(r)} |`);
  }
  const profiles = Object.entries(view.profiles);
  if (profiles.length > 0) {
    out.push("", "Device profiles:", "");
    for (const [, definition] of profiles) out.push(`- ${cell(definition)}`);
  }
  const coverage = view.steps.map((s) => s.coverage).filter((c) => c !== "");
  if (coverage.length > 0) out.push("", ...coverage.map((c) => `- ${cell(c)}`));
  return `${out.join("\n")}\n`;
}

const HTML_STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.safe{background:#e6f4e6}.data-lost{background:#fde2e2}.destructive{background:#f8b4b4;font-weight:bold}
.manual{background:#fff3cd}code{font-size:12px}td code{word-break:break-all}small{color:#666}`;

/** The rehearsal as one self-contained HTML page (no scripts). */
export function renderRehearsalHtml(view: RehearsalView): string {
  const h = escapeHtml;
  const out: string[] = [
    "<!DOCTYPE html>",
    `<html lang="en"><head><meta charset="utf-8"><title>Rehearsal ${h(view.name)}</title><style>${HTML_STYLE}</style></head><body>`,
    `<h1>Rehearsal ${h(view.name)}</h1>`,
  ];
  if (view.command !== "") out.push(`<p>Reproduce with <code>${h(view.command)}</code></p>`);
  out.push(
    "<h2>Steps</h2><table><tr><th>step</th><th>command</th><th>modeled duration</th><th>crash windows tried</th></tr>",
  );
  for (const s of view.steps) {
    out.push(
      `<tr><td>${s.step}</td><td><code>${h(s.command)}</code>${s.exitCode === 0 ? "" : ` (exit ${s.exitCode} without a crash)`}</td><td>${h(durationText(s))}</td><td>${s.windowsTried} of ${s.windowsFound}</td></tr>`,
    );
  }
  out.push("</table>");
  for (const m of matrices(view)) {
    out.push(`<h2>Recovery matrix, step ${m.step.step}: <code>${h(m.step.command)}</code></h2>`);
    if (m.rows.length === 0) {
      out.push("<p>No crash window in this step.</p>");
      continue;
    }
    out.push(
      `<table><tr><th>crash window</th><th>boot</th>${m.paths.map((p) => `<th>${h(p.title)}</th>`).join("")}<th>recommended</th></tr>`,
    );
    for (const r of m.rows) {
      const cols = m.paths.map((p) => {
        const c = r.cells.get(p.id);
        if (c === undefined) return "<td>-</td>";
        return `<td class="${h(c.outcome)}" title="${h(c.detail)}">${h(outcomeLabel(c.outcome))}<br><small>${h(c.detail)}</small><br><code>${h(c.replay)}</code></td>`;
      });
      out.push(
        `<tr><td>${h(r.window)}</td><td>${h(bootLabel(view, r.boot))}</td>${cols.join("")}<td>${h(recommendedText(r.recommended))}</td></tr>`,
      );
    }
    out.push("</table>");
  }
  const rows = throughputRows(view);
  if (rows.length > 0) {
    const cols = throughputColumns(view);
    out.push(
      "<h2>Throughput per LV (modeled)</h2><table>",
      `<tr><th>LV</th>${cols.map((c) => `<th>${h(c)}</th>`).join("")}<th>after/before</th></tr>`,
    );
    for (const r of rows)
      out.push(
        `<tr><td>${h(r.lv)}</td>${cols.map((c) => `<td>${h(mbps(r.cols.get(c)))}</td>`).join("")}<td>${ratio(r)}</td></tr>`,
      );
    out.push("</table>");
  }
  const profiles = Object.values(view.profiles);
  if (profiles.length > 0)
    out.push(`<h2>Device profiles</h2><ul>${profiles.map((p) => `<li>${h(p)}</li>`).join("")}</ul>`);
  const coverage = view.steps.map((s) => s.coverage).filter((c) => c !== "");
  if (coverage.length > 0) out.push(`<ul>${coverage.map((c) => `<li>${h(c)}</li>`).join("")}</ul>`);
  out.push("</body></html>");
  return `${out.join("\n")}\n`;
}
