/**
 * GFM Markdown for writers: a provenance block, overhead tables (rows = config, columns =
 * workload, cells = value and % of linear), case results, micro-benchmarks and mutants.
 */
import { caseLabel, caseVerdict, damageSummary, faultSummary } from "./case-text.js";
import { escapeMarkdownCell, markdownCode } from "./escape.js";
import { formatCount, formatMetric, formatNs, formatPercentOf, formatRatio } from "./format.js";
import {
  BASELINE_CONFIG,
  type BenchCell,
  compareConfig,
  compareText,
  type ReportModel,
} from "./summarize.js";
import { ciSupported, iosNeededFor, MIN_SAMPLES_FOR_CI, metricSupported, PERCENTILE_OF } from "./support.js";

/** Options for the Markdown report. */
export interface MarkdownOptions {
  /** Document title (a level-1 heading). */
  readonly title?: string;
  /** Most failing cases listed; the rest are counted, so a nightly sweep stays readable. */
  readonly maxCaseRows?: number;
}

const DEFAULT_MAX_CASE_ROWS = 200;

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

function gfmTable(
  header: readonly string[],
  align: readonly ("l" | "r")[],
  rows: readonly string[][],
): string[] {
  return [
    row(header.map(escapeMarkdownCell)),
    row(align.map((a) => (a === "r" ? "--:" : "---"))),
    ...rows.map((cells) => row(cells)),
  ];
}

const cell = escapeMarkdownCell;

/** The provenance block: tool, commit, runtime, commands, shards, as LKP and PTS print above tables. */
function renderProvenanceMarkdown(model: ReportModel): string[] {
  const p = model.provenance;
  const text = (value: string) => escapeMarkdownCell(value);
  const facts = [
    text(`${p.tool ?? "lvmlab"}${p.version ? ` ${p.version}` : ""}`),
    p.commits.length > 0 ? `commit ${p.commits.map((c) => markdownCode(c)).join(", ")}` : undefined,
    p.schema !== undefined ? `records v${p.schema}` : undefined,
    p.node ? text(`node ${p.node}`) : undefined,
    p.cpu ? text(`${p.cpu}${p.cores !== undefined ? ` (${p.cores} cores)` : ""}`) : undefined,
    p.shards.length > 0 ? text(`shards ${p.shards.join(", ")}`) : undefined,
  ].filter((f): f is string => f !== undefined);
  const lines = [`> **Provenance:** ${facts.join(" · ")}`];
  for (const command of p.commands) lines.push(`> Reproduce: ${markdownCode(command)}`);
  // Two trailing spaces are a Markdown line break inside the quote block.
  return lines.map((line, i) => (i < lines.length - 1 ? `${line}  ` : line));
}

function caseSection(model: ReportModel, maxRows: number): string[] {
  const { total, passed, failed, scenarios } = model.cases;
  if (total === 0) return [];
  const out = ["## Cases", "", `**${passed} passed, ${failed} failed** of ${total} cases.`, ""];
  out.push(
    ...gfmTable(
      ["Scenario", "Cases", "Passed", "Failed"],
      ["l", "r", "r", "r"],
      scenarios.map((s) => [cell(s.scenario), String(s.cases.length), String(s.passed), String(s.failed)]),
    ),
  );
  const failures = scenarios.flatMap((s) => s.cases.filter((c) => c.status === "fail"));
  if (failures.length > 0) {
    out.push("", "### Failures", "");
    out.push(
      ...gfmTable(
        ["Scenario", "Case", "Faults", "Damage", "Verdict", "Replay"],
        ["l", "l", "l", "l", "l", "l"],
        failures
          .slice(0, maxRows)
          .map((c) => [
            cell(c.scenario),
            cell(caseLabel(c)),
            cell(faultSummary(c)),
            cell(damageSummary(c.verify)),
            cell(caseVerdict(c)),
            markdownCode(c.replay, { inTable: true }),
          ]),
      ),
    );
    if (failures.length > maxRows)
      out.push("", `_${failures.length - maxRows} more failing cases not listed._`);
  }
  return out;
}

function uniqueSorted(values: readonly string[], compare = compareText): string[] {
  return [...new Set(values)].sort(compare);
}

/**
 * One overhead table per profile: rows = config, columns = workload, cells = `value (x% of linear)`.
 * `ratioOf` gives the cell's ratio to linear, or null when there is no baseline.
 */
function overheadTable(
  cells: readonly BenchCell[],
  formatValue: (cell: BenchCell) => string | undefined,
  ratioOf: (cell: BenchCell) => number | null,
): string[] {
  const workloads = uniqueSorted(cells.map((c) => c.workload));
  const configs = uniqueSorted(
    cells.map((c) => c.config),
    compareConfig,
  );
  const rows = configs.map((config) => [
    cell(config),
    ...workloads.map((workload) => {
      const found = cells.find((c) => c.config === config && c.workload === workload);
      const value = found === undefined ? undefined : formatValue(found);
      if (found === undefined || value === undefined) return "–";
      const ratio = ratioOf(found);
      return ratio === null ? value : `${value} (${formatPercentOf(ratio)})`;
    }),
  ]);
  return gfmTable(["Config", ...workloads], ["l", ...workloads.map(() => "r" as const)], rows);
}

/** Numbered caveats of one profile's cells: the text → its footnote number. */
function caveatNumbers(cells: readonly BenchCell[]): Map<string, number> {
  const numbers = new Map<string, number>();
  for (const c of cells)
    if (c.caveat !== undefined && !numbers.has(c.caveat)) numbers.set(c.caveat, numbers.size + 1);
  return numbers;
}

/** `[n]` after a cell the model cannot fully predict. */
function caveatMark(c: BenchCell, numbers: ReadonlyMap<string, number>): string {
  return c.caveat === undefined ? "" : ` [${numbers.get(c.caveat)}]`;
}

/** The interval of a cell's % of linear, or why there is none. */
function relativeCiText(c: BenchCell): string {
  if (!ciSupported(c.samples)) return `– (n < ${MIN_SAMPLES_FOR_CI})`;
  if (c.relativeCi === undefined) return "–";
  return `${formatPercentOf(c.relativeCi.low)} – ${formatPercentOf(c.relativeCi.high)}`;
}

/**
 * The table a writer pastes: one per profile and workload, configs as rows, each with its absolute
 * MB/s, % of linear, the 95% interval of that percentage and n; the profile's definition under it.
 */
function writerTable(
  cells: readonly BenchCell[],
  options: { profileLine?: string; caveats: ReadonlyMap<string, number> },
): string[] {
  const ordered = [...cells].sort((a, b) => compareConfig(a.config, b.config));
  const rows = ordered.map((c) => [
    `${cell(c.config)}${caveatMark(c, options.caveats)}`,
    c.metrics.mbps ? formatCount(c.metrics.mbps.mean) : "–",
    c.relativeToLinear === null ? "–" : formatPercentOf(c.relativeToLinear),
    relativeCiText(c),
    String(c.samples),
  ]);
  const out = gfmTable(
    ["Config", "MB/s", "% of linear", "95% CI of %", "n"],
    ["l", "r", "r", "r", "r"],
    rows,
  );
  if (options.profileLine !== undefined) out.push("", `Profile: ${cell(options.profileLine)}`);
  return out;
}

function overheadSection(model: ReportModel): string[] {
  if (model.bench.length === 0) return [];
  const out = [
    "## Overhead vs linear (modeled)",
    "",
    "Mean over seeds and repetitions; % of linear is each sample's MB/s over linear's on the same workload, profile and seed. " +
      `n counts independent samples; a 95% interval needs n ≥ ${MIN_SAMPLES_FOR_CI}.`,
  ];
  const profiles = uniqueSorted(model.bench.map((c) => c.profile));
  for (const profile of profiles) {
    const cells = model.bench.filter((c) => c.profile === profile);
    const caveats = caveatNumbers(cells);
    const profileLine = model.provenance.profiles[profile];
    for (const workload of uniqueSorted(cells.map((c) => c.workload))) {
      out.push("", `### ${cell(workload)} on ${cell(profile)}`, "");
      out.push(
        ...writerTable(
          cells.filter((c) => c.workload === workload),
          { ...(profileLine === undefined ? {} : { profileLine }), caveats },
        ),
      );
    }
    const configs = uniqueSorted(
      cells.map((c) => c.config),
      compareConfig,
    );
    const meanings = configs.filter((c) => model.provenance.configs[c] !== undefined);
    if (meanings.length > 0) {
      out.push(
        "",
        "Configs:",
        "",
        ...meanings.map((c) => `- ${markdownCode(c)}: ${cell(model.provenance.configs[c]!)}`),
      );
    }
    if (caveats.size > 0) {
      out.push("", "Caveats (cells the model cannot fully predict):", "");
      for (const [text, n] of caveats) out.push(`${n}. ${cell(text)}`);
    }
    out.push("", `### Throughput on ${cell(profile)} (MB/s, % of linear)`, "");
    out.push(
      ...overheadTable(
        cells,
        (c) => (c.metrics.mbps ? `${formatCount(c.metrics.mbps.mean)}${caveatMark(c, caveats)}` : undefined),
        (c) => c.relativeToLinear,
      ),
    );
    out.push("", `### p99 latency on ${cell(profile)} (% of linear)`, "");
    out.push(
      ...overheadTable(
        cells,
        (c) =>
          c.metrics["latNs.p99"] && metricSupported("latNs.p99", c.iosPerSample)
            ? formatNs(c.metrics["latNs.p99"].mean)
            : undefined,
        (c) => {
          const linear = cells.find((l) => l.config === BASELINE_CONFIG && l.workload === c.workload);
          const base = linear?.metrics["latNs.p99"]?.mean;
          const own = c.metrics["latNs.p99"]?.mean;
          return base === undefined || own === undefined || base === 0 ? null : own / base;
        },
      ),
    );
    out.push("", `_p99 needs ${iosNeededFor(0.99)} I/Os per sample; "–" marks cells with fewer._`);
  }
  return out;
}

function benchDetailSection(model: ReportModel): string[] {
  if (model.bench.length === 0) return [];
  const withCpu = model.bench.some((c) => c.metrics.cpuNsPerOp !== undefined);
  const header = [
    "Profile",
    "Workload",
    "Config",
    "n",
    "I/Os per sample",
    "IOPS",
    "95% CI",
    "MB/s",
    "p50",
    "p99",
    "p99.9",
    "Write amp",
  ];
  if (withCpu) header.push("CPU/op (measured)");
  const rows = model.bench.map((c) => {
    const iops = c.metrics.iops;
    const value = (id: string, unit: string) => {
      const m = c.metrics[id];
      if (m === undefined) return "–";
      if (PERCENTILE_OF[id] !== undefined && !metricSupported(id, c.iosPerSample)) return "– (too few I/Os)";
      return formatMetric(m.mean, unit);
    };
    const cells = [
      cell(c.profile),
      cell(c.workload),
      cell(c.config),
      String(c.samples),
      c.iosPerSample === undefined ? "–" : String(c.iosPerSample),
      iops ? formatCount(iops.mean) : "–",
      !iops
        ? "–"
        : ciSupported(c.samples)
          ? `${formatCount(iops.ciLow)} – ${formatCount(iops.ciHigh)}`
          : `– (n < ${MIN_SAMPLES_FOR_CI})`,
      value("mbps", "count"),
      value("latNs.p50", "ns"),
      value("latNs.p99", "ns"),
      value("latNs.p999", "ns"),
      value("writeAmplification", "×"),
    ];
    if (withCpu) cells.push(value("cpuNsPerOp", "ns/op"));
    return cells;
  });
  return [
    "",
    "### All cells",
    "",
    ...gfmTable(
      header,
      header.map((_, i) => (i < 3 ? "l" : "r")),
      rows,
    ),
  ];
}

function microbenchSection(model: ReportModel): string[] {
  if (model.microbench.length === 0) return [];
  return [
    "",
    "## Micro-benchmarks (measured on this machine)",
    "",
    ...gfmTable(
      ["Suite", "Group", "Case", "n", "time/op", "95% CI", "vs baseline"],
      ["l", "l", "l", "r", "r", "r", "r"],
      model.microbench.map((c) => [
        cell(c.suite),
        cell(c.group),
        cell(c.name),
        String(c.nsPerOp.n),
        formatNs(c.nsPerOp.mean),
        `${formatNs(c.nsPerOp.ciLow)} – ${formatNs(c.nsPerOp.ciHigh)}`,
        c.ratioToBaseline === undefined
          ? c.baseline === undefined
            ? "baseline"
            : "–"
          : `${formatRatio(c.ratioToBaseline)} ${cell(c.baseline ?? "baseline")}`,
      ]),
    ),
  ];
}

function mutantSection(model: ReportModel): string[] {
  const { total, caught, list } = model.mutants;
  if (total === 0) return [];
  return [
    "",
    "## Mutants",
    "",
    `**${caught} of ${total}** deliberately injected bugs caught.`,
    "",
    ...gfmTable(
      ["Mutant", "Caught", "Caught by"],
      ["l", "l", "l"],
      list.map((m) => [
        cell(m.name),
        m.caught ? "yes" : "**no**",
        m.caughtBy.length > 0 ? cell(m.caughtBy.join(", ")) : "–",
      ]),
    ),
  ];
}

function coverageSection(model: ReportModel): string[] {
  if (model.coverage.length === 0) return [];
  return [
    "",
    "## Exploration coverage",
    "",
    ...gfmTable(
      ["Scenario", "Seed", "Crash points", "Explored", "Per policy", "Cases", "Recorded", "Sampled"],
      ["l", "r", "r", "r", "l", "r", "r", "l"],
      model.coverage.map((c) => [
        cell(c.scenario),
        String(c.seed),
        String(c.points),
        String(c.exploredPoints),
        cell(c.policies.map((p) => `${p.policy} ${p.exploredPoints}`).join(", ")),
        String(c.cases),
        c.casesRecorded < c.cases ? `**${c.casesRecorded}**` : String(c.casesRecorded),
        c.sampled ? "yes (seeded)" : "no",
      ]),
    ),
  ];
}

/** Renders the Markdown report; deterministic for the same model. Ends with a newline. */
export function renderMarkdown(model: ReportModel, options: MarkdownOptions = {}): string {
  const out = [
    `# ${escapeMarkdownCell(options.title ?? "lvmlab report")}`,
    "",
    ...renderProvenanceMarkdown(model),
  ];
  const sections = [
    caseSection(model, options.maxCaseRows ?? DEFAULT_MAX_CASE_ROWS),
    [...overheadSection(model), ...benchDetailSection(model)],
    microbenchSection(model),
    mutantSection(model),
    coverageSection(model),
  ];
  for (const section of sections) {
    if (section.length === 0) continue;
    if (section[0] !== "") out.push("");
    out.push(...section);
  }
  if (model.warnings.length > 0) {
    out.push("", "## Warnings", "", ...model.warnings.map((w) => `- ${escapeMarkdownCell(w)}`));
  }
  return `${out.join("\n")}\n`;
}
