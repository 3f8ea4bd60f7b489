import type { SwarmDraw } from "./swarm.js";

/**
 * The records the runner writes (the stable NDJSON interface; `reports/records.ts` is the reader's
 * schema for the same names). A case record carries everything needed to replay and judge it.
 */

/** Oracle classification counts. */
export interface VerifyCounts {
  ok: number;
  lost: number;
  stale: number;
  torn: number;
  misdirected: number;
  corrupt: number;
  unreadable: number;
}

/** A fault that fired during a case, as recorded by the fault injector. */
export interface CaseFault {
  readonly kind: string;
  readonly [key: string]: unknown;
}

/**
 * What an exploration of one (scenario, seed) planned to cover: written once per explored
 * (scenario, seed) before its cases, so a report can tell "covered 589 of 589" from a sample.
 */
export interface CoverageRecord {
  readonly type: "coverage";
  readonly scenario: string;
  readonly seed: number;
  /** Crash points discovered between the explore bounds. */
  readonly points: number;
  /** Distinct crash points among the explored cases. */
  readonly exploredPoints: number;
  /** Explored cases (points × policies, or the sample of them). */
  readonly cases: number;
  /** True when points × policies exceeded `--max-points` and the cases are a seeded sample. */
  readonly sampled: boolean;
  /** Per crash policy (`--policies` item, or `scenario` for the scenario's own): points explored with it. */
  readonly policies: readonly { readonly policy: string; readonly exploredPoints: number }[];
  /** Expectations no explored case judges (the scenario's own-cut ones, damageSeen); absent when none. */
  readonly notJudged?: readonly string[];
}

/** An expectation a case did not judge, and why (the case record's `notJudged`). */
export interface NotJudged {
  /** The `expect` field, e.g. "messages". */
  readonly expectation: string;
  readonly reason: string;
}

/** One case's result. */
export interface CaseRecord {
  readonly type: "case";
  readonly scenario: string;
  readonly seed: number;
  readonly status: "pass" | "fail";
  readonly crashPoint: string | null;
  /** What the seed drew from the scenario's swarm; null when the scenario declares none. */
  readonly draw: SwarmDraw | null;
  readonly faults: readonly CaseFault[];
  readonly verify: VerifyCounts;
  readonly replay: string;
  /** One line: why it failed, or what passed. */
  readonly verdict: string;
  /** Every expectation that failed, one line each. */
  readonly failures: readonly string[];
  /**
   * Expectations the scenario declares that this case did not judge, and why (own-cut only at an
   * explored point, no block for the oracle); absent when every one was judged.
   */
  readonly notJudged?: readonly NotJudged[];
  /** Virtual time the case covered. */
  readonly durationNs: number;
  readonly tags: readonly string[];
  /** Stable case key (scenario@seed[/event:N]). */
  readonly key: string;
}

/** The runner's totals. */
export interface SummaryRecord {
  readonly type: "summary";
  readonly cases: number;
  readonly passed: number;
  readonly failed: number;
  readonly interrupted: boolean;
  readonly shard: string | null;
}

/** Zero counts. */
export function emptyVerifyCounts(): VerifyCounts {
  return { ok: 0, lost: 0, stale: 0, torn: 0, misdirected: 0, corrupt: 0, unreadable: 0 };
}

/** A background-work progress sample, for the report's progress-over-time charts. */
export interface ProgressRecord {
  readonly type: "progress";
  readonly scenario: string;
  readonly seed: number;
  readonly kind: "pvmove" | "resync" | "merge";
  readonly tNs: number;
  readonly percent: number;
  readonly lv?: string;
}

/** A fault firing as a marker on the same charts. */
export interface FaultMarkerRecord {
  readonly type: "fault";
  readonly scenario: string;
  readonly seed: number;
  readonly kind: string;
  readonly tNs: number;
  readonly target?: string;
  readonly detail?: string;
}

/** Records a case writes before its case record (progress samples and fault markers). */
export type TimelineRecord = ProgressRecord | FaultMarkerRecord;

/** A case's record plus its timeline. */
export interface CaseResult {
  readonly record: CaseRecord;
  readonly timeline: readonly TimelineRecord[];
}
