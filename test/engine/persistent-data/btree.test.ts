import { describe, expect, it } from "vitest";
import { MemoryDevice } from "../../../engine/block/memory.js";
import { setU64, viewOf } from "../../../engine/persistent-data/block.js";
import {
  btreeBuild,
  btreeEmpty,
  btreeInsert,
  btreeLookup,
  btreeRemove,
  btreeWalk,
  maxEntries,
  plainValues,
  readNode,
} from "../../../engine/persistent-data/btree.js";
import { TransactionManager } from "../../../engine/persistent-data/transaction.js";

const vt = plainValues(8);

function value(n: number): Uint8Array {
  const v = new Uint8Array(8);
  setU64(viewOf(v), 0, n);
  return v;
}

/** Every non-root node holds at least a third of its capacity, and keys ascend across leaves. */
function checkShape(tm: TransactionManager, root: number): number[] {
  const keys: number[] = [];
  const visit = (b: number, isRoot: boolean): void => {
    const node = readNode(tm, b, 8);
    if (!isRoot) expect(node.nr).toBeGreaterThanOrEqual(Math.floor(node.max / 3));
    for (let i = 0; i < node.nr; i++) {
      if (node.isLeaf) keys.push(node.key(i));
      else visit(node.child(i), false);
    }
  };
  visit(root, true);
  for (let i = 1; i < keys.length; i++) expect(keys[i]).toBeGreaterThan(keys[i - 1] as number);
  return keys;
}

describe("copy-on-write btree", () => {
  it("computes the kernel's node capacities", () => {
    expect([8, 24, 16, 4].map(maxEntries)).toEqual([252, 126, 168, 336]);
  });

  it("inserts, overwrites and removes thousands of keys keeping nodes a third full", () => {
    const tm = new TransactionManager(new MemoryDevice("meta", 4 * 1024 * 1024), 1024);
    let root = btreeEmpty(tm, vt);
    const present = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const key = (i * 7919) % 6007;
      root = btreeInsert(tm, root, { key, value: value(key + 1) }, vt).root;
      present.add(key);
    }
    expect(checkShape(tm, root)).toEqual([...present].sort((a, b) => a - b));
    for (let i = 0; i < 4500; i++) {
      const key = (i * 104729) % 6007;
      const r = btreeRemove(tm, root, key, vt);
      expect(r.removed).toBe(present.delete(key));
      root = r.root;
    }
    expect(checkShape(tm, root)).toEqual([...present].sort((a, b) => a - b));
    for (const key of present) expect(btreeLookup(tm, root, key, vt)).toEqual(value(key + 1));
  });

  it("leaves the committed tree untouched when a shared root is changed", () => {
    const tm = new TransactionManager(new MemoryDevice("meta", 1024 * 1024), 256);
    const root = btreeBuild(tm, { keys: [1, 2, 3], values: [value(1), value(2), value(3)] }, 8);
    tm.inc(root); // a second owner, as after a thin snapshot
    const changed = btreeInsert(tm, root, { key: 2, value: value(20) }, vt).root;
    expect(changed).not.toBe(root);
    const seen: number[] = [];
    btreeWalk(tm, root, vt, (_k, v) => seen.push(viewOf(v).getUint32(0, true)));
    expect(seen).toEqual([1, 2, 3]);
    expect(btreeLookup(tm, changed, 2, vt)).toEqual(value(20));
  });
});
