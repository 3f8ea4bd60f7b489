/**
 * The pvmove poller (`tools/polldaemon.c` `wait_for_single_lv`/`_check_lv_status`,
 * `poll_mirror_progress`, `tools/pvmove_poll.c`): every interval it re-reads the VG, asks the
 * kernel how far the RUNNING segment got, prints `  <pv>: Moved: <n>%`, and when the segment is in
 * sync either checkpoints (a metadata commit recording `extents_moved = area_len`, then a reload
 * that makes the next segment RUNNING) or, after the last segment, finishes with LVM2's two
 * metadata writes. It runs on the host scheduler: in the foreground the command runs the scheduler
 * until the move ends, in the background the caller does.
 */

import type { LogicalVolume, VolumeGroup } from "../../metadata/model.js";
import { checkpointPvmove } from "../../metadata/pvmove.js";
import type { MutationInfo } from "../../sim/mutations.js";
import type { ScheduledEvent } from "../../sim/scheduler.js";
import type { TraceEventInfo } from "../../sim/trace.js";
import { deviceMapperOf, reloadLv } from "../activation/activate.js";
import type { CommandContext } from "../command.js";
import type { CommandOutput } from "../output.js";
import { findVg, scanHost } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { abortMove } from "./abort.js";
import { isLvmCommandError } from "./errors.js";
import { finishMove, flushMoveDevice } from "./finish.js";
import { pvmoveActivateOptions, pvmoveSettings, runningMirror, startPvmoveCopy } from "./kernel.js";
import { DM_PERCENT_100, formatDmPercent, type PvmoveProgressSample, pvmoveProgressOf } from "./progress.js";
import type { PvmoveId } from "./setup.js";

/** Trace event: pvmove committed metadata recording a copied segment (extents_moved). */
export const PVMOVE_CHECKPOINT_EVENT: TraceEventInfo = {
  name: "pvmove.checkpoint",
  description: "pvmove committed metadata recording a copied segment (extents_moved)",
};

/** Mutation: a segment is recorded as moved (and the LV pointed at its destination) before its copy is in sync. */
export const PVMOVE_SWITCH_BEFORE_SYNC = "pvmove-switch-before-sync";
/** Mutation: the checkpoint is not committed; the poller moves on and the finish trusts its memory. */
export const PVMOVE_SKIP_CHECKPOINT = "pvmove-skip-checkpoint";
/** Mutation: the checkpoint is committed without first flushing the copied segment to the destination. */
export const PVMOVE_CHECKPOINT_SKIP_FLUSH = "pvmove-checkpoint-skip-flush";

/** Mutation: the running segment's progress counts one region more than the kernel reports in sync. */
const PVMOVE_PROGRESS_ONE_REGION_AHEAD = "pvmove-progress-one-region-ahead";

/** pvmove's mutations, for the mutant catalogue. */
export const PVMOVE_MUTATIONS: readonly MutationInfo[] = [
  {
    name: PVMOVE_SWITCH_BEFORE_SYNC,
    description:
      "pvmove records a segment as moved and maps it to the destination before its copy is in sync",
  },
  {
    name: PVMOVE_SKIP_CHECKPOINT,
    description: "pvmove skips the checkpoint commit and finishes from in-memory progress",
  },
  {
    name: PVMOVE_CHECKPOINT_SKIP_FLUSH,
    description:
      "pvmove commits a checkpoint (extents_moved) before the copied segment is flushed to the destination",
  },
  {
    name: PVMOVE_PROGRESS_ONE_REGION_AHEAD,
    description:
      "pvmove's progress counts one region more than the kernel's in-sync count (off by one), so a segment the poller first sees fully copied reads 99.99 % forever and the move never ends",
  },
];

/** Bound on poll passes of one move, so a move that never progresses fails instead of spinning. */
const MAX_POLL_PASSES = 1_000_000;
/** LVM2 waits at least 100 ms between passes (`WAIT_AT_LEAST_NANOSECS`). */
const MIN_INTERVAL_NS = 100_000_000;

export type { PvmoveProgressSample };

/** How a poller ended. */
export type PvmoveOutcome = "finished" | "aborted" | "gone" | "interrupted" | "failed";

/** Options of a {@link PvmovePoller}. */
export interface PvmovePollOptions {
  /** The command line whose metadata writes these are (`description = "Write from …"`). */
  readonly commandLine: string;
  /** Seconds between passes (`-i`); progress lines are printed only when it is above 0. */
  readonly intervalSeconds: number;
  /** Where progress lines and messages go (the foreground command's output); none in the background. */
  readonly out?: CommandOutput;
  /** `--abort`: end the move at the first pass, keeping only committed progress. */
  readonly aborting?: boolean;
  /** Called with every progress sample. */
  readonly onProgress?: (sample: PvmoveProgressSample) => void;
  /** Called once when the poller stops, with how it ended. */
  readonly onEnd?: (outcome: PvmoveOutcome) => void;
}

/** Polls one pvmove LV on the host's scheduler until it finishes, is aborted or goes away. */
export class PvmovePoller {
  readonly #context: CommandContext;
  readonly #id: PvmoveId;
  readonly #options: PvmovePollOptions;
  readonly #intervalNs: number;
  readonly #skipCheckpoint: boolean;
  readonly #switchBeforeSync: boolean;
  readonly #checkpointSkipFlush: boolean;
  readonly #regionsAhead: number;
  /** Checkpoints the skip-checkpoint mutation kept in memory only. */
  #memoryCheckpoints = 0;
  #passes = 0;
  #pending: ScheduledEvent | undefined;
  #outcome: PvmoveOutcome | undefined;
  #error: string | undefined;

  constructor(context: CommandContext, id: PvmoveId, options: PvmovePollOptions) {
    if (!(options.intervalSeconds >= 0) || !Number.isFinite(options.intervalSeconds)) {
      throw new RangeError(
        `Polling interval must be a finite number of seconds >= 0, got ${options.intervalSeconds}`,
      );
    }
    this.#context = context;
    this.#id = id;
    this.#options = options;
    this.#intervalNs = Math.max(MIN_INTERVAL_NS, Math.round(options.intervalSeconds * 1e9));
    this.#skipCheckpoint = context.host.mutations.has(PVMOVE_SKIP_CHECKPOINT);
    this.#switchBeforeSync = context.host.mutations.has(PVMOVE_SWITCH_BEFORE_SYNC);
    this.#checkpointSkipFlush = context.host.mutations.has(PVMOVE_CHECKPOINT_SKIP_FLUSH);
    this.#regionsAhead = context.host.mutations.has(PVMOVE_PROGRESS_ONE_REGION_AHEAD) ? 1 : 0;
  }

  /** The move this poller watches. */
  get id(): PvmoveId {
    return this.#id;
  }

  /** How the poller ended, or undefined while it runs. */
  get outcome(): PvmoveOutcome | undefined {
    return this.#outcome;
  }

  /** The message of the failure that stopped the poller, if any. */
  get error(): string | undefined {
    return this.#error;
  }

  /** Runs the first pass at once (LVM2 checks before it first waits), then schedules the next. */
  start(): void {
    if (this.#pending !== undefined || this.#outcome !== undefined || this.#passes > 0) return;
    this.#pass();
  }

  /** Stops polling (the copy in the kernel goes on). */
  stop(): void {
    if (this.#pending !== undefined) this.#context.host.scheduler.cancel(this.#pending);
    this.#pending = undefined;
  }

  #schedule(atNs: number): void {
    this.#pending = this.#context.host.scheduler.at(
      atNs,
      () => this.#pass(),
      `pvmove.poll ${this.#id.lvName}`,
    );
  }

  #end(outcome: PvmoveOutcome): void {
    this.#outcome = outcome;
    this.#pending = undefined;
    this.#options.onEnd?.(outcome);
  }

  #message(line: string): void {
    this.#options.out?.message(line);
  }

  #pass(): void {
    this.#pending = undefined;
    this.#passes += 1;
    if (this.#passes > MAX_POLL_PASSES) {
      throw new Error(
        `pvmove of ${this.#id.displayName} (${this.#id.vgName}/${this.#id.lvName}) did not finish in ${MAX_POLL_PASSES} polls; the copy does not progress`,
      );
    }
    try {
      const next = this.#check();
      if (next) this.#schedule(this.#context.host.scheduler.nowNs + this.#intervalNs);
    } catch (error) {
      // LVM2 logs "ABORTING: …" and the polling process exits; the move stays in the metadata.
      if (!isLvmCommandError(error)) throw error;
      this.#error = error.message;
      this.#options.out?.error(`ABORTING: ${error.message}`);
      this.#end("failed");
    }
  }

  /** The VG as this poller believes it: committed metadata plus checkpoints kept only in memory. */
  #believedVg(vg: VolumeGroup): VolumeGroup {
    let out = vg;
    for (let i = 0; i < this.#memoryCheckpoints; i++) out = checkpointPvmove(out, this.#id.lvName);
    return out;
  }

  /** One pass; returns true when another pass should follow. */
  #check(): boolean {
    const context = this.#context;
    const host = context.host;
    const id = this.#id;
    const scan = scanHost(host);
    const handle = findVg(scan, id.vgName);
    if (handle === undefined) {
      this.#message(`Can't find VG ${id.displayName}. No longer active.`);
      this.#end("gone");
      return false;
    }
    const vg = this.#believedVg(handle.vg);
    const lv = vg.lvs.find((l) => l.name === id.lvName);
    if (lv === undefined || lv.id !== id.lvId || !lv.status.includes("PVMOVE")) {
      this.#message(`${id.displayName}: No pvmove in progress - already finished or aborted.`);
      this.#end("gone");
      return false;
    }
    if (context.driverLoaded === false || deviceMapperOf(host).lv(lv.id) === undefined) {
      this.#message(`${id.displayName}: Interrupted: No longer active.`);
      this.#end("interrupted");
      return false;
    }
    if (this.#options.aborting === true) {
      abortMove(context, scan, { vg: handle.vg, id });
      this.#end("aborted");
      return false;
    }
    const progress = pvmoveProgressOf(lv, runningMirror(host, id), { regionsAhead: this.#regionsAhead });
    if (this.#options.intervalSeconds > 0) {
      this.#message(`${id.displayName}: Moved: ${formatDmPercent(progress.overallPercent)}%`);
    }
    const sample: PvmoveProgressSample = {
      kind: "pvmove",
      tNs: host.scheduler.nowNs,
      vg: id.vgName,
      lv: id.lvName,
      source: id.displayName,
      percent: progress.overallPercent / 1_000_000,
    };
    this.#options.onProgress?.(sample);
    pvmoveSettings(host).onProgress?.(sample);
    const segmentDone = progress.segmentPercent === DM_PERCENT_100 || this.#switchBeforeSync;
    if (!segmentDone) return true;
    const last = isLastRunning(lv, progress.runningSegment);
    if (last) {
      finishMove(context, scan, { vg: allMoved(vg, id.lvName), id });
      this.#end("finished");
      return false;
    }
    this.#checkpoint(scan, vg);
    return true;
  }

  /** `pvmove_update_metadata`: commit the running segment as moved, then reload so the next one runs. */
  #checkpoint(scan: ReturnType<typeof scanHost>, vg: VolumeGroup): void {
    const context = this.#context;
    const host = context.host;
    const id = this.#id;
    // The copy must be durable before extents_moved says the destination holds it.
    if (!this.#checkpointSkipFlush) flushMoveDevice(context, id);
    const next = checkpointPvmove(vg, id.lvName);
    let committed: VolumeGroup;
    if (this.#skipCheckpoint) {
      this.#memoryCheckpoints += 1;
      committed = next;
    } else {
      committed = writeVg(context, scan, next);
    }
    const lv = committed.lvs.find((l) => l.name === id.lvName);
    const segment = lv?.segments.findIndex(
      (s) => s.type === "mirror" && (s.extentsMoved ?? 0) < s.extentCount,
    );
    host.trace.emit(PVMOVE_CHECKPOINT_EVENT.name, {
      vg: id.vgName,
      lv: id.lvName,
      source: id.displayName,
      seqno: committed.seqno,
      nextSegment: segment ?? -1,
    });
    reloadLv(host, committed, id.lvName, pvmoveActivateOptions(host));
    startPvmoveCopy(host, id);
  }
}

/** True when no mirror segment after `running` still waits to be copied. */
function isLastRunning(lv: LogicalVolume, running: number): boolean {
  if (running < 0) return true;
  return !lv.segments.some(
    (s, i) => i > running && s.type === "mirror" && (s.extentsMoved ?? 0) < s.extentCount,
  );
}

/** The VG with every segment of `pvmoveName` recorded as moved: the kernel reported them all in sync. */
function allMoved(vg: VolumeGroup, pvmoveName: string): VolumeGroup {
  let out = vg;
  const lv = vg.lvs.find((l) => l.name === pvmoveName);
  const bound = (lv?.segments.length ?? 0) + 1;
  for (let i = 0; i < bound; i++) {
    const next = checkpointPvmove(out, pvmoveName);
    if (next === out) return out;
    out = next;
  }
  throw new Error(`pvmove LV ${pvmoveName} still has unmoved segments after ${bound} checkpoints`);
}
