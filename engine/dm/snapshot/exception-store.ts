/**
 * The persistent exception store of dm-snapshot (dm-snap-persistent.c), in the kernel's on-disk
 * format on the COW device. Everything is counted in chunks of C sectors:
 *
 * - chunk 0: header {u32 magic 0x70416e53 "SnAp", u32 valid, u32 version 1, u32 chunk_size}, LE;
 * - metadata area a at chunk 1 + (E+1)·a, holding E = C·512/16 entries {u64 old_chunk, u64 new_chunk};
 *   the list ends at the first entry with new_chunk 0; each area is followed by its E data chunks.
 *
 * A commit writes the whole area chunk with PREFLUSH|FUA: the preflush makes the copied chunk
 * durable before the entry that points at it, the FUA makes the entry itself durable.
 */

import { type BlockDevice, SECTOR_BYTES } from "../../block/device.js";
import { BlockDeviceError, isBlockDeviceError } from "../../block/errors.js";
import { type MutationInfo, type Mutations, NO_MUTATIONS } from "../../sim/mutations.js";
import type { Trace, TraceEventInfo } from "../../sim/trace.js";

/** Trace event: an exception was committed to the persistent store's metadata area. */
export const SNAPSHOT_EXCEPTION_COMMIT_EVENT: TraceEventInfo = {
  name: "snapshot.exception.commit",
  description: "An exception was committed to the persistent store's metadata area",
};

/** dm-snapshot's SNAP_MAGIC. */
export const SNAPSHOT_MAGIC = 0x70416e53;
/** dm-snapshot's SNAPSHOT_DISK_VERSION. */
const SNAPSHOT_DISK_VERSION = 1;
/** Bytes of one on-disk exception {old_chunk, new_chunk}. */
const EXCEPTION_BYTES = 16;
/** Largest chunk the store accepts (LVM2 allows 4 KiB–512 KiB; the kernel allows more). */
const MAX_CHUNK_SECTORS = 2048;

/** Mutation: commit the exception without the preflush that makes the copied chunk durable first. */
export const SNAPSHOT_SKIP_EXCEPTION_FLUSH = "snapshot-skip-exception-flush";

/** Mutation: the exception area is written without FUA, so the commit sits in the COW disk's cache. */
export const SNAPSHOT_EXCEPTION_COMMIT_NO_FUA = "snapshot-exception-commit-no-fua";

/** Mutation: a full area is not followed by zeroing the next one, so a reused COW's old entries load as exceptions. */
const SNAPSHOT_NEXT_AREA_NOT_ZEROED = "snapshot-next-area-not-zeroed";

/** Mutation: invalidation stays in memory; the header keeps valid = 1, so the next activation trusts a store that missed exceptions. */
const SNAPSHOT_INVALIDATE_NOT_PERSISTED = "snapshot-invalidate-not-persisted";

/** Mutation: a load stops after the first metadata area, so exceptions in later areas are forgotten. */
const SNAPSHOT_LOAD_FIRST_AREA_ONLY = "snapshot-load-first-area-only";

/** The exception store's mutations, for the mutant catalogue. */
export const EXCEPTION_STORE_MUTATIONS: readonly MutationInfo[] = [
  {
    name: SNAPSHOT_SKIP_EXCEPTION_FLUSH,
    description: "snapshot commits an exception without flushing the copied chunk first",
  },
  {
    name: SNAPSHOT_EXCEPTION_COMMIT_NO_FUA,
    description:
      "snapshot writes the exception area without FUA, so the origin may be overwritten while the exception is still volatile",
  },
  {
    name: SNAPSHOT_NEXT_AREA_NOT_ZEROED,
    description:
      "snapshot fills a metadata area without zeroing the next one, so on a COW over reused extents the next load reads a removed snapshot's entries as exceptions",
  },
  {
    name: SNAPSHOT_INVALIDATE_NOT_PERSISTED,
    description:
      "snapshot invalidation (COW full) only sets a flag in memory; the header still says valid, so after reactivation the overflowed snapshot reads as valid with exceptions missing",
  },
  {
    name: SNAPSHOT_LOAD_FIRST_AREA_ONLY,
    description:
      "snapshot reads only the first metadata area when it loads its store (256 exceptions with 4 KiB chunks), so after a reactivation the snapshot reads the overwritten origin for every later exception and the COW chunks are handed out again",
  },
];

/** Options for opening a store. */
export interface ExceptionStoreOptions {
  /** Chunk size from the table; the on-disk header's value wins for an existing store. */
  readonly chunkSizeSectors: number;
  readonly issueNs?: number;
  readonly trace?: Trace;
  /** Snapshot name for trace payloads and errors. */
  readonly snapshotName?: string;
  readonly mutations?: Mutations;
}

/** `dmsetup status` numbers of a snapshot: `<allocated>/<total> <metadata>` sectors. */
export interface SnapshotUsage {
  readonly sectorsAllocated: number;
  readonly totalSectors: number;
  readonly metadataSectors: number;
}

/** One exception: origin chunk `oldChunk` is preserved in COW chunk `newChunk`. */
export interface ExceptionEntry {
  readonly oldChunk: number;
  readonly newChunk: number;
}

/** A run of consecutive exceptions to merge, ending at the last committed one. */
export interface MergeRun {
  /** First origin chunk of the run. */
  readonly oldChunk: number;
  /** First COW chunk of the run. */
  readonly newChunk: number;
  readonly chunks: number;
}

/** The persistent store: header, metadata areas and the in-memory exception table. */
export class PersistentExceptionStore {
  readonly cow: BlockDevice;
  readonly chunkSizeSectors: number;
  readonly chunkBytes: number;
  readonly exceptionsPerArea: number;
  /** Completion time of the load (and, for a new store, of the header and area 0 writes). */
  readonly readyNs: number;
  /** True when the header said this is a brand-new snapshot. */
  readonly created: boolean;
  readonly #cowChunks: number;
  readonly #map = new Map<number, number>();
  readonly #area: Uint8Array;
  readonly #areaView: DataView;
  readonly #trace: Trace | undefined;
  readonly #name: string;
  readonly #skipFlush: boolean;
  readonly #commitFua: boolean;
  readonly #zeroNextArea: boolean;
  readonly #persistInvalid: boolean;
  readonly #loadAllAreas: boolean;
  #valid = true;
  #nextFree = 2;
  #limitChunks: number | undefined;
  #currentArea = 0;
  #committed = 0;
  /** Exceptions prepared with {@link prepareQueued} and not yet passed to {@link commitQueued} (ps->pending_count). */
  #pendingCount = 0;
  /** Exceptions written into the in-memory area since its last write (their callbacks wait for it). */
  #batch: ExceptionEntry[] = [];

  constructor(cow: BlockDevice, options: ExceptionStoreOptions) {
    this.cow = cow;
    this.#trace = options.trace;
    this.#name = options.snapshotName ?? cow.name;
    this.#skipFlush = (options.mutations ?? NO_MUTATIONS).has(SNAPSHOT_SKIP_EXCEPTION_FLUSH);
    this.#commitFua = !(options.mutations ?? NO_MUTATIONS).has(SNAPSHOT_EXCEPTION_COMMIT_NO_FUA);
    this.#zeroNextArea = !(options.mutations ?? NO_MUTATIONS).has(SNAPSHOT_NEXT_AREA_NOT_ZEROED);
    this.#persistInvalid = !(options.mutations ?? NO_MUTATIONS).has(SNAPSHOT_INVALIDATE_NOT_PERSISTED);
    this.#loadAllAreas = !(options.mutations ?? NO_MUTATIONS).has(SNAPSHOT_LOAD_FIRST_AREA_ONLY);
    let nowNs = options.issueNs ?? 0;
    const header = new Uint8Array(SECTOR_BYTES);
    nowNs = cow.read(0, header, { issueNs: nowNs });
    const hv = new DataView(header.buffer);
    const magic = hv.getUint32(0, true);
    let chunk = options.chunkSizeSectors;
    if (magic !== 0 && magic !== SNAPSHOT_MAGIC) {
      throw this.#corrupt(0, `invalid or corrupt snapshot: magic 0x${magic.toString(16)} is not 0x70416e53`);
    }
    this.created = magic === 0;
    if (!this.created) {
      const version = hv.getUint32(8, true);
      if (version !== SNAPSHOT_DISK_VERSION) {
        throw this.#corrupt(8, `unable to handle snapshot disk version ${version}`);
      }
      this.#valid = hv.getUint32(4, true) !== 0;
      // Like the kernel, the chunk size on disk overrides the table's.
      chunk = hv.getUint32(12, true);
    }
    if (
      !Number.isSafeInteger(chunk) ||
      chunk < 1 ||
      chunk > MAX_CHUNK_SECTORS ||
      (chunk & (chunk - 1)) !== 0
    ) {
      throw this.#corrupt(12, `chunk size ${chunk} sectors is not a power of two in 1..${MAX_CHUNK_SECTORS}`);
    }
    this.chunkSizeSectors = chunk;
    this.chunkBytes = chunk * SECTOR_BYTES;
    this.exceptionsPerArea = this.chunkBytes / EXCEPTION_BYTES;
    this.#cowChunks = Math.floor(cow.sizeBytes / this.chunkBytes);
    if (this.#cowChunks < 3) {
      throw this.#corrupt(
        0,
        `COW device holds ${this.#cowChunks} chunks; a snapshot needs at least 3, make it larger`,
      );
    }
    this.#area = new Uint8Array(this.chunkBytes);
    this.#areaView = new DataView(this.#area.buffer);
    if (this.created) {
      nowNs = this.#writeHeader(nowNs);
      nowNs = this.#zeroDiskArea(0, nowNs);
    } else if (this.#valid) {
      nowNs = this.#readExceptions(nowNs);
    }
    this.readyNs = nowNs;
  }

  /** False once invalidated (overflow or I/O error); an invalid snapshot fails all I/O. */
  get valid(): boolean {
    return this.#valid;
  }

  /** Exceptions in the table. */
  get exceptionCount(): number {
    return this.#map.size;
  }

  /** The COW chunk holding origin chunk `oldChunk`'s snapshot data, if it has been copied. */
  lookup(oldChunk: number): number | undefined {
    return this.#map.get(oldChunk);
  }

  /** Every exception, old chunk → new chunk, in commit order. */
  exceptions(): ReadonlyMap<number, number> {
    return this.#map;
  }

  /** Chunks allocated so far: the header, metadata areas and data chunks (the kernel's next_free). */
  get chunksUsed(): number {
    return this.#nextFree;
  }

  /**
   * Caps the chunks the store may allocate, as if the COW device were that small (a COW LV
   * reduced under a live snapshot); `undefined` lifts the cap. Past the cap a new exception gets
   * ENOSPC and the snapshot is invalidated, as when the real COW runs out.
   */
  setChunkLimit(limitChunks: number | undefined): void {
    if (limitChunks !== undefined && (!Number.isSafeInteger(limitChunks) || limitChunks < 0)) {
      throw new RangeError(`COW chunk limit must be a whole number of chunks >= 0, got ${limitChunks}`);
    }
    this.#limitChunks = limitChunks;
  }

  /** Allocate a COW chunk for a new exception, skipping metadata chunks; undefined when the COW is full. */
  prepare(): number | undefined {
    const capChunks = Math.min(this.#cowChunks, this.#limitChunks ?? Number.POSITIVE_INFINITY);
    if (capChunks < this.#nextFree + 1) return undefined;
    const chunk = this.#nextFree;
    this.#nextFree += 1;
    this.#skipMetadata();
    return chunk;
  }

  /** Exceptions prepared for queued copies and not yet committed. */
  get pendingCount(): number {
    return this.#pendingCount;
  }

  /** {@link prepare} for a queued copy: counts the exception as pending until {@link commitQueued}. */
  prepareQueued(): number | undefined {
    const chunk = this.prepare();
    if (chunk !== undefined) this.#pendingCount += 1;
    return chunk;
  }

  /**
   * dm-snap-persistent's `persistent_commit_exception`: put the entry in the in-memory area; while
   * other prepared exceptions are still pending and the area has room, return undefined (their
   * commit will carry this one). Otherwise zero the next area if this one is full, write the area
   * once with PREFLUSH|FUA for every entry put there since the last write, and return those entries
   * with the completion time: the caller runs their callbacks only then. `valid` false (the copy
   * failed) invalidates the store, as the kernel's `ps->valid = 0` does, and skips the area write.
   */
  commitQueued(
    entry: ExceptionEntry,
    options: { readonly valid: boolean; readonly issueNs: number },
  ): { readonly entries: readonly ExceptionEntry[]; readonly doneNs: number } | undefined {
    if (this.#pendingCount <= 0) {
      throw new Error(
        `Snapshot ${this.#name}: commit of chunk ${entry.oldChunk} without a pending exception`,
      );
    }
    this.#pendingCount -= 1;
    if (!options.valid) this.#valid = false;
    if (this.#valid) this.#recordEntry(entry);
    this.#batch.push(entry);
    const full = this.#committed === this.exceptionsPerArea;
    if (this.#pendingCount > 0 && !full) return undefined;
    const entries = this.#batch;
    this.#batch = [];
    const doneNs = this.#writeArea(entries, full, options.issueNs);
    return { entries, doneNs };
  }

  /**
   * Record new exceptions and write their area: when an area fills, zero the next area first;
   * before every area write flush the COW so the copied chunks are durable, then write the area
   * with FUA. A failed write invalidates the store (check {@link valid}); returns the completion time.
   */
  commit(entries: readonly ExceptionEntry[], issueNs: number): number {
    let nowNs = issueNs;
    let unwritten: ExceptionEntry[] = [];
    for (const entry of entries) {
      this.#recordEntry(entry);
      unwritten.push(entry);
      if (this.#committed === this.exceptionsPerArea) {
        nowNs = this.#writeArea(unwritten, true, nowNs);
        unwritten = [];
      }
    }
    if (unwritten.length > 0) nowNs = this.#writeArea(unwritten, false, nowNs);
    return nowNs;
  }

  /** Mark the store invalid: header rewritten with valid = 0 (a plain write, as the kernel does). */
  invalidate(issueNs: number): number {
    this.#valid = false;
    if (!this.#persistInvalid) return issueNs;
    try {
      return this.#writeHeader(issueNs);
    } catch (error) {
      if (!isBlockDeviceError(error)) throw error;
      return issueNs;
    }
  }

  /** Space accounting as dmsetup status reports it (dm-snap-persistent's `persistent_usage`). */
  usage(): SnapshotUsage {
    return {
      sectorsAllocated: this.#nextFree * this.chunkSizeSectors,
      totalSectors: Math.floor(this.cow.sizeBytes / SECTOR_BYTES),
      metadataSectors: (this.#currentArea + 2) * this.chunkSizeSectors,
    };
  }

  /** Byte offset of a chunk on the COW device. */
  chunkOffsetBytes(chunk: number): number {
    return chunk * this.chunkBytes;
  }

  /**
   * The next run to merge: the last committed exception and the consecutive ones before it in the
   * same area (reading the previous area when the current one is empty). Undefined when none is left.
   */
  prepareMerge(issueNs: number): { run: MergeRun; doneNs: number } | undefined {
    let nowNs = issueNs;
    if (this.#committed === 0) {
      if (this.#currentArea === 0) return undefined;
      this.#currentArea -= 1;
      nowNs = this.cow.read(this.#areaOffsetBytes(this.#currentArea), this.#area, { issueNs: nowNs });
      this.#committed = this.exceptionsPerArea;
    }
    const [lastOld, lastNew] = this.#readEntry(this.#committed - 1);
    let count = 1;
    while (count < this.#committed) {
      const [o, n] = this.#readEntry(this.#committed - 1 - count);
      if (o !== lastOld - count || n !== lastNew - count) break;
      count += 1;
    }
    return {
      run: { oldChunk: lastOld + 1 - count, newChunk: lastNew + 1 - count, chunks: count },
      doneNs: nowNs,
    };
  }

  /** Drop the last `chunks` exceptions after their data reached the origin: zero them, write the area with PREFLUSH|FUA. */
  commitMerge(chunks: number, issueNs: number): number {
    if (!Number.isInteger(chunks) || chunks < 1 || chunks > this.#committed) {
      throw new RangeError(
        `Snapshot ${this.#name}: cannot merge ${chunks} exceptions, ${this.#committed} are committed in this area`,
      );
    }
    for (let i = 0; i < chunks; i++) {
      const slot = this.#committed - 1 - i;
      const [oldChunk] = this.#readEntry(slot);
      this.#writeEntry(slot, 0, 0);
      this.#map.delete(oldChunk);
    }
    let nowNs = this.cow.flush({ issueNs });
    nowNs = this.cow.write(this.#areaOffsetBytes(this.#currentArea), this.#area, {
      issueNs: nowNs,
      fua: true,
    });
    this.#committed -= chunks;
    // Only usage() reads next_free while merging; keep it one past the last remaining chunk.
    this.#nextFree = this.#areaChunk(this.#currentArea) + this.#committed + 1;
    return nowNs;
  }

  /** Put a new exception in the next slot of the in-memory area and the table; a chunk has one exception at most. */
  #recordEntry(entry: ExceptionEntry): void {
    const existing = this.#map.get(entry.oldChunk);
    if (existing !== undefined) {
      throw new Error(
        `Snapshot ${this.#name}: chunk ${entry.oldChunk} already has an exception (COW chunk ${existing})`,
      );
    }
    this.#writeEntry(this.#committed, entry.oldChunk, entry.newChunk);
    this.#committed += 1;
    this.#map.set(entry.oldChunk, entry.newChunk);
  }

  #writeArea(entries: readonly ExceptionEntry[], full: boolean, issueNs: number): number {
    let nowNs = issueNs;
    try {
      if (full && this.#zeroNextArea) nowNs = this.#zeroDiskArea(this.#currentArea + 1, nowNs);
      if (this.#valid) {
        if (!this.#skipFlush) nowNs = this.cow.flush({ issueNs: nowNs });
        nowNs = this.cow.write(this.#areaOffsetBytes(this.#currentArea), this.#area, {
          issueNs: nowNs,
          fua: this.#commitFua,
        });
      }
    } catch (error) {
      if (!isBlockDeviceError(error)) throw error;
      this.#valid = false;
    }
    const area = this.#currentArea;
    if (full) {
      this.#currentArea += 1;
      this.#committed = 0;
      this.#area.fill(0);
    }
    for (const e of entries) {
      this.#trace?.emit(SNAPSHOT_EXCEPTION_COMMIT_EVENT.name, {
        snapshot: this.#name,
        oldChunk: e.oldChunk,
        newChunk: e.newChunk,
        area,
        valid: this.#valid,
      });
    }
    return nowNs;
  }

  #readExceptions(issueNs: number): number {
    let nowNs = issueNs;
    const maxAreas = Math.ceil(this.#cowChunks / (this.exceptionsPerArea + 1)) + 1;
    for (let area = 0; area < maxAreas; area++) {
      this.#currentArea = area;
      if (this.#areaChunk(area) >= this.#cowChunks) {
        // The previous area filled the device exactly; nothing was ever written past it.
        this.#area.fill(0);
        this.#committed = 0;
        break;
      }
      nowNs = this.cow.read(this.#areaOffsetBytes(area), this.#area, { issueNs: nowNs });
      let full = true;
      for (let i = 0; i < this.exceptionsPerArea; i++) {
        const [oldChunk, newChunk] = this.#readEntry(i);
        if (newChunk === 0) {
          this.#committed = i;
          full = false;
          break;
        }
        if (newChunk >= this.#cowChunks || newChunk % (this.exceptionsPerArea + 1) === 1) {
          throw this.#corrupt(
            this.#areaOffsetBytes(area) + i * EXCEPTION_BYTES,
            `exception ${i} of area ${area} points at chunk ${newChunk}, which is metadata or past the COW end`,
          );
        }
        if (this.#map.has(oldChunk)) {
          throw this.#corrupt(
            this.#areaOffsetBytes(area) + i * EXCEPTION_BYTES,
            `origin chunk ${oldChunk} has two exceptions`,
          );
        }
        if (this.#nextFree <= newChunk) this.#nextFree = newChunk + 1;
        this.#map.set(oldChunk, newChunk);
      }
      if (!full || !this.#loadAllAreas) break;
    }
    this.#skipMetadata();
    return nowNs;
  }

  #skipMetadata(): void {
    if (this.#nextFree % (this.exceptionsPerArea + 1) === 1) this.#nextFree += 1;
  }

  #areaChunk(area: number): number {
    return 1 + (this.exceptionsPerArea + 1) * area;
  }

  #areaOffsetBytes(area: number): number {
    return this.#areaChunk(area) * this.chunkBytes;
  }

  #zeroDiskArea(area: number, issueNs: number): number {
    if (this.#areaChunk(area) >= this.#cowChunks) return issueNs;
    return this.cow.write(this.#areaOffsetBytes(area), new Uint8Array(this.chunkBytes), { issueNs });
  }

  #writeHeader(issueNs: number): number {
    const header = new Uint8Array(this.chunkBytes);
    const v = new DataView(header.buffer);
    v.setUint32(0, SNAPSHOT_MAGIC, true);
    v.setUint32(4, this.#valid ? 1 : 0, true);
    v.setUint32(8, SNAPSHOT_DISK_VERSION, true);
    v.setUint32(12, this.chunkSizeSectors, true);
    return this.cow.write(0, header, { issueNs });
  }

  #readEntry(slot: number): [number, number] {
    const at = slot * EXCEPTION_BYTES;
    const oldChunk = this.#areaView.getBigUint64(at, true);
    const newChunk = this.#areaView.getBigUint64(at + 8, true);
    if (oldChunk > BigInt(Number.MAX_SAFE_INTEGER) || newChunk > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw this.#corrupt(
        this.#areaOffsetBytes(this.#currentArea) + at,
        `exception ${slot} of area ${this.#currentArea} holds chunk numbers beyond 2^53 (${oldChunk}, ${newChunk})`,
      );
    }
    return [Number(oldChunk), Number(newChunk)];
  }

  #writeEntry(slot: number, oldChunk: number, newChunk: number): void {
    const at = slot * EXCEPTION_BYTES;
    this.#areaView.setBigUint64(at, BigInt(oldChunk), true);
    this.#areaView.setBigUint64(at + 8, BigInt(newChunk), true);
  }

  #corrupt(offsetBytes: number, detail: string): BlockDeviceError {
    return new BlockDeviceError("EINVAL", this.cow.name, offsetBytes, 0, `Snapshot ${this.#name}: ${detail}`);
  }
}
