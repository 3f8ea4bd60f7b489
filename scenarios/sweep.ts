import { type CaseSpec, type CrashPoint, caseKey } from "./case.js";
import type { LoadedScenario } from "./load.js";
import type { NdjsonSink } from "./ndjson-sink.js";
import { type Progress, SILENT_PROGRESS } from "./progress.js";
import type { CaseRecord, CaseResult, SummaryRecord } from "./records.js";
import type { Scenario } from "./schema.js";
import { parseSeeds } from "./seeds.js";
import { inShard, type Shard } from "./shard.js";

/** Runs cases; the engine-backed implementation is in `executor.ts`, tests may pass a fake. */
export interface CaseRunner {
  /** Runs one case to its record and timeline. */
  run(spec: CaseSpec): Promise<CaseResult>;
  /** Every crash point `--explore` should try for this scenario and seed (a dry run counts them). */
  crashPoints(scenario: Scenario, seed: number): Promise<readonly CrashPoint[]>;
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

/** A finished sweep. */
export interface SweepResult {
  readonly records: readonly CaseRecord[];
  readonly summary: SummaryRecord;
}

/** Default bound on cases per sweep, so an exploration cannot grow without limit. */
export const DEFAULT_MAX_CASES = 1_000_000;

/** Resolves after the event loop has run once (timers, I/O and signal handlers get their turn). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Lists the sweep's cases in a stable order: scenario order, then seed, then crash point. */
export async function listCases(options: SweepOptions): Promise<CaseSpec[]> {
  const max = options.maxCases ?? DEFAULT_MAX_CASES;
  const cases: CaseSpec[] = [];
  for (const { scenario } of options.scenarios) {
    const seeds = options.seeds ?? (scenario.seeds === undefined ? [1] : parseSeeds(scenario.seeds));
    for (const seed of seeds) {
      if (options.explore) {
        for (const crashPoint of await options.runner.crashPoints(scenario, seed)) {
          cases.push({ scenario: scenario.name, seed, crashPoint });
          if (cases.length > max) throw new RangeError(`The sweep has more than ${max} cases; narrow it`);
        }
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

/**
 * Runs a sweep. Cases may finish out of order on workers, but records are written in case order,
 * so the same sweep writes the same bytes whatever the worker count.
 */
export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  const cases = await listCases(options);
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
  const worker = async (): Promise<void> => {
    for (;;) {
      if (options.signal?.aborted) {
        interrupted = true;
        return;
      }
      const index = nextToStart;
      if (index >= cases.length) return;
      nextToStart += 1;
      const result = await options.runner.run(cases[index]!);
      results[index] = result;
      progress.caseDone(result.record.key, result.record.status, result.record.verdict);
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
  return { records, summary };
}
