/**
 * Runs one case on the engine: build the machine, run the setup, arm the faults, run the phases,
 * and if the machine halted (a power cut) resolve every disk's volatile cache, reboot, and run the
 * operator's recovery. Then read every written block back through the oracle and check the
 * scenario's expectations. Everything is a function of (scenario, seed, crash point, mutations).
 */
import { join } from "node:path";
import { isBlockDeviceError } from "../engine/block/errors.js";
import { SnapshotMergeTarget } from "../engine/dm/snapshot/merge.js";
import { SNAPSHOT_INVALIDATE_EVENT, SnapshotTarget } from "../engine/dm/snapshot/snapshot.js";
import { ThinPoolTarget } from "../engine/dm/thin/mod.js";
import { METADATA_EVENTS } from "../engine/format/commit.js";
import { activateLv, deviceMapperOf } from "../engine/lvm/activation/activate.js";
import { DmDevice } from "../engine/lvm/activation/dm-device.js";
import { pathOfDmName } from "../engine/lvm/activation/dm-name.js";
import { discardUnmapUnitBytes, hostRuntime } from "../engine/lvm/mod.js";
import { runLvm } from "../engine/lvm/run.js";
import { thinMetadataOnDisk } from "../engine/lvm/thin/mod.js";
import { findVg, scanHost } from "../engine/lvm/vg-read.js";
import { isSimulationHalt, SimulationHalt } from "../engine/sim/halt.js";
import { type Mutations, NO_MUTATIONS } from "../engine/sim/mutations.js";
import { Rng } from "../engine/sim/rng.js";
import type { FiredAt, PowerCutOutcome } from "../faults/mod.js";
import { type CrashPolicySpec, type FaultSpec, parseFaultSpec } from "../faults/schema.js";
import { ShadowOracle } from "../workloads/oracle.js";
import { type JobResult, runJobs } from "../workloads/runner.js";
import { type CaseSpec, type CrashPoint, caseKey, replayCommand } from "./case.js";
import { splitCommandLine } from "./command-line.js";
import { isKnownTraceEvent } from "./event-catalogue.js";
import {
  judgedExpectations,
  nothingJudgedFailure,
  notJudgedAtExploredPoint,
  scenarioAtCut,
} from "./expectation-scope.js";
import { checkExpectations } from "./expectations.js";
import { jobsFromOptions } from "./jobs.js";
import { keepImages } from "./keep.js";
import { Machine, type MachineStorage } from "./machine.js";
import { MetadataCommitWatch } from "./metadata-old-or-new.js";
import { type ArmedOperatorActions, armOperatorActions } from "./operator-actions.js";
import { parsePolicyText } from "./policy-text.js";
import { ReadMemo } from "./read-memo.js";
import { type CaseRecord, emptyVerifyCounts, type TimelineRecord, type VerifyCounts } from "./records.js";
import type { Phase, Scenario } from "./schema.js";
import {
  type CapturedRecovery,
  type RecoveryEvent,
  type RecoveryKey,
  recoveryKey,
  type SharedRecoveries,
  type SharedRecovery,
} from "./shared-recoveries.js";
import { parseSizeText } from "./size-text.js";
import { drawCase, SWARM_CUT_ID } from "./swarm.js";
import { Timeline, type TimelineInput } from "./timeline.js";

/** How cases run. */
export interface ExecutorOptions {
  readonly storage?: MachineStorage;
  /** Deliberate engine bugs (mutation testing); none by default. */
  readonly mutations?: Mutations;
  /** Leave PV images here: `crash/` as the power cut left them, `recovered/` after recovery. */
  readonly keepDir?: string;
  /** Crash-point discovery: run without the scenario's own power cuts. */
  readonly exploring?: boolean;
  /**
   * Called once the faults are armed (crash-point discovery subscribes to the trace here;
   * branching exploration also reads the rest of the world at its points).
   */
  readonly onArmed?: (machine: Machine, world: CaseWorld) => void;
  /** Called when the phases are done, before recovery (crash-point discovery stops counting here). */
  readonly onPhasesDone?: (machine: Machine) => void;
  /** Called as each phase starts (`lvmlab real` places faults by the phase the model fired them in). */
  readonly onPhase?: (index: number, machine: Machine) => void;
  /**
   * Called when a workload phase has run, with the errors that stopped its jobs (fio's `err=`, e.g.
   * `EIO`; empty when none did): `lvmlab real` compares them with real fio's.
   */
  readonly onWorkloadDone?: (index: number, errors: readonly string[]) => void;
}

/** What one run of a case observed; the record is built from it. */
export interface CaseRun {
  readonly record: CaseRecord;
  /** Progress samples and fault markers, in virtual-time order. */
  readonly timeline: readonly TimelineRecord[];
  readonly machine: Machine;
  readonly lvmLog: readonly string[];
}

const MAX_RECOVERY_ATTEMPTS = 4;
/**
 * Virtual time a case may take: the nightly's longest case takes about 90 s, so work still pending
 * six hours in is stuck (a pvmove copy that never reports 100 % polls forever), and the case fails
 * saying so instead of spinning through a million polls.
 */
const CASE_VIRTUAL_DEADLINE_NS = 6 * 3600 * 1_000_000_000;

/** The id of an explored power cut: the runner placed it, so faults pending at it are excused and disarmed. */
export const EXPLORE_CUT_ID = "explore";

/** The crash policy at an explored point: the case's swept policy, else the scenario's explore policy. */
function explorePolicy(scenario: Scenario, spec: CaseSpec): CrashPolicySpec {
  if (spec.policy !== undefined) return parsePolicyText(spec.policy);
  return scenario.explore?.policy ?? { kind: "drop-all" };
}

/**
 * Parsed explored cuts by policy and trigger kind (and event name): every point of an exploration
 * parses the same spec but for its index, and a schema parse per point was ~2% of a branched one.
 */
const crashFaultTemplates = new Map<string, FaultSpec>();

/** A power cut exactly at the crash point, in fault-catalogue terms (parsed, so defaults are filled). */
function crashFault(point: CrashPoint, policy: CrashPolicySpec): FaultSpec {
  let at: { write: number } | { event: string; occurrence: number };
  let count: number;
  if (point.kind === "write") {
    at = { write: point.index };
    count = point.index;
  } else {
    const match = /^(.+)#(\d+)$/.exec(point.label);
    if (!match) throw new RangeError(`Crash point ${point.label} does not name an event as name#occurrence`);
    count = Number(match[2]);
    at = { event: match[1]!, occurrence: count };
  }
  const key = `${JSON.stringify(policy)} ${"write" in at ? "write" : `event ${at.event}`}`;
  const template = crashFaultTemplates.get(key);
  // The schema passes a valid trigger through unchanged, so only the count needs checking here;
  // anything else is parsed in full, which also words the error.
  if (template !== undefined && Number.isSafeInteger(count) && count > 0) return { ...template, at };
  // Frozen: the copies share its policy, so nothing may change it in place.
  const parsed = deepFreeze(parseFaultSpec({ kind: "power-cut", id: EXPLORE_CUT_ID, at, policy }));
  crashFaultTemplates.set(key, parsed);
  return parsed;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * The faults of a case. When exploring crash points (or discovering them), the explored power cut
 * replaces the scenario's own power cuts; every other fault stays.
 */
function caseFaults(scenario: Scenario, spec: CaseSpec, exploring: boolean): FaultSpec[] {
  if (!exploring && spec.crashPoint === undefined) return [...scenario.faults];
  const faults: FaultSpec[] = scenario.faults.filter((f) => f.kind !== "power-cut");
  if (spec.crashPoint !== undefined) faults.push(crashFault(spec.crashPoint, explorePolicy(scenario, spec)));
  return faults;
}

/** The state a case carries between phases. */
class CaseState {
  readonly oracle: ShadowOracle;
  readonly lvIds = new Map<string, number>();
  /**
   * Snapshots by path, with the VG seqno their `lvcreate -s` committed: LVM2 never flushes that
   * commit, so a cut may take the VG back to before it, and the snapshot with it.
   */
  readonly snapshotSeqnos = new Map<string, number>();
  /** Judges the metadata a cut left; it knows each VG's seqno after the reboot. */
  metadataWatch: MetadataCommitWatch | undefined;
  /** The seqno each VG's newest metadata commit wrote (`metadata.write`), by VG name. */
  readonly committedSeqnos = new Map<string, number>();
  /** Snapshots the kernel invalidated (COW full, I/O error) in this case, by path. */
  readonly invalidatedSnapshots = new Set<string>();
  readonly lvmLog: string[] = [];
  readonly failures: string[] = [];
  /** The scenario's operator actions, once armed after setup. */
  operator: ArmedOperatorActions | undefined;
  /** Reads remembered between the judges of a shared recovery (see {@link judgedOn}). */
  readMemo: ReadMemo | undefined;

  constructor(
    readonly scenario: Scenario,
    readonly machine: Machine,
    /** The case's stream (the machine forks its own children from the same one). */
    readonly rng: Rng,
    /** Harness mutations reach the oracle too, so the library must catch a lenient oracle. */
    readonly mutations: Mutations,
    oracle: ShadowOracle = new ShadowOracle({ mutations }),
  ) {
    this.oracle = oracle;
    // thin-metadata-corruption finds a pool's _tmeta on whatever host is current (reboots replace it).
    machine.injector.registerThinMetadataLocator((path) => {
      const [vgName, poolName] = path.split("/") as [string, string];
      return thinMetadataOnDisk(machine.host, vgName, poolName);
    });
  }

  /**
   * This case's state (oracle, paths, logs, failures, watch) on another machine, which ran this
   * case's recovery for it: a shared recovery's machine judges each point that shares it.
   */
  judgedOn(machine: Machine, readMemo: ReadMemo): CaseState {
    const state = new CaseState(this.scenario, machine, this.rng, this.mutations, this.oracle);
    state.readMemo = readMemo;
    for (const [path, id] of this.lvIds) state.lvIds.set(path, id);
    for (const [path, seqno] of this.snapshotSeqnos) state.snapshotSeqnos.set(path, seqno);
    for (const [vg, seqno] of this.committedSeqnos) state.committedSeqnos.set(vg, seqno);
    for (const path of this.invalidatedSnapshots) state.invalidatedSnapshots.add(path);
    state.lvmLog.push(...this.lvmLog);
    state.failures.push(...this.failures);
    state.metadataWatch = this.metadataWatch;
    state.operator = this.operator;
    return state;
  }

  lvm(line: string): { exitCode: number; stdout: string; stderr: string } {
    const result = runLvm(this.machine.host, splitCommandLine(line));
    this.registerTargets();
    this.lvmLog.push(
      `$ ${line}`,
      ...result.stdout.split("\n").filter(Boolean),
      ...result.stderr.split("\n").filter(Boolean),
    );
    return result;
  }

  /**
   * Makes the live snapshots of the machine known to the fault injector by `vg/lv`, so a
   * cow-exhaustion fault can name them (they exist only once a command has activated them).
   */
  registerTargets(): void {
    const dm = deviceMapperOf(this.machine.host);
    for (const name of dm.names()) {
      const device = dm.device(name);
      const table = device instanceof DmDevice ? device.live : device;
      if (table instanceof ThinPoolTarget) {
        const pool = pathOfDmName(name.replace(/-tpool$/, ""));
        if (pool !== undefined) this.machine.injector.registerThinPool(pool, table);
        continue;
      }
      if (!(table instanceof SnapshotTarget) || table instanceof SnapshotMergeTarget) continue;
      const path = pathOfDmName(name);
      if (path !== undefined) this.machine.injector.registerSnapshot(path, table);
    }
  }

  lvId(path: string): number {
    let id = this.lvIds.get(path);
    if (id === undefined) {
      id = this.lvIds.size + 1;
      this.lvIds.set(path, id);
    }
    return id;
  }

  /** The active device of vg/lv, activating it (and what it stacks on) when needed. */
  device(path: string) {
    const [vgName, lvName] = path.split("/") as [string, string];
    const handle = findVg(scanHost(this.machine.host), vgName);
    if (handle === undefined) throw new Error(`Volume group ${vgName} not found for ${path}`);
    const lv = handle.vg.lvs.find((l) => l.name === lvName);
    if (lv === undefined) throw new Error(`Logical volume ${path} not found`);
    const live = deviceMapperOf(this.machine.host).lv(lv.id);
    const device = (live ?? activateLv(this.machine.host, handle.vg, lvName)).device;
    this.registerTargets();
    return this.readMemo === undefined ? device : this.readMemo.wrap(device);
  }
}

/** Runs one phase; a workload's job errors are returned (undefined for other phases). */
function runPhase(state: CaseState, phase: Phase, index: number): string[] | undefined {
  if ("lvm" in phase) {
    const result = state.lvm(phase.lvm);
    if (result.exitCode !== phase.expectExit) {
      state.failures.push(
        `phases[${index}] "${phase.lvm}" exited ${result.exitCode}, expected ${phase.expectExit}: ${result.stderr.trim().split("\n")[0] ?? ""}`,
      );
    }
    noteSnapshot(state, phase.lvm, result.exitCode);
    return;
  }
  if ("wait" in phase) {
    const scheduler = state.machine.scheduler;
    if (phase.wait === "background") scheduler.run();
    else scheduler.run(scheduler.nowNs + phase.wait.ns);
    return;
  }
  if ("discard" in phase) {
    runDiscard(state, phase.discard, index);
    return;
  }
  const { lv, jobs } = phase.workload;
  const specs = jobsFromOptions(jobs, `${state.scenario.name} phases[${index}]`);
  const device = state.device(lv);
  const result = runJobs(specs, device, {
    rng: state.rng.fork(`workload${index}`),
    oracle: state.oracle,
    scheduler: state.machine.scheduler,
    startNs: state.machine.scheduler.nowNs,
    lvIds: [state.lvId(lv)],
  });
  noteWorkloadVerifyFailures(state, index, result.jobs);
  return result.jobs.flatMap((job) => (job.error === undefined ? [] : [job.error.code]));
}

/**
 * What a verifying job read back wrong while it ran (its reads of written blocks, verify_backlog,
 * and its end-of-job read-back) fails the case, as fio's verify does: no crash came between the
 * write and the read, so only the damage classes the scenario expects (`detects`, `tolerates`)
 * may show.
 */
function noteWorkloadVerifyFailures(state: CaseState, index: number, jobs: readonly JobResult[]): void {
  const expected = new Set<string>([...state.scenario.expect.detects, ...state.scenario.expect.tolerates]);
  for (const job of jobs) {
    const bad = damageList(job.verify.counts, expected);
    if (bad === undefined) continue;
    const first = job.verify.failures.find((f) => !expected.has(f.classification));
    state.failures.push(
      `phases[${index}] job ${job.name} read back ${bad} block(s) while it ran${first === undefined ? "" : `: ${first.detail}`}`,
    );
  }
}

/** "2 lost, 1 stale": the damage classes in `counts` other than ok and `excused`; undefined when none. */
function damageList(
  counts: Readonly<Record<string, number>>,
  excused: ReadonlySet<string> = new Set(),
): string | undefined {
  const bad = Object.entries(counts).filter(([k, n]) => k !== "ok" && n > 0 && !excused.has(k));
  return bad.length === 0 ? undefined : bad.map(([k, n]) => `${n} ${k}`).join(", ");
}

/**
 * `blkdiscard` then a flush (unless `flush` is false): the oracle learns which verify units the
 * discard unmaps whole (a thin LV's whole pool blocks) and which it only reaches (old data or zeros
 * both allowed there).
 */
function runDiscard(
  state: CaseState,
  step: { lv: string; offset: string; length: string; flush: boolean },
  index: number,
): void {
  const offsetBytes = step.offset === "0" ? 0 : parseSizeText(step.offset);
  const lengthBytes = parseSizeText(step.length);
  const lvId = state.lvId(step.lv);
  if (!state.oracle.has(lvId)) {
    state.failures.push(`phases[${index}] discards ${step.lv}, which no workload wrote before`);
    return;
  }
  const device = state.device(step.lv);
  const scheduler = state.machine.scheduler;
  const discardedNs = device.discard(offsetBytes, lengthBytes, { issueNs: scheduler.nowNs });
  const unmapUnitBytes = discardUnmapUnitBytes(device);
  state.oracle.discard(
    lvId,
    offsetBytes,
    lengthBytes,
    unmapUnitBytes === undefined ? {} : { unmapUnitBytes },
  );
  if (!step.flush) {
    scheduler.run(Math.max(scheduler.nowNs, discardedNs));
    return;
  }
  const flushedNs = device.flush({ issueNs: discardedNs });
  state.oracle.flush(lvId);
  scheduler.run(Math.max(scheduler.nowNs, flushedNs));
}

/**
 * After `lvcreate -s … vg/origin`, the oracle freezes the origin's image for the snapshot; after
 * `lvremove vg/snap` of such a snapshot it forgets it; after `lvconvert --merge vg/snap` the
 * origin's path stands for the snapshot's state (see {@link noteMerge}).
 */
function noteSnapshot(state: CaseState, line: string, exitCode: number): void {
  if (exitCode !== 0) return;
  const argv = splitCommandLine(line);
  if (argv[0] === "lvconvert" && argv.includes("--merge")) {
    noteMerge(state, argv);
    return;
  }
  if (argv[0] === "lvremove") {
    for (const path of argv.filter((a) => /^[^-][^/]*\/[^/]+$/.test(a))) {
      const lvId = state.lvIds.get(path);
      if (lvId !== undefined && state.oracle.has(lvId) && state.oracle.isSnapshot(lvId))
        state.oracle.dropSnapshot(lvId);
    }
    return;
  }
  if (argv[0] !== "lvcreate" || !argv.some((a) => a === "-s" || a === "--snapshot")) return;
  const nameAt = argv.findIndex((a) => a === "-n" || a === "--name");
  const origin = argv.filter((a) => /^[^-][^/]*\/[^/]+$/.test(a)).at(-1);
  if (nameAt < 0 || origin === undefined) return;
  const vgName = origin.split("/")[0]!;
  const snapPath = `${vgName}/${argv[nameAt + 1]}`;
  if (!state.lvIds.has(origin)) return;
  state.oracle.snapshot(state.lvId(origin), state.lvId(snapPath), { name: snapPath });
  const seqno = state.committedSeqnos.get(vgName);
  if (seqno !== undefined) state.snapshotSeqnos.set(snapPath, seqno);
}

/**
 * Whether `path`, a snapshot missing after a crash, may be missing: the VG the reboot found is
 * older than the commit that created it (LVM2 never flushes metadata, so a cut may lose it).
 */
function snapshotCommitLost(state: CaseState, path: string): boolean {
  const created = state.snapshotSeqnos.get(path);
  if (created === undefined) return false;
  const seqno = state.metadataWatch?.seqnoAfterReboot(path.split("/")[0]!);
  return seqno !== undefined && seqno < created;
}

/** Whether the snapshot device of `path` fails reads with EIO, as an invalidated snapshot does. */
function readsInvalid(state: CaseState, path: string): boolean {
  try {
    state.device(path).read(0, new Uint8Array(512));
    return false;
  } catch (error) {
    if (isBlockDeviceError(error, "EIO")) return true;
    throw error;
  }
}

/**
 * Once `lvconvert --merge vg/snap` succeeded, the origin LV shows the snapshot's content from its
 * next activation on, and keeps it through the merge and every crash after (a merge resumes from
 * the exceptions on disk): so the origin's path stands for the snapshot's oracle state, and writes
 * to the origin during and after the merge are writes to that state. The origin's own state stays
 * as it was, which is what its other snapshots must still show.
 */
function noteMerge(state: CaseState, argv: readonly string[]): void {
  for (const path of argv.filter((a) => /^[^-][^/]*\/[^/]+$/.test(a))) {
    const snapId = state.lvIds.get(path);
    if (snapId === undefined || !state.oracle.has(snapId)) continue;
    const originId = state.oracle.originOf(snapId);
    if (originId === undefined) continue;
    const originPath = [...state.lvIds].find(([, id]) => id === originId)?.[0];
    if (originPath !== undefined) state.lvIds.set(originPath, snapId);
  }
}

/** Runs the operator's recovery; returns true when a power cut hit it (and it was rerun). */
function runRecovery(state: CaseState, crashed: boolean): boolean {
  for (let attempt = 1; ; attempt++) {
    try {
      for (const line of state.scenario.recovery) state.lvm(line);
      // Before the background copies recovery started run to their end.
      readBeforeResync(state, crashed || attempt > 1);
      state.machine.scheduler.run();
      return attempt > 1;
    } catch (error) {
      if (!isSimulationHalt(error) || attempt >= MAX_RECOVERY_ATTEMPTS) throw error;
      // A fault cut the power again during recovery: reboot and recover from the start.
      state.failures.push(...resolveHalt(state.machine));
    }
  }
}

function resolveHalt(machine: Machine): string[] {
  const outcomes = machine.injector.powerCut !== undefined ? machine.injector.resolvePowerCut() : [];
  machine.reboot();
  return outcomes.flatMap(implausibleSubset);
}

/** Live cached writes a subset cut must have had before keeping all or none of them is implausible. */
const SUBSET_PLAUSIBLE_BELOW_WRITES = 24;

/**
 * A fault weaker than it claims: a subset cut keeps each cached write with probability ½, so one
 * that kept all or none of 24 or more live writes (odds 2^-23) did not do what it says.
 */
function implausibleSubset(outcome: PowerCutOutcome): string[] {
  if (outcome.policy.kind !== "subset") return [];
  const { keptWrites, droppedWrites } = (outcome.kept ?? {}) as {
    keptWrites?: number;
    droppedWrites?: number;
  };
  if (keptWrites === undefined || droppedWrites === undefined) return [];
  const live = keptWrites + droppedWrites;
  if (live < SUBSET_PLAUSIBLE_BELOW_WRITES || (keptWrites > 0 && droppedWrites > 0)) return [];
  return [
    `the subset power cut kept ${keptWrites} of ${live} cached writes on ${outcome.device}: a subset keeps each with probability 1/2, so the crash policy did not do what it claims`,
  ];
}

function verifyAll(state: CaseState, crashed: boolean, explored: boolean): VerifyCounts {
  const counts = emptyVerifyCounts();
  const expect = state.scenario.expect;
  // A merged snapshot's image is what its origin must now hold; an invalidated snapshot reads EIO
  // by design (checked by the snapshotInvalid expectation instead).
  const targets = new Map<string, number>();
  for (const [path, lvId] of state.lvIds) {
    if (expect.snapshotInvalid.includes(path) || expect.merged[path] !== undefined) continue;
    targets.set(path, lvId);
  }
  for (const [snapshot, origin] of Object.entries(expect.merged)) {
    const lvId = state.lvIds.get(snapshot);
    if (lvId !== undefined) targets.set(origin, lvId);
  }
  for (const path of expect.thinZeroed) {
    const lvId = targets.get(path);
    if (lvId === undefined || !state.oracle.has(lvId))
      state.failures.push(`thinZeroed names ${path}, which no workload wrote, so nothing was read back`);
  }
  for (const [path, lvId] of targets) {
    if (!state.oracle.has(lvId)) continue;
    // At a point the runner placed, a snapshot the run had invalidated reads EIO once its header
    // (valid = 0, a plain write) is on disk; before that it still reads as it was taken.
    if (explored && state.invalidatedSnapshots.has(path) && readsInvalid(state, path)) continue;
    let device: ReturnType<CaseState["device"]>;
    try {
      device = state.device(path);
    } catch (error) {
      if (crashed && snapshotCommitLost(state, path)) continue;
      state.failures.push(`cannot read ${path} back: ${(error as Error).message}`);
      counts.unreadable += state.oracle.trackedBlocks(lvId);
      continue;
    }
    const report = state.oracle.verifyDevice(device, lvId, {
      mode: crashed ? "crash" : "latest",
      issueNs: state.machine.scheduler.nowNs,
      // Never-written blocks are judged too (they must read as zeros) where the scenario says so.
      allBlocks: expect.thinZeroed.includes(path),
    });
    for (const key of Object.keys(counts) as (keyof VerifyCounts)[]) counts[key] += report.counts[key] ?? 0;
    for (const example of report.examples.slice(0, 3)) {
      if (example.classification !== "ok") state.lvmLog.push(`verify ${path}: ${example.detail}`);
    }
  }
  return counts;
}

/**
 * Thrown by a hook (a trace or write listener) to end a run at once, with no recovery and no
 * verdict: branching exploration stops its run once every point it was given is branched. It is a
 * {@link SimulationHalt}, so engine code lets it through as it does a power cut.
 */
export class StopCase extends SimulationHalt {
  constructor(
    at: string,
    /** An error a hook hit, to be rethrown by whoever ran the case. */
    readonly hookError?: unknown,
  ) {
    super("stop", at);
  }
}

/** Everything one case's run reads and writes: its machine, oracle, logs and watchers. */
export interface CaseWorld {
  /** The scenario as this case runs it (the seed's draw, torn tolerated at a torn explored cut). */
  readonly scenario: Scenario;
  readonly draw: CaseRecord["draw"];
  readonly machine: Machine;
  readonly state: CaseState;
  readonly timeline: Timeline;
  /** Trace events the engine emitted that the catalogue does not list. */
  readonly unknownEvents: Set<string>;
  readonly metadataWatch: MetadataCommitWatch | undefined;
}

/** How the run before recovery ended. */
interface RunOutcome {
  crashed: boolean;
  haltedAt: string | undefined;
  // Faults still waiting when a cut the runner placed (explored or swarm-drawn) ended the run.
  excused: Set<string>;
  /** Virtual time recovery ended (a shared recovery's); else the judge takes the clock as it finds it. */
  endNs?: number;
}

/** What the case's state takes from a trace event (a subscriber, or a shared recovery replayed). */
function noteCaseEvent(state: CaseState, unknownEvents: Set<string>, event: RecoveryEvent): void {
  if (!isKnownTraceEvent(event.name)) unknownEvents.add(event.name);
  if (event.name === METADATA_EVENTS.write) {
    const { vg, seqno } = event.data;
    if (typeof vg === "string" && typeof seqno === "number") state.committedSeqnos.set(vg, seqno);
  } else if (event.name === SNAPSHOT_INVALIDATE_EVENT.name && typeof event.data.snapshot === "string") {
    const path = pathOfDmName(event.data.snapshot);
    if (path !== undefined) state.invalidatedSnapshots.add(path);
  }
}

/** Builds a case's world, subscribed in the order every run of the case subscribes. */
function buildWorld(declared: Scenario, spec: CaseSpec, options: ExecutorOptions): CaseWorld {
  // The seed's draw from the scenario's swarm (the scenario itself when it declares none).
  const { scenario: drawn, draw } = drawCase(declared, spec.seed);
  // Own-cut expectations join `expect` only when the case runs its own faults; an explored point and
  // the uncut run exploration branches from are judged (and watched) by `expect` alone.
  const ownCut = spec.crashPoint === undefined && options.exploring !== true;
  const scenario = scenarioAtCut(spec.crashPoint !== undefined ? explorationScenario(drawn, spec) : drawn, {
    ownCut,
  });
  const faults = caseFaults(scenario, spec, options.exploring ?? false);
  const rng = Rng.fromSeed(spec.seed).fork(scenario.name.replaceAll("/", "_"));
  const machine = new Machine(scenario, {
    rng,
    faults,
    storage: options.storage ?? { kind: "memory" },
    mutations: options.mutations ?? NO_MUTATIONS,
    virtualDeadlineNs: CASE_VIRTUAL_DEADLINE_NS,
  });
  const state = new CaseState(scenario, machine, rng, options.mutations ?? NO_MUTATIONS);
  const timeline = new Timeline(machine, { scenario: scenario.name, seed: spec.seed });
  const unknownEvents = new Set<string>();
  machine.trace.subscribe((event) => noteCaseEvent(state, unknownEvents, event));
  // At a crash point the runner places (and in the run exploration branches from), every
  // scenario's metadata is judged as LVM2 promises it after a cut: the old or the new VG, its
  // copies brought in line by the operator's vgck --updatemetadata unless the scenario expects
  // them to disagree. A scenario's own cut keeps the checks it declares, and so does one whose own
  // fault damages metadata on purpose (what it reads back is then that fault's doing).
  const explored =
    (spec.crashPoint !== undefined || options.exploring === true) &&
    !scenario.faults.some((f) => f.kind === "metadata-corruption");
  const metadataWatch =
    scenario.expect.metadataOldOrNew || explored
      ? new MetadataCommitWatch(machine, {
          repairDisagreeing: explored && scenario.expect.metadataConsistent,
        })
      : undefined;
  state.metadataWatch = metadataWatch;
  return { scenario, draw, machine, state, timeline, unknownEvents, metadataWatch };
}

/** After a power cut halted the run: note what it excused, resolve the caches, reboot. */
function afterHalt(
  world: CaseWorld,
  halt: SimulationHalt,
  outcome: RunOutcome,
  options: ExecutorOptions,
): void {
  const { machine, state, metadataWatch } = world;
  outcome.crashed = true;
  outcome.haltedAt = halt.at;
  outcome.excused = pendingAtRunnerCut(machine);
  // The faults still waiting belong to the run the cut ended: that run does not go on after the
  // reboot, so their triggers (a virtual time, the Nth write, an event of the workload) never
  // come. Left armed they would fire during recovery, into a machine the scenario never put them in.
  if (outcome.excused.size > 0) machine.injector.disarm();
  metadataWatch?.noteCut(machine);
  state.failures.push(...resolveHalt(machine));
  if (metadataWatch !== undefined) state.failures.push(...metadataWatch.checkAfterReboot(machine));
  if (options.keepDir !== undefined) keepImages(machine, join(options.keepDir, "crash"));
}

/** Runs the operator's recovery and the metadata repair, then keeps the images when asked. */
function recover(world: CaseWorld, outcome: RunOutcome, options: ExecutorOptions): void {
  // A cut during recovery is a crash too: unflushed writes may then be gone.
  if (runRecovery(world.state, outcome.crashed)) outcome.crashed = true;
  world.metadataWatch?.repair(world.state);
  if (options.keepDir !== undefined) keepImages(world.machine, join(options.keepDir, "recovered"));
}

/** Turns an error that ended the case early into its failure line. */
function noteCaseError(state: CaseState, error: unknown): void {
  if (isSimulationHalt(error))
    state.failures.push(`the machine halted again during recovery: ${error.message}`);
  else if (isBlockDeviceError(error))
    state.failures.push(`I/O error not handled by the engine: ${error.message}`);
  else state.failures.push(`the case could not run: ${(error as Error).message}`);
}

/** Runs a case and returns its record and the machine, for inspection by tests and `--keep`. */
export function executeCase(declared: Scenario, spec: CaseSpec, options: ExecutorOptions = {}): CaseRun {
  const world = buildWorld(declared, spec, options);
  const { scenario, machine, state } = world;
  const outcome: RunOutcome = { crashed: false, haltedAt: undefined, excused: new Set() };
  try {
    for (const line of scenario.setup) {
      const result = state.lvm(line);
      if (result.exitCode !== 0) {
        throw new Error(
          `setup "${line}" exited ${result.exitCode}: ${result.stderr.trim().split("\n")[0] ?? ""}`,
        );
      }
    }
    machine.syncAll();
    machine.injector.arm();
    state.operator = armOperatorActions(machine, scenario.operator, (line) => state.lvm(line));
    options.onArmed?.(machine, world);
    try {
      for (const [index, phase] of scenario.phases.entries()) {
        options.onPhase?.(index, machine);
        const errors = runPhase(state, phase, index);
        if (errors !== undefined) options.onWorkloadDone?.(index, errors);
      }
      machine.scheduler.run();
      options.onPhasesDone?.(machine);
    } catch (error) {
      if (!isSimulationHalt(error) || error instanceof StopCase) throw error;
      afterHalt(world, error, outcome, options);
    }
    recover(world, outcome, options);
  } catch (error) {
    if (error instanceof StopCase) throw error;
    noteCaseError(state, error);
  }
  return judgeCase(world, spec, outcome);
}

/**
 * Runs an explored case from the crash point of another run of the same (scenario, seed): `run` is
 * that run's world, paused exactly where this case's power cut fires (`firedAt`, as the trigger
 * would give it), in a run without the scenario's own power cuts. The case's fresh world takes
 * over the run's state there — disks (borrowed, so `run` must not go on before this returns),
 * caches, clock, timing, oracle, logs and watchers — then the cut fires, and recovery and the
 * verdict run as in {@link executeCase}, giving the same record.
 */
export function executeBranch(
  declared: Scenario,
  spec: CaseSpec,
  options: ExecutorOptions & {
    readonly run: CaseWorld;
    readonly firedAt: FiredAt;
    /** Recoveries shared between the run's points (none: every point recovers alone). */
    readonly recoveries?: SharedRecoveries;
  },
): CaseRun {
  if (spec.crashPoint === undefined) throw new Error("executeBranch runs explored cases only");
  if ((options.storage?.kind ?? "memory") !== "memory" || options.keepDir !== undefined) {
    throw new Error("executeBranch needs in-memory PVs and no --keep");
  }
  const world = buildWorld(declared, spec, options);
  const { machine, state } = world;
  const { run } = options;
  machine.adoptStateAtCut(run.machine);
  state.oracle.adoptStateOf(run.state.oracle);
  for (const [path, id] of run.state.lvIds) state.lvIds.set(path, id);
  for (const [path, seqno] of run.state.snapshotSeqnos) state.snapshotSeqnos.set(path, seqno);
  for (const path of run.state.invalidatedSnapshots) state.invalidatedSnapshots.add(path);
  for (const [vg, seqno] of run.state.committedSeqnos) state.committedSeqnos.set(vg, seqno);
  state.lvmLog.push(...run.state.lvmLog);
  state.failures.push(...run.state.failures);
  world.timeline.adoptStateOf(run.timeline);
  for (const name of run.unknownEvents) world.unknownEvents.add(name);
  if (world.metadataWatch !== undefined) {
    if (run.metadataWatch === undefined)
      throw new Error("executeBranch: the run watched no metadata commits");
    world.metadataWatch.adoptStateOf(run.metadataWatch);
  }
  machine.injector.arm();
  const cut = machine.injector.faults.findIndex((f) => f.spec.id === EXPLORE_CUT_ID);
  const halt = machine.injector.fireNow(cut, options.firedAt);
  if (!isSimulationHalt(halt))
    throw new Error(`The explored cut of ${caseKey(spec)} did not halt the machine`);
  const outcome: RunOutcome = { crashed: false, haltedAt: undefined, excused: new Set() };
  const recoveries = options.recoveries;
  let key: RecoveryKey | undefined;
  let shared: SharedRecovery | undefined;
  let captured: CapturedRecovery | undefined;
  try {
    afterHalt(world, halt, outcome, options);
    key =
      recoveries === undefined
        ? undefined
        : recoveryKey({
            machine,
            scenario: world.scenario,
            hasOperator: state.operator !== undefined,
            repairKey: world.metadataWatch?.repairKey,
          });
    shared = key === undefined ? undefined : recoveries?.get(key);
    if (shared === undefined) {
      if (key === undefined) recover(world, outcome, options);
      else captured = recoverCapturing(world, outcome, options);
    }
  } catch (error) {
    shared = undefined;
    captured = undefined;
    noteCaseError(state, error);
  }
  if (shared !== undefined) {
    const judged = judgeOnSharedRecovery(world, spec, outcome, shared);
    // A judge that activated an LV left the machine unlike the one the next points' own
    // recoveries would leave them: they recover alone.
    if (activeDevices(shared.machine) !== shared.devices) recoveries?.drop(shared);
    return judged;
  }
  if (recoveries === undefined || key === undefined || captured === undefined)
    return judgeCase(world, spec, outcome);
  const judged = judgeCase(world, spec, outcome);
  // This judge may have activated LVs recovery left inactive; every later judge's own
  // re-execution activates the same ones before reading, so they find them active.
  recoveries.keep(key, { ...captured, machine, devices: activeDevices(machine), reads: new ReadMemo() });
  return judged;
}

/** The machine's dm devices by name, as one string. */
function activeDevices(machine: Machine): string {
  return deviceMapperOf(machine.host).names().join(" ");
}

/** Runs recovery as {@link recover} does, keeping what it did for other points to replay. */
function recoverCapturing(world: CaseWorld, outcome: RunOutcome, options: ExecutorOptions): CapturedRecovery {
  const { machine, state, timeline } = world;
  const events: RecoveryEvent[] = [];
  const logFrom = state.lvmLog.length;
  const failuresFrom = state.failures.length;
  const unsubscribe = machine.trace.subscribe((event) => events.push({ name: event.name, data: event.data }));
  timeline.startCapture();
  let inputs: readonly TimelineInput[];
  try {
    recover(world, outcome, options);
  } finally {
    unsubscribe();
    inputs = timeline.endCapture();
  }
  return {
    events,
    timeline: inputs,
    lvmLog: state.lvmLog.slice(logFrom),
    failures: state.failures.slice(failuresFrom),
    endNs: machine.scheduler.nowNs,
  };
}

/**
 * Judges a point whose recovery another point of the run ran: its state and watchers take in what
 * that recovery did, and its verdict reads the shared machine (only the clock and device queues
 * move there, and the record counts the case's time up to recovery's end).
 */
function judgeOnSharedRecovery(
  world: CaseWorld,
  spec: CaseSpec,
  outcome: RunOutcome,
  shared: SharedRecovery,
): CaseRun {
  const { state, timeline, unknownEvents, metadataWatch } = world;
  for (const event of shared.events) {
    noteCaseEvent(state, unknownEvents, event);
    metadataWatch?.noteEvent(event);
  }
  timeline.replay(shared.timeline);
  state.lvmLog.push(...shared.lvmLog);
  state.failures.push(...shared.failures);
  return judgeCase({ ...world, state: state.judgedOn(shared.machine, shared.reads) }, spec, {
    ...outcome,
    endNs: shared.endNs,
  });
}

/**
 * `readsStableThroughResync`: reads each listed LV while its resync or recovery is still running,
 * takes what every block read as its state (the oracle adopts it); recovery then lets the
 * background copy finish, so the verification that follows fails any block that reads differently.
 */
function readBeforeResync(state: CaseState, crashed: boolean): void {
  const paths = state.scenario.expect.readsStableThroughResync;
  if (paths.length === 0) return;
  const { host, scheduler } = state.machine;
  for (const path of paths) {
    const lvId = state.lvIds.get(path);
    if (lvId === undefined || !state.oracle.has(lvId)) {
      state.failures.push(`readsStableThroughResync names ${path}, which no workload wrote`);
      continue;
    }
    const [vgName, lvName] = path.split("/") as [string, string];
    const vg = findVg(scanHost(host), vgName)?.vg;
    const lv = vg?.lvs.find((l) => l.name === lvName);
    const percent = vg === undefined || lv === undefined ? undefined : hostRuntime(host).copyPercent(vg, lv);
    // No green without work: a copy already finished leaves no out-of-sync region to read.
    if (percent === undefined || percent >= 100) {
      state.failures.push(
        `${path} was ${percent === undefined ? "not active" : "in sync"} when recovery ended, so no read met a region its resync had not reached`,
      );
      continue;
    }
    const report = state.oracle.verifyDevice(state.device(path), lvId, {
      mode: crashed ? "crash" : "latest",
      issueNs: scheduler.nowNs,
      adopt: true,
    });
    const bad = damageList(report.counts);
    if (bad !== undefined)
      state.failures.push(`${path} read at ${percent.toFixed(2)}% in sync: ${bad} block(s)`);
  }
}

/** Verifies every written block, checks the expectations and builds the case's record. */
function judgeCase(world: CaseWorld, spec: CaseSpec, outcome: RunOutcome): CaseRun {
  const { scenario, machine, state, timeline, draw } = world;
  const { crashed, haltedAt } = outcome;
  // The case's virtual time ends with recovery: the verdict's read-back is the harness's, not the
  // case's, so its I/O time is not counted (and a shared recovery's judges read on one machine).
  const endNs = outcome.endNs ?? machine.scheduler.nowNs;
  const explored = spec.crashPoint !== undefined;
  for (const name of world.unknownEvents) {
    state.failures.push(
      `the engine emitted trace event "${name}", which scenarios/event-catalogue.ts does not list; declare it beside the code that emits it`,
    );
  }
  state.failures.push(...unfiredFaults(machine, outcome.excused));
  state.failures.push(...misfiredFaults(machine));
  state.failures.push(...(state.operator?.failures({ crashed }) ?? []));
  let verify = emptyVerifyCounts();
  try {
    verify = verifyAll(state, crashed, explored);
    state.failures.push(...checkExpectations(scenario.expect, { state, verify, crashed, explored }));
  } catch (error) {
    if (isSimulationHalt(error))
      state.failures.push(`a fault halted the machine during verification: ${error.message}`);
    else state.failures.push(`verification could not run: ${(error as Error).message}`);
  }
  // No green without work: say what went unjudged, and fail a case that judged nothing at all.
  const scope = judgedExpectations(scenario.expect, { verify, explored });
  const notJudged = [...(explored ? notJudgedAtExploredPoint(scenario) : []), ...scope.notJudged];
  if (scope.judged.length === 0) state.failures.push(nothingJudgedFailure(notJudged));
  const status = state.failures.length === 0 ? "pass" : "fail";
  const record: CaseRecord = {
    type: "case",
    scenario: scenario.name,
    seed: spec.seed,
    status,
    crashPoint: spec.crashPoint?.label ?? haltedAt ?? null,
    draw,
    faults: machine.injector.records.map((r) => ({ ...r })) as CaseRecord["faults"],
    verify,
    replay: replayCommand(spec),
    verdict:
      status === "pass"
        ? `${verify.ok} blocks verified${crashed ? " after a crash and recovery" : ""}`
        : state.failures[0]!,
    failures: state.failures,
    ...(notJudged.length === 0 ? {} : { notJudged }),
    durationNs: endNs,
    tags: scenario.tags,
    key: caseKey(spec),
  };
  return { record, timeline: timeline.records(), machine, lvmLog: state.lvmLog };
}

/**
 * The scenario an explored crash point runs: a torn cut may legally tear unflushed writes sector by
 * sector, so torn damage is tolerated there as it is for a scenario's own torn cut.
 */
function explorationScenario(scenario: Scenario, spec: CaseSpec): Scenario {
  if (explorePolicy(scenario, spec).kind !== "torn" || scenario.expect.tolerates.includes("torn"))
    return scenario;
  return { ...scenario, expect: { ...scenario.expect, tolerates: [...scenario.expect.tolerates, "torn"] } };
}

/**
 * The faults (by seed path) that had not fired when a power cut halted the run, if that cut was one
 * the runner placed (an explored crash point or a swarm-drawn cut): the runner chose to end the run
 * there, so their triggers never come (they are disarmed at the cut). A scenario's own cut excuses
 * nothing, and its faults still waiting stay armed: the scenario may have placed them in recovery.
 */
function pendingAtRunnerCut(machine: Machine): Set<string> {
  const records = machine.injector.records;
  const cut = records.at(-1);
  if (cut?.kind !== "power-cut" || (cut.id !== EXPLORE_CUT_ID && cut.id !== SWARM_CUT_ID)) return new Set();
  const fired = new Set(records.map((r) => r.seedPath));
  return new Set(machine.injector.faults.map((f) => f.seedPath).filter((path) => !fired.has(path)));
}

/** One failure per armed fault that never fired (and was not excused): a case must not pass idle. */
function unfiredFaults(machine: Machine, excused: ReadonlySet<string>): string[] {
  const fired = new Set(machine.injector.records.map((r) => r.seedPath));
  return machine.injector.faults
    .filter((fault) => !fired.has(fault.seedPath) && !excused.has(fault.seedPath))
    .map(
      (fault) => `fault did not fire: ${fault.label} (${describeTrigger(fault.spec.at)}) was never reached`,
    );
}

/**
 * One failure per fault that fired somewhere other than its trigger names: a write trigger on
 * another device, an event trigger on another event. A trigger that miscounts would otherwise
 * move the cut silently, and the case would test a point nobody chose.
 */
function misfiredFaults(machine: Machine): string[] {
  const failures: string[] = [];
  for (const record of machine.injector.records) {
    const { at, firedAt } = record;
    if (at.device !== undefined && at.write !== undefined && firedAt.device !== at.device) {
      failures.push(
        `fault ${record.id} fired at a write to ${firedAt.device ?? "no device"}, but its trigger names ${describeTrigger(at)}`,
      );
    }
    if (at.event !== undefined && firedAt.event !== at.event) {
      failures.push(
        `fault ${record.id} fired at ${firedAt.event ?? "no event"}, but its trigger names ${describeTrigger(at)}`,
      );
    }
  }
  return failures;
}

function describeTrigger(at: FaultSpec["at"]): string {
  if (at.event !== undefined) return `at ${at.event}#${at.occurrence ?? 1}`;
  if (at.write !== undefined)
    return `at write ${at.write}${at.device === undefined ? "" : ` of ${at.device}`}`;
  if (at.after !== undefined) return `after ${at.after} ${at.edge ?? "fired"}`;
  return `at ${at.timeNs} ns`;
}

export type { CaseState };
