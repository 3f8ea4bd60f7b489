import { describe, expect, it } from "vitest";
import { parseSeeds } from "../../scenarios/seeds.js";
import { fnv1a32, inShard, parseShard } from "../../scenarios/shard.js";

describe("parseSeeds", () => {
  it("reads single seeds, ranges and lists, without duplicates", () => {
    expect(parseSeeds("7")).toEqual([7]);
    expect(parseSeeds("1..4")).toEqual([1, 2, 3, 4]);
    expect(parseSeeds("1..3,2,10")).toEqual([1, 2, 3, 10]);
  });

  it("rejects malformed lists naming the bad part", () => {
    expect(() => parseSeeds("1..x")).toThrow(/"1..x" is not a seed/);
    expect(() => parseSeeds("5..1")).toThrow(/runs backwards/);
    expect(() => parseSeeds("0..2000000")).toThrow(/more than/);
  });
});

describe("sharding", () => {
  it("parses k/n and rejects nonsense", () => {
    expect(parseShard("2/8")).toEqual({ index: 2, count: 8 });
    expect(() => parseShard("0/8")).toThrow(/between 1 and n/);
    expect(() => parseShard("9/8")).toThrow(/between 1 and n/);
    expect(() => parseShard("a/b")).toThrow(/expected k\/n/);
  });

  it("puts every case in exactly one shard, for several shard counts", () => {
    const keys = Array.from({ length: 500 }, (_, i) => `scenario-${i % 7}@${i}`);
    for (const count of [1, 2, 3, 8]) {
      for (const key of keys) {
        const owners = Array.from({ length: count }, (_, k) => inShard(key, { index: k + 1, count }));
        expect(owners.filter(Boolean)).toHaveLength(1);
      }
    }
  });

  it("balances shards within a reasonable margin", () => {
    const keys = Array.from({ length: 4000 }, (_, i) => `s@${i}`);
    const sizes = [1, 2, 3, 4].map((index) => keys.filter((k) => inShard(k, { index, count: 4 })).length);
    for (const size of sizes) expect(Math.abs(size - 1000)).toBeLessThan(150);
  });

  it("hashes with FNV-1a (known vector)", () => {
    // Published FNV-1a 32-bit test vector: "a" → 0xe40c292c.
    expect(fnv1a32("a")).toBe(0xe40c292c);
  });
});
