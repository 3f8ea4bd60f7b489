/**
 * The `snapshot` target (dm-snap.c): a point-in-time view of an origin. Chunks the origin has
 * overwritten since are read from their copies in the COW device's exception store; the rest from
 * the origin. Writable: a write to the snapshot gets its own COW chunk. When the COW space runs out
 * the snapshot is invalidated (LVM2 loads the store as `P`, not `PO`): every later snapshot I/O
 * fails with EIO while the origin carries on.
 *
 * Table: `snapshot <origin> <cow> P <chunk size>`. Status: `<allocated>/<total> <metadata>` or `Invalid`.
 */

import { type BlockDevice, SECTOR_BYTES } from "../../block/device.js";
import { BlockDeviceError, isBlockDeviceError } from "../../block/errors.js";
import { type MutationInfo, type Mutations, NO_MUTATIONS } from "../../sim/mutations.js";
import type { Trace, TraceEventInfo } from "../../sim/trace.js";
import { deviceLabel, Target } from "../target.js";
import { type ExceptionEntry, PersistentExceptionStore } from "./exception-store.js";

/** Trace event: an origin chunk was copied into the snapshot's COW store. */
export const SNAPSHOT_COW_COPY_EVENT: TraceEventInfo = {
  name: "snapshot.cow.copy",
  description: "An origin chunk was copied into the snapshot's COW store",
};

/** Trace event: a snapshot was invalidated (COW full or an I/O error). */
export const SNAPSHOT_INVALIDATE_EVENT: TraceEventInfo = {
  name: "snapshot.invalidate",
  description: "A snapshot was invalidated (COW full or an I/O error)",
};

/** Mutation: a snapshot read of a copied chunk starts at the chunk's first byte, whatever its offset in the chunk. */
const SNAPSHOT_COW_READ_IGNORES_OFFSET: MutationInfo = {
  name: "snapshot-cow-read-ignores-offset",
  description:
    "snapshot reads a copied chunk from its start on the COW, ignoring the offset inside the chunk, so with chunks larger than an I/O it returns another block",
};

/** Mutation: copy-on-write computes the last chunk of an origin write one too low, so a write inside one large chunk copies nothing. */
const SNAPSHOT_COPY_MISSES_LAST_CHUNK: MutationInfo = {
  name: "snapshot-copy-misses-last-chunk",
  description:
    "snapshot copy-on-write takes the chunk after an origin write's last byte minus one as its last chunk, so a write smaller than a chunk copies nothing before overwriting the origin",
};

/** Mutation: a write to the snapshot itself that covers part of a chunk skips copying the origin's chunk first. */
const SNAPSHOT_WRITE_SKIPS_CHUNK_COPY: MutationInfo = {
  name: "snapshot-write-skips-chunk-copy",
  description:
    "a write to the snapshot that covers only part of a chunk allocates its exception without copying the origin's chunk into it first, so the rest of the chunk reads as whatever the COW held",
};

/** The snapshot target's mutations, for the mutant catalogue. */
export const SNAPSHOT_MUTATIONS: readonly MutationInfo[] = [
  SNAPSHOT_COW_READ_IGNORES_OFFSET,
  SNAPSHOT_COPY_MISSES_LAST_CHUNK,
  SNAPSHOT_WRITE_SKIPS_CHUNK_COPY,
];

/** Options of a snapshot target. */
export interface SnapshotOptions {
  /** The origin's data device (LVM2's `<lv>-real`), never the snapshot-origin device itself. */
  readonly origin: BlockDevice;
  /** The COW device (`<snap>-cow`). */
  readonly cow: BlockDevice;
  /** Chunk size in sectors; a power of two (LVM2: 8..1024, i.e. 4 KiB–512 KiB). */
  readonly chunkSizeSectors: number;
  /** Defaults to the origin's size. */
  readonly lengthSectors?: number;
  readonly activateNs?: number;
  readonly trace?: Trace;
  readonly mutations?: Mutations;
}

/** Copies made for an origin write that still need their exceptions committed. */
export interface PendingCopies {
  readonly doneNs: number;
  readonly entries: readonly ExceptionEntry[];
}

/** A persistent, writable dm snapshot. */
export class SnapshotTarget extends Target {
  readonly targetType: string = "snapshot";
  readonly store: PersistentExceptionStore;
  /** Completion time of the store load at activation. */
  readonly readyNs: number;
  readonly origin: BlockDevice;
  protected readonly chunkBytes: number;
  protected readonly trace: Trace | undefined;
  #scratch: Uint8Array | undefined;
  readonly #readIgnoresOffset: boolean;
  readonly #writeSkipsChunkCopy: boolean;
  readonly #copyMissesLast: boolean;

  constructor(name: string, options: SnapshotOptions) {
    super(name, options.lengthSectors ?? Math.floor(options.origin.sizeBytes / SECTOR_BYTES));
    if (this.sizeBytes > options.origin.sizeBytes) {
      throw new RangeError(
        `Snapshot ${name}: ${this.lengthSectors} sectors is longer than origin ${options.origin.name}`,
      );
    }
    this.origin = options.origin;
    this.trace = options.trace;
    this.store = new PersistentExceptionStore(options.cow, {
      chunkSizeSectors: options.chunkSizeSectors,
      issueNs: options.activateNs ?? 0,
      snapshotName: name,
      ...(options.trace === undefined ? {} : { trace: options.trace }),
      ...(options.mutations === undefined ? {} : { mutations: options.mutations }),
    });
    this.readyNs = this.store.readyNs;
    this.chunkBytes = this.store.chunkBytes;
    const mutations = options.mutations ?? NO_MUTATIONS;
    this.#readIgnoresOffset = mutations.has(SNAPSHOT_COW_READ_IGNORES_OFFSET.name);
    this.#writeSkipsChunkCopy = mutations.has(SNAPSHOT_WRITE_SKIPS_CHUNK_COPY.name);
    this.#copyMissesLast = mutations.has(SNAPSHOT_COPY_MISSES_LAST_CHUNK.name);
  }

  /** COW chunks allocated so far (header and metadata areas included). */
  cowChunksUsed(): number {
    return this.store.chunksUsed;
  }

  /** Caps the COW chunks the store may allocate (see PersistentExceptionStore.setChunkLimit). */
  setCowChunkLimit(limitChunks: number | undefined): void {
    this.store.setChunkLimit(limitChunks);
  }

  /** False once invalidated; all snapshot I/O then fails with EIO. */
  get valid(): boolean {
    return this.store.valid;
  }

  /**
   * LVM2's `snap_percent` (Data%): allocated COW sectors over COW size, in percent; 0 while only
   * metadata is allocated (as lvm2's `_snap_target_percent` reports), undefined once invalid.
   */
  get snapPercent(): number | undefined {
    if (!this.valid) return undefined;
    const u = this.store.usage();
    if (u.sectorsAllocated === u.metadataSectors) return 0;
    return (100 * u.sectorsAllocated) / u.totalSectors;
  }

  params(): string {
    return `${deviceLabel(this.origin)} ${deviceLabel(this.store.cow)} P ${this.store.chunkSizeSectors}`;
  }

  override statusParams(): string {
    if (!this.valid) return "Invalid";
    const u = this.store.usage();
    return `${u.sectorsAllocated}/${u.totalSectors} ${u.metadataSectors}`;
  }

  /**
   * The chunks an origin write or discard of `[offsetBytes, +lengthBytes)` overwrites, clipped to
   * the snapshot's length: `first > last` when it overwrites none. Both the synchronous and the
   * queued copy-on-write take their chunks from here.
   */
  chunkSpan(offsetBytes: number, lengthBytes: number): { readonly first: number; readonly last: number } {
    if (lengthBytes === 0 || offsetBytes >= this.sizeBytes) return { first: 0, last: -1 };
    const first = Math.floor(offsetBytes / this.chunkBytes);
    const endBytes = Math.min(offsetBytes + lengthBytes, this.sizeBytes);
    const last = this.#copyMissesLast
      ? Math.floor(endBytes / this.chunkBytes) - 1
      : Math.floor((endBytes - 1) / this.chunkBytes);
    return { first, last };
  }

  /**
   * Before the origin overwrites `[offsetBytes, +lengthBytes)`: copy every chunk in that range that
   * has no exception yet into a fresh COW chunk. The exceptions are not committed yet; pass the
   * result to {@link commitCopies}. Running out of COW space invalidates the snapshot.
   */
  copyChunks(offsetBytes: number, lengthBytes: number, issueNs: number): PendingCopies {
    const entries: ExceptionEntry[] = [];
    if (!this.valid) return { doneNs: issueNs, entries };
    const { first, last } = this.chunkSpan(offsetBytes, lengthBytes);
    let doneNs = issueNs;
    for (let chunk = first; chunk <= last; chunk++) {
      if (this.store.lookup(chunk) !== undefined) continue;
      const copied = this.#copyChunk(chunk, issueNs);
      if (copied === undefined) return { doneNs, entries: [] };
      doneNs = Math.max(doneNs, copied.doneNs);
      entries.push(copied.entry);
    }
    return { doneNs, entries };
  }

  /**
   * For a queued origin write: allocate a pending exception for `chunk` and start kcopyd's copy of
   * the origin chunk into it. Returns the COW chunk and when the copy completes, with `copied`
   * false when the copy failed (the exception must still be committed, as invalid). Undefined when
   * the COW is full: the snapshot is invalidated, and the origin write need not wait.
   */
  startCopy(
    chunk: number,
    issueNs: number,
  ): { newChunk: number; doneNs: number; copied: boolean } | undefined {
    if (!this.valid) return undefined;
    const newChunk = this.store.prepareQueued();
    if (newChunk === undefined) {
      this.invalidate("unable to allocate exception", issueNs);
      return undefined;
    }
    try {
      return { newChunk, doneNs: this.#copyInto(chunk, newChunk, issueNs), copied: true };
    } catch (error) {
      if (!isBlockDeviceError(error)) throw error;
      return { newChunk, doneNs: issueNs, copied: false };
    }
  }

  /** Commit the exceptions of {@link copyChunks}; only then may the origin be overwritten. */
  commitCopies(pending: PendingCopies, issueNs: number): number {
    if (pending.entries.length === 0 || !this.valid) return Math.max(issueNs, pending.doneNs);
    const doneNs = this.store.commit(pending.entries, Math.max(issueNs, pending.doneNs));
    if (!this.valid) this.#invalidated("exception commit failed");
    return doneNs;
  }

  /** Invalidate the snapshot (overflow or I/O error): header rewritten with valid = 0. */
  invalidate(reason: string, issueNs: number): number {
    if (!this.valid) return issueNs;
    const doneNs = this.store.invalidate(issueNs);
    this.#invalidated(reason);
    return doneNs;
  }

  protected mapRead(offsetBytes: number, dst: Uint8Array, issueNs: number): number {
    this.#checkValid(offsetBytes, dst.byteLength);
    return this.forEachChunk(offsetBytes, dst.byteLength, issueNs, (chunk, inChunk, at, len) => {
      const piece = dst.subarray(at, at + len);
      const cowChunk = this.store.lookup(chunk);
      if (cowChunk !== undefined) {
        const at = this.store.chunkOffsetBytes(cowChunk) + (this.#readIgnoresOffset ? 0 : inChunk);
        return this.store.cow.read(at, piece, { issueNs });
      }
      return this.origin.read(chunk * this.chunkBytes + inChunk, piece, { issueNs });
    });
  }

  protected mapWrite(offsetBytes: number, data: Uint8Array, issueNs: number, fua: boolean): number {
    this.#checkValid(offsetBytes, data.byteLength);
    return this.forEachChunk(offsetBytes, data.byteLength, issueNs, (chunk, inChunk, at, len) => {
      const piece = data.subarray(at, at + len);
      let cowChunk = this.store.lookup(chunk);
      let nowNs = issueNs;
      if (cowChunk === undefined) {
        cowChunk = this.store.prepare();
        if (cowChunk === undefined) {
          this.invalidate("unable to allocate exception", issueNs);
          throw this.#eio(offsetBytes, data.byteLength);
        }
        const cowOffset = this.store.chunkOffsetBytes(cowChunk);
        if (inChunk === 0 && len === this.#chunkLength(chunk)) {
          // A full-chunk write is its own copy: write it straight to the new chunk, then commit.
          nowNs = this.#cowIo(
            () => this.store.cow.write(cowOffset, piece, { issueNs: nowNs }),
            offsetBytes,
            len,
            nowNs,
          );
          nowNs = this.commitCopies(
            { doneNs: nowNs, entries: [{ oldChunk: chunk, newChunk: cowChunk }] },
            nowNs,
          );
          if (!this.valid) throw this.#eio(offsetBytes, len);
          return nowNs;
        }
        // The rest of the chunk must read as the origin did: copy it in before the write lands.
        if (!this.#writeSkipsChunkCopy)
          nowNs = this.#cowIo(() => this.#copyInto(chunk, cowChunk!, nowNs), offsetBytes, len, nowNs);
        nowNs = this.commitCopies(
          { doneNs: nowNs, entries: [{ oldChunk: chunk, newChunk: cowChunk }] },
          nowNs,
        );
        if (!this.valid) throw this.#eio(offsetBytes, len);
      }
      const target = this.store.chunkOffsetBytes(cowChunk) + inChunk;
      return this.store.cow.write(target, piece, { issueNs: nowNs, fua });
    });
  }

  /** Flushes go to the COW device, where the snapshot's own data lives (even when invalid, like dm-snap). */
  protected mapFlush(issueNs: number): number {
    return this.store.cow.flush({ issueNs });
  }

  /** dm-snapshot takes no discards unless told to (`discard_zeroes_cow`), which LVM2 never does. */
  protected mapDiscard(offsetBytes: number, lengthBytes: number): number {
    throw new BlockDeviceError(
      "EINVAL",
      this.name,
      offsetBytes,
      lengthBytes,
      "snapshot target does not support discards",
    );
  }

  /** Split a range at chunk boundaries; the pieces run in parallel. */
  protected forEachChunk(
    offsetBytes: number,
    lengthBytes: number,
    issueNs: number,
    io: (chunk: number, inChunkBytes: number, bufferOffsetBytes: number, lengthBytes: number) => number,
  ): number {
    let doneNs = issueNs;
    let pos = 0;
    while (pos < lengthBytes) {
      const at = offsetBytes + pos;
      const chunk = Math.floor(at / this.chunkBytes);
      const inChunk = at - chunk * this.chunkBytes;
      const len = Math.min(lengthBytes - pos, this.chunkBytes - inChunk);
      doneNs = Math.max(doneNs, io(chunk, inChunk, pos, len));
      pos += len;
    }
    return doneNs;
  }

  /** Copy origin chunk `chunk` into a newly allocated COW chunk; undefined (and invalid) on overflow or error. */
  #copyChunk(chunk: number, issueNs: number): { doneNs: number; entry: ExceptionEntry } | undefined {
    const newChunk = this.store.prepare();
    if (newChunk === undefined) {
      this.invalidate("unable to allocate exception", issueNs);
      return undefined;
    }
    try {
      const doneNs = this.#copyInto(chunk, newChunk, issueNs);
      return { doneNs, entry: { oldChunk: chunk, newChunk } };
    } catch (error) {
      if (!isBlockDeviceError(error)) throw error;
      this.invalidate(`copy of chunk ${chunk} failed: ${error.code}`, issueNs);
      return undefined;
    }
  }

  #copyInto(chunk: number, newChunk: number, issueNs: number): number {
    const len = this.#chunkLength(chunk);
    this.#scratch ??= new Uint8Array(this.chunkBytes);
    const buffer = this.#scratch.subarray(0, len);
    let nowNs = this.origin.read(chunk * this.chunkBytes, buffer, { issueNs });
    nowNs = this.store.cow.write(this.store.chunkOffsetBytes(newChunk), buffer, { issueNs: nowNs });
    this.trace?.emit(SNAPSHOT_COW_COPY_EVENT.name, { snapshot: this.name, oldChunk: chunk, newChunk });
    return nowNs;
  }

  /** Bytes of a chunk that lie inside the snapshot (the last chunk may be short, as kcopyd clips it). */
  #chunkLength(chunk: number): number {
    return Math.min(this.chunkBytes, this.sizeBytes - chunk * this.chunkBytes);
  }

  #cowIo(io: () => number, offsetBytes: number, lengthBytes: number, issueNs: number): number {
    try {
      return io();
    } catch (error) {
      if (!isBlockDeviceError(error)) throw error;
      this.invalidate(`COW I/O failed: ${error.code}`, issueNs);
      throw this.#eio(offsetBytes, lengthBytes);
    }
  }

  #invalidated(reason: string): void {
    this.trace?.emit(SNAPSHOT_INVALIDATE_EVENT.name, { snapshot: this.name, reason });
  }

  #checkValid(offsetBytes: number, lengthBytes: number): void {
    if (!this.valid) throw this.#eio(offsetBytes, lengthBytes);
  }

  #eio(offsetBytes: number, lengthBytes: number): BlockDeviceError {
    return new BlockDeviceError(
      "EIO",
      this.name,
      offsetBytes,
      lengthBytes,
      "snapshot is invalid (COW space exhausted or I/O error); remove it with lvremove",
    );
  }
}
