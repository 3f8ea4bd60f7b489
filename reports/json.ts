/** A normalised JSON summary of the records, for people who replot or post-process results. */
import type { ReportModel } from "./summarize.js";

/** Version of the JSON summary layout; bump on incompatible changes. */
export const JSON_REPORT_VERSION = 1;

/** Renders the report model as pretty-printed JSON with a fixed key order. Ends with a newline. */
export function renderJson(model: ReportModel): string {
  const document = {
    report: "lvmlab",
    version: JSON_REPORT_VERSION,
    provenance: model.provenance,
    cases: {
      total: model.cases.total,
      passed: model.cases.passed,
      failed: model.cases.failed,
      scenarios: model.cases.scenarios.map((s) => ({
        scenario: s.scenario,
        cases: s.cases.length,
        passed: s.passed,
        failed: s.failed,
        failures: s.cases
          .filter((c) => c.status === "fail")
          .map((c) => ({
            seed: c.seed,
            crashPoint: c.crashPoint ?? null,
            verdict: c.verdict ?? null,
            faults: c.faults.map((f) => f.kind),
            verify: c.verify,
            replay: c.replay,
          })),
      })),
    },
    bench: model.bench,
    microbench: model.microbench,
    mutants: model.mutants,
    ...(model.coverage.length > 0 ? { coverage: model.coverage } : {}),
    timelines: model.timelines.map((t) => ({
      scenario: t.scenario,
      seed: t.seed,
      series: t.series.map((s) => ({ kind: s.kind, lv: s.lv ?? null, points: s.points.length })),
      faults: t.faults.map((f) => ({ kind: f.kind, tNs: f.tNs, target: f.target ?? null })),
    })),
    warnings: model.warnings,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
