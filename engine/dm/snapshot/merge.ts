/**
 * The `snapshot-merge` target (dm-snap.c `snapshot_merge_*`): `lvconvert --merge` puts the
 * snapshot's content back into the origin. It presents the snapshot's view while it works and
 * merges from the last exception backwards, one run of consecutive chunks per step: copy the COW
 * chunks over the origin, flush the origin, then zero those exceptions and write their area with
 * PREFLUSH|FUA. A crash at any point resumes from the exceptions still on disk.
 *
 * Table: `snapshot-merge <origin> <cow> P <chunk size>`.
 */

import { BlockDeviceError } from "../../block/errors.js";
import { type MutationInfo, NO_MUTATIONS } from "../../sim/mutations.js";
import { STALL_POLL_NS, type SyncGate } from "../../sim/sync-gate.js";
import type { TraceEventInfo } from "../../sim/trace.js";
import { type SnapshotOptions, SnapshotTarget } from "./snapshot.js";

/** Mutation: merged exceptions are dropped before the chunks copied back reach the origin's stable storage. */
export const SNAPSHOT_MERGE_SKIP_ORIGIN_FLUSH: MutationInfo = {
  name: "snapshot-merge-skip-origin-flush",
  description:
    "snapshot merge drops merged exceptions from the COW without flushing the origin first, so a crash loses chunks from both",
};

/** Mutation: a merge step overwrites origin chunks without letting the origin's other snapshots copy them first. */
export const SNAPSHOT_MERGE_SKIPS_OTHER_SNAPSHOTS: MutationInfo = {
  name: "snapshot-merge-skips-other-snapshots",
  description:
    "snapshot merge copies chunks back over the origin without the origin's other snapshots copying them first, so those snapshots change under the merge",
};

/** Mutation: a merge step copies one chunk less than the run it drops, so the run's last chunk never reaches the origin. */
export const SNAPSHOT_MERGE_SKIPS_RUN_TAIL: MutationInfo = {
  name: "snapshot-merge-skips-run-tail",
  description:
    "snapshot merge copies a run of consecutive exceptions back without its last chunk, then drops every exception of the run",
};

/** Mutation: a write during a merge to a chunk the COW still holds goes to the origin, under the COW's copy. */
export const SNAPSHOT_MERGE_WRITE_SKIPS_COW: MutationInfo = {
  name: "snapshot-merge-write-skips-cow",
  description:
    "a write to the merging origin lands on the origin even where the chunk is still in the COW, so reads return the COW's older chunk and the merge later copies it over the write",
};

/** Trace event: a snapshot merge copied chunks back to the origin and committed the store. */
export const SNAPSHOT_MERGE_STEP_EVENT: TraceEventInfo = {
  name: "snapshot.merge.step",
  description: "A snapshot merge copied chunks back to the origin and committed the store",
};

/** Options of a merging snapshot. */
export interface SnapshotMergeOptions extends SnapshotOptions {
  /** A closed gate stalls the merge (nothing copied back) while I/O goes on. */
  readonly syncGate?: { readonly gate: SyncGate; readonly name: string };
  /** Other snapshots of the same origin: they copy-on-write before the merge overwrites the origin. */
  readonly others?: readonly SnapshotTarget[];
  /** Most chunks one step copies (the kernel copies a whole run); unlimited when absent. */
  readonly maxChunksPerStep?: number;
}

/** One merge step's outcome. */
export interface MergeStep {
  /** Origin chunk where the merged run starts; undefined when nothing was left. */
  readonly oldChunk: number | undefined;
  readonly mergedChunks: number;
  readonly remainingExceptions: number;
  readonly done: boolean;
  readonly doneNs: number;
}

/** A snapshot being merged into its origin; use it as the origin LV's table while merging. */
export class SnapshotMergeTarget extends SnapshotTarget {
  override readonly targetType = "snapshot-merge";
  readonly #others: readonly SnapshotTarget[];
  readonly #maxChunks: number;
  readonly #syncGate: { readonly gate: SyncGate; readonly name: string } | undefined;
  readonly #flushOrigin: boolean;
  readonly #othersCopy: boolean;
  readonly #skipsRunTail: boolean;
  readonly #writeSkipsCow: boolean;
  #buffer: Uint8Array | undefined;

  constructor(name: string, options: SnapshotMergeOptions) {
    super(name, options);
    this.#syncGate = options.syncGate;
    this.#flushOrigin = !(options.mutations ?? NO_MUTATIONS).has(SNAPSHOT_MERGE_SKIP_ORIGIN_FLUSH.name);
    this.#othersCopy = !(options.mutations ?? NO_MUTATIONS).has(SNAPSHOT_MERGE_SKIPS_OTHER_SNAPSHOTS.name);
    this.#skipsRunTail = (options.mutations ?? NO_MUTATIONS).has(SNAPSHOT_MERGE_SKIPS_RUN_TAIL.name);
    this.#writeSkipsCow = (options.mutations ?? NO_MUTATIONS).has(SNAPSHOT_MERGE_WRITE_SKIPS_COW.name);
    if (!this.valid) {
      throw new BlockDeviceError(
        "EINVAL",
        options.cow.name,
        0,
        0,
        `Snapshot ${name} is invalid and cannot be merged; remove it with lvremove`,
      );
    }
    this.#others = options.others ?? [];
    const max = options.maxChunksPerStep ?? Number.POSITIVE_INFINITY;
    if (!(max >= 1))
      throw new RangeError(`Snapshot merge ${name}: maxChunksPerStep must be >= 1, got ${max}`);
    this.#maxChunks = max;
  }

  /** Merge the next run of exceptions (from the end); returns progress. */
  mergeStep(options: { readonly issueNs?: number } = {}): MergeStep {
    const issueNs = options.issueNs ?? 0;
    const gate = this.#syncGate;
    if (gate === undefined ? false : gate.gate.isClosed(gate.name)) {
      // Stalled: nothing merged; look again later.
      return {
        oldChunk: undefined,
        mergedChunks: 0,
        remainingExceptions: this.store.exceptionCount,
        done: false,
        doneNs: issueNs + STALL_POLL_NS,
      };
    }
    const prepared = this.store.prepareMerge(issueNs);
    if (prepared === undefined) {
      return { oldChunk: undefined, mergedChunks: 0, remainingExceptions: 0, done: true, doneNs: issueNs };
    }
    const { run } = prepared;
    const chunks = Math.min(run.chunks, this.#maxChunks);
    // Take the tail of the run: commit_merge clears entries from the end of the area.
    const oldChunk = run.oldChunk + run.chunks - chunks;
    const newChunk = run.newChunk + run.chunks - chunks;
    const startBytes = oldChunk * this.chunkBytes;
    const copiedChunks = this.#skipsRunTail && chunks > 1 ? chunks - 1 : chunks;
    const lengthBytes = Math.min(copiedChunks * this.chunkBytes, this.sizeBytes - startBytes);
    let nowNs = prepared.doneNs;
    for (const other of this.#othersCopy ? this.#others : []) {
      nowNs = Math.max(nowNs, other.commitCopies(other.copyChunks(startBytes, lengthBytes, nowNs), nowNs));
    }
    if (this.#buffer === undefined || this.#buffer.byteLength < lengthBytes)
      this.#buffer = new Uint8Array(lengthBytes);
    const buffer = this.#buffer.subarray(0, lengthBytes);
    nowNs = this.store.cow.read(this.store.chunkOffsetBytes(newChunk), buffer, { issueNs: nowNs });
    nowNs = this.origin.write(startBytes, buffer, { issueNs: nowNs });
    // The chunks must be durable on the origin before their exceptions stop preserving them.
    if (this.#flushOrigin) nowNs = this.origin.flush({ issueNs: nowNs });
    nowNs = this.store.commitMerge(chunks, nowNs);
    const remaining = this.store.exceptionCount;
    this.trace?.emit(SNAPSHOT_MERGE_STEP_EVENT.name, { snapshot: this.name, oldChunk, chunks, remaining });
    return { oldChunk, mergedChunks: chunks, remainingExceptions: remaining, done: false, doneNs: nowNs };
  }

  /** Writes to chunks without an exception land on the origin (other snapshots copy first). */
  protected override mapWrite(offsetBytes: number, data: Uint8Array, issueNs: number, fua: boolean): number {
    return this.forEachChunk(offsetBytes, data.byteLength, issueNs, (chunk, inChunk, at, len) => {
      const piece = data.subarray(at, at + len);
      const cowChunk = this.#writeSkipsCow ? undefined : this.store.lookup(chunk);
      if (cowChunk !== undefined) {
        return this.store.cow.write(this.store.chunkOffsetBytes(cowChunk) + inChunk, piece, { issueNs, fua });
      }
      const originOffset = chunk * this.chunkBytes + inChunk;
      let nowNs = issueNs;
      for (const other of this.#others) {
        nowNs = Math.max(nowNs, other.commitCopies(other.copyChunks(originOffset, len, issueNs), issueNs));
      }
      return this.origin.write(originOffset, piece, { issueNs: nowNs, fua });
    });
  }

  /** The merging device's flushes must reach both the origin and the COW. */
  protected override mapFlush(issueNs: number): number {
    return Math.max(this.origin.flush({ issueNs }), this.store.cow.flush({ issueNs }));
  }
}
