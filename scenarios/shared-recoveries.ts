/**
 * Recoveries crash exploration shares between the points of one run (scenarios/branch-explore.ts):
 * points that left the same disks at the same boot instant recover identically, so one of them
 * recovers and the others are judged on its machine. What a recovery depends on is its key; what it
 * did that a case takes in (trace events, timeline samples, log lines, failures) is captured.
 */
import { MemoryDevice } from "../engine/block/memory.js";
import type { TraceEvent } from "../engine/sim/trace.js";
import type { Machine } from "./machine.js";
import type { ReadMemo } from "./read-memo.js";
import type { Scenario } from "./schema.js";
import type { TimelineInput } from "./timeline.js";

/** A trace event as a shared recovery keeps it, to replay into each sharing point's watchers. */
export type RecoveryEvent = Pick<TraceEvent, "name" | "data">;

/** What a recovery did that a case's own state and watchers take in. */
export interface CapturedRecovery {
  readonly events: readonly RecoveryEvent[];
  readonly timeline: readonly TimelineInput[];
  readonly lvmLog: readonly string[];
  readonly failures: readonly string[];
  readonly endNs: number;
}

/** One explored point's recovery, and the machine it left, for the points that recover the same way. */
export interface SharedRecovery extends CapturedRecovery {
  readonly machine: Machine;
  /** Its dm devices by name when recovery ended; a judge that changes them ends the sharing. */
  readonly devices: string;
  /** What the judges on {@link machine} read, read once. */
  readonly reads: ReadMemo;
}

/**
 * What a branched point's recovery depends on, as strings: `disks` names what the PVs hold (each
 * still holds, byte for byte, the run's disk as it borrowed it: the cut kept no cached write), and
 * `rest` the rest — when the boot ended, how many boots there were, /etc/lvm, the sync gates and the
 * repair the metadata watch will ask for. Everything else a recovery reads is the same for every
 * point of one run (the host's id stream is per boot, the device queues restart idle on their
 * boot's stream): two points with equal keys recover identically, to the nanosecond.
 */
export interface RecoveryKey {
  readonly disks: string;
  readonly rest: string;
}

/** What {@link recoveryKey} reads of a branched point's case. */
export interface RecoveringCase {
  readonly machine: Machine;
  readonly scenario: Scenario;
  /** The case arms operator actions, whose timers run into recovery. */
  readonly hasOperator: boolean;
  /** The metadata watch's `MetadataCommitWatch.repairKey`, if the case is watched. */
  readonly repairKey: string | undefined;
}

/** The recovery key of a branched point after its cut and reboot, or undefined when it must recover alone. */
export function recoveryKey(point: RecoveringCase): RecoveryKey | undefined {
  const { machine, scenario } = point;
  // These reads adopt into the point's own oracle during recovery.
  if (scenario.expect.readsStableThroughResync.length > 0 || point.hasOperator) return undefined;
  // A fault timer that survived the reboot would fire into recovery.
  if (machine.scheduler.pending > 0) return undefined;
  const disks: number[] = [];
  for (const pv of machine.pvs) {
    const loan = pv.media instanceof MemoryDevice ? pv.media.loan : undefined;
    if (loan === undefined || pv.cache.pendingWrites > 0) return undefined;
    disks.push(loan.changes);
  }
  const files = [...machine.files].map(([path, text]) => `${path}\n${text}`).join("\n\n");
  return {
    disks: disks.join(" "),
    rest: [
      machine.scheduler.nowNs,
      machine.reboots,
      machine.syncGate.closed.join(","),
      point.repairKey ?? "unwatched",
      files,
    ].join("|"),
  };
}

/**
 * The recoveries one exploration shares between its points. Only the newest disk state's are kept:
 * the run's disks change after them and are never the same again, and their machines borrow the
 * run's pages, which stay valid only until the run next writes.
 */
export class SharedRecoveries {
  readonly #byRest = new Map<string, SharedRecovery>();
  #disks: string | undefined;
  /** Points judged on another point's recovery so far. */
  hits = 0;

  get(key: RecoveryKey): SharedRecovery | undefined {
    if (key.disks !== this.#disks) return undefined;
    const shared = this.#byRest.get(key.rest);
    if (shared !== undefined) this.hits += 1;
    return shared;
  }

  keep(key: RecoveryKey, shared: SharedRecovery): void {
    if (key.disks !== this.#disks) {
      this.close();
      this.#disks = key.disks;
    }
    this.#byRest.get(key.rest)?.machine.close();
    this.#byRest.set(key.rest, shared);
  }

  /** Stops sharing `shared` (a judge changed its machine) and closes its machine. */
  drop(shared: SharedRecovery): void {
    for (const [rest, kept] of this.#byRest) {
      if (kept !== shared) continue;
      this.#byRest.delete(rest);
      shared.machine.close();
    }
  }

  /** True while `machine` is kept here (its owner must not close it). */
  owns(machine: Machine): boolean {
    for (const shared of this.#byRest.values()) if (shared.machine === machine) return true;
    return false;
  }

  /** Closes every machine kept here. */
  close(): void {
    for (const shared of this.#byRest.values()) shared.machine.close();
    this.#byRest.clear();
    this.#disks = undefined;
  }
}
