/**
 * The `snapshot-origin` target (dm-snap.c `origin_map`): the origin LV while it has snapshots.
 * Reads pass straight through; a write first makes every snapshot that lacks an exception for the
 * chunk copy the old data to its COW device and commit the exception (flushed), and only then
 * overwrites the origin.
 *
 * Table: `snapshot-origin <origin>`; status is empty.
 */

import type { BlockDevice, WriteOptions } from "../../block/device.js";
import { isBlockDeviceError } from "../../block/errors.js";
import type { QueuedDone, QueuedWriter } from "../../block/queued.js";
import { type MutationInfo, type Mutations, NO_MUTATIONS } from "../../sim/mutations.js";
import type { Scheduler } from "../../sim/scheduler.js";
import { checkRequest, deviceLabel, Target } from "../target.js";
import { type ExceptionWaiter, PendingExceptions } from "./pending-exceptions.js";
import type { PendingCopies, SnapshotTarget } from "./snapshot.js";

/** Mutation: the origin is overwritten after the old chunk is copied but before its exception is committed. */
export const SNAPSHOT_ORIGIN_BEFORE_COMMIT = "snapshot-origin-before-commit";

/** Mutation: a queued origin write to a chunk whose exception is already in flight does not wait for it. */
const SNAPSHOT_ORIGIN_QUEUED_SKIPS_PENDING: MutationInfo = {
  name: "snapshot-origin-queued-skips-pending",
  description:
    "a queued origin write to a chunk whose exception another write already started goes straight to the origin instead of waiting for that exception to commit",
};

/** Mutation: a queued origin write loses its FUA flag on the way to the origin's device. */
const SNAPSHOT_ORIGIN_QUEUED_DROPS_FUA: MutationInfo = {
  name: "snapshot-origin-queued-drops-fua",
  description:
    "a queued origin write reaches the origin's device as an ordinary cached write, so a power cut before the next flush loses a FUA write the caller was told was durable",
};

/** The snapshot-origin target's mutations, for the mutant catalogue. */
export const SNAPSHOT_ORIGIN_MUTATIONS: readonly MutationInfo[] = [
  {
    name: SNAPSHOT_ORIGIN_BEFORE_COMMIT,
    description: "origin write lands before the snapshot's exception for the old chunk is committed",
  },
  SNAPSHOT_ORIGIN_QUEUED_SKIPS_PENDING,
  SNAPSHOT_ORIGIN_QUEUED_DROPS_FUA,
];

/** Most snapshots one origin may carry; each origin write costs a copy per snapshot, so keep it bounded. */
const MAX_SNAPSHOTS_PER_ORIGIN = 256;

/** Options of a snapshot-origin target. */
export interface SnapshotOriginOptions {
  /** The origin's data device (`<lv>-real`). */
  readonly origin: BlockDevice;
  /** Defaults to the origin's size. */
  readonly lengthSectors?: number;
  readonly mutations?: Mutations;
}

/** The origin with copy-on-write for its registered snapshots. */
export class SnapshotOriginTarget extends Target implements QueuedWriter {
  readonly targetType = "snapshot-origin";
  readonly origin: BlockDevice;
  readonly #snapshots: SnapshotTarget[] = [];
  readonly #originBeforeCommit: boolean;
  readonly #queuedSkipsPending: boolean;
  readonly #queuedDropsFua: boolean;
  #scheduler: Scheduler | undefined;
  /** Pending exceptions per snapshot, while writes are queued (see {@link startQueueing}). */
  readonly #pending = new Map<SnapshotTarget, PendingExceptions>();

  constructor(name: string, options: SnapshotOriginOptions) {
    super(name, options.lengthSectors ?? Math.floor(options.origin.sizeBytes / 512));
    if (this.sizeBytes > options.origin.sizeBytes) {
      throw new RangeError(`Snapshot origin ${name}: longer than its device ${options.origin.name}`);
    }
    this.origin = options.origin;
    this.#originBeforeCommit = (options.mutations ?? NO_MUTATIONS).has(SNAPSHOT_ORIGIN_BEFORE_COMMIT);
    this.#queuedSkipsPending = (options.mutations ?? NO_MUTATIONS).has(
      SNAPSHOT_ORIGIN_QUEUED_SKIPS_PENDING.name,
    );
    this.#queuedDropsFua = (options.mutations ?? NO_MUTATIONS).has(SNAPSHOT_ORIGIN_QUEUED_DROPS_FUA.name);
  }

  /** Snapshots that copy-on-write from this origin, in registration order. */
  get snapshots(): readonly SnapshotTarget[] {
    return this.#snapshots;
  }

  /** Attach a snapshot whose origin is this target's device (what activating a snapshot LV does). */
  register(snapshot: SnapshotTarget): void {
    if (snapshot.origin !== this.origin) {
      throw new Error(
        `Snapshot ${snapshot.name} reads from ${snapshot.origin.name}, not this origin's device ${this.origin.name}`,
      );
    }
    if (this.#snapshots.includes(snapshot)) return;
    if (this.#snapshots.length >= MAX_SNAPSHOTS_PER_ORIGIN) {
      throw new RangeError(
        `Origin ${this.name} already has ${MAX_SNAPSHOTS_PER_ORIGIN} snapshots; remove one first`,
      );
    }
    this.#snapshots.push(snapshot);
  }

  /** Detach a snapshot (deactivation or lvremove). */
  unregister(snapshot: SnapshotTarget): void {
    const at = this.#snapshots.indexOf(snapshot);
    if (at >= 0) this.#snapshots.splice(at, 1);
  }

  params(): string {
    return deviceLabel(this.origin);
  }

  /** True once {@link startQueueing} attached a scheduler: {@link submitWrite} may be used. */
  get queueing(): boolean {
    return this.#scheduler !== undefined;
  }

  /**
   * Hold queued origin writes on pending exceptions, as dm-snap does: copies run concurrently,
   * each snapshot's store commits once for every exception pending at that moment, and a write
   * reaches the origin only after every exception it needs has completed.
   */
  startQueueing(scheduler: Scheduler): void {
    this.#scheduler = scheduler;
  }

  /** Queue an origin write (dm-snap's `__origin_write`): wait on pending exceptions, then write through. */
  submitWrite(offsetBytes: number, data: Uint8Array, options: WriteOptions, done: QueuedDone): void {
    const scheduler = this.#scheduler;
    if (scheduler === undefined) {
      throw new Error(`Snapshot origin ${this.name}: submitWrite needs startQueueing(scheduler) first`);
    }
    checkRequest(this, { offsetBytes, lengthBytes: data.byteLength });
    this.stats.writeOps += 1;
    this.stats.writeBytes += data.byteLength;
    const issueNs = options.issueNs ?? 0;
    const fua = (options.fua ?? false) && !this.#queuedDropsFua;
    const copy = data.slice();
    const writeThrough = (atNs: number): void => {
      let completeNs: number;
      try {
        completeNs = this.origin.write(offsetBytes, copy, { issueNs: atNs, fua });
      } catch (error) {
        if (!isBlockDeviceError(error)) throw error;
        scheduler.at(atNs, () => done({ completeNs: atNs, error }), `origin ${this.name} write failed`);
        return;
      }
      scheduler.at(completeNs, (t) => done({ completeNs: t }), `origin ${this.name} write end`);
    };
    const waiter: ExceptionWaiter = { waits: 0, release: writeThrough };
    for (const snapshot of this.#snapshots) {
      if (!snapshot.valid) continue;
      let pending = this.#pending.get(snapshot);
      if (pending === undefined) {
        pending = new PendingExceptions(snapshot, scheduler, { joinsPending: !this.#queuedSkipsPending });
        this.#pending.set(snapshot, pending);
      }
      const { first, last } = snapshot.chunkSpan(offsetBytes, data.byteLength);
      for (let chunk = first; chunk <= last; chunk++) {
        // A chunk whose exception is still pending waits on it even if the store already holds the
        // entry in memory: the area carrying it may not be on disk yet.
        if (!pending.has(chunk) && snapshot.store.lookup(chunk) !== undefined) continue;
        pending.await(chunk, waiter, issueNs);
      }
    }
    if (waiter.waits === 0 || this.#originBeforeCommit) {
      writeThrough(issueNs);
      if (this.#originBeforeCommit) waiter.waits = Number.POSITIVE_INFINITY;
    }
  }

  protected mapRead(offsetBytes: number, dst: Uint8Array, issueNs: number): number {
    return this.origin.read(offsetBytes, dst, { issueNs });
  }

  protected mapWrite(offsetBytes: number, data: Uint8Array, issueNs: number, fua: boolean): number {
    this.#assertNothingPending("write");
    return this.#copyOnWrite(offsetBytes, data.byteLength, issueNs, (atNs) =>
      this.origin.write(offsetBytes, data, { issueNs: atNs, fua }),
    );
  }

  protected mapFlush(issueNs: number): number {
    return this.origin.flush({ issueNs });
  }

  /** A discard destroys data like a write does, so snapshots copy first. */
  protected mapDiscard(offsetBytes: number, lengthBytes: number, issueNs: number): number {
    this.#assertNothingPending("discard");
    return this.#copyOnWrite(offsetBytes, lengthBytes, issueNs, (atNs) =>
      this.origin.discard(offsetBytes, lengthBytes, { issueNs: atNs }),
    );
  }

  /** A synchronous write must not race queued copy-on-write of the same chunks; callers drain first. */
  #assertNothingPending(what: string): void {
    for (const pending of this.#pending.values()) {
      if (pending.size > 0) {
        throw new Error(
          `Snapshot origin ${this.name}: a synchronous ${what} while ${pending.size} exceptions of ${pending.snapshot.name} are pending; wait for queued writes to complete first`,
        );
      }
    }
  }

  /** Copy for every snapshot in parallel, commit, and only then run `overwrite`. */
  #copyOnWrite(
    offsetBytes: number,
    lengthBytes: number,
    issueNs: number,
    overwrite: (atNs: number) => number,
  ): number {
    const pending: [SnapshotTarget, PendingCopies][] = [];
    for (const snapshot of this.#snapshots) {
      if (!snapshot.valid) continue;
      pending.push([snapshot, snapshot.copyChunks(offsetBytes, lengthBytes, issueNs)]);
    }
    if (this.#originBeforeCommit) {
      let doneNs = overwrite(issueNs);
      for (const [snapshot, copies] of pending)
        doneNs = Math.max(doneNs, snapshot.commitCopies(copies, copies.doneNs));
      return doneNs;
    }
    let committedNs = issueNs;
    for (const [snapshot, copies] of pending) {
      committedNs = Math.max(committedNs, snapshot.commitCopies(copies, copies.doneNs));
    }
    return overwrite(committedNs);
  }
}
