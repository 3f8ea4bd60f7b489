/**
 * The transaction manager (dm-transaction-manager.c) over the metadata device: reads validated
 * blocks, hands out new blocks from the metadata space map, and shadows (copies on write) blocks
 * of the last commit so that nothing the superblock points to is ever overwritten before the next
 * commit. Blocks new or shadowed in this transaction are written in place.
 */
import type { BlockDevice } from "../block/device.js";
import { BLOCK_BYTES, type BlockKind, checkBlock, PersistentDataError, sealBlock } from "./block.js";
import { RefCounts } from "./ref-counts.js";

interface DirtyBlock {
  readonly data: Uint8Array;
  readonly kind: BlockKind;
}

/** A shadowed block: where it now lives, its writable bytes, and whether its children gained a parent. */
export interface Shadow {
  readonly blocknr: number;
  readonly data: Uint8Array;
  /** True when the original was shared (count > 1): the caller must add a reference to every child. */
  readonly incChildren: boolean;
}

/** Copy-on-write access to the metadata device for one transaction at a time. */
export class TransactionManager {
  /** The metadata space map's in-core counts. */
  readonly sm: RefCounts;
  readonly #dirty = new Map<number, DirtyBlock>();
  readonly #clean = new Map<number, Uint8Array>();

  constructor(
    readonly device: BlockDevice,
    nrBlocks: number,
  ) {
    this.sm = new RefCounts("metadata", nrBlocks);
  }

  /** Bytes of block `b` as the kind `kind`, validated when read from disk; callers must not modify them. */
  read(b: number, kind: BlockKind): Uint8Array {
    const dirty = this.#dirty.get(b);
    if (dirty !== undefined) return dirty.data;
    const cached = this.#clean.get(b);
    if (cached !== undefined) return cached;
    if (!Number.isInteger(b) || b < 0 || (b + 1) * BLOCK_BYTES > this.device.sizeBytes) {
      throw new PersistentDataError(
        "EIO",
        `Metadata block ${b} is past the end of ${this.device.name}; the metadata is damaged`,
        b,
      );
    }
    const data = new Uint8Array(BLOCK_BYTES);
    this.device.read(b * BLOCK_BYTES, data);
    checkBlock(data, { kind, blocknr: b });
    this.#clean.set(b, data);
    return data;
  }

  /** A new zeroed block of `kind` with count 1, writable in this transaction; ENOSPC when the metadata is full. */
  newBlock(kind: BlockKind): { blocknr: number; data: Uint8Array } {
    const b = this.sm.allocate();
    if (b === undefined) {
      throw new PersistentDataError("ENOSPC", `No free metadata blocks on ${this.device.name}`);
    }
    const data = new Uint8Array(BLOCK_BYTES);
    this.#dirty.set(b, { data, kind });
    this.#clean.delete(b);
    return { blocknr: b, data };
  }

  /**
   * A writable copy of block `b` (`dm_tm_shadow_block`): in place when it is new or shadowed in
   * this transaction and not shared; otherwise a new block with its bytes, the original losing a reference.
   */
  shadow(b: number, kind: BlockKind): Shadow {
    const shared = this.sm.count(b) > 1;
    const dirty = this.#dirty.get(b);
    if (dirty !== undefined && !shared) return { blocknr: b, data: dirty.data, incChildren: false };
    const original = this.read(b, kind);
    const copy = this.newBlock(kind);
    copy.data.set(original);
    this.sm.dec(b);
    return { blocknr: copy.blocknr, data: copy.data, incChildren: shared };
  }

  /** Adds a reference to metadata block `b`. */
  inc(b: number): void {
    this.sm.inc(b);
  }

  /** Drops a reference to metadata block `b`. */
  dec(b: number): void {
    this.sm.dec(b);
  }

  /** Blocks written in this transaction, in block order (for tests and the commit). */
  dirtyBlocks(): number[] {
    return [...this.#dirty.keys()].sort((a, b) => a - b);
  }

  /**
   * Seals and writes every block of this transaction that is still referenced (`dm_tm_pre_commit`
   * writes the dirty blocks); blocks freed again in the same transaction are dropped unwritten.
   */
  writeDirty(issueNs: number): number {
    let doneNs = issueNs;
    for (const b of this.dirtyBlocks()) {
      const dirty = this.#dirty.get(b);
      if (dirty === undefined) continue;
      if (this.sm.count(b) > 0) {
        sealBlock(dirty.data, { kind: dirty.kind, blocknr: b });
        doneNs = Math.max(doneNs, this.device.write(b * BLOCK_BYTES, dirty.data, { issueNs }));
        this.#clean.set(b, dirty.data);
      }
    }
    this.#dirty.clear();
    return doneNs;
  }

  /** Drops every change of this transaction (`dm_pool_abort_metadata` reopens the last commit). */
  abort(): void {
    for (const b of this.#dirty.keys()) this.#clean.delete(b);
    this.#dirty.clear();
    this.sm.rollback();
  }

  /** Forgets cached reads, so the next reads come from the device (after a reload). */
  dropCache(): void {
    this.#clean.clear();
  }
}
