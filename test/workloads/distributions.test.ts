import { describe, expect, it } from "vitest";
import { Rng } from "../../engine/sim/rng.js";
import { createBlockSizeChooser, createIndexSampler } from "../../workloads/distributions.js";
import type { RandomDistribution } from "../../workloads/job-spec.js";
import { defineJob } from "../../workloads/job-spec.js";
import { OffsetGenerator, resolveRegion } from "../../workloads/offsets.js";
import { FeistelPermutation } from "../../workloads/permutation.js";

function histogram(distribution: RandomDistribution, blocks: number, draws: number, seed = 42): number[] {
  const sampler = createIndexSampler(distribution, blocks, { rng: Rng.fromSeed(seed) });
  const counts = new Array<number>(blocks).fill(0);
  for (let i = 0; i < draws; i++) {
    const index = sampler.next();
    if (!(index >= 0 && index < blocks)) throw new Error(`index ${index} out of range`);
    counts[index]! += 1;
  }
  return counts;
}

describe("FeistelPermutation", () => {
  it.each([1, 2, 3, 7, 1000, 4097])("is a bijection on [0, %i)", (domain) => {
    const permutation = new FeistelPermutation(domain, Rng.fromSeed(domain));
    const seen = new Set<number>();
    for (let i = 0; i < domain; i++) seen.add(permutation.map(i));
    expect(seen.size).toBe(domain);
    expect(Math.max(...seen)).toBe(domain - 1);
  });
});

describe("index distributions (fixed seed, shape checks)", () => {
  it("random with the random map covers every block exactly once per pass", () => {
    const counts = histogram({ kind: "random" }, 1000, 3000);
    expect(counts.every((c) => c === 3)).toBe(true);
  });

  it("random without the map is uniform: chi-square under the 99.9% bound", () => {
    const blocks = 100;
    const draws = 100_000;
    const sampler = createIndexSampler({ kind: "random" }, blocks, {
      rng: Rng.fromSeed(7),
      randomMap: false,
    });
    const counts = new Array<number>(blocks).fill(0);
    for (let i = 0; i < draws; i++) counts[sampler.next()]! += 1;
    const expected = draws / blocks;
    const chi2 = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 99.9% quantile of chi-square with 99 degrees of freedom.
    expect(chi2).toBeLessThan(148.2);
    expect(chi2).toBeGreaterThan(50);
  });

  it("zipf:1.2 has a rank-frequency slope of about -1.2 on log-log axes", () => {
    const counts = histogram({ kind: "zipf", theta: 1.2 }, 10_000, 200_000).sort((a, b) => b - a);
    const ranks = 30;
    const xs = Array.from({ length: ranks }, (_, i) => Math.log(i + 1));
    const ys = counts.slice(0, ranks).map((c) => Math.log(c));
    const mx = xs.reduce((a, b) => a + b) / ranks;
    const my = ys.reduce((a, b) => a + b) / ranks;
    const slope =
      xs.reduce((sum, x, i) => sum + (x - mx) * (ys[i]! - my), 0) /
      xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
    expect(slope).toBeGreaterThan(-1.35);
    expect(slope).toBeLessThan(-1.05);
  });

  it("zipf puts the hottest block at the center when one is given", () => {
    const counts = histogram({ kind: "zipf", theta: 1.5, center: 0.25 }, 1000, 20_000);
    expect(counts.indexOf(Math.max(...counts))).toBe(250);
  });

  it("pareto:0.8 sends about 80% of I/O to 20% of the blocks", () => {
    const blocks = 10_000;
    const draws = 200_000;
    const counts = histogram({ kind: "pareto", h: 0.8 }, blocks, draws).sort((a, b) => b - a);
    const hot = counts.slice(0, blocks / 5).reduce((a, b) => a + b, 0) / draws;
    expect(hot).toBeGreaterThan(0.78);
    expect(hot).toBeLessThan(0.84);
  });

  it("normal:5 has mean at the center and sigma of 5% of the range", () => {
    const blocks = 10_000;
    const draws = 50_000;
    const sampler = createIndexSampler({ kind: "normal", devPercent: 5, center: 0.3 }, blocks, {
      rng: Rng.fromSeed(11),
    });
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < draws; i++) {
      const x = sampler.next() + 0.5;
      sum += x;
      sumSq += x * x;
    }
    const mean = sum / draws;
    const sigma = Math.sqrt(sumSq / draws - mean * mean);
    expect(Math.abs(mean - 3000)).toBeLessThan(15);
    expect(Math.abs(sigma - 500)).toBeLessThan(15);
  });

  it("is deterministic per seed", () => {
    const draw = (seed: number) => histogram({ kind: "zipf", theta: 0.9 }, 500, 2000, seed);
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
  });
});

describe("block sizes and offsets", () => {
  it("bssplit picks sizes by weight", () => {
    const choose = createBlockSizeChooser(
      {
        kind: "split",
        entries: [
          { bytes: 4096, percent: 50 },
          { bytes: 65536, percent: 40 },
          { bytes: 1 << 20, percent: 10 },
        ],
      },
      { rng: Rng.fromSeed(3) },
    );
    const counts = new Map<number, number>();
    for (let i = 0; i < 20_000; i++) {
      const bytes = choose();
      counts.set(bytes, (counts.get(bytes) ?? 0) + 1);
    }
    expect((counts.get(4096) ?? 0) / 20_000).toBeCloseTo(0.5, 1);
    expect((counts.get(65536) ?? 0) / 20_000).toBeCloseTo(0.4, 1);
    expect((counts.get(1 << 20) ?? 0) / 20_000).toBeCloseTo(0.1, 1);
  });

  it("bsrange draws multiples of the lower bound, both ends included", () => {
    const choose = createBlockSizeChooser(
      { kind: "range", minBytes: 4096, maxBytes: 16384 },
      { rng: Rng.fromSeed(3) },
    );
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(choose());
    expect([...seen].sort((a, b) => a - b)).toEqual([4096, 8192, 12288, 16384]);
  });

  it("sequential offsets advance and wrap; the last request is shortened to fit", () => {
    const job = defineJob({ name: "s", rw: "write", offset: { bytes: 8192 }, size: { bytes: 20480 } });
    const region = resolveRegion(job, 1 << 20, 4096);
    expect(region).toEqual({ startBytes: 8192, lengthBytes: 20480, slotBytes: 4096 });
    const offsets = new OffsetGenerator(job, region, { rng: Rng.fromSeed(1) });
    const placed = [1, 2, 3].map(() => offsets.next("write", 8192));
    expect(placed).toEqual([
      { offsetBytes: 8192, lengthBytes: 8192 },
      { offsetBytes: 16384, lengthBytes: 8192 },
      { offsetBytes: 24576, lengthBytes: 4096 },
    ]);
    expect(offsets.next("write", 8192)).toEqual({ offsetBytes: 8192, lengthBytes: 8192 });
  });

  it("percent offsets and sizes resolve against the device", () => {
    const job = defineJob({ name: "p", offset: { percent: 50 }, size: { percent: 25 } });
    expect(resolveRegion(job, 1 << 20, 4096)).toEqual({
      startBytes: 524288,
      lengthBytes: 262144,
      slotBytes: 4096,
    });
    expect(() => resolveRegion(defineJob({ name: "q", offset: { bytes: 1 << 20 } }), 1 << 20, 4096)).toThrow(
      /less than one 4096-byte block/,
    );
  });
});
