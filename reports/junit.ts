/**
 * JUnit XML for CI: one testsuite per scenario with one testcase per case record (classname =
 * scenario, name = "seed N[ crashPoint]"), plus a suite for mutants. `time` is the measured wall
 * time when the writer recorded one (`wallMs`), else the virtual time the case covered; both come
 * from the records, so the same records give the same bytes. The `timestamp` of the run is
 * wall-clock and therefore an option of the renderer, never part of the NDJSON.
 */
import { caseLabel, caseVerdict, damageSummary, faultSummary } from "./case-text.js";
import { escapeXml } from "./escape.js";
import type { CaseRecord, MutantRecord } from "./records.js";
import type { ReportModel } from "./summarize.js";

/** Options for the JUnit report. */
export interface JunitOptions {
  /** Name of the outer <testsuites>. */
  readonly name?: string;
  /** When the report was made, ISO 8601 without a zone (JUnit's form); see {@link reportTimestamp}. */
  readonly timestamp?: string;
}

/**
 * The report's timestamp: `SOURCE_DATE_EPOCH` (seconds, the reproducible-builds convention) when
 * set, else the given clock reading, in UTC as JUnit's `yyyy-mm-ddThh:mm:ss`.
 */
export function reportTimestamp(env: Readonly<Record<string, string | undefined>>, nowMs: number): string {
  const epoch = env.SOURCE_DATE_EPOCH;
  const ms = epoch !== undefined && /^\d+$/.test(epoch) ? Number(epoch) * 1000 : nowMs;
  return new Date(ms).toISOString().slice(0, 19);
}

/** Seconds JUnit shows for a case: measured wall time if recorded, else the virtual time it covered. */
function caseSeconds(record: CaseRecord): number | undefined {
  if (record.wallMs !== undefined) return record.wallMs / 1000;
  if (record.durationNs !== undefined) return record.durationNs / 1e9;
  return undefined;
}

function sumSeconds(records: readonly CaseRecord[]): number {
  return records.reduce((total, r) => total + (caseSeconds(r) ?? 0), 0);
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
  const seconds = caseSeconds(record);
  if (seconds !== undefined) testcase.time = seconds.toFixed(3);
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
function suite(
  head: { name: string; tests: number; failures: number; seconds: number; timestamp?: string },
  body: readonly string[],
): string {
  const { name, tests, failures, seconds, timestamp } = head;
  const when: Record<string, string> = timestamp === undefined ? {} : { timestamp };
  return [
    `  <testsuite${attrs({ name, tests, failures, errors: 0, skipped: 0, time: seconds.toFixed(3), ...when })}>`,
    ...body,
    "  </testsuite>",
  ].join("\n");
}

/** Renders JUnit XML for the model's cases and mutants. Ends with a newline. */
export function renderJunit(model: ReportModel, options: JunitOptions = {}): string {
  const suites: string[] = [];
  const when: { timestamp?: string } =
    options.timestamp === undefined ? {} : { timestamp: options.timestamp };
  let seconds = 0;
  for (const scenario of model.cases.scenarios) {
    const head = {
      name: scenario.scenario,
      tests: scenario.cases.length,
      failures: scenario.failed,
      seconds: sumSeconds(scenario.cases),
      ...when,
    };
    seconds += head.seconds;
    suites.push(suite(head, scenario.cases.flatMap(caseXml)));
  }
  const { total, caught, list } = model.mutants;
  if (total > 0) {
    const head = { name: "mutants", tests: total, failures: total - caught, seconds: 0, ...when };
    suites.push(suite(head, list.flatMap(mutantXml)));
  }
  const tests = model.cases.total + total;
  const failures = model.cases.failed + (total - caught);
  const top = {
    name: options.name ?? "lvmlab",
    tests,
    failures,
    errors: 0,
    skipped: 0,
    time: seconds.toFixed(3),
  };
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs(when.timestamp === undefined ? top : { ...top, timestamp: when.timestamp })}>`,
    ...suites,
    "</testsuites>",
    "",
  ].join("\n");
}
