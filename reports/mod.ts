/** Public API of reports/: read NDJSON records, summarise them, render every format, compare runs. */
export { temporaryPathFor, writeFileAtomic } from "./atomic-file.js";
export { caseLabel, caseVerdict, DAMAGE_CLASSES, damageSummary, faultSummary } from "./case-text.js";
export {
  type GithubBenchmarkEntry,
  githubBenchmarkEntries,
  renderBencher,
  renderGithubBenchmark,
  renderHyperfineMarkdown,
} from "./ci-formats.js";
export { createPainter, type Painter, type Style, shouldUseColor } from "./color.js";
export {
  COMPARE_MUTATIONS,
  type CompareOptions,
  type CompareResult,
  compareRecordSets,
  DEFAULT_THRESHOLD_PERCENT,
  type MetricComparison,
  MUTATION_COMPARE_IGNORES_DIRECTION,
  MUTATION_COMPARE_POINT_ESTIMATE,
  type Verdict,
  verdictOf,
} from "./compare.js";
export {
  type CompareRenderOptions,
  renderCompareJson,
  renderCompareMarkdown,
  renderCompareTerminal,
} from "./compare-render.js";
export { escapeHtml, escapeMarkdownCell, escapeXml, markdownCode } from "./escape.js";
export { type HtmlOptions, renderHtml } from "./html.js";
export { JSON_REPORT_VERSION, renderJson } from "./json.js";
export { failureMessage, type JunitOptions, renderJunit, reportTimestamp } from "./junit.js";
export { type MarkdownOptions, renderMarkdown } from "./markdown.js";
export { BENCH_METRICS, type Better, LATENCY_POINTS, type MetricDef, MICROBENCH_METRIC } from "./metrics.js";
export {
  isRecordInputError,
  MAX_LINE_CHARS,
  MAX_RECORDS_PER_FILE,
  parseRecordLine,
  parseRecords,
  RecordInputError,
  readRecordFiles,
  readRecords,
} from "./read-records.js";
export { emptyRecordSet, mergeRecordSets, type RecordSet, type UnknownRecord } from "./record-set.js";
export * from "./records.js";
export {
  outcomeLabel,
  REHEARSAL_RECORD_TYPES,
  type RehearsalView,
  rehearsalFromRecords,
  renderRehearsalHtml,
  renderRehearsalMarkdown,
  renderRehearsalTerminal,
} from "./rehearse.js";
export {
  bootstrapMeanCi,
  bootstrapRatioCi,
  type Interval,
  mad,
  mean,
  median,
  percentile,
} from "./stats.js";
export {
  BASELINE_CONFIG,
  type BenchCell,
  type MetricSummary,
  type MicrobenchCell,
  type Provenance,
  type ReportModel,
  type ScenarioSummary,
  summarizeRecords,
  type Timeline,
} from "./summarize.js";
export { renderTerminal, type TerminalOptions } from "./terminal.js";
export { type WrittenReports, writeAllReports } from "./write-all.js";
