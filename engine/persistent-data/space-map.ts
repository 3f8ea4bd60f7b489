/**
 * The on-disk half of the space maps (dm-space-map-common.c): 2-bit reference counts in bitmap
 * blocks of 16320 entries, an index of those bitmaps, and a btree of the counts above 2. The
 * metadata map's index is one block of 255 entries; the data map's index is a btree. Both are
 * rewritten at every commit into blocks free in the last commit (the kernel shadows them, with the
 * same effect: the committed copy is never touched).
 */
import { getU64, PersistentDataError, setU64, viewOf } from "./block.js";
import { btreeBuild, btreeWalk, plainValues } from "./btree.js";
import type { RefCounts } from "./ref-counts.js";
import type { TransactionManager } from "./transaction.js";

/** Entries per bitmap block: (4096 − 16) bytes × 4 two-bit entries. */
const ENTRIES_PER_BITMAP = 16320;

/** Entries of the metadata space map's index block, so its block limit (`DM_SM_METADATA_MAX_BLOCKS`). */
const METADATA_INDEX_ENTRIES = 255;

/** Largest metadata device dm-thin uses, in 4 KiB blocks (255 × 16320 ≈ 15.87 GiB). */
export const METADATA_MAX_BLOCKS = METADATA_INDEX_ENTRIES * ENTRIES_PER_BITMAP;

const BITMAP_HEADER_BYTES = 16;
const INDEX_ENTRY_BYTES = 16;
const REF_COUNT_VALUE_BYTES = 4;

/** `struct disk_sm_root`: what the superblock stores for each space map. */
export interface SmRoot {
  readonly nrBlocks: number;
  readonly nrAllocated: number;
  readonly bitmapRoot: number;
  readonly refCountRoot: number;
}

/** A written space map: its root and every metadata block it occupies (freed at the next rewrite). */
export interface WrittenSm {
  readonly root: SmRoot;
  readonly blocks: readonly number[];
}

/** Encodes a space-map root into the first 32 bytes of `area` (the rest of the 128-byte area stays zero). */
export function encodeSmRoot(area: Uint8Array, root: SmRoot): void {
  const view = viewOf(area);
  setU64(view, 0, root.nrBlocks);
  setU64(view, 8, root.nrAllocated);
  setU64(view, 16, root.bitmapRoot);
  setU64(view, 24, root.refCountRoot);
}

/** Decodes a space-map root from the first 32 bytes of `area`. */
export function decodeSmRoot(area: Uint8Array): SmRoot {
  const view = viewOf(area);
  return {
    nrBlocks: getU64(view, 0),
    nrAllocated: getU64(view, 8),
    bitmapRoot: getU64(view, 16),
    refCountRoot: getU64(view, 24),
  };
}

interface IndexEntry {
  readonly blocknr: number;
  readonly nrFree: number;
  readonly noneFreeBefore: number;
}

function encodeIndexEntry(target: Uint8Array, entry: IndexEntry): void {
  const view = viewOf(target);
  setU64(view, 0, entry.blocknr);
  view.setUint32(8, entry.nrFree, true);
  view.setUint32(12, entry.noneFreeBefore, true);
}

function decodeIndexEntry(source: Uint8Array): IndexEntry {
  const view = viewOf(source);
  return {
    blocknr: getU64(view, 0),
    nrFree: view.getUint32(8, true),
    noneFreeBefore: view.getUint32(12, true),
  };
}

/** Fills bitmap `i` of `counts` into `data`; returns its index entry (exact free counts). */
function fillBitmap(
  data: Uint8Array,
  options: { readonly counts: RefCounts; readonly index: number; readonly blocknr: number },
): IndexEntry {
  const { counts, index, blocknr } = options;
  const first = index * ENTRIES_PER_BITMAP;
  const end = Math.min(counts.nrBlocks, first + ENTRIES_PER_BITMAP);
  let nrFree = 0;
  let noneFreeBefore = -1;
  for (let b = first; b < end; b++) {
    const count = Math.min(3, counts.count(b));
    const e = b - first;
    if (count === 0) {
      nrFree += 1;
      if (noneFreeBefore < 0) noneFreeBefore = e;
    }
    const shift = (e % 4) * 2;
    // The entry's first bit is the high bit (value 2), the second the low bit (`sm_lookup_bitmap`).
    const bits = ((count >> 1) << shift) | ((count & 1) << (shift + 1));
    const at = BITMAP_HEADER_BYTES + (e >> 2);
    data[at] = (data[at] ?? 0) | bits;
  }
  return { blocknr, nrFree, noneFreeBefore: noneFreeBefore < 0 ? end - first : noneFreeBefore };
}

/** Reads the 2-bit entries of one bitmap into `counts` (3 = look in the ref-count tree). */
function loadBitmap(
  data: Uint8Array,
  options: { readonly counts: RefCounts; readonly index: number },
): number[] {
  const { counts, index } = options;
  const first = index * ENTRIES_PER_BITMAP;
  const end = Math.min(counts.nrBlocks, first + ENTRIES_PER_BITMAP);
  const overflow: number[] = [];
  for (let b = first; b < end; b++) {
    const e = b - first;
    const byte = data[BITMAP_HEADER_BYTES + (e >> 2)] ?? 0;
    const shift = (e % 4) * 2;
    const count = (((byte >> shift) & 1) << 1) | ((byte >> (shift + 1)) & 1);
    if (count === 3) overflow.push(b);
    else if (count > 0) counts.load(b, count);
  }
  return overflow;
}

function refCountEntries(counts: RefCounts): { keys: number[]; values: Uint8Array[] } {
  const keys: number[] = [];
  const values: Uint8Array[] = [];
  counts.forEachUsed((b, count) => {
    if (count < 3) return;
    const v = new Uint8Array(REF_COUNT_VALUE_BYTES);
    viewOf(v).setUint32(0, count, true);
    keys.push(b);
    values.push(v);
  });
  return { keys, values };
}

function bitmapCount(nrBlocks: number): number {
  return Math.ceil(nrBlocks / ENTRIES_PER_BITMAP);
}

/** Writes the data space map (`sm_disk_commit`) after freeing the blocks of its previous copy. */
export function writeDataSm(
  tm: TransactionManager,
  counts: RefCounts,
  previous: readonly number[],
): WrittenSm {
  for (const b of previous) tm.dec(b);
  const blocks: number[] = [];
  const keys: number[] = [];
  const values: Uint8Array[] = [];
  for (let i = 0; i < bitmapCount(counts.nrBlocks); i++) {
    const { blocknr, data } = tm.newBlock("bitmap");
    blocks.push(blocknr);
    const entry = fillBitmap(data, { counts, index: i, blocknr });
    const v = new Uint8Array(INDEX_ENTRY_BYTES);
    encodeIndexEntry(v, entry);
    keys.push(i);
    values.push(v);
  }
  const nodes: number[] = [];
  const bitmapRoot = btreeBuild(tm, { keys, values }, INDEX_ENTRY_BYTES);
  const refCountRoot = btreeBuild(tm, refCountEntries(counts), REF_COUNT_VALUE_BYTES);
  collectNodes(tm, bitmapRoot, INDEX_ENTRY_BYTES, nodes);
  collectNodes(tm, refCountRoot, REF_COUNT_VALUE_BYTES, nodes);
  return {
    root: { nrBlocks: counts.nrBlocks, nrAllocated: counts.allocated, bitmapRoot, refCountRoot },
    blocks: [...blocks, ...nodes],
  };
}

/**
 * Writes the metadata space map (`sm_metadata_commit`). Its own new blocks are allocated first,
 * so the bitmaps it then fills already count them: the map describes itself exactly.
 */
export function writeMetadataSm(tm: TransactionManager, previous: readonly number[]): WrittenSm {
  for (const b of previous) tm.dec(b);
  const counts = tm.sm;
  const nb = bitmapCount(counts.nrBlocks);
  if (nb > METADATA_INDEX_ENTRIES)
    throw new Error(`Invariant: ${nb} metadata bitmaps exceed the index's ${METADATA_INDEX_ENTRIES}`);
  const index = tm.newBlock("index");
  const bitmaps = Array.from({ length: nb }, () => tm.newBlock("bitmap"));
  // Counts above 2 do not change from here on: new blocks get count 1.
  const refCountRoot = btreeBuild(tm, refCountEntries(counts), REF_COUNT_VALUE_BYTES);
  const nodes: number[] = [];
  collectNodes(tm, refCountRoot, REF_COUNT_VALUE_BYTES, nodes);
  bitmaps.forEach((bitmap, i) => {
    const entry = fillBitmap(bitmap.data, { counts, index: i, blocknr: bitmap.blocknr });
    encodeIndexEntry(
      index.data.subarray(16 + i * INDEX_ENTRY_BYTES, 16 + (i + 1) * INDEX_ENTRY_BYTES),
      entry,
    );
  });
  return {
    root: {
      nrBlocks: counts.nrBlocks,
      nrAllocated: counts.allocated,
      bitmapRoot: index.blocknr,
      refCountRoot,
    },
    blocks: [index.blocknr, ...bitmaps.map((b) => b.blocknr), ...nodes],
  };
}

/** Loads the metadata space map's counts into `tm.sm`; returns the blocks it occupies. */
export function readMetadataSm(tm: TransactionManager, root: SmRoot): number[] {
  const counts = tm.sm;
  if (root.nrBlocks !== counts.nrBlocks)
    throw new Error("Invariant: metadata sm size differs from the transaction manager's");
  const index = tm.read(root.bitmapRoot, "index");
  const blocks = [root.bitmapRoot];
  const overflow: number[] = [];
  for (let i = 0; i < bitmapCount(root.nrBlocks); i++) {
    const entry = decodeIndexEntry(
      index.subarray(16 + i * INDEX_ENTRY_BYTES, 16 + (i + 1) * INDEX_ENTRY_BYTES),
    );
    blocks.push(entry.blocknr);
    overflow.push(...loadBitmap(tm.read(entry.blocknr, "bitmap"), { counts, index: i }));
  }
  blocks.push(...loadRefCounts(tm, { root: root.refCountRoot, counts, overflow }));
  return blocks;
}

/** Loads the data space map's counts into `counts`; returns the metadata blocks it occupies. */
export function readDataSm(tm: TransactionManager, root: SmRoot, counts: RefCounts): number[] {
  if (root.nrBlocks !== counts.nrBlocks) throw new Error("Invariant: data sm size differs from the counts'");
  const blocks: number[] = [];
  const entries: IndexEntry[] = [];
  btreeWalk(
    tm,
    root.bitmapRoot,
    plainValues(INDEX_ENTRY_BYTES),
    (key, value) => {
      if (key !== entries.length) {
        throw new PersistentDataError(
          "EIO",
          `Data space map index has key ${key} where ${entries.length} belongs; the metadata is damaged`,
        );
      }
      entries.push(decodeIndexEntry(value));
    },
    (b) => blocks.push(b),
  );
  if (entries.length !== bitmapCount(root.nrBlocks)) {
    throw new PersistentDataError(
      "EIO",
      `Data space map index has ${entries.length} bitmaps for ${root.nrBlocks} blocks; the metadata is damaged`,
    );
  }
  const overflow: number[] = [];
  entries.forEach((entry, i) => {
    blocks.push(entry.blocknr);
    overflow.push(...loadBitmap(tm.read(entry.blocknr, "bitmap"), { counts, index: i }));
  });
  blocks.push(...loadRefCounts(tm, { root: root.refCountRoot, counts, overflow }));
  return blocks;
}

function loadRefCounts(
  tm: TransactionManager,
  options: { readonly root: number; readonly counts: RefCounts; readonly overflow: readonly number[] },
): number[] {
  const nodes: number[] = [];
  const found = new Map<number, number>();
  btreeWalk(
    tm,
    options.root,
    plainValues(REF_COUNT_VALUE_BYTES),
    (key, value) => found.set(key, viewOf(value).getUint32(0, true)),
    (b) => nodes.push(b),
  );
  for (const b of options.overflow) {
    const count = found.get(b);
    if (count === undefined || count < 3) {
      throw new PersistentDataError(
        "EIO",
        `Space map says block ${b} has a count above 2 but its ref-count tree has ${count ?? "none"}`,
      );
    }
    options.counts.load(b, count);
  }
  return nodes;
}

function collectNodes(tm: TransactionManager, root: number, valueSize: number, into: number[]): void {
  btreeWalk(
    tm,
    root,
    plainValues(valueSize),
    () => {},
    (b) => into.push(b),
  );
}
