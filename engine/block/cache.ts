/**
 * A disk's volatile write cache: a persisted layer (the backing device) plus the ordered log of
 * writes since the last completed flush. Reads see the newest data at once; a flush writes the log
 * back in order; FUA writes and discards are durable when they complete. A power cut keeps some
 * subset of the log (the CrashMonkey / dm-log-writes model), chosen by a policy or enumerated.
 *
 * When the log grows past its bounds the oldest writes are written back early, as a real drive
 * destages its cache. That only removes crash states (those writes can no longer be lost), never
 * adds a state a real drive could not reach.
 */

import type { MutationInfo, Mutations } from "../sim/mutations.js";
import { NO_MUTATIONS } from "../sim/mutations.js";
import type { Trace, TraceEventInfo } from "../sim/trace.js";
import type { CrashPolicy, CrashState, CrashStateSummary, KeptWrite } from "./crash-state.js";
import { applyCrashState, chooseCrashState, summariseCrashState } from "./crash-state.js";
import type { CrashStateCount, CrashStateOptions } from "./crash-states.js";
import { countCrashStates, DEFAULT_CRASH_STATE_LIMIT, enumerateCrashStates } from "./crash-states.js";
import type { BlockDevice, IoOptions, IoStats, WriteOptions } from "./device.js";
import { emptyIoStats, SECTOR_BYTES } from "./device.js";
import { BlockDeviceError } from "./errors.js";
import { LogArena } from "./log-arena.js";
import { PAGE_BYTES } from "./memory.js";
import {
  canSharePages,
  concatPages,
  copyFromPages,
  isPageAligned,
  type PageOp,
  type PageSharingDevice,
  type PagesRead,
  readPagesFrom,
  writePagesTo,
} from "./page-share.js";
import { type OverlayRun, SectorOverlay } from "./sector-overlay.js";
import { issueTimeNs, validateRequest } from "./validate.js";
import type { LoggedWrite } from "./write-log.js";
import { liveRuns, supersede } from "./write-log.js";

/** Trace event: a write reached a volatile write cache (before it is cached or destaged). */
export const BLOCK_WRITE_EVENT: TraceEventInfo = {
  name: "block.write",
  description: "A write reached a volatile write cache (before it is cached or destaged)",
};

/** Trace event: a cache flush began: every pending write is about to be destaged. */
export const BLOCK_FLUSH_EVENT: TraceEventInfo = {
  name: "block.flush",
  description: "A cache flush began: every pending write is about to be destaged",
};

/** Trace event: a discard reached a volatile write cache. */
export const BLOCK_DISCARD_EVENT: TraceEventInfo = {
  name: "block.discard",
  description: "A discard reached a volatile write cache",
};

/** Trace event: a volatile cache resolved its pending writes at a power cut. */
export const BLOCK_POWERCUT_EVENT: TraceEventInfo = {
  name: "block.powercut",
  description: "A volatile cache resolved its pending writes at a power cut",
};

/** Mutation: FUA writes are cached like ordinary writes, so a power cut can lose them. */
export const MUTATION_FUA_STAYS_VOLATILE = "block.cache.fua-stays-volatile";

/** Catalogue entry for {@link MUTATION_FUA_STAYS_VOLATILE}. */
export const FUA_STAYS_VOLATILE: MutationInfo = {
  name: MUTATION_FUA_STAYS_VOLATILE,
  description: "VolatileCache ignores FUA: forced-unit-access writes stay in the volatile log",
};

/** Mutation: a FUA write leaves the older cached writes under it live, so a crash can replay them over it. */
export const MUTATION_FUA_KEEPS_OLDER_CACHED = "block.cache.fua-keeps-older-cached";

/** Catalogue entry for {@link MUTATION_FUA_KEEPS_OLDER_CACHED}. */
export const FUA_KEEPS_OLDER_CACHED: MutationInfo = {
  name: MUTATION_FUA_KEEPS_OLDER_CACHED,
  description:
    "VolatileCache writes a FUA write through but leaves older cached writes to the same sectors live, so a power cut that keeps them brings older data back over the durable write",
};

/** Default bound on logged writes before the oldest are written back. */
export const DEFAULT_MAX_LOG_WRITES = 65_536;
/** Default bound on logged bytes before the oldest writes are written back. */
export const DEFAULT_MAX_LOG_BYTES = 64 * 1024 * 1024;

/** Options for a {@link VolatileCache}. */
export interface VolatileCacheOptions {
  /** Name for errors and trace events; defaults to the backing device's name. */
  readonly name?: string;
  /** Write back the oldest logged writes once more than this many are pending. */
  readonly maxLogWrites?: number;
  /** Write back the oldest logged writes once more than this many bytes are pending. */
  readonly maxLogBytes?: number;
  /** Trace bus for `block.write`, `block.flush`, `block.discard` and `block.powercut` events. */
  readonly trace?: Trace;
  /** Deliberate bugs to build in; empty in normal runs. */
  readonly mutations?: Mutations;
}

/** What a power cut did, for the NDJSON record; replay it with `{ kind: "explicit", kept }`. */
export interface CrashOutcome extends CrashStateSummary {
  readonly device: string;
  readonly policy: CrashPolicy;
  readonly kept: readonly KeptWrite[];
}

// A logged write. Its bytes are the cache's copy in its arena, or pages the writer lent (page
// sharing), copied out only when something needs them contiguous: a crash state, a partial
// write-back. Either way they are never changed.
class LogEntry implements LoggedWrite {
  live: Uint8Array | null = null;
  liveSectors: number;
  #data: Uint8Array | undefined;

  constructor(
    readonly seq: number,
    readonly offsetBytes: number,
    readonly lengthBytes: number,
    data: Uint8Array | undefined,
    /** Pages lent by the writer, when it wrote pages. */
    readonly pages: readonly Uint8Array[] | undefined,
    /** True when `data` is a copy in this cache's arena, released in log order. */
    readonly inArena: boolean,
  ) {
    if (data === undefined && pages === undefined) throw new Error(`Logged write seq ${seq} has no bytes`);
    this.#data = data;
    this.liveSectors = lengthBytes / SECTOR_BYTES;
  }

  get data(): Uint8Array {
    this.#data ??= concatPages(this.pages!);
    return this.#data;
  }

  /** Copy `lengthBytes` of the write's bytes from `fromBytes` into `dst` at `dstAt`. */
  copyOut(fromBytes: number, lengthBytes: number, dst: Uint8Array, dstAt: number): void {
    if (this.#data === undefined) copyFromPages(this.pages!, fromBytes, lengthBytes, dst, dstAt);
    else dst.set(this.#data.subarray(fromBytes, fromBytes + lengthBytes), dstAt);
  }

  /** The same write for another cache's log: bytes shared (never changed), liveness its own. */
  adopted(): LogEntry {
    const copy = new LogEntry(this.seq, this.offsetBytes, this.lengthBytes, this.#data, this.pages, false);
    copy.live = this.live === null ? null : this.live.slice();
    copy.liveSectors = this.liveSectors;
    return copy;
  }
}

/** A volatile write cache in front of a persisted layer. */
export class VolatileCache implements BlockDevice, PageSharingDevice {
  readonly name: string;
  readonly sizeBytes: number;
  /** Requests issued to the cache (what the host asked for); the backing device counts what persisted. */
  readonly stats: IoStats = emptyIoStats();
  /** The persisted layer. */
  readonly backing: BlockDevice;
  readonly #maxLogWrites: number;
  readonly #maxLogBytes: number;
  readonly #trace: Trace | undefined;
  readonly #mutations: Mutations;
  #log: LogEntry[] = [];
  #head = 0;
  #logBytes = 0;
  #seq = 0;
  #generation = 0;
  #destagedWrites = 0;
  // Per sector, the seq of the logged write holding its newest bytes. The bytes stay in the log
  // entry; copying them into an overlay as well cost as much again as the log's own copy.
  readonly #overlay = new SectorOverlay();
  // Reused by every read that overlays logged sectors (a closure per read was most of its garbage).
  readonly #run: OverlayRun = { firstSector: 0, endSector: 0, seq: 0 };
  // Allocation per write dominated the cache's cost, so log copies are pooled.
  readonly #arena = new LogArena();
  // Set by adoptLogForPowerCut: the log is another cache's and the overlay is empty, so only a
  // power cut may come next.
  #adoptedFrom: string | undefined;

  constructor(backing: BlockDevice, options: VolatileCacheOptions = {}) {
    this.backing = backing;
    this.name = options.name ?? backing.name;
    this.sizeBytes = backing.sizeBytes;
    this.#maxLogWrites = options.maxLogWrites ?? DEFAULT_MAX_LOG_WRITES;
    this.#maxLogBytes = options.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
    if (
      !Number.isInteger(this.#maxLogWrites) ||
      this.#maxLogWrites < 1 ||
      !(this.#maxLogBytes >= SECTOR_BYTES)
    ) {
      throw new BlockDeviceError(
        "EINVAL",
        this.name,
        0,
        0,
        `cache bounds maxLogWrites=${this.#maxLogWrites}, maxLogBytes=${this.#maxLogBytes} are invalid; ` +
          `allow at least one write and ${SECTOR_BYTES} bytes`,
      );
    }
    this.#trace = options.trace;
    this.#mutations = options.mutations ?? NO_MUTATIONS;
  }

  /** Writes in the volatile log (since the last completed flush). */
  get pendingWrites(): number {
    return this.#log.length - this.#head;
  }

  /** Bytes held in the volatile log. */
  get pendingBytes(): number {
    return this.#logBytes;
  }

  /** Writes written back early because the log reached its bounds. */
  get destagedWrites(): number {
    return this.#destagedWrites;
  }

  /** Bumped on every change to the log; crash states are only valid for the generation they came from. */
  get generation(): number {
    return this.#generation;
  }

  /** Distinct crash states (whole writes, no tearing) up to {@link DEFAULT_CRASH_STATE_LIMIT}. */
  get crashStateCount(): number {
    return this.countCrashStates({ limit: DEFAULT_CRASH_STATE_LIMIT }).count;
  }

  /** Read the newest data: the persisted layer overlaid with cached sectors. */
  read(offsetBytes: number, dst: Uint8Array, options: IoOptions = {}): number {
    const atNs = issueTimeNs(this.name, options.issueNs);
    if (this.#adoptedFrom !== undefined) this.#refuseBeforePowerCut();
    validateRequest(this, { offsetBytes, lengthBytes: dst.length }, { kind: "read" });
    let doneNs = atNs;
    const overlay = this.#overlay;
    const firstSector = offsetBytes / SECTOR_BYTES;
    const endSector = firstSector + dst.length / SECTOR_BYTES;
    if (overlay.isEmpty || !overlay.allIn(firstSector, endSector)) {
      doneNs = this.backing.read(offsetBytes, dst, { issueNs: atNs });
    }
    if (!overlay.isEmpty) this.#overlayInto(offsetBytes, dst);
    this.stats.readOps += 1;
    this.stats.readBytes += dst.length;
    return doneNs;
  }

  /** Log the write (completing at once), or with FUA write it through before completing. */
  write(offsetBytes: number, data: Uint8Array, options: WriteOptions = {}): number {
    const atNs = issueTimeNs(this.name, options.issueNs);
    if (this.#adoptedFrom !== undefined) this.#refuseBeforePowerCut();
    validateRequest(this, { offsetBytes, lengthBytes: data.length }, { kind: "write" });
    const fua = options.fua === true;
    this.#trace?.emit(BLOCK_WRITE_EVENT.name, {
      device: this.name,
      offsetBytes,
      lengthBytes: data.length,
      fua,
    });
    this.stats.writeOps += 1;
    this.stats.writeBytes += data.length;
    if (data.length === 0) return atNs;
    if (fua && !this.#mutations.has(MUTATION_FUA_STAYS_VOLATILE)) {
      const doneNs = this.backing.write(offsetBytes, data, { issueNs: atNs, fua: true });
      if (!this.#mutations.has(MUTATION_FUA_KEEPS_OLDER_CACHED)) this.#durable(offsetBytes, data.length);
      return doneNs;
    }
    this.#seq += 1;
    return this.#append(
      new LogEntry(this.#seq, offsetBytes, data.length, this.#arena.copy(data), undefined, true),
      atNs,
    );
  }

  /** Pages can be logged (and written back) by reference when the persisted layer adopts pages. */
  canSharePages(op: PageOp, offsetBytes: number, lengthBytes: number): boolean {
    if (this.#adoptedFrom !== undefined || !isPageAligned(offsetBytes, lengthBytes)) return false;
    if (
      op === "read" &&
      this.#overlay.anyIn(offsetBytes / SECTOR_BYTES, (offsetBytes + lengthBytes) / SECTOR_BYTES)
    )
      return false;
    return canSharePages(this.backing, op, offsetBytes, lengthBytes);
  }

  /** {@link read} of a range no logged write covers: the persisted layer's pages. */
  readPages(offsetBytes: number, lengthBytes: number, options: IoOptions = {}): PagesRead {
    const atNs = issueTimeNs(this.name, options.issueNs);
    if (this.#adoptedFrom !== undefined) this.#refuseBeforePowerCut();
    validateRequest(this, { offsetBytes, lengthBytes }, { kind: "read" });
    if (!this.canSharePages("read", offsetBytes, lengthBytes)) {
      throw new Error(
        `Cache ${this.name}: readPages of ${offsetBytes}+${lengthBytes}, which it cannot share`,
      );
    }
    const read = readPagesFrom(this.backing, offsetBytes, lengthBytes, { issueNs: atNs });
    this.stats.readOps += 1;
    this.stats.readBytes += lengthBytes;
    return read;
  }

  /** {@link write} of pages: logged by reference (the writer never changes them), no copy. */
  writePages(offsetBytes: number, pages: readonly Uint8Array[], options: WriteOptions = {}): number {
    const atNs = issueTimeNs(this.name, options.issueNs);
    if (this.#adoptedFrom !== undefined) this.#refuseBeforePowerCut();
    const lengthBytes = pages.length * PAGE_BYTES;
    validateRequest(this, { offsetBytes, lengthBytes }, { kind: "write" });
    const fua = options.fua === true;
    this.#trace?.emit(BLOCK_WRITE_EVENT.name, { device: this.name, offsetBytes, lengthBytes, fua });
    this.stats.writeOps += 1;
    this.stats.writeBytes += lengthBytes;
    if (lengthBytes === 0) return atNs;
    if (fua && !this.#mutations.has(MUTATION_FUA_STAYS_VOLATILE)) {
      const doneNs = writePagesTo(this.backing, offsetBytes, pages, { issueNs: atNs, fua: true });
      this.#durable(offsetBytes, lengthBytes);
      return doneNs;
    }
    this.#seq += 1;
    return this.#append(new LogEntry(this.#seq, offsetBytes, lengthBytes, undefined, pages, false), atNs);
  }

  #append(entry: LogEntry, atNs: number): number {
    this.#log.push(entry);
    this.#logBytes += entry.lengthBytes;
    this.#generation += 1;
    this.#overlay.mark(
      entry.offsetBytes / SECTOR_BYTES,
      (entry.offsetBytes + entry.lengthBytes) / SECTOR_BYTES,
      entry.seq,
    );
    let doneNs = atNs;
    while (this.pendingWrites > this.#maxLogWrites || this.#logBytes > this.#maxLogBytes) {
      doneNs = this.#destageOldest(doneNs, { early: true });
    }
    return doneNs;
  }

  /** Write the whole log back in order, then flush the persisted layer. */
  flush(options: IoOptions = {}): number {
    const atNs = issueTimeNs(this.name, options.issueNs);
    if (this.#adoptedFrom !== undefined) this.#refuseBeforePowerCut();
    this.#trace?.emit(BLOCK_FLUSH_EVENT.name, { device: this.name, pendingWrites: this.pendingWrites });
    let doneNs = atNs;
    while (this.pendingWrites > 0) doneNs = this.#destageOldest(doneNs, { early: false });
    doneNs = this.backing.flush({ issueNs: doneNs });
    this.#clearLog();
    this.stats.flushOps += 1;
    return doneNs;
  }

  /** Discard on the persisted layer at once; cached sectors in the range can no longer come back. */
  discard(offsetBytes: number, lengthBytes: number, options: IoOptions = {}): number {
    const atNs = issueTimeNs(this.name, options.issueNs);
    if (this.#adoptedFrom !== undefined) this.#refuseBeforePowerCut();
    validateRequest(this, { offsetBytes, lengthBytes }, { kind: "discard" });
    this.#trace?.emit(BLOCK_DISCARD_EVENT.name, { device: this.name, offsetBytes, lengthBytes });
    const doneNs = this.backing.discard(offsetBytes, lengthBytes, { issueNs: atNs });
    this.#durable(offsetBytes, lengthBytes);
    this.stats.discardOps += 1;
    this.stats.discardBytes += lengthBytes;
    return doneNs;
  }

  /**
   * Lose power: write the part of the log the policy keeps to the persisted layer, drop the rest,
   * and clear the cache. Returns what was kept, which replays with `{ kind: "explicit", kept }`.
   */
  powerCut(policy: CrashPolicy, options: IoOptions = {}): CrashOutcome {
    const atNs = issueTimeNs(this.name, options.issueNs);
    const log = this.#pending();
    const state = chooseCrashState(log, policy, { mutations: this.#mutations });
    applyCrashState(log, state, this.backing, { issueNs: atNs });
    const outcome: CrashOutcome = {
      device: this.name,
      policy,
      ...summariseCrashState(log, state),
      kept: state.kept,
    };
    this.#clearLog();
    this.#adoptedFrom = undefined;
    this.#trace?.emit(BLOCK_POWERCUT_EVENT.name, {
      device: this.name,
      policy: policy.kind,
      pendingWrites: outcome.pendingWrites,
      keptWrites: outcome.keptWrites,
      tornWrites: outcome.tornWrites,
    });
    return outcome;
  }

  /**
   * Take over `other`'s pending log (entries copied, their bytes shared, never written to) and its
   * counters, to be resolved by {@link powerCut} next: crash-point branching gives a branch the
   * cache exactly as the power cut found it. Until that power cut the cache refuses every request,
   * since its overlay is not rebuilt. The backing device must already hold `other`'s persisted layer.
   */
  adoptLogForPowerCut(other: VolatileCache): void {
    if (this.#log.length > this.#head || !this.#overlay.isEmpty) {
      throw new Error(`Cache ${this.name} must be empty to adopt the log of ${other.name}`);
    }
    this.#log = other.#pending().map((entry) => entry.adopted());
    this.#head = 0;
    this.#logBytes = other.#logBytes;
    this.#seq = other.#seq;
    this.#generation = other.#generation;
    this.#destagedWrites = other.#destagedWrites;
    Object.assign(this.stats, other.stats);
    this.#adoptedFrom = other.name;
  }

  /**
   * Drop the cache: its arena chunks and overlay pages go back to this thread's pools for other
   * caches, and any later request throws. For machines thrown away once judged.
   */
  release(): void {
    this.#adoptedFrom = "(released)";
    // The adopted log's bytes belong to another cache; only this cache's own storage is recycled.
    this.#log = [];
    this.#head = 0;
    this.#arena.release();
    this.#overlay.release();
  }

  #refuseBeforePowerCut(): void {
    throw new Error(
      this.#adoptedFrom === "(released)"
        ? `Cache ${this.name} was released and took a request`
        : `Cache ${this.name} adopted the log of ${this.#adoptedFrom} for a power cut and took a request first`,
    );
  }

  /** Count distinct crash states reachable from the current log (reads the persisted layer). */
  countCrashStates(options: CrashStateOptions = {}): CrashStateCount {
    return countCrashStates(this.#pending(), this.#persistedReader(), {
      mutations: this.#mutations,
      ...options,
    });
  }

  /**
   * Yield each distinct crash state of the current log, at most `options.limit`. Materialise one
   * with {@link applyCrashState} onto a clone of the persisted layer; the log must not change meanwhile.
   */
  *enumerateCrashStates(options: CrashStateOptions = {}): Generator<CrashState, CrashStateCount> {
    const generation = this.#generation;
    const states = enumerateCrashStates(this.#pending(), this.#persistedReader(), options);
    for (;;) {
      const next = states.next();
      if (next.done === true) return next.value;
      yield next.value;
      if (this.#generation !== generation) {
        throw new Error(
          `The cache log of ${this.name} changed while enumerating crash states (generation ` +
            `${generation} -> ${this.#generation}); finish enumerating before issuing more requests`,
        );
      }
    }
  }

  /** Write a crash state of the current log onto `target` (e.g. a clone of the persisted layer). */
  applyCrashState(state: CrashState, target: BlockDevice, options: IoOptions = {}): number {
    return applyCrashState(this.#pending(), state, target, options);
  }

  #pending(): LogEntry[] {
    if (this.#head > 0) {
      this.#log = this.#log.slice(this.#head);
      this.#head = 0;
    }
    return this.#log;
  }

  #persistedReader(): (offsetBytes: number, dst: Uint8Array) => void {
    return (offsetBytes, dst) => {
      this.backing.read(offsetBytes, dst);
    };
  }

  #clearLog(): void {
    this.#log = [];
    this.#head = 0;
    this.#logBytes = 0;
    this.#arena.clear();
    this.#overlay.clear();
    this.#generation += 1;
  }

  #destageOldest(issueNs: number, how: { readonly early: boolean }): number {
    const entry = this.#log[this.#head];
    if (entry === undefined) {
      throw new Error(`Cache ${this.name} asked to write back from an empty log (head ${this.#head})`);
    }
    let doneNs = issueNs;
    if (entry.pages !== undefined && entry.live === null) {
      // Lent pages written back whole: the persisted layer adopts them when it can.
      doneNs = writePagesTo(this.backing, entry.offsetBytes, entry.pages, { issueNs: doneNs });
    } else {
      for (const [first, count] of liveRuns(entry)) {
        const data = entry.data.subarray(first * SECTOR_BYTES, (first + count) * SECTOR_BYTES);
        doneNs = this.backing.write(entry.offsetBytes + first * SECTOR_BYTES, data, { issueNs: doneNs });
      }
    }
    // Release the data now; the slot itself goes at the next compaction.
    this.#log[this.#head] = undefined as unknown as LogEntry;
    this.#head += 1;
    if (entry.inArena) this.#arena.releaseOldest();
    this.#logBytes -= entry.lengthBytes;
    this.#generation += 1;
    if (how.early) {
      this.#destagedWrites += 1;
      this.#overlay.cleanSeq(
        entry.offsetBytes / SECTOR_BYTES,
        (entry.offsetBytes + entry.lengthBytes) / SECTOR_BYTES,
        entry.seq,
      );
    }
    // Drop consumed slots now and then, so the array does not keep growing under steady destaging.
    if (this.#head > 1024 && this.#head * 2 > this.#log.length) {
      this.#log = this.#log.slice(this.#head);
      this.#head = 0;
    }
    return doneNs;
  }

  // A durable request covered this range: older logged sectors there are dead, and reads must go
  // to the persisted layer, which now holds the newest data.
  #durable(offsetBytes: number, lengthBytes: number): void {
    const endBytes = offsetBytes + lengthBytes;
    let changed = false;
    for (let i = this.#head; i < this.#log.length; i++) {
      if (supersede(this.#log[i]!, { offsetBytes, endBytes }) > 0) changed = true;
    }
    if (changed) this.#generation += 1;
    this.#overlay.clean(offsetBytes / SECTOR_BYTES, endBytes / SECTOR_BYTES);
  }

  #overlayInto(offsetBytes: number, dst: Uint8Array): void {
    const log = this.#log;
    const head = this.#head;
    const firstSeq = log[head]?.seq ?? 0;
    const firstSector = offsetBytes / SECTOR_BYTES;
    const endSector = firstSector + dst.length / SECTOR_BYTES;
    const run = this.#run;
    let from = firstSector;
    while (this.#overlay.nextRun(from, endSector, run)) {
      const seq = run.seq;
      // Logged writes hold consecutive seqs from the head on, so the seq is the entry's position.
      const entry = log[head + seq - firstSeq];
      if (entry === undefined || entry.seq !== seq) {
        throw new Error(`Cache ${this.name}: overlay names write seq ${seq}, which the log does not hold`);
      }
      const at = run.firstSector * SECTOR_BYTES;
      entry.copyOut(
        at - entry.offsetBytes,
        (run.endSector - run.firstSector) * SECTOR_BYTES,
        dst,
        at - offsetBytes,
      );
      from = run.endSector;
    }
  }
}
