/**
 * The `mirror` target (dm-raid1.c): writes go to every leg and complete when the last leg does;
 * reads go to the default leg (no read balancing) and retry on another in-sync leg after an error;
 * a region log records which regions may differ between legs so that only those are resynced,
 * always from the default leg to the others.
 *
 * Table: `mirror <log type> <#log args> <log args…> <#legs> <dev> <offset> … [1 handle_errors]`.
 * Status: `<#legs> <dev>… <in-sync>/<regions> 1 <AADSR…> <log status>`.
 */

import { type BlockDevice, SECTOR_BYTES, type WriteOptions } from "../../block/device.js";
import { BlockDeviceError, isBlockDeviceError } from "../../block/errors.js";
import { canSharePages, readPagesFrom, writePagesTo } from "../../block/page-share.js";
import type { QueuedDone, QueuedWriter } from "../../block/queued.js";
import { type MutationInfo, type Mutations, NO_MUTATIONS } from "../../sim/mutations.js";
import type { ScheduledEvent, Scheduler } from "../../sim/scheduler.js";
import { STALL_POLL_NS, type SyncGate } from "../../sim/sync-gate.js";
import type { Trace, TraceEventInfo } from "../../sim/trace.js";
import { checkDeviceRef, checkRequest, type DeviceRef, deviceLabel, Target } from "../target.js";
import { RegionHash, type RegionState } from "./region-hash.js";
import {
  CoreRegionLog,
  DiskRegionLog,
  type LegFlushResult,
  type LogSyncMode,
  MIRROR_MARK_NOT_FLUSHED,
  type RegionLog,
} from "./region-log.js";

/** Trace event: one region of a mirror (or pvmove copy) finished recovering. */
export const MIRROR_RESYNC_STEP_EVENT: TraceEventInfo = {
  name: "mirror.resync.step",
  description: "One region of a mirror (or pvmove copy) finished recovering",
};

/** Trace event: a mirror leg failed an I/O and was marked failed. */
export const MIRROR_LEG_FAIL_EVENT: TraceEventInfo = {
  name: "mirror.leg.fail",
  description: "A mirror leg failed an I/O and was marked failed",
};

/** Trace event: a mirror switched its default (read) leg to a healthy one. */
export const MIRROR_LEG_DEFAULT_EVENT: TraceEventInfo = {
  name: "mirror.leg.default",
  description: "A mirror switched its default (read) leg to a healthy one",
};

/** Mutation: a write is acknowledged once the default leg has it; the other legs get it at the next flush. */
export const MIRROR_ACK_AFTER_ONE_LEG = "mirror-ack-after-one-leg";
/** Mutation: data goes to the legs before the region is marked dirty in the log. */
export const MIRROR_WRITE_BEFORE_MARK = "mirror-write-before-mark";
/** Mutation: a region is recorded clean in the disk log without flushing the legs first. */
export const MIRROR_CLEAR_BEFORE_LEG_FLUSH = "mirror-clear-before-leg-flush";
/** Mutation: a write that failed on one leg leaves its region in sync, so the legs are never reconciled. */
export const MIRROR_FAILED_WRITE_STAYS_IN_SYNC = "mirror-failed-write-stays-in-sync";
/** Mutation: region arithmetic off by one: a write marks (and later clears) the region after its own. */
export const MIRROR_MARK_NEXT_REGION = "mirror-mark-next-region";
/** Mutation: a write that spans regions marks only its first region dirty. */
const MIRROR_MARKS_FIRST_REGION_ONLY: MutationInfo = {
  name: "mirror-marks-first-region-only",
  description:
    "a mirror write that spans two regions marks only the first dirty, so a crash can leave the legs different in a region the log calls clean",
};
/** Mutation: resync copies from the last leg instead of the default one, so a stale leg wins. */
export const MIRROR_RESYNC_FROM_WRONG_LEG = "mirror-resync-from-wrong-leg";
/** Mutation: a resync copy that failed to write a leg still counts as a success (the error is swallowed). */
const MIRROR_RESYNC_IGNORES_WRITE_ERROR = "mirror-resync-ignores-leg-write-error";
/** Mutation: writes reach the legs without their FUA flag, so a FUA write is only as durable as the next flush. */
const MIRROR_LEG_WRITES_DROP_FUA = "mirror-leg-writes-drop-fua";

/** The mirror target's mutations, for the mutant catalogue. */
export const MIRROR_MUTATIONS: readonly MutationInfo[] = [
  {
    name: MIRROR_ACK_AFTER_ONE_LEG,
    description: "mirror acknowledges a write after the default leg; other legs catch up at the next flush",
  },
  {
    name: MIRROR_WRITE_BEFORE_MARK,
    description: "mirror writes data before the region is marked dirty and the log flushed",
  },
  {
    name: MIRROR_CLEAR_BEFORE_LEG_FLUSH,
    description:
      "mirror records a region clean in the disk log before the legs are flushed, so a crash can leave legs that differ in a clean region",
  },
  {
    name: MIRROR_FAILED_WRITE_STAYS_IN_SYNC,
    description:
      "a write that fails on one leg leaves its region marked in sync, so after the leg returns the legs differ and nothing resyncs them",
  },
  MIRROR_MARK_NOT_FLUSHED,
  {
    name: MIRROR_MARK_NEXT_REGION,
    description:
      "mirror marks dirty the region after the one it writes (off-by-one region arithmetic), so a crash leaves legs that differ in a clean region",
  },
  {
    name: MIRROR_RESYNC_FROM_WRONG_LEG,
    description:
      "mirror resync copies from the last leg instead of the default leg, so a leg that missed writes overwrites the one that has them",
  },
  {
    name: MIRROR_RESYNC_IGNORES_WRITE_ERROR,
    description:
      "a resync copy that failed to reach a leg is recorded as a success, so the region is cleared in the disk log and a leg that blinked during the resync is never reconciled",
  },
  MIRROR_MARKS_FIRST_REGION_ONLY,
  {
    name: MIRROR_LEG_WRITES_DROP_FUA,
    description:
      "mirror sends a FUA write to its legs as an ordinary cached write, so a power cut before the next flush loses a write the caller was told was durable",
  },
];

/** Most legs a mirror may have (LVM2's DEFAULT_MIRROR_MAX_IMAGES). */
const MAX_MIRROR_LEGS = 8;
/** Most writes one worker pass may queue before callers must wait: dm's queue is bounded by its callers' depth. */
const MAX_QUEUED_WRITES = 1 << 16;
/** Bound on writes the ack-after-one-leg mutation may hold back before it must catch up. */
const MAX_DEFERRED_WRITES = 1 << 16;

/** Leg error kinds, as dm-raid1 records them; the status char shows the most serious. */
export type LegErrorType = "F" | "D" | "S" | "R";

/** Options of a mirror target. */
export interface MirrorOptions {
  readonly lengthSectors: number;
  /** Region size in sectors, a power of two (LVM2's default is 4096 = 2 MiB). */
  readonly regionSizeSectors: number;
  /** The legs (`lv_mimage_N`), leg 0 first; leg 0 starts as the default leg. */
  readonly legs: readonly DeviceRef[];
  /** The disk log device (`lv_mlog`); a core log when absent. */
  readonly logDevice?: BlockDevice;
  /** `nosync` trusts the legs to be identical; `sync` forces a full resync. */
  readonly sync?: LogSyncMode;
  /** A core log starts with every region in sync (see {@link RegionLogOptions.assumeInSync}). */
  readonly assumeInSync?: boolean;
  /** Hold failed writes for userspace (dmeventd) instead of pretending they succeeded. */
  readonly handleErrors?: boolean;
  /** Resync speed limit in bytes per second of virtual time; unlimited when absent or 0. */
  readonly syncSpeedBytesPerSecond?: number;
  /** Virtual time of activation (the log is read then). */
  readonly activateNs?: number;
  readonly trace?: Trace;
  readonly mutations?: Mutations;
  /** A closed gate stalls resync (no region copied) while writes go on; checked every step. */
  readonly syncGate?: { readonly gate: SyncGate; readonly name: string };
}

/** One resync step's outcome. */
export interface MirrorResyncStep {
  /** The region copied, or undefined when no region needed it. */
  readonly region: number | undefined;
  /** False when the copy hit an I/O error. */
  readonly success: boolean;
  /** When the copy and its log update completed. */
  readonly doneNs: number;
  /** Earliest time the next step may start under the sync speed limit. */
  readonly nextStepNs: number;
  readonly syncedRegions: number;
  readonly totalRegions: number;
  /** True when there was nothing left to resync. */
  readonly done: boolean;
}

/** A write held by `handle_errors` for userspace to requeue once the mirror is reconfigured. */
export interface HeldWrite {
  readonly offsetBytes: number;
  readonly data: Uint8Array;
}

interface Leg {
  readonly ref: DeviceRef;
  readonly baseBytes: number;
  errorCount: number;
  readonly errorTypes: Set<LegErrorType>;
}

interface DeferredWrite {
  readonly leg: Leg;
  readonly offsetBytes: number;
  readonly data: Uint8Array;
}

/** The dm-mirror target. Construction activates it: the log is read at `activateNs` (see {@link readyNs}). */
export class MirrorTarget extends Target implements QueuedWriter {
  readonly targetType = "mirror";
  readonly regionSizeSectors: number;
  readonly handleErrors: boolean;
  /** Completion time of the activation's log read and header write. */
  readonly readyNs: number;
  readonly #legs: Leg[];
  readonly #log: RegionLog;
  readonly #rh: RegionHash;
  readonly #regionBytes: number;
  readonly #trace: Trace | undefined;
  readonly #syncGate: { readonly gate: SyncGate; readonly name: string } | undefined;
  readonly #ackAfterOneLeg: boolean;
  readonly #writeBeforeMark: boolean;
  readonly #clearBeforeLegFlush: boolean;
  readonly #failedWriteStaysInSync: boolean;
  /** 1 under the mark-next-region mutation, else 0: added to every region a write marks. */
  readonly #markShift: number;
  readonly #marksFirstOnly: boolean;
  readonly #resyncFromWrongLeg: boolean;
  readonly #resyncIgnoresWriteError: boolean;
  readonly #legWritesDropFua: boolean;
  readonly #syncSpeedBytesPerSecond: number;
  readonly #deferred: DeferredWrite[] = [];
  readonly #held: HeldWrite[] = [];
  #defaultLeg = 0;
  #inSync = false;
  #legFailure = false;
  #logFailure = false;
  #legsFlushedInPass = false;
  #scratch: Uint8Array | undefined;
  /** kmirrord: the scheduler its passes run on, once {@link startQueueing} attached one. */
  #worker: Scheduler | undefined;
  /** Writes submitted since the worker's last pass took its batch (dm-raid1's `ms->writes`). */
  readonly #queued: QueuedWrite[] = [];
  #passEvent: ScheduledEvent | undefined;
  /** The worker is blocked on its log I/O until then; a wake-up before it runs the pass after. */
  #workerFreeNs = 0;

  constructor(name: string, options: MirrorOptions) {
    super(name, options.lengthSectors);
    const count = options.legs.length;
    if (count < 1 || count > MAX_MIRROR_LEGS) {
      throw new RangeError(`Mirror ${name}: needs 1..${MAX_MIRROR_LEGS} legs, got ${count}`);
    }
    for (const ref of options.legs)
      checkDeviceRef(ref, { target: name, lengthSectors: options.lengthSectors });
    this.regionSizeSectors = options.regionSizeSectors;
    this.#regionBytes = options.regionSizeSectors * SECTOR_BYTES;
    this.handleErrors = options.handleErrors ?? false;
    this.#trace = options.trace;
    this.#syncGate = options.syncGate;
    const mutations = options.mutations ?? NO_MUTATIONS;
    this.#ackAfterOneLeg = mutations.has(MIRROR_ACK_AFTER_ONE_LEG);
    this.#writeBeforeMark = mutations.has(MIRROR_WRITE_BEFORE_MARK);
    this.#clearBeforeLegFlush = mutations.has(MIRROR_CLEAR_BEFORE_LEG_FLUSH);
    this.#failedWriteStaysInSync = mutations.has(MIRROR_FAILED_WRITE_STAYS_IN_SYNC);
    this.#markShift = mutations.has(MIRROR_MARK_NEXT_REGION) ? 1 : 0;
    this.#marksFirstOnly = mutations.has(MIRROR_MARKS_FIRST_REGION_ONLY.name);
    this.#resyncFromWrongLeg = mutations.has(MIRROR_RESYNC_FROM_WRONG_LEG);
    this.#resyncIgnoresWriteError = mutations.has(MIRROR_RESYNC_IGNORES_WRITE_ERROR);
    this.#legWritesDropFua = mutations.has(MIRROR_LEG_WRITES_DROP_FUA);
    const speed = options.syncSpeedBytesPerSecond ?? 0;
    if (!(speed >= 0) || !Number.isFinite(speed)) {
      throw new RangeError(
        `Mirror ${name}: sync speed must be a finite number of bytes/s >= 0, got ${speed}`,
      );
    }
    this.#syncSpeedBytesPerSecond = speed;
    this.#legs = options.legs.map((ref) => ({
      ref: { device: ref.device, offsetSectors: ref.offsetSectors },
      baseBytes: ref.offsetSectors * SECTOR_BYTES,
      errorCount: 0,
      errorTypes: new Set<LegErrorType>(),
    }));
    const logOptions = {
      regionSizeSectors: options.regionSizeSectors,
      targetSectors: options.lengthSectors,
      trace: options.trace,
      mirrorName: name,
      ...(options.sync === undefined ? {} : { sync: options.sync }),
    };
    this.#log =
      options.logDevice === undefined
        ? new CoreRegionLog({ ...logOptions, assumeInSync: options.assumeInSync === true })
        : new DiskRegionLog({ ...logOptions, device: options.logDevice, mutations });
    this.#rh = new RegionHash(this.#log);
    this.readyNs = this.#log.resume(options.activateNs ?? 0);
    this.#logFailure = this.#log.failed;
    this.#inSync = this.#log.syncCount === this.#log.regionCount;
  }

  /** The region log (core or disk). */
  get log(): RegionLog {
    return this.#log;
  }

  /** Number of regions. */
  get regionCount(): number {
    return this.#log.regionCount;
  }

  /** Index of the leg reads go to and resync copies from. */
  get defaultLeg(): number {
    return this.#defaultLeg;
  }

  /** True once every region is in sync (and no write failed since). */
  get inSync(): boolean {
    return this.#inSync;
  }

  /** LVM2's `copy_percent` / `sync_percent`: regions in sync over all regions, in percent. */
  get syncPercent(): number {
    return (100 * this.#log.syncCount) / this.#log.regionCount;
  }

  /** Alias of {@link syncPercent} under the name `lvs -o copy_percent` uses for mirrors. */
  get copyPercent(): number {
    return this.syncPercent;
  }

  /** The legs' devices and offsets, in table order. */
  get legs(): readonly DeviceRef[] {
    return this.#legs.map((l) => l.ref);
  }

  /** Status char per leg: A alive, F flush failed, D write failed, S sync failed, R read failed. */
  legHealth(): string {
    return this.#legs.map(statusChar).join("");
  }

  /** Writes held by `handle_errors`; taking them hands them to the caller for requeueing on the new table. */
  takeHeldWrites(): HeldWrite[] {
    return this.#held.splice(0, this.#held.length);
  }

  params(): string {
    const legs = this.#legs.map((l) => `${deviceLabel(l.ref.device)} ${l.ref.offsetSectors}`).join(" ");
    const features = this.handleErrors ? " 1 handle_errors" : "";
    return `${this.#log.params()} ${this.#legs.length} ${legs}${features}`;
  }

  override statusParams(): string {
    const names = this.#legs.map((l) => deviceLabel(l.ref.device)).join(" ");
    return `${this.#legs.length} ${names} ${this.#log.syncCount}/${this.#log.regionCount} 1 ${this.legHealth()} ${this.#log.statusParams()}`;
  }

  /** Persist pending clears and the log, as dm-raid1's postsuspend does. */
  suspend(options: { readonly issueNs?: number } = {}): number {
    const nowNs = this.#applyDeferred(this.#drainQueued(options.issueNs ?? 0));
    return this.#pass(nowNs);
  }

  /**
   * Copy the next out-of-sync region from the default leg to the others, then record it clean and
   * in sync (legs flushed before the log says so). Throttled by the sync speed limit.
   */
  resyncStep(options: { readonly issueNs?: number } = {}): MirrorResyncStep {
    const issueNs = options.issueNs ?? 0;
    const gate = this.#syncGate;
    if (gate === undefined ? false : gate.gate.isClosed(gate.name)) {
      return {
        region: undefined,
        success: true,
        doneNs: issueNs,
        nextStepNs: issueNs + STALL_POLL_NS,
        syncedRegions: this.#log.syncCount,
        totalRegions: this.#log.regionCount,
        done: false,
      };
    }
    let nowNs = this.#pass(this.#drainQueued(issueNs));
    const total = this.#log.regionCount;
    const region = this.#rh.startRecovery();
    if (region === undefined) {
      this.#noteInSync();
      return {
        region,
        success: true,
        doneNs: nowNs,
        nextStepNs: nowNs,
        syncedRegions: this.#log.syncCount,
        totalRegions: total,
        done: true,
      };
    }
    const startBytes = region * this.#regionBytes;
    const lengthBytes = Math.min(this.#regionBytes, this.sizeBytes - startBytes);
    const source = this.#resyncFromWrongLeg ? this.#legs.length - 1 : this.#defaultLeg;
    const from = this.#legs[source]!;
    // kcopyd's copy: as page references when every leg's stack can pass them (host CPU only).
    const sharePages =
      canSharePages(from.ref.device, "read", from.baseBytes + startBytes, lengthBytes) &&
      this.#legs.every(
        (leg, i) =>
          i === source || canSharePages(leg.ref.device, "write", leg.baseBytes + startBytes, lengthBytes),
      );
    let buffer: Uint8Array | readonly Uint8Array[] = [];
    let success = true;
    let copiedNs = nowNs;
    try {
      if (sharePages) {
        const read = readPagesFrom(from.ref.device, from.baseBytes + startBytes, lengthBytes, {
          issueNs: nowNs,
        });
        buffer = read.pages;
        copiedNs = read.doneNs;
      } else {
        this.#scratch ??= new Uint8Array(this.#regionBytes);
        buffer = this.#scratch.subarray(0, lengthBytes);
        copiedNs = from.ref.device.read(from.baseBytes + startBytes, buffer, { issueNs: nowNs });
      }
    } catch (error) {
      if (!isBlockDeviceError(error)) throw error;
      this.#failLeg(source, "S");
      success = false;
    }
    if (success) {
      let writtenNs = copiedNs;
      for (let i = 0; i < this.#legs.length; i++) {
        if (i === source) continue;
        const leg = this.#legs[i]!;
        try {
          const at = leg.baseBytes + startBytes;
          const doneNs =
            buffer instanceof Uint8Array
              ? leg.ref.device.write(at, buffer, { issueNs: copiedNs })
              : writePagesTo(leg.ref.device, at, buffer, { issueNs: copiedNs });
          writtenNs = Math.max(writtenNs, doneNs);
        } catch (error) {
          if (!isBlockDeviceError(error)) throw error;
          this.#failLeg(i, "S");
          if (!this.#resyncIgnoresWriteError) success = false;
        }
      }
      copiedNs = writtenNs;
    }
    this.#rh.endRecovery(region, success);
    nowNs = this.#pass(copiedNs);
    this.#noteInSync();
    this.#trace?.emit(MIRROR_RESYNC_STEP_EVENT.name, {
      mirror: this.name,
      region,
      success,
      synced: this.#log.syncCount,
      total,
    });
    const throttleNs =
      this.#syncSpeedBytesPerSecond > 0
        ? issueNs + Math.ceil((lengthBytes * 1e9) / this.#syncSpeedBytesPerSecond)
        : 0;
    return {
      region,
      success,
      doneNs: nowNs,
      nextStepNs: Math.max(nowNs, throttleNs),
      syncedRegions: this.#log.syncCount,
      totalRegions: total,
      done: false,
    };
  }

  /** True once {@link startQueueing} attached a scheduler: {@link submitWrite} may be used. */
  get queueing(): boolean {
    return this.#worker !== undefined;
  }

  /**
   * Run dm-raid1's worker (kmirrord) on `scheduler`: queued writes wait for its next pass, which
   * clears idle regions, marks the regions of every write queued since the last pass with one log
   * flush, then dispatches them all; completions wake it again to clear lazily.
   */
  startQueueing(scheduler: Scheduler): void {
    this.#worker = scheduler;
    this.#workerFreeNs = Math.max(this.#workerFreeNs, scheduler.nowNs);
  }

  /** Queue a write for the worker's next pass (dm-raid1's `queue_bio` + `wakeup_mirrord`). */
  submitWrite(offsetBytes: number, data: Uint8Array, options: WriteOptions, done: QueuedDone): void {
    if (this.#worker === undefined) {
      throw new Error(`Mirror ${this.name}: submitWrite needs startQueueing(scheduler) first`);
    }
    checkRequest(this, { offsetBytes, lengthBytes: data.byteLength });
    if (this.#queued.length >= MAX_QUEUED_WRITES) {
      throw new Error(`Mirror ${this.name}: more than ${MAX_QUEUED_WRITES} writes queued for one pass`);
    }
    this.stats.writeOps += 1;
    this.stats.writeBytes += data.byteLength;
    this.#queued.push({ offsetBytes, data: data.slice(), fua: options.fua ?? false, done });
    this.#wake(options.issueNs ?? 0);
  }

  /** Wake the worker: its next pass runs at `atNs`, or when its current log I/O ends. */
  #wake(atNs: number): void {
    const worker = this.#worker;
    if (worker === undefined || this.#passEvent !== undefined) return;
    const runNs = Math.max(atNs, this.#workerFreeNs, worker.nowNs);
    this.#passEvent = worker.at(runNs, (t) => this.#workerPass(t), `mirror ${this.name} worker pass`);
  }

  /** A synchronous request must not overtake queued writes: run their pass first. */
  #drainQueued(issueNs: number): number {
    if (this.#queued.length === 0) return issueNs;
    if (this.#passEvent !== undefined) this.#worker?.cancel(this.#passEvent);
    this.#passEvent = undefined;
    return this.#workerPass(Math.max(issueNs, this.#workerFreeNs));
  }

  /**
   * One do_mirror pass at `nowNs`: dm_rh_update_states (clears, leg flush, log write), then
   * do_writes on the whole queue: classify, count and mark every region, one dm_rh_flush, then
   * dispatch every write. Returns when the worker is free again (dispatch itself does not block).
   */
  #workerPass(startNs: number): number {
    this.#passEvent = undefined;
    const worker = this.#worker!;
    let nowNs = this.#pass(startNs);
    const batch = this.#queued.splice(0, this.#queued.length);
    const ready: { write: ClassifiedWrite; queued: QueuedWrite }[] = [];
    for (const queued of batch) {
      const write = this.#classify(queued.offsetBytes, queued.data);
      const why = this.#holdReason(write.states);
      if (why !== undefined) {
        const error = this.#hold(queued.offsetBytes, queued.data, why);
        worker.at(nowNs, () => queued.done({ completeNs: nowNs, error }), `mirror ${this.name} held`);
        continue;
      }
      ready.push({ write, queued });
    }
    const writes = ready.map((r) => r.write);
    if (writes.length > 0 && !this.#writeBeforeMark) nowNs = this.#markAndFlush(writes, nowNs);
    this.#workerFreeNs = nowNs;
    const dispatched = ready.map(({ write, queued }) => this.#dispatch(write, nowNs, queued.fua));
    let markedNs = nowNs;
    if (writes.length > 0 && this.#writeBeforeMark) {
      markedNs = this.#markAndFlush(writes, Math.max(nowNs, ...dispatched.map((d) => d.doneNs)));
      this.#workerFreeNs = markedNs;
    }
    for (const [i, { write, queued }] of ready.entries()) {
      const result = dispatched[i]!;
      const error = this.#settle(write, result);
      const doneNs = Math.max(result.doneNs, markedNs);
      worker.at(doneNs, (t) => this.#writeEnded(write, queued, t, error), `mirror ${this.name} write end`);
    }
    return this.#workerFreeNs;
  }

  /** mirror_end_io → dm_rh_dec: a region whose last write ended goes on the clean list and wakes the worker. */
  #writeEnded(
    write: ClassifiedWrite,
    queued: QueuedWrite,
    nowNs: number,
    error: BlockDeviceError | undefined,
  ): void {
    let idle = false;
    for (let r = write.first; r <= write.markLast; r++) {
      this.#rh.dec(this.#marked(r));
      if (this.#rh.pending(this.#marked(r)) === 0) idle = true;
    }
    if (idle && this.#rh.cleanListSize > 0) this.#wake(nowNs);
    queued.done(error === undefined ? { completeNs: nowNs } : { completeNs: nowNs, error });
  }

  protected mapRead(offsetBytes: number, dst: Uint8Array, issueNs: number): number {
    let doneNs = issueNs;
    let pos = 0;
    while (pos < dst.byteLength) {
      const at = offsetBytes + pos;
      const region = Math.floor(at / this.#regionBytes);
      const len = Math.min(dst.byteLength - pos, (region + 1) * this.#regionBytes - at);
      doneNs = Math.max(doneNs, this.#readRegionPiece(region, at, dst.subarray(pos, pos + len), issueNs));
      pos += len;
    }
    return doneNs;
  }

  protected mapWrite(offsetBytes: number, data: Uint8Array, issueNs: number, fua: boolean): number {
    let nowNs = this.#pass(this.#drainQueued(issueNs));
    const write = this.#classify(offsetBytes, data);
    const why = this.#holdReason(write.states);
    if (why !== undefined) throw this.#hold(offsetBytes, data, why);
    if (!this.#writeBeforeMark) nowNs = this.#markAndFlush([write], nowNs);
    const dispatched = this.#dispatch(write, nowNs, fua);
    let doneNs = dispatched.doneNs;
    if (this.#writeBeforeMark) doneNs = this.#markAndFlush([write], doneNs);
    const error = this.#settle(write, dispatched);
    for (let r = write.first; r <= write.markLast; r++) this.#rh.dec(this.#marked(r));
    if (error !== undefined) throw error;
    return doneNs;
  }

  /** The regions a write covers and their states; a region mid-recovery cannot be written. */
  #classify(offsetBytes: number, data: Uint8Array): ClassifiedWrite {
    const first = Math.floor(offsetBytes / this.#regionBytes);
    const last = Math.floor((offsetBytes + data.byteLength - 1) / this.#regionBytes);
    const states: RegionState[] = [];
    for (let r = first; r <= last; r++) {
      const state = this.#rh.getState(r);
      // Recovery runs to completion inside resyncStep, so no write can ever meet a recovering region.
      if (state === "RECOVERING") throw new Error(`Mirror ${this.name}: write met region ${r} mid-recovery`);
      states.push(state);
    }
    return { offsetBytes, data, first, last, markLast: this.#marksFirstOnly ? first : last, states };
  }

  /** Why handle_errors must hold a write to these regions, or undefined when it may go ahead. */
  #holdReason(states: readonly RegionState[]): string | undefined {
    if (
      this.handleErrors &&
      ((this.#logFailure && states.some(toAllLegs)) || (this.#legFailure && !states.every(toAllLegs)))
    ) {
      return "the mirror has a failed log or leg";
    }
    return undefined;
  }

  /** Send the write's pieces to the legs (in-sync regions) or the default leg (out-of-sync ones). */
  #dispatch(write: ClassifiedWrite, nowNs: number, fuaAsked: boolean): DispatchResult {
    const { offsetBytes, data, first, last, states } = write;
    const fua = fuaAsked && !this.#legWritesDropFua;
    const failedLegs = new Set<number>();
    const failedRegions: number[] = [];
    let nosyncError: BlockDeviceError | undefined;
    let doneNs = nowNs;
    for (let r = first; r <= last; r++) {
      const start = Math.max(offsetBytes, r * this.#regionBytes);
      const end = Math.min(offsetBytes + data.byteLength, (r + 1) * this.#regionBytes);
      const piece = data.subarray(start - offsetBytes, end - offsetBytes);
      if (!toAllLegs(states[r - first]!)) {
        // Out-of-sync regions only go to the default leg; an error there is the caller's.
        const leg = this.#legs[this.#defaultLeg]!;
        try {
          doneNs = Math.max(
            doneNs,
            leg.ref.device.write(leg.baseBytes + start, piece, { issueNs: nowNs, fua }),
          );
        } catch (error) {
          if (!isBlockDeviceError(error)) throw error;
          nosyncError ??= error;
        }
        continue;
      }
      let regionFailed = false;
      for (let i = 0; i < this.#legs.length; i++) {
        const leg = this.#legs[i]!;
        if (this.#ackAfterOneLeg && i !== this.#defaultLeg) {
          this.#defer(leg, start, piece);
          continue;
        }
        try {
          doneNs = Math.max(
            doneNs,
            leg.ref.device.write(leg.baseBytes + start, piece, { issueNs: nowNs, fua }),
          );
        } catch (error) {
          if (!isBlockDeviceError(error)) throw error;
          failedLegs.add(i);
          regionFailed = true;
        }
      }
      if (regionFailed) failedRegions.push(r);
    }
    return { doneNs, failedLegs, failedRegions, nosyncError };
  }

  /** Record leg failures and out-of-sync regions; returns the error the write must end with, if any. */
  #settle(write: ClassifiedWrite, dispatched: DispatchResult): BlockDeviceError | undefined {
    const { offsetBytes, data } = write;
    for (const i of dispatched.failedLegs) this.#failLeg(i, "D");
    for (const r of dispatched.failedRegions) {
      if (!this.#logFailure && !this.#failedWriteStaysInSync) {
        this.#inSync = false;
        this.#rh.markNosync(r);
      }
    }
    if (dispatched.nosyncError !== undefined) return dispatched.nosyncError;
    if (dispatched.failedRegions.length > 0) {
      if (this.#legs.every((l) => l.errorCount > 0)) {
        return new BlockDeviceError(
          "EIO",
          this.name,
          offsetBytes,
          data.byteLength,
          "every mirror leg failed the write",
        );
      }
      if (this.handleErrors) return this.#hold(offsetBytes, data, "a leg failed the write");
      // Without handle_errors dm-raid1 pretends the write succeeded: the healthy legs have it.
    }
    return undefined;
  }

  protected mapFlush(issueNs: number): number {
    let nowNs = this.#applyDeferred(this.#drainQueued(issueNs));
    this.#legsFlushedInPass = false;
    nowNs = this.#pass(nowNs);
    if (this.#legsFlushedInPass) return nowNs;
    const result = this.#flushLegs(nowNs);
    if (this.#legs.every((l) => l.errorCount > 0)) {
      throw new BlockDeviceError("EIO", this.name, 0, 0, "every mirror leg failed the flush");
    }
    return result.doneNs;
  }

  /** Discards go to every leg and never degrade the mirror (dm-raid1 reports them unsupported on error). */
  protected mapDiscard(offsetBytes: number, lengthBytes: number, issueNs: number): number {
    let doneNs = issueNs;
    let failed: BlockDeviceError | undefined;
    for (const leg of this.#legs) {
      try {
        doneNs = Math.max(
          doneNs,
          leg.ref.device.discard(leg.baseBytes + offsetBytes, lengthBytes, { issueNs }),
        );
      } catch (error) {
        if (!isBlockDeviceError(error)) throw error;
        failed ??= error;
      }
    }
    if (failed !== undefined) {
      throw new BlockDeviceError(
        "EINVAL",
        this.name,
        offsetBytes,
        lengthBytes,
        `discard not supported by every leg (${failed.message}); the mirror is not degraded`,
      );
    }
    return doneNs;
  }

  #readRegionPiece(region: number, offsetBytes: number, dst: Uint8Array, issueNs: number): number {
    const regionInSync = () => {
      const state = this.#rh.getState(region);
      return state === "CLEAN" || state === "DIRTY";
    };
    const pick = (): number | undefined => {
      if (regionInSync()) return this.#chooseLeg();
      return this.#legs[this.#defaultLeg]!.errorCount > 0 ? undefined : this.#defaultLeg;
    };
    let leg = pick();
    let lastError: BlockDeviceError | undefined;
    for (let attempt = 0; attempt <= this.#legs.length; attempt++) {
      if (leg === undefined) break;
      const l = this.#legs[leg]!;
      try {
        return l.ref.device.read(l.baseBytes + offsetBytes, dst, { issueNs });
      } catch (error) {
        if (!isBlockDeviceError(error)) throw error;
        lastError = error;
        this.#failLeg(leg, "R");
        const defaultOk = this.#legs[this.#defaultLeg]!.errorCount === 0;
        if (!defaultOk && !(regionInSync() && this.#chooseLeg() !== undefined)) break;
        leg = pick();
      }
    }
    throw new BlockDeviceError(
      "EIO",
      this.name,
      offsetBytes,
      dst.byteLength,
      `no mirror leg could serve the read of region ${region}${lastError === undefined ? "" : ` (last: ${lastError.message})`}`,
    );
  }

  /** dm-raid1's choose_mirror: the default leg if healthy, else the nearest healthy leg walking backwards. */
  #chooseLeg(): number | undefined {
    const n = this.#legs.length;
    for (let k = 0; k < n; k++) {
      const i = (this.#defaultLeg - k + n) % n;
      if (this.#legs[i]!.errorCount === 0) return i;
    }
    return undefined;
  }

  /** dm-raid1's do_writes: count every write of the pass in its regions (marking clean ones), then one log flush. */
  #markAndFlush(writes: readonly ClassifiedWrite[], issueNs: number): number {
    for (const w of writes) for (let r = w.first; r <= w.markLast; r++) this.#rh.inc(this.#marked(r));
    return this.#logFlush(() => this.#rh.flush(issueNs, (t) => this.#flushLegsBeforeClear(t)), issueNs);
  }

  /** One pass of the mirror daemon: apply recovery results and pending clears, then flush the log. */
  #pass(issueNs: number): number {
    return this.#logFlush(
      () =>
        this.#rh.updateStates(issueNs, {
          errorsHandled: this.handleErrors,
          flushLegs: (t) => this.#flushLegsBeforeClear(t),
        }),
      issueNs,
    );
  }

  /** Run a log flush; a log device error marks the log failed instead of failing the caller's I/O. */
  #logFlush(flush: () => number, issueNs: number): number {
    try {
      return flush();
    } catch (error) {
      if (!isBlockDeviceError(error)) throw error;
      this.#logFailure = true;
      return issueNs;
    }
  }

  /** The region a write to region `r` marks: `r` itself, unless the mark-next-region mutation is on. */
  #marked(r: number): number {
    return (r + this.#markShift) % this.#log.regionCount;
  }

  /** What the log calls before it records regions clean: the data it vouches for must be durable. */
  #flushLegsBeforeClear(issueNs: number): LegFlushResult {
    if (this.#clearBeforeLegFlush) return { doneNs: issueNs, failed: false };
    return this.#flushLegs(issueNs);
  }

  #flushLegs(issueNs: number): LegFlushResult {
    this.#legsFlushedInPass = true;
    let doneNs = issueNs;
    let failed = false;
    for (let i = 0; i < this.#legs.length; i++) {
      try {
        doneNs = Math.max(doneNs, this.#legs[i]!.ref.device.flush({ issueNs }));
      } catch (error) {
        if (!isBlockDeviceError(error)) throw error;
        this.#failLeg(i, "F");
        failed = true;
      }
    }
    return { doneNs, failed };
  }

  /** dm-raid1's fail_mirror: count the error; with handle_errors move the default off a failed leg. */
  #failLeg(index: number, type: LegErrorType): void {
    const leg = this.#legs[index]!;
    this.#legFailure = true;
    leg.errorCount += 1;
    if (leg.errorTypes.has(type)) return;
    leg.errorTypes.add(type);
    this.#trace?.emit(MIRROR_LEG_FAIL_EVENT.name, {
      mirror: this.name,
      leg: index,
      device: leg.ref.device.name,
      type,
    });
    if (!this.handleErrors || index !== this.#defaultLeg) return;
    // Reading a failing primary beats returning stale data from a leg that is not in sync.
    if (!this.#inSync) return;
    const healthy = this.#legs.findIndex((l) => l.errorCount === 0);
    if (healthy >= 0) {
      this.#defaultLeg = healthy;
      this.#trace?.emit(MIRROR_LEG_DEFAULT_EVENT.name, { mirror: this.name, leg: healthy });
    }
  }

  #noteInSync(): void {
    if (this.#inSync || this.#log.syncCount !== this.#log.regionCount) return;
    this.#inSync = true;
    // dm-raid1's reset_ms_flags: a fully synced mirror forgets past leg errors.
    this.#legFailure = false;
    for (const leg of this.#legs) {
      leg.errorCount = 0;
      leg.errorTypes.clear();
    }
  }

  #hold(offsetBytes: number, data: Uint8Array, why: string): BlockDeviceError {
    this.#held.push({ offsetBytes, data: data.slice() });
    return new BlockDeviceError(
      "EIO",
      this.name,
      offsetBytes,
      data.byteLength,
      `write held by handle_errors because ${why}; reconfigure the mirror (lvconvert --repair) and requeue it`,
    );
  }

  #defer(leg: Leg, offsetBytes: number, data: Uint8Array): void {
    if (this.#deferred.length >= MAX_DEFERRED_WRITES) {
      throw new Error(`Mirror ${this.name}: more than ${MAX_DEFERRED_WRITES} deferred leg writes`);
    }
    this.#deferred.push({ leg, offsetBytes, data: data.slice() });
  }

  #applyDeferred(issueNs: number): number {
    let doneNs = issueNs;
    for (const d of this.#deferred.splice(0, this.#deferred.length)) {
      doneNs = Math.max(doneNs, d.leg.ref.device.write(d.leg.baseBytes + d.offsetBytes, d.data, { issueNs }));
    }
    return doneNs;
  }
}

/** A write waiting for the worker's next pass. */
interface QueuedWrite {
  readonly offsetBytes: number;
  readonly data: Uint8Array;
  readonly fua: boolean;
  readonly done: QueuedDone;
}

/** Writes to CLEAN and DIRTY (in-sync) regions go to every leg. */
function toAllLegs(state: RegionState): boolean {
  return state === "CLEAN" || state === "DIRTY";
}

/** A write with the regions it covers and their states when its pass classified it. */
interface ClassifiedWrite {
  readonly offsetBytes: number;
  readonly data: Uint8Array;
  readonly first: number;
  readonly last: number;
  /** The last region the write marks dirty: `last`, unless a mutation marks the first only. */
  readonly markLast: number;
  readonly states: readonly RegionState[];
}

/** What dispatching one write to the legs did. */
interface DispatchResult {
  readonly doneNs: number;
  readonly failedLegs: ReadonlySet<number>;
  readonly failedRegions: readonly number[];
  readonly nosyncError: BlockDeviceError | undefined;
}

function statusChar(leg: Leg): string {
  if (leg.errorCount === 0) return "A";
  for (const type of ["F", "D", "S", "R"] as const) if (leg.errorTypes.has(type)) return type;
  return "U";
}
