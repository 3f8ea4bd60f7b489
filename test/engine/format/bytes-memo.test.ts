import { describe, expect, it } from "vitest";
import { BytesMemo, ScratchBuffer, sameBytes } from "../../../engine/format/bytes-memo.js";

const bytes = (...values: number[]) => Uint8Array.from(values);

describe("BytesMemo", () => {
  it("finds a value only by its key and exactly its bytes", () => {
    const memo = new BytesMemo<string>({ perKey: 4, totalBytes: 1024 });
    memo.set("pv0", bytes(1, 2, 3), "a");
    expect(memo.get("pv0", bytes(1, 2, 3))).toBe("a");
    expect(memo.get("pv1", bytes(1, 2, 3))).toBeUndefined();
    expect(memo.get("pv0", bytes(1, 2, 4))).toBeUndefined();
    expect(memo.get("pv0", bytes(1, 2))).toBeUndefined();
    // A view of other bytes compares by content, whatever its offset.
    expect(memo.get("pv0", bytes(9, 1, 2, 3).subarray(1))).toBe("a");
  });

  it("keeps at most perKey values per key, dropping the least recently found", () => {
    const memo = new BytesMemo<number>({ perKey: 2, totalBytes: 1024 });
    memo.set("k", bytes(1), 1);
    memo.set("k", bytes(2), 2);
    expect(memo.get("k", bytes(1))).toBe(1);
    memo.set("k", bytes(3), 3);
    expect(memo.get("k", bytes(2))).toBeUndefined();
    expect(memo.get("k", bytes(1))).toBe(1);
    expect(memo.get("k", bytes(3))).toBe(3);
    expect(memo.bytesKept).toBe(2);
  });

  it("stays within totalBytes: clears when full and never keeps bytes larger than the bound", () => {
    const memo = new BytesMemo<number>({ perKey: 8, totalBytes: 4 });
    memo.set("a", bytes(1, 1), 1);
    memo.set("b", bytes(2, 2), 2);
    expect(memo.bytesKept).toBe(4);
    memo.set("c", bytes(3), 3);
    expect(memo.bytesKept).toBe(1);
    expect(memo.get("a", bytes(1, 1))).toBeUndefined();
    memo.set("d", bytes(1, 2, 3, 4, 5), 5);
    expect(memo.get("d", bytes(1, 2, 3, 4, 5))).toBeUndefined();
    expect(() => new BytesMemo({ perKey: 0, totalBytes: 1 })).toThrow(/perKey >= 1/);
  });

  it("counts each byte as its weight, so a memo of big parsed values drops sooner", () => {
    const memo = new BytesMemo<number>({ perKey: 1, totalBytes: 8, weight: 4 });
    memo.set("a", bytes(1, 1), 1);
    expect(memo.bytesKept).toBe(8);
    memo.set("a", bytes(2), 2);
    expect(memo.bytesKept).toBe(4);
    memo.set("b", bytes(3), 3);
    expect(memo.bytesKept).toBe(8);
    memo.set("c", bytes(4), 4);
    expect(memo.bytesKept).toBe(4);
    expect(memo.get("a", bytes(2))).toBeUndefined();
    memo.set("d", bytes(1, 2, 3), 5);
    expect(memo.get("d", bytes(1, 2, 3))).toBeUndefined();
  });

  it("compares bytes by content", () => {
    expect(sameBytes(bytes(1, 2), bytes(1, 2))).toBe(true);
    expect(sameBytes(bytes(1, 2), bytes(1, 3))).toBe(false);
    expect(sameBytes(bytes(1), bytes(1, 0))).toBe(false);
  });
});

describe("ScratchBuffer", () => {
  it("hands out one buffer at a time and a fresh one while it is out", () => {
    const scratch = new ScratchBuffer();
    const first = scratch.take(512);
    expect(first.length).toBe(512);
    // Taken again before it is given back (a read re-entering the scan): a distinct buffer.
    const nested = scratch.take(512);
    expect(nested.buffer).not.toBe(first.buffer);
    scratch.give(nested);
    scratch.give(first);
    const again = scratch.take(100);
    expect(again.length).toBe(100);
    expect(again.buffer === first.buffer || again.buffer === nested.buffer).toBe(true);
    scratch.give(again);
    expect(scratch.take(4096).length).toBe(4096);
  });
});
