/**
 * The shared body of `lvmlab run` and `lvmlab nightly`: check everything the command was given
 * (arguments, scenario files, their fio jobs and LVM2 command lines) before any output is opened,
 * build the runner (in this thread or on workers), run the sweep with progress on stderr and
 * records to NDJSON, stop at a case boundary on SIGINT or SIGTERM, and say how to resume.
 */
import type { ExploreMode } from "./branch-explore.js";
import { determinismCheckingRunner } from "./determinism-check.js";
import { type LoadedScenario, loadLibrary } from "./load.js";
import { localRunner } from "./local-runner.js";
import { NdjsonSink } from "./ndjson-sink.js";
import { parsePolicyList } from "./policy-text.js";
import { poolRunner } from "./pool-runner.js";
import { preflightScenarios } from "./preflight.js";
import { SILENT_PROGRESS, streamProgress } from "./progress.js";
import { sweepCommandLine, withFileReplay } from "./provenance.js";
import { readResumeState } from "./resume.js";
import { parseSeeds } from "./seeds.js";
import { selectScenarios } from "./select.js";
import type { Shard } from "./shard.js";
import { resolveShard } from "./shard-env.js";
import { type CaseRunner, runSweep, type SweepResult } from "./sweep.js";
import { lvmlabVersion } from "./version.js";

/** Options of a sweep as the CLI collects them. */
export interface SweepCliOptions {
  readonly selectors: readonly string[];
  readonly files?: readonly string[];
  readonly seeds?: string;
  readonly explore?: boolean;
  /** `--policies drop-all,subset,torn`: crash policies swept at every explored point. */
  readonly policies?: string;
  /** `--max-points N`: most explored cases per (scenario, seed) before sampling. */
  readonly maxPoints?: number;
  /** `--explore-mode branch|reexec`: branch points from one run (default) or re-execute each. */
  readonly exploreMode?: ExploreMode;
  readonly workers?: number;
  /** `k/n`, `auto` or `auto/n` (see `shard-env.ts`). */
  readonly shard?: string;
  readonly ndjson?: string;
  readonly resume?: string;
  readonly devices?: "memory" | "file";
  readonly workDir?: string;
  readonly mutations?: readonly string[];
  readonly quiet?: boolean;
  /** A progress line for every case, not only the failing ones (without a TTY). */
  readonly verbose?: boolean;
  /** Leave each case's PV images (at the crash, after recovery) under this directory. */
  readonly keep?: string;
  /** Run every case twice in different worker layouts and fail on any byte of difference. */
  readonly checkDeterminism?: boolean;
  /** Environment for `--shard auto` (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A finished (or interrupted) sweep as the CLI reports it. */
export interface SweepCliResult extends SweepResult {
  /** The signal that stopped the sweep early, if one did. */
  readonly signal?: "SIGINT" | "SIGTERM";
  /** Lines `--resume` dropped from the earlier file (a torn line, the old summary, …). */
  readonly droppedLines: number;
}

/** Everything a sweep needs, checked; nothing has been written yet. */
interface SweepPlan {
  readonly scenarios: readonly LoadedScenario[];
  readonly seeds?: number[];
  readonly shard?: Shard;
  readonly command: string;
  readonly fileOf: ReadonlyMap<string, string>;
}

/**
 * Checks every argument and every selected scenario, so that a mistake is refused with exit 2
 * before an output file is touched. Throws RangeError or ScenarioError.
 */
async function planSweep(options: SweepCliOptions): Promise<SweepPlan> {
  const seeds = options.seeds === undefined ? undefined : parseSeeds(options.seeds);
  const shard =
    options.shard === undefined ? undefined : resolveShard(options.shard, options.env ?? process.env).shard;
  const files = options.files ?? [];
  const all = await loadLibrary(files);
  const scenarios = selectScenarios(all, options.selectors);
  preflightScenarios([...scenarios, ...all.filter((s) => files.includes(s.file) && !scenarios.includes(s))]);
  const fileOf = new Map(all.filter((s) => files.includes(s.file)).map((s) => [s.scenario.name, s.file]));
  const command = sweepCommandLine({
    selectors: options.selectors,
    ...(options.seeds === undefined ? {} : { seeds: options.seeds }),
    explore: options.explore ?? false,
    ...(shard === undefined ? {} : { shard }),
    files,
  });
  return {
    scenarios,
    ...(seeds === undefined ? {} : { seeds }),
    ...(shard === undefined ? {} : { shard }),
    command,
    fileOf,
  };
}

function buildRunner(plan: SweepPlan, options: SweepCliOptions): CaseRunner {
  const storage = {
    kind: options.devices ?? "memory",
    ...(options.workDir === undefined ? {} : { workDir: options.workDir }),
  } as const;
  const mutations = options.mutations ?? [];
  const workers = options.workers ?? 1;
  const keep = options.keep === undefined ? {} : { keepRoot: options.keep };
  const files = options.files ?? [];
  const local = () => localRunner(plan.scenarios, { storage, mutations: new Set(mutations), ...keep });
  const pool = (threads: number) => poolRunner({ workers: threads, files, mutations, storage, ...keep });
  const primary = workers > 1 ? pool(workers) : local();
  // The second run of each case takes the other layout: a worker thread when the first ran here.
  const runner = options.checkDeterminism
    ? determinismCheckingRunner(primary, workers > 1 ? local() : pool(1))
    : primary;
  return withFileReplay(runner, plan.fileOf);
}

/** Runs a sweep for the CLI; the caller maps the summary (and any signal) to an exit code. */
export async function runSweepFromCli(options: SweepCliOptions): Promise<SweepCliResult> {
  const plan = await planSweep(options);
  const resume = options.resume === undefined ? undefined : readResumeState(options.resume);
  const runner = buildRunner(plan, options);
  const output = options.resume ?? options.ndjson;
  const sink =
    output === undefined
      ? undefined
      : NdjsonSink.open(output, resume === undefined ? {} : { initialText: resume.keptText });
  if (sink !== undefined && (resume === undefined || resume.keptText === "")) {
    sink.write(metaRecord(plan));
  }
  const controller = new AbortController();
  let stoppedBy: "SIGINT" | "SIGTERM" | undefined;
  const onSignal = (signal: "SIGINT" | "SIGTERM") => {
    if (stoppedBy !== undefined) {
      // Second signal: stop now. Every line written so far is whole (one writeSync per line), so
      // the partial file is put in place for --resume.
      process.stderr.write(`\nlvmlab: stopped by a second ${signal}; rerun with --resume to finish\n`);
      sink?.close();
      process.exit(signal === "SIGINT" ? 130 : 143);
    }
    stoppedBy = signal;
    process.stderr.write(
      `\nlvmlab: ${signal === "SIGINT" ? "interrupted" : "terminated"}; finishing the running cases (${signal === "SIGINT" ? "Ctrl-C" : "SIGTERM"} again to stop now)\n`,
    );
    controller.abort();
  };
  const onSigint = () => onSignal("SIGINT");
  const onSigterm = () => onSignal("SIGTERM");
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  let result: SweepResult;
  try {
    result = await runSweep({
      scenarios: plan.scenarios,
      ...(plan.seeds === undefined ? {} : { seeds: plan.seeds }),
      ...(plan.shard === undefined ? {} : { shard: plan.shard }),
      explore: options.explore ?? false,
      ...(options.policies === undefined ? {} : { policies: parsePolicyList(options.policies) }),
      ...(options.maxPoints === undefined ? {} : { maxExploreCases: options.maxPoints }),
      ...(options.exploreMode === undefined ? {} : { exploreMode: options.exploreMode }),
      ...(resume === undefined
        ? {}
        : { skipKeys: new Set(resume.records.map((r) => r.key)), priorRecords: resume.records }),
      runner,
      ...(sink === undefined ? {} : { sink }),
      progress: options.quiet
        ? SILENT_PROGRESS
        : streamProgress(process.stderr, { verbose: options.verbose ?? false }),
      concurrency: options.workers ?? 1,
      signal: controller.signal,
    });
  } catch (error) {
    sink?.discard();
    throw error;
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigterm);
    await runner.close?.();
  }
  sink?.close();
  return {
    ...result,
    ...(stoppedBy === undefined ? {} : { signal: stoppedBy }),
    droppedLines: resume?.droppedLines ?? 0,
  };
}

/** Provenance for reports: what wrote the file and how (no timestamps, so reruns stay identical). */
function metaRecord(plan: SweepPlan): object {
  return {
    type: "meta",
    schema: 1,
    tool: "lvmlab",
    version: lvmlabVersion(),
    command: plan.command,
    node: process.version,
    ...(plan.shard === undefined ? {} : { shard: plan.shard }),
  };
}

/** A one-line summary like Deno's test runner prints. */
export function summaryLine(result: SweepResult): string {
  const { summary } = result;
  return `${summary.failed === 0 ? "ok" : "FAILED"} | ${summary.passed} passed | ${summary.failed} failed${summary.interrupted ? " | interrupted (rerun with --resume to finish)" : ""}`;
}
