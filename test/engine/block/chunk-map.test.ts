import { describe, expect, it } from "vitest";
import { ChunkMap } from "../../../engine/block/chunk-map.js";

describe("ChunkMap", () => {
  it("answers lookups, the remembered chunk included, after sets, deletes and clears", () => {
    const map = new ChunkMap<string>();
    map.set(5, "five");
    map.set(-1, "minus one");
    expect(map.get(5)).toBe("five");
    expect(map.get(5)).toBe("five");
    map.delete(5);
    // The chunk looked up last is gone: the remembered lookup must not answer it.
    expect(map.get(5)).toBeUndefined();
    map.set(7, "seven");
    map.set(2, "two");
    expect(map.sortedIndexes()).toEqual([-1, 2, 7]);
    expect(map.sortedIndexes(0, 7)).toEqual([2]);
    expect([...map.entries()]).toEqual([
      [-1, "minus one"],
      [7, "seven"],
      [2, "two"],
    ]);
    expect(map.size).toBe(3);
    map.clear();
    expect(map.get(2)).toBeUndefined();
    expect(map.size).toBe(0);
  });
});
