/**
 * The rehearsal: a clean run of the plan (durations, throughput, the crash windows of each step),
 * then, for every step and every crash window in it (a seeded sample when there are more than
 * `maxPoints`), every recovery path that applies, each from the same crash state, with every disk
 * present and with one disk late (missing at boot, back after the recovery). Each cell is judged by
 * {@link classifyCell} from the states it observed.
 */

import { isSimulationHalt } from "../../engine/sim/halt.js";
import type { Mutations } from "../../engine/sim/mutations.js";
import { Rng } from "../../engine/sim/rng.js";
import { sampleDistinct } from "../../faults/mod.js";
import type { CrashPolicySpec } from "../../faults/schema.js";
import { parseFaultSpec } from "../../faults/schema.js";
import { jobsFromFioFile } from "../../workloads/fio-ini.js";
import type { RunResult } from "../../workloads/runner.js";
import { emptyVerifyCounts, type VerifyCounts } from "../records.js";
import { type CellVerdict, classifyCell, OUTCOMES, type Outcome } from "./classify.js";
import type { PlanStep } from "./plan.js";
import {
  BOOT_KINDS,
  type BootKind,
  RECOVERY_PATHS,
  type RecoveryContext,
  type RecoveryPath,
} from "./recovery-paths.js";
import { type VgState, vgState } from "./vg-state.js";
import {
  badBlocks,
  PREFILL_JOB_TEXT,
  type RehearsalInput,
  RehearsalWorld,
  type StepTiming,
} from "./world.js";

/**
 * A crash window: a power cut at the Nth occurrence of a trace event, or at the Nth block write to
 * the PVs, both counted from the start of the plan.
 */
export type CrashWindow =
  | {
      readonly kind: "event";
      readonly step: number;
      readonly event: string;
      readonly occurrence: number;
      /** `event#occurrence`. */
      readonly label: string;
    }
  | {
      readonly kind: "write";
      readonly step: number;
      readonly write: number;
      /** `write#N`. */
      readonly label: string;
    };

/** How a rehearsal runs. */
export interface RehearseOptions {
  /** Most crash windows tried per step; beyond it a sample drawn with the seed. */
  readonly maxPoints: number;
  /** The disk that comes back late; undefined: no late-PV cases. */
  readonly latePv: string | undefined;
  readonly policy: CrashPolicySpec;
  /** The command that reproduces this rehearsal; a cell's replay command appends `--cell KEY`. */
  readonly replayBase: string;
  /** Run only this cell (its key), for replay. */
  readonly only?: string;
  readonly mutations?: Mutations;
}

/** Per step: what the clean run measured and which windows were tried. */
export interface StepResult {
  readonly step: PlanStep;
  readonly timing: StepTiming;
  /** Crash windows the clean run found in the step. */
  readonly windowsFound: number;
  /** Every window found (a `--cell` replay may name any of them). */
  readonly found: readonly CrashWindow[];
  /** The ones tried (all, or a sample). */
  readonly windows: readonly CrashWindow[];
}

/** One cell of the matrix. */
export interface CellResult {
  readonly key: string;
  readonly window: CrashWindow;
  readonly boot: BootKind;
  readonly path: string;
  readonly title: string;
  readonly commands: readonly string[];
  readonly exitCodes: readonly number[];
  readonly verdict: CellVerdict;
  readonly verify: VerifyCounts;
  readonly replay: string;
  readonly durationNs: number;
  /** The cell's command transcript. */
  readonly log: readonly string[];
}

/** The recommended recovery of one window and boot. */
export interface Recommendation {
  readonly window: CrashWindow;
  readonly boot: BootKind;
  /** Id of the recommended path, undefined when no path applied. */
  readonly path: string | undefined;
  readonly outcome: Outcome | undefined;
}

/** Throughput of the workload on one LV at one moment. */
export interface ThroughputRow {
  readonly lv: string;
  /** "before", "during step N" or "after". */
  readonly when: string;
  readonly iops: number;
  readonly mbps: number;
  /** Completion latency percentiles of the busier direction (reads or writes), virtual ns. */
  readonly latNs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly p999: number;
    readonly max: number;
  };
  readonly ios: number;
  /** Bytes written to the PVs ÷ bytes the workload wrote (a pvmove mirror doubles it). */
  readonly writeAmplification: number;
}

/** Everything a rehearsal found. */
export interface RehearsalResult {
  readonly steps: readonly StepResult[];
  readonly cells: readonly CellResult[];
  readonly recommendations: readonly Recommendation[];
  readonly throughput: readonly ThroughputRow[];
  /** Lines saying what was sampled, e.g. "step 2: tried 12 of 87 crash windows (sampled with seed 1)". */
  readonly coverage: readonly string[];
}

/** Trace events that mark a place in a plan step; the workload's own block and region events do not. */
function isWindowEvent(name: string): boolean {
  return (
    name.startsWith("metadata.") ||
    name.startsWith("pvmove.") ||
    name === "mirror.resync.step" ||
    name.startsWith("mirror.log.") ||
    name.startsWith("raid.superblock") ||
    name.startsWith("raid.resync")
  );
}

/** Most crash windows one step may have (a copy of many GiB has one per region); beyond, refused. */
const WINDOWS_PER_STEP_MAX = 200_000;

/** The default prefill job (every LV gets verified data before the plan). */
const PREFILL_JOBS = jobsFromFioFile(PREFILL_JOB_TEXT, { file: "(rehearse prefill)" });

/** What the clean run of the plan measured. */
export interface CleanRun {
  readonly timings: StepTiming[];
  readonly windows: Map<number, CrashWindow[]>;
  readonly intendedVg: VgState;
  readonly throughput: ThroughputRow[];
}

function row(lv: string, when: string, result: RunResult): ThroughputRow {
  let ios = 0;
  let bytes = 0;
  let runtimeNs = 0;
  let busiest: RunResult["jobs"][number]["read"] | undefined;
  for (const job of result.jobs) {
    for (const dir of [job.read, job.write, job.trim]) {
      ios += dir.ios;
      bytes += dir.bytes;
      if (busiest === undefined || dir.ios > busiest.ios) busiest = dir;
    }
    runtimeNs = Math.max(runtimeNs, job.runtimeNs);
  }
  const latency = busiest?.latency;
  const wallNs = Math.max(runtimeNs, result.endNs - result.startNs);
  const seconds = wallNs / 1e9;
  return {
    lv,
    when,
    ios,
    iops: seconds > 0 ? ios / seconds : 0,
    mbps: seconds > 0 ? bytes / 1e6 / seconds : 0,
    latNs: {
      p50: latency?.p50Ns ?? 0,
      p90: latency?.p90Ns ?? 0,
      p99: latency?.p99Ns ?? 0,
      p999: latency?.p99_9Ns ?? 0,
      max: latency?.maxNs ?? 0,
    },
    writeAmplification: result.writeAmplification ?? 0,
  };
}

/** Runs the plan without a crash: durations, throughput, the windows of each step, the end state. */
function cleanRun(input: RehearsalInput, options: RehearseOptions): CleanRun {
  const world = new RehearsalWorld(
    input,
    options.mutations === undefined ? {} : { mutations: options.mutations },
  );
  const before = world.setUp(PREFILL_JOBS);
  const throughput: ThroughputRow[] = [];
  for (const [lv, result] of before) throughput.push(row(lv, "before", result));
  world.machine.injector.arm();
  const windows = new Map<number, CrashWindow[]>();
  const occurrences = new Map<string, number>();
  const injector = world.machine.injector;
  const writesAtArming = injector.vgWriteCount;
  let current = 0;
  let copyEndNs: number | undefined;
  world.machine.trace.subscribe((event) => {
    const occurrence = (occurrences.get(event.name) ?? 0) + 1;
    occurrences.set(event.name, occurrence);
    if (current === 0 || !isWindowEvent(event.name)) return;
    if (event.name === "mirror.resync.step" || event.name === "pvmove.segment.synced")
      copyEndNs = world.machine.scheduler.nowNs;
    const found = windows.get(current)!;
    if (found.length >= WINDOWS_PER_STEP_MAX) {
      throw new RangeError(
        `Step ${current} has more than ${WINDOWS_PER_STEP_MAX} crash windows; rehearse on a smaller copy of the layout`,
      );
    }
    found.push({
      kind: "event",
      step: current,
      event: event.name,
      occurrence,
      label: `${event.name}#${occurrence}`,
    });
  });
  const timings: StepTiming[] = [];
  for (const step of input.steps) {
    current = step.index;
    windows.set(step.index, []);
    const firstWrite = injector.vgWriteCount - writesAtArming + 1;
    copyEndNs = undefined;
    const ran = world.runStep(step, { workload: true });
    const timing = copyEndNs === undefined ? ran : { ...ran, copyEndNs };
    timings.push(timing);
    for (const [lv, result] of timing.during) throughput.push(row(lv, `during step ${step.index}`, result));
    // A step with no structural event (pvremove wipes a label) is cut at each of its block writes.
    if (windows.get(step.index)!.length === 0) {
      const lastWrite = injector.vgWriteCount - writesAtArming;
      for (
        let write = firstWrite;
        write <= Math.min(lastWrite, firstWrite + WINDOWS_PER_STEP_MAX - 1);
        write++
      )
        windows.get(step.index)!.push({ kind: "write", step: step.index, write, label: `write#${write}` });
    }
  }
  current = 0;
  const handle = world.vg();
  if (handle === undefined)
    throw new Error(`The plan leaves VG ${input.backup.vgName} unreadable even without a crash`);
  const intendedVg = vgState(handle.vg);
  for (const lv of input.backup.lvs) {
    if (intendedVg.lvs.has(lv.name))
      throughput.push(row(lv.name, "after", world.workload(lv.name, input.jobs)));
  }
  return { timings, windows, intendedVg, throughput };
}

/** A world taken through the plan until the power cut at `window`, then rebooted. */
function crashedWorld(input: RehearsalInput, window: CrashWindow, options: RehearseOptions): RehearsalWorld {
  const cut = parseFaultSpec({
    kind: "power-cut",
    id: "rehearse",
    at:
      window.kind === "event"
        ? { event: window.event, occurrence: window.occurrence }
        : { write: window.write },
    policy: options.policy,
  });
  const world = new RehearsalWorld(input, {
    faults: [cut],
    ...(options.mutations === undefined ? {} : { mutations: options.mutations }),
  });
  world.setUp(PREFILL_JOBS);
  world.machine.injector.arm();
  try {
    for (const step of input.steps) world.runStep(step, { workload: true });
  } catch (error) {
    if (!isSimulationHalt(error)) throw error;
    world.rebootAfterCut();
    return world;
  }
  throw new Error(
    `The rehearsal's crash point ${window.label} in step ${window.step} was never reached; the runs are not deterministic`,
  );
}

/** The newest archive of the VG on the machine's root file system. */
function newestArchive(world: RehearsalWorld): string | undefined {
  const prefix = `/etc/lvm/archive/${world.vgName}_`;
  const names = [...world.machine.files.keys()].filter((p) => p.startsWith(prefix));
  const index = (p: string) => Number(/_(\d{5})-/.exec(p)?.[1] ?? -1);
  return names.sort((a, b) => index(a) - index(b)).at(-1);
}

interface CrashBaseline {
  /** The VG model at the crash, which recovery paths look at to decide whether they apply. */
  readonly crashModel: RecoveryContext["crashVg"];
  readonly crashVg: VgState | undefined;
  readonly crashBad: Map<string, number>;
  readonly newestArchive: string | undefined;
}

/** The crash state itself: the VG and each LV's data right after the reboot, nothing run. */
function crashBaseline(input: RehearsalInput, window: CrashWindow, options: RehearseOptions): CrashBaseline {
  const world = crashedWorld(input, window, options);
  const handle = world.vg();
  const crashBad = new Map<string, number>();
  for (const [lv, counts] of world.verify("crash")) crashBad.set(lv, badBlocks(counts));
  return {
    crashModel: handle?.vg,
    crashVg: handle === undefined ? undefined : vgState(handle.vg),
    crashBad,
    newestArchive: newestArchive(world),
  };
}

function stateText(state: VgState | undefined): string {
  return state === undefined ? "unreadable" : JSON.stringify({ ...state, lvs: [...state.lvs] });
}

function cellKey(window: CrashWindow, boot: BootKind, path: string): string {
  return `${window.step}/${window.label}/${boot}/${path}`;
}

/** Runs one recovery path from the crash state of `window`. */
function runCell(
  input: RehearsalInput,
  cell: { readonly window: CrashWindow; readonly boot: BootKind; readonly path: RecoveryPath },
  context: {
    readonly baseline: CrashBaseline;
    readonly intendedVg: VgState;
    readonly options: RehearseOptions;
  },
): CellResult {
  const { window, boot, path } = cell;
  const { options } = context;
  const world = crashedWorld(input, window, options);
  const step = input.steps[window.step - 1]!;
  const crashHandle = world.vg();
  // Every path must start from the crash state the baseline judged; a different one is a bug.
  const crashState = crashHandle === undefined ? undefined : vgState(crashHandle.vg);
  if (stateText(crashState) !== stateText(context.baseline.crashVg)) {
    throw new Error(
      `The crash state at ${window.label} differs between runs of the same seed (seqno ${crashState?.seqno} vs ${context.baseline.crashVg?.seqno}); the rehearsal is not deterministic`,
    );
  }
  const recovery: RecoveryContext = {
    vgName: world.vgName,
    step,
    boot,
    crashVg: crashHandle?.vg,
    newestArchive: context.baseline.newestArchive,
  };
  const commands = path.commands(recovery);
  const reappear = boot === "late" && options.latePv !== undefined ? world.hide(options.latePv) : undefined;
  const exitCodes = commands.map((line) => world.lvm(line).exitCode);
  world.machine.scheduler.run();
  reappear?.();
  const recoveredHandle = world.vg();
  const recoveredVerify = world.verify("crash");
  world.log.push("# the plan continues from the interrupted step");
  for (const next of input.steps.slice(window.step - 1)) world.runStep(next, { workload: false });
  const finalHandle = world.vg();
  const vgck = world.lvm(`vgck ${world.vgName}`);
  const finalVerify = world.verify("crash");
  const verdict = classifyCell({
    crashVg: context.baseline.crashVg,
    crashBad: context.baseline.crashBad,
    recoveredVg: recoveredHandle === undefined ? undefined : vgState(recoveredHandle.vg),
    recoveredVerify,
    finalVg: finalHandle === undefined ? undefined : vgState(finalHandle.vg),
    finalVerify,
    finalVgckExit: vgck.exitCode,
    finalInconsistent: vgck.stderr.includes("Inconsistent metadata"),
    intendedVg: context.intendedVg,
  });
  const verify = emptyVerifyCounts();
  for (const counts of finalVerify.values())
    for (const k of Object.keys(verify) as (keyof VerifyCounts)[]) verify[k] += counts[k];
  const key = cellKey(window, boot, path.id);
  return {
    key,
    window,
    boot,
    path: path.id,
    title: path.title,
    commands,
    exitCodes,
    verdict,
    verify,
    replay: `${options.replayBase} --cell '${key}'`,
    durationNs: world.machine.scheduler.nowNs,
    log: [...world.log],
  };
}

/** Draws at most `max` windows of a step with the seed, keeping their order. */
function sampleWindows(windows: readonly CrashWindow[], max: number, rng: Rng): CrashWindow[] {
  if (windows.length <= max) return [...windows];
  return sampleDistinct(rng, max, windows.length).map((i) => windows[i]!);
}

/** The clean run and the windows each step will be cut at. */
export interface RehearsalPlan {
  readonly steps: readonly StepResult[];
  readonly coverage: readonly string[];
  readonly clean: CleanRun;
}

/** Runs the plan once without a crash and picks the crash windows of each step (sampled beyond maxPoints). */
export function planRehearsal(input: RehearsalInput, options: RehearseOptions): RehearsalPlan {
  if (!Number.isSafeInteger(options.maxPoints) || options.maxPoints < 1)
    throw new RangeError(`--max-points must be a positive integer (got ${options.maxPoints})`);
  const clean = cleanRun(input, options);
  const rng = Rng.fromSeed(input.seed).fork("rehearse-sample");
  const steps: StepResult[] = [];
  const coverage: string[] = [];
  for (const step of input.steps) {
    const found = clean.windows.get(step.index) ?? [];
    const windows = sampleWindows(found, options.maxPoints, rng.fork(`step${step.index}`));
    steps.push({ step, timing: clean.timings[step.index - 1]!, windowsFound: found.length, found, windows });
    coverage.push(
      windows.length < found.length
        ? `step ${step.index} (${step.text}): tried ${windows.length} of ${found.length} crash windows (sampled with seed ${input.seed}; raise --max-points for more)`
        : `step ${step.index} (${step.text}): tried all ${found.length} crash window${found.length === 1 ? "" : "s"}`,
    );
  }
  return { steps, coverage, clean };
}

/** Runs the rehearsal (from `plan` when the caller already made it). */
export function rehearse(
  input: RehearsalInput,
  options: RehearseOptions,
  plan: RehearsalPlan = planRehearsal(input, options),
): RehearsalResult {
  const { steps, coverage, clean } = plan;
  const cells: CellResult[] = [];
  const recommendations: Recommendation[] = [];
  for (const stepResult of steps) {
    for (const window of options.only === undefined ? stepResult.windows : stepResult.found) {
      const wanted = (boot: BootKind, path: string) =>
        options.only === undefined || options.only === cellKey(window, boot, path);
      if (options.only !== undefined && !options.only.startsWith(`${window.step}/${window.label}/`)) continue;
      const baseline = crashBaseline(input, window, options);
      for (const boot of BOOT_KINDS) {
        if (boot === "late" && !isLateApplicable(baseline.crashVg, options.latePv)) continue;
        const context: RecoveryContext = {
          vgName: input.backup.vgName,
          step: stepResult.step,
          boot,
          crashVg: baseline.crashModel,
          newestArchive: baseline.newestArchive,
        };
        const row: CellResult[] = [];
        for (const path of RECOVERY_PATHS) {
          if (!path.applies(context)) continue;
          if (!wanted(boot, path.id)) continue;
          row.push(
            runCell(input, { window, boot, path }, { baseline, intendedVg: clean.intendedVg, options }),
          );
        }
        cells.push(...row);
        if (row.length > 0) recommendations.push(recommend(window, boot, row));
      }
    }
  }
  if (options.only !== undefined && cells.length === 0) {
    throw new RangeError(
      `No cell ${options.only} in this rehearsal; cells are STEP/EVENT#N/present|late/PATH as the matrix's replay commands name them`,
    );
  }
  return { steps, cells, recommendations, throughput: clean.throughput, coverage };
}

function isLateApplicable(crashVg: VgState | undefined, latePv: string | undefined): boolean {
  return latePv !== undefined && (crashVg?.pvs.includes(latePv) ?? false);
}

/** The first safe path in preference order; else the least harmful one. */
function recommend(window: CrashWindow, boot: BootKind, row: readonly CellResult[]): Recommendation {
  let best: CellResult | undefined;
  for (const cell of row) {
    if (best === undefined || OUTCOMES.indexOf(cell.verdict.outcome) < OUTCOMES.indexOf(best.verdict.outcome))
      best = cell;
  }
  return { window, boot, path: best?.path, outcome: best?.verdict.outcome };
}
