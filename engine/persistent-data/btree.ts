/**
 * Copy-on-write B+trees in the kernel's on-disk node format (dm-btree.c, dm-btree-remove.c,
 * dm-btree-internal.h). Every change shadows the path from the root, so the tree of the last
 * commit stays intact; a shared node (count > 1, after a thin snapshot) is copied and its children
 * gain a reference. Non-root nodes keep at least a third of their capacity, as `thin_check` demands.
 */
import { BLOCK_BYTES, getU64, PersistentDataError, setU64, viewOf } from "./block.js";
import type { TransactionManager } from "./transaction.js";

/** Node header bytes: csum, flags, blocknr, nr_entries, max_entries, value_size, padding. */
const NODE_HEADER_BYTES = 32;
const INTERNAL_NODE = 1;
const LEAF_NODE = 2;

/** How a tree's leaf values are sized and counted: values that reference blocks inc/dec them. */
export interface ValueType {
  readonly sizeBytes: number;
  /** Adds a reference to whatever `value` points at (a node holding it was copied). */
  inc(value: Uint8Array): void;
  /** Drops a reference to whatever `value` points at (it was overwritten or removed). */
  dec(value: Uint8Array): void;
}

/** A value type whose values reference nothing (device details, space-map index entries). */
export function plainValues(sizeBytes: number): ValueType {
  return { sizeBytes, inc: () => {}, dec: () => {} };
}

/** `calc_max_entries`: as many entries as fit, rounded down to a multiple of 3. */
export function maxEntries(valueSizeBytes: number): number {
  return 3 * Math.floor(Math.floor((BLOCK_BYTES - NODE_HEADER_BYTES) / (8 + valueSizeBytes)) / 3);
}

/** A parsed view of one node's header and entries. */
class NodeView {
  readonly view: DataView;

  constructor(readonly data: Uint8Array) {
    this.view = viewOf(data);
  }

  get isLeaf(): boolean {
    return (this.view.getUint32(4, true) & LEAF_NODE) !== 0;
  }
  get nr(): number {
    return this.view.getUint32(16, true);
  }
  set nr(n: number) {
    this.view.setUint32(16, n, true);
  }
  get max(): number {
    return this.view.getUint32(20, true);
  }
  get valueSize(): number {
    return this.view.getUint32(24, true);
  }
  key(i: number): number {
    return getU64(this.view, NODE_HEADER_BYTES + 8 * i);
  }
  setKey(i: number, key: number): void {
    setU64(this.view, NODE_HEADER_BYTES + 8 * i, key);
  }
  valueOffset(i: number): number {
    return NODE_HEADER_BYTES + 8 * this.max + this.valueSize * i;
  }
  value(i: number): Uint8Array {
    const at = this.valueOffset(i);
    return this.data.subarray(at, at + this.valueSize);
  }
  child(i: number): number {
    return getU64(this.view, this.valueOffset(i));
  }
  setChild(i: number, b: number): void {
    setU64(this.view, this.valueOffset(i), b);
  }

  /** Resets the node to an empty leaf or internal node for values of `valueSize` bytes. */
  init(options: { readonly leaf: boolean; readonly valueSize: number }): void {
    this.data.fill(0, 4);
    this.view.setUint32(4, options.leaf ? LEAF_NODE : INTERNAL_NODE, true);
    this.view.setUint32(20, maxEntries(options.valueSize), true);
    this.view.setUint32(24, options.valueSize, true);
  }

  /** Index of the last key ≤ `key`, or -1 (`lower_bound`). */
  lowerBound(key: number): number {
    let lo = -1;
    let hi = this.nr;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.key(mid) <= key) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  /** Opens a gap at `i` and stores `key` and `value` there. */
  insertAt(i: number, key: number, value: Uint8Array): void {
    const nr = this.nr;
    if (nr >= this.max) throw new Error(`Invariant: insert into a full btree node (${nr}/${this.max})`);
    const keyAt = NODE_HEADER_BYTES + 8 * i;
    this.data.copyWithin(keyAt + 8, keyAt, NODE_HEADER_BYTES + 8 * nr);
    this.data.copyWithin(this.valueOffset(i + 1), this.valueOffset(i), this.valueOffset(nr));
    this.setKey(i, key);
    this.data.set(value, this.valueOffset(i));
    this.nr = nr + 1;
  }

  /** Removes entry `i`, closing the gap. */
  removeAt(i: number): void {
    const nr = this.nr;
    const keyAt = NODE_HEADER_BYTES + 8 * i;
    this.data.copyWithin(keyAt, keyAt + 8, NODE_HEADER_BYTES + 8 * nr);
    this.data.fill(0, NODE_HEADER_BYTES + 8 * (nr - 1), NODE_HEADER_BYTES + 8 * nr);
    this.data.copyWithin(this.valueOffset(i), this.valueOffset(i + 1), this.valueOffset(nr));
    this.data.fill(0, this.valueOffset(nr - 1), this.valueOffset(nr));
    this.nr = nr - 1;
  }

  /** Copies of entries `[from, to)`. */
  entries(from = 0, to = this.nr): { keys: number[]; values: Uint8Array[] } {
    const keys: number[] = [];
    const values: Uint8Array[] = [];
    for (let i = from; i < to; i++) {
      keys.push(this.key(i));
      values.push(this.value(i).slice());
    }
    return { keys, values };
  }

  /** Replaces all entries, keeping the node kind. */
  setEntries(keys: readonly number[], values: readonly Uint8Array[]): void {
    const leaf = this.isLeaf;
    const valueSize = this.valueSize;
    this.init({ leaf, valueSize });
    keys.forEach((key, i) => {
      this.setKey(i, key);
      this.data.set(values[i] as Uint8Array, this.valueOffset(i));
    });
    this.nr = keys.length;
  }
}

/** Reads node `b` and checks its header (flags, value size, capacity) like `node_check`. */
export function readNode(tm: TransactionManager, b: number, leafValueSize: number): NodeView {
  const node = new NodeView(tm.read(b, "node"));
  const flags = node.view.getUint32(4, true);
  const valueSize = node.valueSize;
  const expectedSize = flags & LEAF_NODE ? leafValueSize : 8;
  const problem =
    (flags & (LEAF_NODE | INTERNAL_NODE)) === 0
      ? "is neither leaf nor internal"
      : valueSize !== expectedSize
        ? `has value size ${valueSize}, expected ${expectedSize}`
        : node.max !== maxEntries(valueSize)
          ? `has max_entries ${node.max}, expected ${maxEntries(valueSize)}`
          : node.nr > node.max
            ? `has ${node.nr} entries, more than its max ${node.max}`
            : undefined;
  if (problem !== undefined) {
    throw new PersistentDataError(
      "EIO",
      `Btree node ${b} ${problem}; the metadata is damaged, run thin_check`,
      b,
    );
  }
  return node;
}

/** References from internal nodes: child blocks. */
function childValues(tm: TransactionManager): ValueType {
  return { sizeBytes: 8, inc: (v) => tm.inc(getU64(viewOf(v), 0)), dec: (v) => tm.dec(getU64(viewOf(v), 0)) };
}

function shadowNode(tm: TransactionManager, b: number, vt: ValueType): { blocknr: number; node: NodeView } {
  const shadow = tm.shadow(b, "node");
  const node = new NodeView(shadow.data);
  if (shadow.incChildren) {
    const values = node.isLeaf ? vt : childValues(tm);
    for (let i = 0; i < node.nr; i++) values.inc(node.value(i));
  }
  return { blocknr: shadow.blocknr, node };
}

/** A new empty tree (`dm_btree_empty`): one empty leaf; returns its block. */
export function btreeEmpty(tm: TransactionManager, vt: ValueType): number {
  const { blocknr, data } = tm.newBlock("node");
  new NodeView(data).init({ leaf: true, valueSize: vt.sizeBytes });
  return blocknr;
}

/** The value stored under `key` (a copy), or undefined. */
export function btreeLookup(
  tm: TransactionManager,
  root: number,
  key: number,
  vt: ValueType,
): Uint8Array | undefined {
  let node = readNode(tm, root, vt.sizeBytes);
  for (let depth = 0; ; depth++) {
    if (depth > 64)
      throw new PersistentDataError("EIO", `Btree at block ${root} is deeper than 64 levels; it loops`, root);
    const i = node.lowerBound(key);
    if (node.isLeaf) return i >= 0 && node.key(i) === key ? node.value(i).slice() : undefined;
    if (i < 0) return undefined;
    node = readNode(tm, node.child(i), vt.sizeBytes);
  }
}

/** Options of {@link btreeInsert}. */
export interface InsertOptions {
  /** When false an overwritten value is not dec'd: the caller moved its reference (a subtree root). */
  readonly decOverwritten?: boolean;
}

/**
 * Inserts or overwrites `key` (`dm_btree_insert`). `value` may be a function of the old value, so
 * that a two-level tree can update a subtree in the same shadowed path. Returns the new root.
 */
export function btreeInsert(
  tm: TransactionManager,
  root: number,
  entry: { readonly key: number; readonly value: Uint8Array | ((old: Uint8Array | undefined) => Uint8Array) },
  vt: ValueType,
  options: InsertOptions = {},
): { root: number; inserted: boolean } {
  const { key } = entry;
  const top = shadowNode(tm, root, vt);
  if (top.node.nr === top.node.max) splitBeneath(tm, top.node);
  let node = top.node;
  for (let depth = 0; !node.isLeaf; depth++) {
    if (depth > 64)
      throw new PersistentDataError("EIO", `Btree at block ${root} is deeper than 64 levels; it loops`, root);
    let i = node.lowerBound(key);
    if (i < 0) {
      node.setKey(0, key);
      i = 0;
    }
    const child = shadowNode(tm, node.child(i), vt);
    node.setChild(i, child.blocknr);
    if (child.node.nr === child.node.max) {
      const right = splitChild(tm, node, i, child.node);
      node = key >= node.key(i + 1) ? right : child.node;
    } else {
      node = child.node;
    }
  }
  const i = node.lowerBound(key);
  if (i >= 0 && node.key(i) === key) {
    const old = node.value(i).slice();
    const value = typeof entry.value === "function" ? entry.value(old) : entry.value;
    if (options.decOverwritten !== false && !sameBytes(old, value)) vt.dec(old);
    node.value(i).set(value);
    return { root: top.blocknr, inserted: false };
  }
  const value = typeof entry.value === "function" ? entry.value(undefined) : entry.value;
  if (value.byteLength !== vt.sizeBytes)
    throw new Error(`Invariant: value of ${value.byteLength} bytes in a tree of ${vt.sizeBytes}`);
  node.insertAt(i + 1, key, value);
  return { root: top.blocknr, inserted: true };
}

/** Moves a full root's entries into two new children; the root becomes internal over them. */
function splitBeneath(tm: TransactionManager, root: NodeView): void {
  const nr = root.nr;
  const half = Math.floor(nr / 2);
  const made: number[] = [];
  const firstKeys: number[] = [];
  for (const [from, to] of [
    [0, half],
    [half, nr],
  ] as const) {
    const { blocknr, data } = tm.newBlock("node");
    const child = new NodeView(data);
    child.init({ leaf: root.isLeaf, valueSize: root.valueSize });
    const { keys, values } = root.entries(from, to);
    child.setEntries(keys, values);
    made.push(blocknr);
    firstKeys.push(keys[0] as number);
  }
  root.init({ leaf: false, valueSize: 8 });
  made.forEach((b, i) => {
    const value = new Uint8Array(8);
    setU64(viewOf(value), 0, b);
    root.insertAt(i, firstKeys[i] as number, value);
  });
}

/** Moves the upper half of full child `i` into a new sibling after it; returns the sibling. */
function splitChild(tm: TransactionManager, parent: NodeView, i: number, child: NodeView): NodeView {
  const nr = child.nr;
  const half = Math.floor(nr / 2);
  const { blocknr, data } = tm.newBlock("node");
  const right = new NodeView(data);
  right.init({ leaf: child.isLeaf, valueSize: child.valueSize });
  const upper = child.entries(half, nr);
  right.setEntries(upper.keys, upper.values);
  const lower = child.entries(0, half);
  child.setEntries(lower.keys, lower.values);
  const value = new Uint8Array(8);
  setU64(viewOf(value), 0, blocknr);
  parent.insertAt(i + 1, upper.keys[0] as number, value);
  return right;
}

/**
 * Removes `key` (`dm_btree_remove`), dec'ing its value and rebalancing underfull nodes with a
 * sibling. Returns the new root and whether the key was there; an absent key changes nothing.
 */
export function btreeRemove(
  tm: TransactionManager,
  root: number,
  key: number,
  vt: ValueType,
): { root: number; removed: boolean } {
  if (btreeLookup(tm, root, key, vt) === undefined) return { root, removed: false };
  const top = shadowNode(tm, root, vt);
  removeFrom(tm, top.node, key, vt);
  if (!top.node.isLeaf && top.node.nr === 1) {
    // The root's only child becomes the root; the reference moves with it.
    const child = top.node.child(0);
    tm.dec(top.blocknr);
    return { root: child, removed: true };
  }
  return { root: top.blocknr, removed: true };
}

function removeFrom(tm: TransactionManager, node: NodeView, key: number, vt: ValueType): void {
  const i = node.lowerBound(key);
  if (node.isLeaf) {
    if (i < 0 || node.key(i) !== key) throw new Error(`Invariant: key ${key} vanished during remove`);
    vt.dec(node.value(i));
    node.removeAt(i);
    return;
  }
  const child = shadowNode(tm, node.child(i), vt);
  node.setChild(i, child.blocknr);
  removeFrom(tm, child.node, key, vt);
  if (child.node.nr > 0) node.setKey(i, child.node.key(0));
  if (child.node.nr < Math.floor(child.node.max / 3)) rebalance(tm, node, i, vt);
}

/** Merges child `i` with a sibling, or shares their entries evenly when together they overflow a node. */
function rebalance(tm: TransactionManager, parent: NodeView, i: number, vt: ValueType): void {
  if (parent.nr < 2) return;
  const l = i + 1 < parent.nr ? i : i - 1;
  const r = l + 1;
  const left = shadowNode(tm, parent.child(l), vt);
  parent.setChild(l, left.blocknr);
  const right = shadowNode(tm, parent.child(r), vt);
  parent.setChild(r, right.blocknr);
  const a = left.node.entries();
  const b = right.node.entries();
  const keys = [...a.keys, ...b.keys];
  const values = [...a.values, ...b.values];
  if (keys.length <= left.node.max) {
    left.node.setEntries(keys, values);
    parent.removeAt(r);
    tm.dec(right.blocknr);
  } else {
    const half = Math.floor(keys.length / 2);
    left.node.setEntries(keys.slice(0, half), values.slice(0, half));
    right.node.setEntries(keys.slice(half), values.slice(half));
    parent.setKey(r, keys[half] as number);
  }
  parent.setKey(l, keys[0] as number);
}

/** Drops a reference to a whole tree (`dm_btree_del`): shared nodes just lose one; others free their children. */
export function btreeDel(tm: TransactionManager, root: number, vt: ValueType): void {
  if (tm.sm.count(root) > 1) {
    tm.dec(root);
    return;
  }
  const node = readNode(tm, root, vt.sizeBytes);
  for (let i = 0; i < node.nr; i++) {
    if (node.isLeaf) vt.dec(node.value(i));
    else btreeDel(tm, node.child(i), vt);
  }
  tm.dec(root);
}

/** Calls `visit` for every entry in key order; `onNode` sees every node block (for counting). */
export function btreeWalk(
  tm: TransactionManager,
  root: number,
  vt: ValueType,
  visit: (key: number, value: Uint8Array) => void,
  onNode?: (b: number) => void,
): void {
  const walk = (b: number, depth: number): void => {
    if (depth > 64)
      throw new PersistentDataError("EIO", `Btree at block ${root} is deeper than 64 levels; it loops`, root);
    onNode?.(b);
    const node = readNode(tm, b, vt.sizeBytes);
    for (let i = 0; i < node.nr; i++) {
      if (node.isLeaf) visit(node.key(i), node.value(i));
      else walk(node.child(i), depth + 1);
    }
  };
  walk(root, 0);
}

/** Builds a fresh tree from sorted entries, each node at least half full; returns its root. */
export function btreeBuild(
  tm: TransactionManager,
  entries: { readonly keys: readonly number[]; readonly values: readonly Uint8Array[] },
  valueSize: number,
): number {
  let level: { key: number; block: number }[] = [];
  const leaves = chunkEvenly(entries.keys.length, maxEntries(valueSize));
  let at = 0;
  for (const size of leaves) {
    const { blocknr, data } = tm.newBlock("node");
    const node = new NodeView(data);
    node.init({ leaf: true, valueSize });
    node.setEntries(entries.keys.slice(at, at + size), entries.values.slice(at, at + size));
    level.push({ key: entries.keys[at] ?? 0, block: blocknr });
    at += size;
  }
  while (level.length > 1) {
    const next: { key: number; block: number }[] = [];
    let from = 0;
    for (const size of chunkEvenly(level.length, maxEntries(8))) {
      const { blocknr, data } = tm.newBlock("node");
      const node = new NodeView(data);
      node.init({ leaf: false, valueSize: 8 });
      const group = level.slice(from, from + size);
      node.setEntries(
        group.map((g) => g.key),
        group.map((g) => {
          const v = new Uint8Array(8);
          setU64(viewOf(v), 0, g.block);
          return v;
        }),
      );
      next.push({ key: group[0]?.key ?? 0, block: blocknr });
      from += size;
    }
    level = next;
  }
  return level[0]?.block as number;
}

/** Splits n items into ceil(n/max) near-equal groups (at least one group, possibly empty). */
function chunkEvenly(n: number, max: number): number[] {
  const groups = Math.max(1, Math.ceil(n / max));
  const sizes: number[] = [];
  for (let g = 0; g < groups; g++)
    sizes.push(Math.floor((n * (g + 1)) / groups) - Math.floor((n * g) / groups));
  return sizes;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
