import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bootstrapMeanCi,
  bootstrapRatioCi,
  createRng,
  mad,
  mean,
  median,
  percentile,
  ratioOfMeans,
} from "../../reports/stats.js";

describe("summary statistics", () => {
  it("computes mean, median and MAD of known samples", () => {
    const xs = [1, 2, 3, 4, 100];
    expect(mean(xs)).toBe(22);
    expect(median(xs)).toBe(3);
    // |x - 3| = 2, 1, 0, 1, 97 → median 1.
    expect(mad(xs)).toBe(1);
  });

  it("interpolates percentiles between closest ranks", () => {
    const xs = [10, 20, 30, 40];
    expect(percentile(xs, 0)).toBe(10);
    expect(percentile(xs, 100)).toBe(40);
    expect(percentile(xs, 50)).toBe(25);
    expect(percentile(xs, 90)).toBeCloseTo(37, 10);
  });

  it("rejects empty and non-finite samples with a clear message", () => {
    expect(() => mean([])).toThrow(/no samples/);
    expect(() => median([1, Number.NaN])).toThrow(/not finite/);
    expect(() => percentile([1], 101)).toThrow(/outside \[0, 100\]/);
  });

  it("treats 0/0 as no change and x/0 as infinite", () => {
    expect(ratioOfMeans(0, 0)).toBe(1);
    expect(ratioOfMeans(0, 5)).toBe(Number.POSITIVE_INFINITY);
    expect(ratioOfMeans(4, 2)).toBe(0.5);
  });
});

describe("seeded bootstrap", () => {
  it("gives the same interval for the same seed and a different one for another seed", () => {
    const xs = [9.1, 10.4, 9.8, 10.9, 10.2, 9.5];
    const a = bootstrapMeanCi(xs, { seed: "s" });
    const b = bootstrapMeanCi(xs, { seed: "s" });
    const c = bootstrapMeanCi(xs, { seed: "t" });
    expect(b).toEqual(a);
    expect(c.low === a.low && c.high === a.high).toBe(false);
  });

  it("gives a zero-width interval for a single sample", () => {
    expect(bootstrapMeanCi([7], { seed: "x" })).toEqual({ estimate: 7, low: 7, high: 7 });
  });

  it("keeps the mean interval inside the sample range and around the mean", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 20 }),
        (xs) => {
          const ci = bootstrapMeanCi(xs, { seed: "p", resamples: 200 });
          const lo = Math.min(...xs);
          const hi = Math.max(...xs);
          const slack = 1e-9 * Math.max(1, Math.abs(lo), Math.abs(hi));
          expect(ci.low).toBeGreaterThanOrEqual(lo - slack);
          expect(ci.high).toBeLessThanOrEqual(hi + slack);
          expect(ci.low).toBeLessThanOrEqual(ci.high);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("puts the ratio interval around a planted 20% drop", () => {
    const rng = createRng("noise");
    const base = Array.from({ length: 10 }, () => 1000 * (1 + (rng() - 0.5) * 0.04));
    const head = Array.from({ length: 10 }, () => 800 * (1 + (rng() - 0.5) * 0.04));
    const ci = bootstrapRatioCi(base, head, { seed: "r" });
    expect(ci.low).toBeGreaterThan(0.77);
    expect(ci.high).toBeLessThan(0.83);
    expect(ci.low).toBeLessThanOrEqual(ci.estimate);
    expect(ci.estimate).toBeLessThanOrEqual(ci.high);
  });

  it("bounds resamples and confidence", () => {
    expect(() => bootstrapMeanCi([1], { seed: "x", resamples: 0 })).toThrow(/resamples/);
    expect(() => bootstrapMeanCi([1], { seed: "x", resamples: 1e9 })).toThrow(/resamples/);
    expect(() => bootstrapMeanCi([1], { seed: "x", confidence: 1 })).toThrow(/confidence/);
  });
});
