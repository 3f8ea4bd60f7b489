/**
 * A thin pool's metadata (dm-thin-metadata.c) on a metadata device in the kernel's format: the
 * two-level mapping tree (device → virtual block → data block and time), the device details
 * tree, and both space maps, changed copy-on-write and made durable only by {@link PoolMetadata.commit}.
 * A crash before a commit loses exactly what the transaction changed.
 */
import type { BlockDevice } from "../block/device.js";
import type { MutationInfo, Mutations } from "../sim/mutations.js";
import { NO_MUTATIONS } from "../sim/mutations.js";
import { BLOCK_BYTES, getU64, isPersistentDataError, PersistentDataError, setU64, viewOf } from "./block.js";
import {
  btreeBuild,
  btreeDel,
  btreeEmpty,
  btreeInsert,
  btreeLookup,
  btreeRemove,
  btreeWalk,
  plainValues,
  readNode,
  type ValueType,
} from "./btree.js";
import { RefCounts } from "./ref-counts.js";
import {
  METADATA_MAX_BLOCKS,
  readDataSm,
  readMetadataSm,
  writeDataSm,
  writeMetadataSm,
} from "./space-map.js";
import {
  decodeSuperblock,
  encodeSuperblock,
  NEEDS_CHECK_FLAG,
  type Superblock,
  superblockAllZeroes,
} from "./superblock.js";
import { TransactionManager } from "./transaction.js";

/** Mutation: a commit writes the superblock without first flushing the blocks it points to. */
const MUTATION_COMMIT_SKIPS_METADATA_FLUSH = "persistent-data.commit-skips-metadata-flush";
/** Catalogue entry for {@link MUTATION_COMMIT_SKIPS_METADATA_FLUSH}. */
export const COMMIT_SKIPS_METADATA_FLUSH: MutationInfo = {
  name: MUTATION_COMMIT_SKIPS_METADATA_FLUSH,
  description:
    "Thin metadata commit writes the superblock with the new btree and space-map blocks still in the disk cache",
};

/** Mutation: create_snap shares the origin's mapping tree without adding a reference (a refcount off by one). */
export const MUTATION_SNAP_SKIPS_ROOT_INC = "persistent-data.snap-skips-root-inc";
/** Catalogue entry for {@link MUTATION_SNAP_SKIPS_ROOT_INC}. */
export const SNAP_SKIPS_ROOT_INC: MutationInfo = {
  name: MUTATION_SNAP_SKIPS_ROOT_INC,
  description:
    "Thin create_snap shares the origin's mapping root without dm_tm_inc, so its count is one short",
};

/** Mutation: thin_repair gives a data block mapped by several devices (a snapshot's shared block) a count of 1. */
export const MUTATION_REPAIR_COUNTS_SHARED_ONCE = "persistent-data.repair-counts-shared-once";
/** Catalogue entry for {@link MUTATION_REPAIR_COUNTS_SHARED_ONCE}. */
export const REPAIR_COUNTS_SHARED_ONCE: MutationInfo = {
  name: MUTATION_REPAIR_COUNTS_SHARED_ONCE,
  description:
    "thin_repair counts each shared data block once, so the first unmap of a snapshot's block frees it under the other",
};

/** Mutation: a new mapping counts in the device's mapped_blocks but leaves its details clean, so no commit writes the count. */
export const DETAILS_NOT_DIRTIED_ON_INSERT: MutationInfo = {
  name: "persistent-data.details-not-dirtied-on-insert",
  description:
    "Thin insert bumps a device's mapped_blocks without marking its details changed, so commits leave the on-disk count behind the mapping tree",
};

/** Mutation: a data block freed in the open transaction is handed out again before the commit that frees it. */
export const DATA_REUSED_BEFORE_COMMIT: MutationInfo = {
  name: "persistent-data.discard-reuse-before-commit",
  description:
    "The data space map hands out a block freed in the open transaction (a discard or a thin delete) before the commit that frees it, so a power cut rolls back to a mapping that now points at another write's data",
};

/** Mutation: unmapping a block shared with a snapshot drops every reference to it, not only this device's. */
export const DISCARD_FREES_SHARED_BLOCK: MutationInfo = {
  name: "persistent-data.discard-frees-shared-block",
  description:
    "Thin remove (a discard) of a block a snapshot still shares drops every reference to it, so the space map calls a block free that the snapshot maps",
};

/** Mutation: unmapping a block (a discard) leaves the data block's reference count, so its space never returns. */
const MUTATION_DISCARD_KEEPS_REFCOUNT = "persistent-data.discard-keeps-refcount";
/** Catalogue entry for {@link MUTATION_DISCARD_KEEPS_REFCOUNT}. */
export const DISCARD_KEEPS_REFCOUNT: MutationInfo = {
  name: MUTATION_DISCARD_KEEPS_REFCOUNT,
  description:
    "Thin remove (a discard) unmaps the block but leaves its data reference count, so the pool's space never returns and the space map leaks it",
};

/** One device as `thin_dump --repair` salvaged it: its details and the mappings that still validate. */
export interface SalvagedDevice {
  readonly id: number;
  readonly details: ThinDetails;
  readonly mappings: readonly {
    readonly vblock: number;
    readonly dataBlock: number;
    readonly time: number;
  }[];
}

/** What a salvage of damaged pool metadata recovered, and the damage it stepped over. */
export interface SalvagedPool {
  readonly transactionId: number;
  readonly time: number;
  readonly dataBlockSizeSectors: number;
  readonly nrDataBlocks: number;
  readonly devices: readonly SalvagedDevice[];
  readonly damage: readonly string[];
}

/** Largest thin device id (`MAX_DEV_ID`, 2^24 − 1). */
const THIN_MAX_DEV_ID = (1 << 24) - 1;

/** One thin device's details (`struct disk_device_details`). */
export interface ThinDetails {
  readonly mappedBlocks: number;
  readonly transactionId: number;
  readonly creationTime: number;
  readonly snapshottedTime: number;
}

/** A mapping of a virtual block: where its data lives, when it was written, and whether a snapshot shares it. */
export interface ThinMapping {
  readonly dataBlock: number;
  readonly time: number;
  readonly shared: boolean;
}

/** Options to format or open pool metadata. */
export interface PoolMetadataOptions {
  /** The pool's data block size in 512-byte sectors (the table's, checked against the superblock). */
  readonly dataBlockSizeSectors: number;
  /** Data device size in data blocks, for a new pool. */
  readonly nrDataBlocks?: number;
  readonly mutations?: Mutations;
  /** Virtual time for the writes of a format. */
  readonly issueNs?: number;
  /** Called at each step of a commit, so a fault can cut power between them. */
  readonly onCommitStep?: (step: CommitStep) => void;
}

/** Points inside a commit: new blocks written (not yet flushed), flushed, superblock written (not yet flushed). */
export type CommitStep = "blocks-written" | "blocks-flushed" | "superblock-written";

interface LiveDetails {
  mappedBlocks: number;
  transactionId: number;
  creationTime: number;
  snapshottedTime: number;
  changed: boolean;
}

const DETAILS_BYTES = 24;

/** Packs a data block and time as the kernel does (`pack_block_time`: 40-bit block, 24-bit time). */
function packBlockTime(dataBlock: number, time: number): Uint8Array {
  const v = new Uint8Array(8);
  const view = viewOf(v);
  view.setUint32(0, (((dataBlock % 256) << 24) | (time & 0xffffff)) >>> 0, true);
  view.setUint32(4, Math.floor(dataBlock / 256), true);
  return v;
}

/** Unpacks {@link packBlockTime}. */
export function unpackBlockTime(value: Uint8Array): { dataBlock: number; time: number } {
  const view = viewOf(value);
  const lo = view.getUint32(0, true);
  return { dataBlock: view.getUint32(4, true) * 256 + (lo >>> 24), time: lo & 0xffffff };
}

function u64Bytes(value: number): Uint8Array {
  const v = new Uint8Array(8);
  setU64(viewOf(v), 0, value);
  return v;
}

/** The metadata of one thin pool, open on its metadata device. */
export class PoolMetadata {
  readonly #device: BlockDevice;
  readonly #mutations: Mutations;
  readonly #onCommitStep: (step: CommitStep) => void;
  #tm!: TransactionManager;
  #data!: RefCounts;
  #sb!: Superblock;
  #details = new Map<number, LiveDetails>();
  #mappingRoot = 0;
  #detailsRoot = 0;
  #time = 0;
  #transactionId = 0;
  #flags = 0;
  #dataSmBlocks: readonly number[] = [];
  #metaSmBlocks: readonly number[] = [];
  #changed = false;
  /** Only superblock fields changed in this transaction (a `set_transaction_id`). */
  #superblockOnly = false;
  #lastCommitNs = 0;
  readonly #dataVt: ValueType;
  readonly #topVt: ValueType;
  readonly #detailsVt = plainValues(DETAILS_BYTES);

  private constructor(device: BlockDevice, options: PoolMetadataOptions) {
    this.#device = device;
    this.#mutations = options.mutations ?? NO_MUTATIONS;
    this.#onCommitStep = options.onCommitStep ?? (() => {});
    this.#dataVt = {
      sizeBytes: 8,
      inc: (v) => this.#data.inc(unpackBlockTime(v).dataBlock),
      dec: (v) => this.#data.dec(unpackBlockTime(v).dataBlock),
    };
    this.#topVt = {
      sizeBytes: 8,
      inc: (v) => this.#tm.inc(getU64(viewOf(v), 0)),
      dec: (v) => btreeDel(this.#tm, getU64(viewOf(v), 0), this.#dataVt),
    };
  }

  /** Formats `device` as empty pool metadata (`__format_metadata`) and commits it. */
  static format(device: BlockDevice, options: PoolMetadataOptions): PoolMetadata {
    checkDataBlockSize(options.dataBlockSizeSectors);
    const md = new PoolMetadata(device, options);
    const nrBlocks = metadataBlocksOf(device);
    if (nrBlocks < 8) {
      throw new PersistentDataError(
        "EINVAL",
        `Metadata device ${device.name} is too small (${device.sizeBytes} bytes); it needs at least 32 KiB`,
      );
    }
    md.#tm = new TransactionManager(device, nrBlocks);
    md.#tm.inc(0); // the superblock
    md.#data = new RefCounts("data", options.nrDataBlocks ?? 0);
    md.#mappingRoot = btreeEmpty(md.#tm, md.#topVt);
    md.#detailsRoot = btreeEmpty(md.#tm, md.#detailsVt);
    md.#sb = {
      flags: 0,
      time: 0,
      transactionId: 0,
      heldRoot: 0,
      dataSm: { nrBlocks: 0, nrAllocated: 0, bitmapRoot: 0, refCountRoot: 0 },
      metadataSm: { nrBlocks: 0, nrAllocated: 0, bitmapRoot: 0, refCountRoot: 0 },
      mappingRoot: 0,
      detailsRoot: 0,
      dataBlockSizeSectors: options.dataBlockSizeSectors,
      metadataNrBlocks: nrBlocks,
    };
    md.#markChanged();
    md.commit(options.issueNs ?? 0);
    return md;
  }

  /**
   * Writes fresh metadata holding `pool` to `device` (`thin_restore`): one mapping tree per device
   * (sharing is not rebuilt, as thin_restore does not), data counts = the number of devices mapping
   * each block, both space maps recounted, NEEDS_CHECK clear; then commits.
   */
  static restore(
    device: BlockDevice,
    pool: SalvagedPool,
    options: Omit<PoolMetadataOptions, "dataBlockSizeSectors" | "nrDataBlocks">,
  ): PoolMetadata {
    const md = PoolMetadata.format(device, {
      ...options,
      dataBlockSizeSectors: pool.dataBlockSizeSectors,
      nrDataBlocks: pool.nrDataBlocks,
    });
    const tm = md.#tm;
    const countOnce = md.#mutations.has(MUTATION_REPAIR_COUNTS_SHARED_ONCE);
    const topKeys: number[] = [];
    const topValues: Uint8Array[] = [];
    try {
      for (const dev of pool.devices) {
        for (const m of dev.mappings) {
          if (countOnce && md.#data.count(m.dataBlock) > 0) continue;
          md.#data.inc(m.dataBlock);
        }
        const sub = btreeBuild(
          tm,
          {
            keys: dev.mappings.map((m) => m.vblock),
            values: dev.mappings.map((m) => packBlockTime(m.dataBlock, m.time)),
          },
          8,
        );
        topKeys.push(dev.id);
        topValues.push(u64Bytes(sub));
        md.#details.set(dev.id, { ...dev.details, mappedBlocks: dev.mappings.length, changed: true });
      }
      tm.dec(md.#mappingRoot); // the empty top level format made
      md.#mappingRoot = btreeBuild(tm, { keys: topKeys, values: topValues }, 8);
      md.#time = pool.time;
      md.#transactionId = pool.transactionId;
      md.#markChanged();
      md.commit(md.#lastCommitNs);
    } catch (error) {
      if (isPersistentDataError(error, "ENOSPC")) {
        throw new PersistentDataError(
          "ENOSPC",
          `Output metadata ${device.name} is too small for the salvaged mappings; use a larger metadata LV`,
        );
      }
      throw error;
    }
    return md;
  }

  /**
   * Opens the metadata on `device` (`dm_pool_metadata_open`): formats it when its first 4 KiB are
   * zero, as the kernel does; otherwise validates the superblock and loads both space maps.
   */
  static open(device: BlockDevice, options: PoolMetadataOptions): PoolMetadata {
    const first = new Uint8Array(BLOCK_BYTES);
    if (device.sizeBytes < BLOCK_BYTES) {
      throw new PersistentDataError(
        "EINVAL",
        `Metadata device ${device.name} is smaller than one 4 KiB block`,
      );
    }
    device.read(0, first);
    if (superblockAllZeroes(first)) return PoolMetadata.format(device, options);
    const md = new PoolMetadata(device, options);
    md.#load(first);
    if (md.#sb.dataBlockSizeSectors !== options.dataBlockSizeSectors) {
      throw new PersistentDataError(
        "EINVAL",
        `changing the data block size (from ${md.#sb.dataBlockSizeSectors} to ${options.dataBlockSizeSectors}) is not supported`,
      );
    }
    return md;
  }

  #load(first: Uint8Array): void {
    const sb = decodeSuperblock(first, this.#device.name);
    const nrBlocks = sb.metadataSm.nrBlocks;
    if (nrBlocks * BLOCK_BYTES > this.#device.sizeBytes || nrBlocks > METADATA_MAX_BLOCKS) {
      throw new PersistentDataError(
        "EIO",
        `Superblock of ${this.#device.name} covers ${nrBlocks} metadata blocks but the device holds ${Math.floor(this.#device.sizeBytes / BLOCK_BYTES)}`,
        0,
      );
    }
    const tm = new TransactionManager(this.#device, nrBlocks);
    this.#metaSmBlocks = readMetadataSm(tm, sb.metadataSm);
    const data = new RefCounts("data", sb.dataSm.nrBlocks);
    this.#dataSmBlocks = readDataSm(tm, sb.dataSm, data);
    this.#tm = tm;
    this.#data = data;
    this.#sb = sb;
    this.#mappingRoot = sb.mappingRoot;
    this.#detailsRoot = sb.detailsRoot;
    this.#time = sb.time;
    this.#transactionId = sb.transactionId;
    this.#flags = sb.flags;
    this.#details = new Map();
    btreeWalk(tm, sb.detailsRoot, this.#detailsVt, (id, value) => {
      const view = viewOf(value);
      this.#details.set(id, {
        mappedBlocks: getU64(view, 0),
        transactionId: getU64(view, 8),
        creationTime: view.getUint32(16, true),
        snapshottedTime: view.getUint32(20, true),
        changed: false,
      });
    });
    this.#changed = false;
    this.#superblockOnly = false;
  }

  /** The metadata device. */
  get device(): BlockDevice {
    return this.#device;
  }
  /** Completion time of the last commit this object made. */
  get lastCommitNs(): number {
    return this.#lastCommitNs;
  }
  /** The userspace transaction id (`set_transaction_id`), as of this transaction. */
  get transactionId(): number {
    return this.#transactionId;
  }
  /** The snapshot counter. */
  get time(): number {
    return this.#time;
  }
  /** Data block size in sectors. */
  get dataBlockSizeSectors(): number {
    return this.#sb.dataBlockSizeSectors;
  }
  /** True when the superblock carries NEEDS_CHECK. */
  get needsCheck(): boolean {
    return (this.#flags & NEEDS_CHECK_FLAG) !== 0;
  }
  /** True when this transaction changed something a commit would write. */
  get changed(): boolean {
    return this.#changed;
  }
  /** Data blocks in the pool. */
  get dataBlocksTotal(): number {
    return this.#data.nrBlocks;
  }
  /** Free data blocks (freed ones included, as `dm_pool_get_free_block_count` counts them). */
  get dataBlocksFree(): number {
    return this.#data.free;
  }
  /** Metadata blocks the space map covers. */
  get metadataBlocksTotal(): number {
    return this.#tm.sm.nrBlocks;
  }
  /** Free metadata blocks (`dm_pool_get_free_metadata_block_count`, before the reserve). */
  get metadataBlocksFree(): number {
    return this.#tm.sm.free;
  }
  /** The reference count of data block `b` now (shared blocks count more than 1). */
  dataRefCount(b: number): number {
    return this.#data.count(b);
  }
  /**
   * Caps the metadata blocks this open pool may hold at `used + freeBlocks` (undefined lifts it), so
   * the next allocation past it fails with ENOSPC — a fault hook for metadata exhaustion.
   */
  limitMetadataBlocks(freeBlocks: number | undefined): void {
    this.#tm.sm.setAllocationLimit(freeBlocks === undefined ? undefined : this.#tm.sm.allocated + freeBlocks);
  }
  /** Metadata blocks in use now. */
  get metadataBlocksUsed(): number {
    return this.#tm.sm.allocated;
  }
  /** The reference count of metadata block `b` now. */
  metadataRefCount(b: number): number {
    return this.#tm.sm.count(b);
  }

  /** Thin device ids, ascending. */
  devices(): number[] {
    return [...this.#details.keys()].sort((a, b) => a - b);
  }

  /** A device's details, or undefined when it does not exist. */
  details(id: number): ThinDetails | undefined {
    const d = this.#details.get(id);
    return d === undefined
      ? undefined
      : {
          mappedBlocks: d.mappedBlocks,
          transactionId: d.transactionId,
          creationTime: d.creationTime,
          snapshottedTime: d.snapshottedTime,
        };
  }

  /** Creates an empty thin device (`dm_pool_create_thin`). */
  createThin(id: number): void {
    this.#checkNewId(id);
    const sub = btreeEmpty(this.#tm, this.#dataVt);
    this.#insertDevice(id, sub);
    this.#details.set(id, {
      mappedBlocks: 0,
      transactionId: this.#transactionId,
      creationTime: this.#time,
      snapshottedTime: this.#time,
      changed: true,
    });
    this.#markChanged();
  }

  /** Creates device `id` as a snapshot of `originId`, sharing its mapping tree (`dm_pool_create_snap`). */
  createSnap(id: number, originId: number): void {
    this.#checkNewId(id);
    const origin = this.#details.get(originId);
    if (origin === undefined)
      throw new PersistentDataError("ENODATA", `Thin device ${originId} does not exist`);
    const rootBytes = btreeLookup(this.#tm, this.#mappingRoot, originId, this.#topVt);
    if (rootBytes === undefined)
      throw new PersistentDataError("EIO", `Thin device ${originId} has details but no mapping tree`);
    const sub = getU64(viewOf(rootBytes), 0);
    if (!this.#mutations.has(MUTATION_SNAP_SKIPS_ROOT_INC)) this.#tm.inc(sub);
    this.#insertDevice(id, sub);
    this.#time += 1;
    origin.snapshottedTime = this.#time;
    origin.changed = true;
    this.#details.set(id, {
      mappedBlocks: origin.mappedBlocks,
      transactionId: this.#transactionId,
      creationTime: this.#time,
      snapshottedTime: this.#time,
      changed: true,
    });
    this.#markChanged();
  }

  /** Deletes a device and drops its references to shared nodes and data blocks (`dm_pool_delete_thin_device`). */
  deleteThin(id: number): void {
    if (!this.#details.has(id)) throw new PersistentDataError("ENODATA", `Thin device ${id} does not exist`);
    this.#detailsRoot = btreeRemove(this.#tm, this.#detailsRoot, id, this.#detailsVt).root;
    this.#mappingRoot = btreeRemove(this.#tm, this.#mappingRoot, id, this.#topVt).root;
    this.#details.delete(id);
    this.#markChanged();
  }

  /** `set_transaction_id <current> <new>`: EINVAL unless `current` matches. */
  setTransactionId(current: number, next: number): void {
    if (current !== this.#transactionId) {
      throw new PersistentDataError(
        "EINVAL",
        `mismatched transaction id: pool has ${this.#transactionId}, message says ${current}`,
      );
    }
    this.#transactionId = next;
    // set_transaction_id changes the superblock alone (`dm_pool_set_metadata_transaction_id`).
    if (!this.#changed) this.#superblockOnly = true;
    this.#changed = true;
  }

  /** The mapping of `vblock` in device `id`, or undefined when unmapped. */
  lookup(id: number, vblock: number): ThinMapping | undefined {
    const td = this.#open(id);
    const rootBytes = btreeLookup(this.#tm, this.#mappingRoot, id, this.#topVt);
    if (rootBytes === undefined) return undefined;
    const value = btreeLookup(this.#tm, getU64(viewOf(rootBytes), 0), vblock, this.#dataVt);
    if (value === undefined) return undefined;
    const { dataBlock, time } = unpackBlockTime(value);
    return { dataBlock, time, shared: td.snapshottedTime > time };
  }

  /** Maps `vblock` of device `id` to `dataBlock` at the current time (`dm_thin_insert_block`); an old mapping loses its reference. */
  insert(id: number, vblock: number, dataBlock: number): void {
    const td = this.#open(id);
    if (dataBlock >= this.#data.nrBlocks)
      throw new Error(`Invariant: data block ${dataBlock} past the pool's ${this.#data.nrBlocks}`);
    let inserted = false;
    this.#updateSubtree(id, (sub) => {
      const r = btreeInsert(
        this.#tm,
        sub,
        { key: vblock, value: packBlockTime(dataBlock, this.#time) },
        this.#dataVt,
      );
      inserted = r.inserted;
      return r.root;
    });
    if (!this.#mutations.has(DETAILS_NOT_DIRTIED_ON_INSERT.name)) td.changed = true;
    if (inserted) td.mappedBlocks += 1;
    this.#markChanged();
  }

  /** Unmaps `vblock` of device `id` (`dm_thin_remove_block`); true when it was mapped. */
  remove(id: number, vblock: number): boolean {
    const td = this.#open(id);
    const mapped = this.lookup(id, vblock);
    if (mapped === undefined) return false;
    this.#updateSubtree(id, (sub) => btreeRemove(this.#tm, sub, vblock, this.#dataVt).root);
    if (this.#mutations.has(MUTATION_DISCARD_KEEPS_REFCOUNT)) this.#data.inc(mapped.dataBlock);
    if (this.#mutations.has(DISCARD_FREES_SHARED_BLOCK.name))
      while (this.#data.count(mapped.dataBlock) > 0) this.#data.dec(mapped.dataBlock);
    td.mappedBlocks -= 1;
    td.changed = true;
    this.#markChanged();
    return true;
  }

  /** Every mapping of device `id` in block order. */
  mappings(id: number): { vblock: number; dataBlock: number; time: number }[] {
    this.#open(id);
    const rootBytes = btreeLookup(this.#tm, this.#mappingRoot, id, this.#topVt);
    const out: { vblock: number; dataBlock: number; time: number }[] = [];
    if (rootBytes === undefined) return out;
    btreeWalk(this.#tm, getU64(viewOf(rootBytes), 0), this.#dataVt, (vblock, value) => {
      out.push({ vblock, ...unpackBlockTime(value) });
    });
    return out;
  }

  /** Takes a free data block with count 1, or undefined when none can be allocated in this transaction. */
  allocDataBlock(): number | undefined {
    const b = this.#data.allocate({ reuseFreedNow: this.#mutations.has(DATA_REUSED_BEFORE_COMMIT.name) });
    if (b !== undefined) this.#markChanged();
    return b;
  }

  /** Drops a data block taken by {@link allocDataBlock} but never mapped. */
  releaseDataBlock(b: number): void {
    this.#data.dec(b);
  }

  /** Grows the data space map (`dm_pool_resize_data_dev`). */
  resizeData(nrBlocks: number): void {
    if (nrBlocks === this.#data.nrBlocks) return;
    this.#data.resize(nrBlocks);
    this.#markChanged();
  }

  /** Grows the metadata space map to the device's size, capped at the format's limit (`dm_pool_resize_metadata_dev`). */
  resizeMetadata(): void {
    const nrBlocks = metadataBlocksOf(this.#device);
    if (nrBlocks <= this.#tm.sm.nrBlocks) return;
    this.#tm.sm.resize(nrBlocks);
    this.#markChanged();
  }

  /** Something a commit writes beyond the superblock changed. */
  #markChanged(): void {
    this.#changed = true;
    this.#superblockOnly = false;
  }

  /**
   * Commits the transaction (`__commit_transaction`): changed details, the data space map, the
   * metadata space map, every new block written and flushed, then the superblock written and
   * flushed. Returns the completion time. A transaction that changed the superblock alone (a
   * `set_transaction_id`) writes only the superblock: the kernel's space maps write nothing when
   * their index did not change (`sm_ll_commit`), and no tree was shadowed.
   */
  commit(issueNs: number): number {
    if (!this.#changed) return issueNs;
    const tm = this.#tm;
    if (
      this.#superblockOnly &&
      tm.dirtyBlocks().length === 0 &&
      ![...this.#details.values()].some((d) => d.changed)
    )
      return this.#commitSuperblock(issueNs);
    for (const [id, td] of [...this.#details.entries()].sort((a, b) => a[0] - b[0])) {
      if (!td.changed) continue;
      const v = new Uint8Array(DETAILS_BYTES);
      const view = viewOf(v);
      setU64(view, 0, td.mappedBlocks);
      setU64(view, 8, td.transactionId);
      view.setUint32(16, td.creationTime, true);
      view.setUint32(20, td.snapshottedTime, true);
      this.#detailsRoot = btreeInsert(tm, this.#detailsRoot, { key: id, value: v }, this.#detailsVt).root;
    }
    const dataSm = writeDataSm(tm, this.#data, this.#dataSmBlocks);
    const metaSm = writeMetadataSm(tm, this.#metaSmBlocks);
    const t = this.#writeSuperblock(tm.writeDirty(issueNs), {
      dataSm: dataSm.root,
      metadataSm: metaSm.root,
      mappingRoot: this.#mappingRoot,
      detailsRoot: this.#detailsRoot,
      metadataNrBlocks: tm.sm.nrBlocks,
    });
    this.#dataSmBlocks = dataSm.blocks;
    this.#metaSmBlocks = metaSm.blocks;
    for (const td of this.#details.values()) td.changed = false;
    return t;
  }

  /**
   * The end of every commit, once its blocks are written (at `writtenNs`): flush them, write the
   * superblock with this transaction's fields and `roots`, flush it, and start the next transaction.
   */
  #writeSuperblock(writtenNs: number, roots: Partial<Superblock>): number {
    this.#onCommitStep("blocks-written");
    let t = writtenNs;
    if (!this.#mutations.has(MUTATION_COMMIT_SKIPS_METADATA_FLUSH)) t = this.#device.flush({ issueNs: t });
    this.#onCommitStep("blocks-flushed");
    const sb: Superblock = {
      ...this.#sb,
      flags: this.#flags,
      time: this.#time,
      transactionId: this.#transactionId,
      ...roots,
    };
    t = this.#device.write(0, encodeSuperblock(sb), { issueNs: t });
    this.#onCommitStep("superblock-written");
    t = this.#device.flush({ issueNs: t });
    this.#sb = sb;
    // Both space maps commit (with nothing to write after a superblock-only transaction): the
    // metadata allocator starts over at 0.
    this.#tm.sm.commit({ resetCursor: true });
    this.#data.commit({ resetCursor: false });
    this.#changed = false;
    this.#superblockOnly = false;
    this.#lastCommitNs = t;
    return t;
  }

  /** The commit of a transaction that changed only superblock fields: the same steps, no blocks. */
  #commitSuperblock(issueNs: number): number {
    return this.#writeSuperblock(issueNs, {});
  }

  /** Drops this transaction and reopens the last commit from the device (`dm_pool_abort_metadata`). */
  abort(): void {
    const first = new Uint8Array(BLOCK_BYTES);
    this.#device.read(0, first);
    this.#load(first);
  }

  /**
   * Sets NEEDS_CHECK and writes it to the superblock at once (`dm_pool_metadata_set_needs_check`),
   * as the kernel does when a metadata operation fails; returns the completion time.
   */
  setNeedsCheck(issueNs: number): number {
    this.#flags |= NEEDS_CHECK_FLAG;
    const sb: Superblock = { ...this.#sb, flags: this.#flags };
    this.#sb = sb;
    const t = this.#device.write(0, encodeSuperblock(sb), { issueNs });
    return this.#device.flush({ issueNs: t });
  }

  /**
   * Recounts every reference from the committed trees and space-map blocks and compares them with
   * both space maps, as `thin_check` does ("metadata reference counts differ for block …"); also
   * checks the details and mapping trees hold the same devices. Returns the problems found.
   */
  check(): string[] {
    const problems: string[] = [];
    const tm = this.#tm;
    const meta = new Map<number, number>();
    const data = new Map<number, number>();
    const bump = (m: Map<number, number>, b: number): void => {
      m.set(b, (m.get(b) ?? 0) + 1);
    };
    bump(meta, 0);
    for (const b of [...this.#metaSmBlocks, ...this.#dataSmBlocks]) bump(meta, b);
    const visited = new Set<number>();
    const walk = (b: number, leafSize: number, onLeaf: (value: Uint8Array) => void): void => {
      bump(meta, b);
      if (visited.has(b)) return; // a shared node: its children are counted once
      visited.add(b);
      const node = readNode(tm, b, leafSize);
      for (let i = 0; i < node.nr; i++) {
        if (node.isLeaf) onLeaf(node.value(i));
        else walk(node.child(i), leafSize, onLeaf);
      }
    };
    const devicesInMapping: number[] = [];
    walk(this.#detailsRoot, DETAILS_BYTES, () => {});
    walk(this.#mappingRoot, 8, (v) => {
      walk(getU64(viewOf(v), 0), 8, (m) => bump(data, unpackBlockTime(m).dataBlock));
    });
    btreeWalk(tm, this.#mappingRoot, this.#topVt, (id) => devicesInMapping.push(id));
    const inDetails = this.devices();
    if (devicesInMapping.join(",") !== inDetails.join(",")) {
      problems.push(
        `devices differ: mapping tree has [${devicesInMapping.join(",")}], details tree has [${inDetails.join(",")}]`,
      );
    }
    for (let b = 0; b < tm.sm.nrBlocks; b++) {
      const expected = meta.get(b) ?? 0;
      const actual = tm.sm.committedCount(b);
      if (expected !== actual)
        problems.push(
          `metadata reference counts differ for block ${b}, expected ${expected}, but got ${actual}`,
        );
    }
    for (let b = 0; b < this.#data.nrBlocks; b++) {
      const expected = data.get(b) ?? 0;
      const actual = this.#data.committedCount(b);
      if (expected !== actual)
        problems.push(`data reference counts differ for block ${b}, expected ${expected}, but got ${actual}`);
    }
    return problems;
  }

  /** Adds device `id` to the top level of the mapping tree with mapping root `sub`. */
  #insertDevice(id: number, sub: number): void {
    this.#mappingRoot = btreeInsert(
      this.#tm,
      this.#mappingRoot,
      { key: id, value: u64Bytes(sub) },
      this.#topVt,
    ).root;
  }

  #checkNewId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id > THIN_MAX_DEV_ID) {
      throw new PersistentDataError("EINVAL", `Message received with invalid device id: ${id}`);
    }
    if (this.#details.has(id)) throw new PersistentDataError("EEXIST", `Thin device ${id} already exists`);
  }

  #open(id: number): LiveDetails {
    const td = this.#details.get(id);
    if (td === undefined) throw new PersistentDataError("ENODATA", `Thin device ${id} does not exist`);
    return td;
  }

  #updateSubtree(id: number, change: (subRoot: number) => number): void {
    this.#mappingRoot = btreeInsert(
      this.#tm,
      this.#mappingRoot,
      {
        key: id,
        value: (old) => {
          if (old === undefined)
            throw new PersistentDataError("EIO", `Thin device ${id} has details but no mapping tree`);
          return u64Bytes(change(getU64(viewOf(old), 0)));
        },
      },
      this.#topVt,
      { decOverwritten: false },
    ).root;
  }
}

/** Metadata blocks a device offers, capped at the format's limit. */
export function metadataBlocksOf(device: BlockDevice): number {
  return Math.min(Math.floor(device.sizeBytes / BLOCK_BYTES), METADATA_MAX_BLOCKS);
}

function checkDataBlockSize(sectors: number): void {
  if (!Number.isInteger(sectors) || sectors < 128 || sectors > 2097152 || sectors % 128 !== 0) {
    throw new PersistentDataError(
      "EINVAL",
      `Invalid block size: ${sectors} sectors (must be 128 to 2097152, a multiple of 128)`,
    );
  }
}
