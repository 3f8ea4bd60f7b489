import { Rng } from "../engine/sim/rng.js";
import type { ExploreMode } from "./branch-explore.js";
import { type CaseSpec, type CrashPoint, caseKey } from "./case.js";
import { notJudgedAtExploredPoint } from "./expectation-scope.js";
import type { LoadedScenario } from "./load.js";
import type { NdjsonSink } from "./ndjson-sink.js";
import { type Progress, SILENT_PROGRESS } from "./progress.js";
import type { CaseRecord, CaseResult, CoverageRecord, SummaryRecord } from "./records.js";
import { exploreJudgesNothing, type Scenario } from "./schema.js";
import { parseSeeds } from "./seeds.js";
import { inShard, type Shard } from "./shard.js";

/** Runs cases; the engine-backed implementation is in `executor.ts`, tests may pass a fake. */
export interface CaseRunner {
  /** Runs one case to its record and timeline. */
  run(spec: CaseSpec): Promise<CaseResult>;
  /** Every crash point `--explore` should try for this scenario and seed (a dry run counts them). */
  crashPoints(scenario: Scenario, seed: number): Promise<readonly CrashPoint[]>;
  /**
   * Runs explored cases of one (scenario, seed) together, branched from one run of the case
   * (`branch-explore.ts`); results in the order given, each as {@link run} would give it.
   */
  explore?(cases: readonly CaseSpec[]): Promise<CaseResult[]>;
  /** Releases workers. */
  close?(): Promise<void>;
}

/** What a sweep runs and where its records go. */
export interface SweepOptions {
  readonly scenarios: readonly LoadedScenario[];
  /** Seeds for every scenario; default: each scenario's own `seeds`, else seed 1. */
  readonly seeds?: readonly number[];
  readonly shard?: Shard;
  /** Enumerate crash points for each scenario and seed. */
  readonly explore?: boolean;
  /**
   * How explored cases run (`--explore-mode`): "branch" (default) runs each (scenario, seed) once
   * per worker and branches its points when the runner can; "reexec" re-executes every case.
   */
  readonly exploreMode?: ExploreMode;
  /** Crash policies to sweep at every explored point (`--policies`); default: the scenario's own. */
  readonly policies?: readonly string[];
  /** Most explored cases per (scenario, seed); beyond it points × policies are sampled with the seed. */
  readonly maxExploreCases?: number;
  /** Case keys already recorded (a resumed sweep skips them). */
  readonly skipKeys?: ReadonlySet<string>;
  readonly runner: CaseRunner;
  readonly sink?: NdjsonSink;
  readonly progress?: Progress;
  /** How many cases run at once (workers). */
  readonly concurrency?: number;
  /** Stops scheduling new cases; the records written so far stay valid. */
  readonly signal?: AbortSignal;
  /** Most cases one sweep may run. */
  readonly maxCases?: number;
  /** Case records an earlier run of this sweep wrote (`--resume`); the summary counts them too. */
  readonly priorRecords?: readonly CaseRecord[];
}

/** What an exploration of one (scenario, seed) covered. */
export interface ExploreCoverage {
  readonly scenario: string;
  readonly seed: number;
  /** Crash points the run has between the explore bounds. */
  readonly points: number;
  /** Distinct points among the cases listed. */
  readonly coveredPoints: number;
  readonly policies: number;
  /** Cases listed (points × policies, or the sample of them). */
  readonly cases: number;
  /** True when points × policies exceeded the bound and the cases are a seeded sample. */
  readonly sampled: boolean;
  /** Points explored with each policy, in `--policies` order (`scenario`: the scenario's own). */
  readonly perPolicy: readonly { readonly policy: string; readonly exploredPoints: number }[];
  /** Expectations no explored case judges (own-cut only, or damageSeen); absent when none. */
  readonly notJudged?: readonly string[];
}

/** The NDJSON record of one exploration's coverage (see reports/RECORDS.md, `coverage`). */
export function coverageRecord(c: ExploreCoverage): CoverageRecord {
  return {
    type: "coverage",
    scenario: c.scenario,
    seed: c.seed,
    points: c.points,
    exploredPoints: c.coveredPoints,
    cases: c.cases,
    sampled: c.sampled,
    policies: c.perPolicy,
    ...(c.notJudged === undefined ? {} : { notJudged: c.notJudged }),
  };
}

/** A finished sweep. */
export interface SweepResult {
  readonly records: readonly CaseRecord[];
  readonly summary: SummaryRecord;
  /** One entry per explored (scenario, seed); empty without `explore`. */
  readonly coverage: readonly ExploreCoverage[];
}

/** Default bound on cases per sweep, so an exploration cannot grow without limit. */
export const DEFAULT_MAX_CASES = 1_000_000;

/** Resolves after the event loop has run once (timers, I/O and signal handlers get their turn). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Default bound on explored cases per (scenario, seed) before sampling. */
export const DEFAULT_MAX_EXPLORE_CASES = 10_000;

/** One line saying what an exploration covered, e.g. `… covered 4012 of 4012 crash points`. */
export function coverageLine(c: ExploreCoverage): string {
  const policies = c.policies > 1 ? ` × ${c.policies} policies` : "";
  const sample = c.sampled
    ? ` (sampled ${c.cases} of ${c.points * c.policies} point×policy cases with seed ${c.seed})`
    : "";
  const unjudged =
    c.notJudged === undefined ? "" : `; own-cut only, not judged at these points: ${c.notJudged.join(", ")}`;
  return `explored ${c.scenario}@${c.seed}: covered ${c.coveredPoints} of ${c.points} crash points${policies}${sample}${unjudged}`;
}

/** Picks `count` of `total` indices, uniformly with the seed (partial Fisher–Yates), in ascending order. */
function sampleIndices(total: number, count: number, rng: Rng): number[] {
  const picked = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(total - i);
    out.push(picked.get(j) ?? j);
    picked.set(j, picked.get(i) ?? i);
  }
  return out.sort((a, b) => a - b);
}

/**
 * The explored cases of one (scenario, seed): every crash point × every policy, or a sample of them
 * drawn with the seed when there are more than the bound. An exploration with no point, or of a
 * scenario whose every expectation is own-cut only, is an error: it would pass having tested nothing.
 */
async function exploreCases(
  { scenario, file }: LoadedScenario,
  seed: number,
  options: SweepOptions,
): Promise<{ cases: CaseSpec[]; coverage: ExploreCoverage }> {
  const nothing = exploreJudgesNothing(scenario);
  if (nothing !== undefined) throw new RangeError(`${file}: cannot explore ${scenario.name}: ${nothing}`);
  const points = await options.runner.crashPoints(scenario, seed);
  if (points.length === 0) {
    const bounds = `explore.from ${JSON.stringify(scenario.explore?.from ?? "(arming)")} and explore.to ${JSON.stringify(scenario.explore?.to ?? "(end of the phases)")}`;
    throw new RangeError(
      `${scenario.name} seed ${seed}: exploration found no crash points between ${bounds}; it would test nothing`,
    );
  }
  const policies: readonly (string | undefined)[] = options.policies ?? [undefined];
  const total = points.length * policies.length;
  const max = options.maxExploreCases ?? DEFAULT_MAX_EXPLORE_CASES;
  const indices =
    total <= max
      ? Array.from({ length: total }, (_, i) => i)
      : sampleIndices(
          total,
          max,
          Rng.fromSeed(seed).fork(scenario.name.replaceAll("/", "_")).fork("explore-sample"),
        );
  const cases = indices.map((i): CaseSpec => {
    const crashPoint: CrashPoint = points[Math.floor(i / policies.length)]!;
    const policy = policies[i % policies.length];
    return { scenario: scenario.name, seed, crashPoint, ...(policy === undefined ? {} : { policy }) };
  });
  const coveredPoints = new Set(indices.map((i) => Math.floor(i / policies.length))).size;
  const perPolicy = policies.map((policy, p) => ({
    policy: policy ?? "scenario",
    exploredPoints: indices.filter((i) => i % policies.length === p).length,
  }));
  const notJudged = [...new Set(notJudgedAtExploredPoint(scenario).map((n) => n.expectation))];
  return {
    cases,
    coverage: {
      scenario: scenario.name,
      seed,
      points: points.length,
      coveredPoints,
      policies: policies.length,
      cases: cases.length,
      sampled: total > max,
      perPolicy,
      ...(notJudged.length === 0 ? {} : { notJudged }),
    },
  };
}

/**
 * Lists the sweep's cases in a stable order: scenario order, then seed, then crash point, then
 * policy. Explorations append what they covered to `coverage`.
 */
export async function listCases(
  options: SweepOptions,
  coverage: ExploreCoverage[] = [],
): Promise<CaseSpec[]> {
  const max = options.maxCases ?? DEFAULT_MAX_CASES;
  const cases: CaseSpec[] = [];
  for (const loaded of options.scenarios) {
    const { scenario } = loaded;
    const seeds = options.seeds ?? (scenario.seeds === undefined ? [1] : parseSeeds(scenario.seeds));
    for (const seed of seeds) {
      if (options.explore) {
        const explored = await exploreCases(loaded, seed, options);
        coverage.push(explored.coverage);
        cases.push(...explored.cases);
      } else {
        cases.push({ scenario: scenario.name, seed });
      }
      if (cases.length > max) throw new RangeError(`The sweep has more than ${max} cases; narrow it`);
    }
  }
  return cases.filter((spec) => {
    const key = caseKey(spec);
    return (options.shard === undefined || inShard(key, options.shard)) && !options.skipKeys?.has(key);
  });
}

/** Fewest explored cases worth a run of their own; smaller groups are not split across workers. */
const MIN_BRANCH_CASES_PER_JOB = 8;
/**
 * Most explored cases per branching job, so progress shows, an interrupt stops within a job's time
 * and workers stay evenly loaded; each job costs one run of the case up to its last point.
 */
const MAX_BRANCH_CASES_PER_JOB = 64;

/**
 * Splits the case list into jobs: one case each, except that explored cases of one (scenario,
 * seed) — consecutive in the list — form branching jobs when the runner can branch: at least one
 * per worker and at most {@link MAX_BRANCH_CASES_PER_JOB} cases each, dealt round-robin so that
 * each job's points spread over the whole run (early points, whose recovery redoes the most work,
 * are not all in one job). Each job runs the case once, up to its last point.
 */
function sweepJobs(cases: readonly CaseSpec[], options: SweepOptions, concurrency: number): number[][] {
  const branching =
    options.explore === true && options.exploreMode !== "reexec" && options.runner.explore !== undefined;
  if (!branching) return cases.map((_, i) => [i]);
  const jobs: number[][] = [];
  let start = 0;
  while (start < cases.length) {
    const first = cases[start]!;
    let end = start + 1;
    while (
      end < cases.length &&
      cases[end]!.scenario === first.scenario &&
      cases[end]!.seed === first.seed &&
      cases[end]!.crashPoint !== undefined
    ) {
      end += 1;
    }
    if (first.crashPoint === undefined) {
      jobs.push([start]);
      start += 1;
      continue;
    }
    const count = end - start;
    const parts = Math.max(
      1,
      Math.min(
        Math.max(concurrency, Math.ceil(count / MAX_BRANCH_CASES_PER_JOB)),
        Math.floor(count / MIN_BRANCH_CASES_PER_JOB),
      ),
    );
    for (let part = 0; part < parts; part++) {
      const job: number[] = [];
      for (let i = start + part; i < end; i += parts) job.push(i);
      // A job of one case just runs it: branching would cost the same run.
      jobs.push(job);
    }
    start = end;
  }
  return jobs;
}

/**
 * Runs a sweep. Cases may finish out of order on workers, but records are written in case order,
 * so the same sweep writes the same bytes whatever the worker count.
 */
export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  const coverage: ExploreCoverage[] = [];
  const cases = await listCases(options, coverage);
  // What each exploration covers, once per file: a resumed run's file has it already.
  if ((options.priorRecords?.length ?? 0) === 0) {
    for (const c of coverage) options.sink?.write(coverageRecord(c));
  }
  const progress = options.progress ?? SILENT_PROGRESS;
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 1, 64));
  progress.start(cases.length);
  const results: (CaseResult | undefined)[] = new Array(cases.length);
  const records: CaseRecord[] = [];
  let nextToWrite = 0;
  let nextToStart = 0;
  let interrupted = false;
  const flushInOrder = (): void => {
    while (nextToWrite < cases.length && results[nextToWrite] !== undefined) {
      const { record, timeline } = results[nextToWrite]!;
      for (const line of timeline) options.sink?.write(line);
      options.sink?.write(record);
      records.push(record);
      nextToWrite += 1;
    }
  };
  const jobs = sweepJobs(cases, options, concurrency);
  const worker = async (): Promise<void> => {
    for (;;) {
      if (options.signal?.aborted) {
        interrupted = true;
        return;
      }
      const job = jobs[nextToStart];
      if (job === undefined) return;
      nextToStart += 1;
      const done =
        job.length === 1
          ? [await options.runner.run(cases[job[0]!]!)]
          : await options.runner.explore!(job.map((i) => cases[i]!));
      if (done.length !== job.length) {
        throw new Error(`The runner returned ${done.length} results for ${job.length} explored cases`);
      }
      for (const [k, index] of job.entries()) {
        const result = done[k]!;
        results[index] = result;
        progress.caseDone(result.record.key, result.record.status, result.record.verdict);
      }
      flushInOrder();
      // A case in this thread runs synchronously and awaiting its promise yields only to
      // microtasks; a turn of the event loop lets a SIGINT/SIGTERM handler run between cases.
      await yieldToEventLoop();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(cases.length, 1)) }, worker));
  progress.finish();
  const counted = [...(options.priorRecords ?? []), ...records];
  const passed = counted.filter((r) => r.status === "pass").length;
  const summary: SummaryRecord = {
    type: "summary",
    cases: counted.length,
    passed,
    failed: counted.length - passed,
    interrupted: interrupted || records.length < cases.length,
    shard: options.shard === undefined ? null : `${options.shard.index}/${options.shard.count}`,
  };
  options.sink?.write(summary);
  return { records, summary, coverage };
}
