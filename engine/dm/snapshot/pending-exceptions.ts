/**
 * Pending exceptions of one snapshot for queued origin writes (dm-snap.c + dm-snap-persistent.c):
 * an origin write to a chunk with no exception allocates a pending exception and starts kcopyd's
 * copy; further writes to that chunk wait on the same exception. Copies complete in allocation
 * order (`exception_complete_sequence`); each completion calls the store's commit, which writes the
 * exception area once for every exception pending at that moment and only then runs their
 * callbacks, which release the origin writes that waited. The commit I/O blocks kcopyd's callback
 * thread, so completions that arrive meanwhile are handled after it.
 */

import type { Scheduler } from "../../sim/scheduler.js";
import type { ExceptionEntry } from "./exception-store.js";
import type { SnapshotTarget } from "./snapshot.js";

/** Something waiting for exceptions to commit: an origin write held until every one it needs is done. */
export interface ExceptionWaiter {
  /** Exceptions (over all snapshots) still to complete before the write may go to the origin. */
  waits: number;
  /** Called at the virtual time the last awaited exception completed. */
  readonly release: (nowNs: number) => void;
}

interface PendingException {
  readonly entry: ExceptionEntry;
  copied: boolean;
  /** False when the copy failed: the exception completes as invalid. */
  copyOk: boolean;
  readonly waiters: ExceptionWaiter[];
}

/** Most exceptions one snapshot may have pending; bounded by the callers' queue depth in practice. */
const MAX_PENDING_EXCEPTIONS = 1 << 16;

/** The pending-exception table and commit sequencing of one snapshot. */
export class PendingExceptions {
  readonly snapshot: SnapshotTarget;
  readonly #scheduler: Scheduler;
  /** Pending exceptions by origin chunk. */
  readonly #byChunk = new Map<number, PendingException>();
  /** Pending exceptions in allocation order; completions are handled from the front only. */
  readonly #order: PendingException[] = [];
  /** kcopyd's callback thread is blocked on a commit until then. */
  #threadFreeNs = 0;
  #callbackScheduled = false;
  /** False only under a mutation: a write to a chunk already pending does not wait for it. */
  readonly #joinsPending: boolean;

  constructor(
    snapshot: SnapshotTarget,
    scheduler: Scheduler,
    options: { readonly joinsPending?: boolean } = {},
  ) {
    this.snapshot = snapshot;
    this.#scheduler = scheduler;
    this.#joinsPending = options.joinsPending ?? true;
  }

  /** Exceptions allocated and not yet completed (copying, or committed in memory but not on disk). */
  get size(): number {
    return this.#byChunk.size;
  }

  /** True when `chunk` has an exception in flight. */
  has(chunk: number): boolean {
    return this.#byChunk.has(chunk);
  }

  /**
   * Make `waiter` wait for `chunk`'s exception, starting its copy at `issueNs` when none is in
   * flight. Returns false when there is nothing to wait for (the snapshot is invalid or overflowed).
   */
  await(chunk: number, waiter: ExceptionWaiter, issueNs: number): boolean {
    let pe = this.#byChunk.get(chunk);
    if (pe !== undefined && !this.#joinsPending) return false;
    if (pe === undefined) {
      if (this.#order.length >= MAX_PENDING_EXCEPTIONS) {
        throw new Error(
          `Snapshot ${this.snapshot.name}: more than ${MAX_PENDING_EXCEPTIONS} pending exceptions`,
        );
      }
      const started = this.snapshot.startCopy(chunk, issueNs);
      if (started === undefined) return false;
      const created: PendingException = {
        entry: { oldChunk: chunk, newChunk: started.newChunk },
        copied: false,
        copyOk: started.copied,
        waiters: [],
      };
      pe = created;
      this.#byChunk.set(chunk, created);
      this.#order.push(created);
      this.#scheduler.at(
        started.doneNs,
        (t) => {
          created.copied = true;
          this.#scheduleCallbacks(t);
        },
        `snapshot ${this.snapshot.name} copy of chunk ${chunk}`,
      );
    }
    pe.waiters.push(waiter);
    waiter.waits += 1;
    return true;
  }

  #scheduleCallbacks(nowNs: number): void {
    if (this.#callbackScheduled) return;
    this.#callbackScheduled = true;
    const runNs = Math.max(nowNs, this.#threadFreeNs);
    this.#scheduler.at(
      runNs,
      (t) => this.#runCallbacks(t),
      `snapshot ${this.snapshot.name} kcopyd callbacks`,
    );
  }

  /** Complete copied exceptions in allocation order; a commit blocks the thread until its area write ends. */
  #runCallbacks(startNs: number): void {
    this.#callbackScheduled = false;
    let nowNs = startNs;
    while (this.#order.length > 0 && this.#order[0]!.copied) {
      const pe = this.#order.shift()!;
      const committed = this.snapshot.store.commitQueued(pe.entry, { valid: pe.copyOk, issueNs: nowNs });
      if (committed === undefined) continue;
      nowNs = committed.doneNs;
      if (!this.snapshot.valid) this.snapshot.invalidate("exception commit or copy failed", nowNs);
      this.#completeBatch(committed.entries, nowNs);
    }
    this.#threadFreeNs = nowNs;
  }

  /** pending_complete for every exception of a commit: drop it from the table, release its waiters. */
  #completeBatch(entries: readonly ExceptionEntry[], nowNs: number): void {
    const released: ExceptionWaiter[] = [];
    for (const entry of entries) {
      const pe = this.#byChunk.get(entry.oldChunk);
      if (pe === undefined)
        throw new Error(`Snapshot ${this.snapshot.name}: committed chunk ${entry.oldChunk} was not pending`);
      this.#byChunk.delete(entry.oldChunk);
      for (const waiter of pe.waiters) {
        waiter.waits -= 1;
        if (waiter.waits === 0) released.push(waiter);
      }
    }
    if (released.length === 0) return;
    this.#scheduler.at(
      nowNs,
      (t) => {
        for (const waiter of released) waiter.release(t);
      },
      `snapshot ${this.snapshot.name} exceptions complete`,
    );
  }
}
