/**
 * JUnit XML for CI: one testsuite per scenario with one testcase per case record (classname =
 * scenario, name = "seed N[ crashPoint]"), plus a suite for mutants. No timestamps, so the same
 * records give the same bytes.
 */
import { caseLabel, caseVerdict, damageSummary, faultSummary } from "./case-text.js";
import { escapeXml } from "./escape.js";
import type { CaseRecord, MutantRecord } from "./records.js";
import type { ReportModel } from "./summarize.js";

/** Options for the JUnit report. */
export interface JunitOptions {
  /** Name of the outer <testsuites>. */
  readonly name?: string;
}

function attrs(values: Readonly<Record<string, string | number>>): string {
  return Object.entries(values)
    .map(([key, value]) => ` ${key}="${escapeXml(String(value))}"`)
    .join("");
}

/** The failure message: verdict, classification counts and the replay command, on one line. */
export function failureMessage(record: CaseRecord): string {
  return `${caseVerdict(record)} (${damageSummary(record.verify)}); replay: ${record.replay}`;
}

function caseXml(record: CaseRecord): string[] {
  const testcase: Record<string, string | number> = { classname: record.scenario, name: caseLabel(record) };
  // Wall time is the only non-deterministic field; it appears only when the writer recorded it.
  if (record.wallMs !== undefined) testcase.time = (record.wallMs / 1000).toFixed(3);
  const open = `    <testcase${attrs(testcase)}`;
  const properties = [
    `        <property${attrs({ name: "seed", value: record.seed })}/>`,
    `        <property${attrs({ name: "faults", value: faultSummary(record) })}/>`,
    `        <property${attrs({ name: "verify.ok", value: record.verify.ok })}/>`,
    `        <property${attrs({ name: "replay", value: record.replay })}/>`,
  ];
  const out = [`${open}>`, "      <properties>", ...properties, "      </properties>"];
  if (record.status === "fail") {
    const body = [
      `verdict: ${caseVerdict(record)}`,
      `crash point: ${record.crashPoint ?? "none"}`,
      `faults: ${faultSummary(record)}`,
      `verify: ok ${record.verify.ok}, ${damageSummary(record.verify)}`,
      `replay: ${record.replay}`,
    ].join("\n");
    out.push(
      `      <failure${attrs({ message: failureMessage(record), type: "verify" })}>${escapeXml(body)}</failure>`,
    );
  }
  out.push("    </testcase>");
  return out;
}

function mutantXml(mutant: MutantRecord): string[] {
  const open = `    <testcase${attrs({ classname: "mutants", name: mutant.name })}`;
  if (mutant.caught) return [`${open}/>`];
  const message = `Mutant ${mutant.name} survived: no scenario caught this deliberately injected bug`;
  return [`${open}>`, `      <failure${attrs({ message, type: "mutant" })}/>`, "    </testcase>"];
}

/** One <testsuite> as a single string; built in an array literal, never push(...), for 100k-case suites. */
function suite(name: string, tests: number, failures: number, body: readonly string[]): string {
  return [
    `  <testsuite${attrs({ name, tests, failures, errors: 0, skipped: 0 })}>`,
    ...body,
    "  </testsuite>",
  ].join("\n");
}

/** Renders JUnit XML for the model's cases and mutants. Ends with a newline. */
export function renderJunit(model: ReportModel, options: JunitOptions = {}): string {
  const suites: string[] = [];
  for (const scenario of model.cases.scenarios) {
    suites.push(
      suite(scenario.scenario, scenario.cases.length, scenario.failed, scenario.cases.flatMap(caseXml)),
    );
  }
  const { total, caught, list } = model.mutants;
  if (total > 0) suites.push(suite("mutants", total, total - caught, list.flatMap(mutantXml)));
  const tests = model.cases.total + total;
  const failures = model.cases.failed + (total - caught);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: options.name ?? "lvmlab", tests, failures, errors: 0, skipped: 0 })}>`,
    ...suites,
    "</testsuites>",
    "",
  ].join("\n");
}
