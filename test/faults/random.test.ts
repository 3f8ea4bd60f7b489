import { describe, expect, it } from "vitest";
import { Rng } from "../../engine/sim/rng.js";
import { rootSeedOf, SAMPLE_COUNT_MAX, sampleDistinct } from "../../faults/random.js";

describe("fault randomness", () => {
  it("samples distinct sorted values in range, the same for the same stream", () => {
    const a = sampleDistinct(Rng.fromSeedPath("5/faults/x"), 20, 50);
    expect(a).toHaveLength(20);
    expect(new Set(a).size).toBe(20);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
    expect(a.every((v) => v >= 0 && v < 50)).toBe(true);
    expect(sampleDistinct(Rng.fromSeedPath("5/faults/x"), 20, 50)).toEqual(a);
    expect(sampleDistinct(Rng.fromSeedPath("5/faults/y"), 20, 50)).not.toEqual(a);
    expect(sampleDistinct(Rng.fromSeed(1), 50, 50)).toEqual([...Array(50).keys()]);
  });

  it("refuses impossible or unbounded samples", () => {
    expect(() => sampleDistinct(Rng.fromSeed(1), 6, 5)).toThrow(/Cannot draw 6 distinct values from 5/);
    expect(() => sampleDistinct(Rng.fromSeed(1), SAMPLE_COUNT_MAX + 1, 2 ** 40)).toThrow(/count <= 1048576/);
  });

  it("finds the run seed at the start of a seed path", () => {
    expect(rootSeedOf("42/faults/0:pv-loss")).toBe("42");
  });
});
