import { describe, expect, it } from "vitest";
import { Rng } from "../../../engine/sim/rng.js";

function draws(rng: Rng, count: number): number[] {
  return Array.from({ length: count }, () => rng.next());
}

function meanAndVariance(values: readonly number[]): { mean: number; variance: number } {
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, variance };
}

describe("Rng streams", () => {
  it("gives the same sequence for the same seed", () => {
    expect(draws(Rng.fromSeed(42), 100)).toEqual(draws(Rng.fromSeed(42), 100));
    expect(draws(Rng.fromSeed("run-a"), 50)).toEqual(draws(Rng.fromSeed("run-a"), 50));
  });

  it("gives different sequences for different seeds", () => {
    expect(draws(Rng.fromSeed(42), 10)).not.toEqual(draws(Rng.fromSeed(43), 10));
  });

  it("treats a numeric seed and its decimal string alike, so replay records can store either", () => {
    expect(draws(Rng.fromSeed(7), 5)).toEqual(draws(Rng.fromSeed("7"), 5));
  });

  it("forks a child that does not depend on the parent's draw position", () => {
    const fresh = Rng.fromSeed(42).fork("workload");
    const parent = Rng.fromSeed(42);
    draws(parent, 1000);
    const late = parent.fork("workload");
    expect(draws(late, 100)).toEqual(draws(fresh, 100));
  });

  it("keeps a child's sequence when the parent or a sibling draws in between", () => {
    const reference = draws(Rng.fromSeed(9).fork("faults"), 200);

    const parent = Rng.fromSeed(9);
    const child = parent.fork("faults");
    const sibling = parent.fork("workload");
    const interleaved: number[] = [];
    for (let i = 0; i < 200; i++) {
      interleaved.push(child.next());
      parent.next();
      sibling.bytes(13);
      sibling.normal(0, 1);
    }
    expect(interleaved).toEqual(reference);
  });

  it("gives different streams for different labels and differs from the parent", () => {
    const root = Rng.fromSeed(1);
    const a = draws(root.fork("a"), 20);
    const b = draws(root.fork("b"), 20);
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(draws(Rng.fromSeed(1), 20));
  });

  it("gives sibling streams with near-identical labels uncorrelated draws", () => {
    const root = Rng.fromSeed(42);
    const a = draws(root.fork("job0"), 10_000);
    const b = draws(root.fork("job1"), 10_000);
    let covariance = 0;
    for (let i = 0; i < a.length; i++) covariance += (a[i]! - 0.5) * (b[i]! - 0.5);
    const correlation = covariance / a.length / (1 / 12);
    // Independent streams give a correlation with sd 1/√10000 = 0.01.
    expect(Math.abs(correlation)).toBeLessThan(0.05);
  });

  it("records the seed path and rebuilds a stream from it", () => {
    const job = Rng.fromSeed(42).fork("workload").fork("job0");
    expect(job.seedPath).toBe("42/workload/job0");
    const expected = draws(Rng.fromSeed(42).fork("workload").fork("job0"), 30);
    expect(draws(Rng.fromSeedPath(job.seedPath), 30)).toEqual(expected);
  });

  it("rejects labels that would make two seed paths collide", () => {
    expect(() => Rng.fromSeed(1).fork("a/b")).toThrow(/must not contain "\/"/);
    expect(() => Rng.fromSeed(1).fork("")).toThrow(/must not be empty/);
    expect(() => Rng.fromSeed(1.5)).toThrow(/safe integer/);
    expect(() => Rng.fromSeedPath("1//x")).toThrow(/must not be empty/);
  });
});

describe("Rng draws", () => {
  it("keeps next() in [0, 1) with mean 1/2 and variance 1/12", () => {
    const values = draws(Rng.fromSeed(2024), 20_000);
    expect(values.filter((v) => !(v >= 0 && v < 1))).toEqual([]);
    const { mean, variance } = meanAndVariance(values);
    expect(mean).toBeCloseTo(0.5, 2);
    expect(variance).toBeCloseTo(1 / 12, 2);
  });

  it("covers every value of int(n) uniformly", () => {
    const rng = Rng.fromSeed(5);
    const counts = new Array<number>(7).fill(0);
    const total = 70_000;
    let outside = 0;
    for (let i = 0; i < total; i++) {
      const v = rng.int(7);
      if (Number.isInteger(v) && v >= 0 && v < 7) counts[v]! += 1;
      else outside += 1;
    }
    expect(outside).toBe(0);
    // Each bucket expects 10 000 with sd ≈ 93; 5 sd is a generous bound.
    for (const c of counts) expect(Math.abs(c - total / 7)).toBeLessThan(470);
  });

  it("draws integers above 2^32 when asked", () => {
    const rng = Rng.fromSeed(11);
    const maxExclusive = 2 ** 40;
    let above32 = 0;
    for (let i = 0; i < 1000; i++) {
      const v = rng.int(maxExclusive);
      expect(Number.isSafeInteger(v) && v >= 0 && v < maxExclusive).toBe(true);
      if (v >= 2 ** 32) above32 += 1;
    }
    // P(v < 2^32) is 1/256 per draw, so nearly all 1000 draws land above it.
    expect(above32).toBeGreaterThan(950);
  });

  it("keeps range() within [lo, hi) and reaches both ends", () => {
    const rng = Rng.fromSeed(3);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = rng.range(-3, 4);
      expect(v).toBeGreaterThanOrEqual(-3);
      expect(v).toBeLessThan(4);
      seen.add(v);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    expect(() => rng.range(4, 4)).toThrow(/lo < hiExclusive/);
    expect(() => rng.int(0)).toThrow(/maxExclusive/);
  });

  it("returns true from bool(p) about p of the time", () => {
    const rng = Rng.fromSeed(8);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (rng.bool(0.3)) hits += 1;
    expect(Math.abs(hits - 3000)).toBeLessThan(230); // 5 sd ≈ 229
    expect(Rng.fromSeed(1).bool(0)).toBe(false);
    expect(Rng.fromSeed(1).bool(1)).toBe(true);
    expect(() => rng.bool(1.5)).toThrow(/probability/);
  });

  it("picks members only and fails loudly on an empty array", () => {
    const rng = Rng.fromSeed(4);
    const items = ["a", "b", "c"] as const;
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) seen.add(rng.pick(items));
    expect([...seen].sort()).toEqual(["a", "b", "c"]);
    expect(() => rng.pick([])).toThrow(/non-empty/);
  });

  it("shuffles in place into a permutation, deterministically", () => {
    const a = Array.from({ length: 50 }, (_, i) => i);
    const b = Array.from({ length: 50 }, (_, i) => i);
    const result = Rng.fromSeed(6).shuffle(a);
    Rng.fromSeed(6).shuffle(b);
    expect(result).toBe(a);
    expect(a).toEqual(b);
    expect(a).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it("shuffles every permutation of three items about equally often", () => {
    const rng = Rng.fromSeed(12);
    const counts = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const key = rng.shuffle([1, 2, 3]).join("");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(150); // 5 sd ≈ 144
  });

  it("fills bytes identically whatever the alignment of the destination", () => {
    const direct = Rng.fromSeed(77).bytes(37);
    const backing = new Uint8Array(41);
    const unaligned = backing.subarray(3, 40);
    Rng.fromSeed(77).fill(unaligned);
    expect([...unaligned]).toEqual([...direct]);
    expect(backing[0]).toBe(0);
    expect(backing[40]).toBe(0);
  });

  it("fills bytes with an even spread of values", () => {
    const data = Rng.fromSeed(13).bytes(256 * 400);
    const counts = new Array<number>(256).fill(0);
    for (const byte of data) counts[byte]! += 1;
    // Each value expects 400 with sd 20; 6 sd keeps the bound honest across 256 buckets.
    for (const c of counts) expect(Math.abs(c - 400)).toBeLessThan(120);
  });

  it("draws the exponential distribution with the requested mean and variance", () => {
    const rng = Rng.fromSeed(21);
    const values = Array.from({ length: 20_000 }, () => rng.exponential(1000));
    expect(values.filter((v) => !(v >= 0))).toEqual([]);
    const { mean, variance } = meanAndVariance(values);
    expect(Math.abs(mean - 1000)).toBeLessThan(40); // sd of the mean ≈ 7
    expect(Math.abs(Math.sqrt(variance) - 1000)).toBeLessThan(60);
  });

  it("draws the normal distribution with the requested mean and sd", () => {
    const rng = Rng.fromSeed(22);
    const values = Array.from({ length: 20_000 }, () => rng.normal(50, 5));
    const { mean, variance } = meanAndVariance(values);
    expect(Math.abs(mean - 50)).toBeLessThan(0.2); // sd of the mean ≈ 0.035
    expect(Math.abs(Math.sqrt(variance) - 5)).toBeLessThan(0.2);
    const within1sd = values.filter((v) => Math.abs(v - 50) < 5).length / values.length;
    expect(within1sd).toBeCloseTo(0.6827, 1);
  });

  it("consumes a fixed number of draws per normal(), so later draws stay aligned", () => {
    const a = Rng.fromSeed(30);
    const b = Rng.fromSeed(30);
    a.normal(0, 1);
    b.next();
    b.next();
    expect(a.next()).toBe(b.next());
  });
});

describe("Rng.adoptStateOf", () => {
  it("continues from where the other stream of the same path is", () => {
    const a = Rng.fromSeed(5).fork("timing");
    for (let i = 0; i < 17; i++) a.uint32();
    const b = Rng.fromSeed(5).fork("timing");
    b.adoptStateOf(a);
    expect(Array.from({ length: 8 }, () => b.uint32())).toEqual(Array.from({ length: 8 }, () => a.uint32()));
  });

  it("refuses a stream of another path", () => {
    expect(() => Rng.fromSeed(5).adoptStateOf(Rng.fromSeed(6))).toThrow(/cannot adopt/);
  });
});
