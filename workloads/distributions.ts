/**
 * Block-index distributions for random offsets, as fio's `random_distribution` defines them, and
 * block-size choice for `bs`, `bsrange` and `bssplit`.
 *
 * - `random` with the random map: uniform without replacement, every block once per pass (a fresh
 *   keyed permutation each pass); with `norandommap`: uniform with replacement.
 * - `zipf:θ` and `pareto:h`: fio's rank formulas (lib/zipf.c), then the rank is scattered over the
 *   range by a keyed permutation, as fio scatters it with a hash; fio's hash can fold two ranks onto
 *   one block, the permutation cannot. `center` puts the hottest rank at `center × n`.
 * - `normal:σ`: a true normal over block indices, mean `center × n` (default the middle), standard
 *   deviation σ percent of the range, redrawn when it falls outside. fio's own "normal" averages 12
 *   uniform draws and hashes the result, which scatters the bell; lvmlab keeps the locality, which is
 *   what makes hot regions of an LV (snapshot chunks, mirror regions) interesting.
 */

import type { BlockSizeSpec, RandomDistribution } from "./job-spec.js";
import { FeistelPermutation } from "./permutation.js";
import type { WorkloadRng } from "./random-source.js";

/** fio caps the zeta sum at 10M terms (lib/zipf.c); so does lvmlab, for the same reason. */
const ZIPF_MAX_TERMS = 10_000_000;
const MAX_NORMAL_REDRAWS = 64;

/** Draws block indices in [0, blocks). */
export interface IndexSampler {
  readonly blocks: number;
  next(): number;
}

class MapUniformSampler implements IndexSampler {
  #permutation: FeistelPermutation;
  #position = 0;
  constructor(
    readonly blocks: number,
    readonly rng: WorkloadRng,
  ) {
    this.#permutation = new FeistelPermutation(blocks, rng);
  }
  next(): number {
    if (this.#position === this.blocks) {
      this.#permutation = new FeistelPermutation(this.blocks, this.rng);
      this.#position = 0;
    }
    const index = this.#permutation.map(this.#position);
    this.#position += 1;
    return index;
  }
}

class ReplacementUniformSampler implements IndexSampler {
  constructor(
    readonly blocks: number,
    readonly rng: WorkloadRng,
  ) {}
  next(): number {
    return Math.floor(this.rng.next() * this.blocks);
  }
}

abstract class RankSampler implements IndexSampler {
  readonly #permutation: FeistelPermutation;
  readonly #shift: number;
  constructor(
    readonly blocks: number,
    readonly rng: WorkloadRng,
    center: number | undefined,
  ) {
    this.#permutation = new FeistelPermutation(blocks, rng);
    this.#shift =
      center === undefined ? 0 : (Math.floor(blocks * center) - this.#permutation.map(0) + blocks) % blocks;
  }
  /** The rank, 0 = hottest. */
  abstract rank(): number;
  next(): number {
    const rank = Math.min(this.blocks - 1, Math.max(0, this.rank()));
    return (this.#permutation.map(rank) + this.#shift) % this.blocks;
  }
}

class ZipfSampler extends RankSampler {
  readonly #alpha: number;
  readonly #eta: number;
  readonly #zetan: number;
  readonly #theta: number;
  constructor(blocks: number, rng: WorkloadRng, theta: number, center: number | undefined) {
    super(blocks, rng, center);
    if (theta === 1)
      throw new RangeError("Zipf theta must differ from 1.0 (fio's formula divides by 1 - theta)");
    this.#theta = theta;
    let zetan = 0;
    const terms = Math.min(blocks, ZIPF_MAX_TERMS);
    for (let i = 0; i < terms; i++) zetan += (1 / (i + 1)) ** theta;
    const zeta2 = 1 + 0.5 ** theta;
    this.#zetan = zetan;
    this.#alpha = 1 / (1 - theta);
    this.#eta = (1 - (2 / blocks) ** (1 - theta)) / (1 - zeta2 / zetan);
  }
  rank(): number {
    const u = this.rng.next();
    const z = u * this.#zetan;
    if (z < 1) return 0;
    if (z < 1 + 0.5 ** this.#theta) return 1;
    return Math.floor(this.blocks * (this.#eta * u - this.#eta + 1) ** this.#alpha);
  }
}

class ParetoSampler extends RankSampler {
  readonly #power: number;
  constructor(blocks: number, rng: WorkloadRng, h: number, center: number | undefined) {
    super(blocks, rng, center);
    this.#power = Math.log(h) / Math.log(1 - h);
  }
  rank(): number {
    // fio draws (n-1)·u^p, which is hot at the top of the range; count ranks from there.
    const fioValue = Math.floor((this.blocks - 1) * this.rng.next() ** this.#power);
    return this.blocks - 1 - fioValue;
  }
}

class NormalSampler implements IndexSampler {
  readonly #mean: number;
  readonly #sigma: number;
  constructor(
    readonly blocks: number,
    readonly rng: WorkloadRng,
    devPercent: number,
    center: number | undefined,
  ) {
    this.#mean = (center ?? 0.5) * blocks;
    this.#sigma = (devPercent / 100) * blocks;
  }
  next(): number {
    for (let attempt = 0; attempt < MAX_NORMAL_REDRAWS; attempt++) {
      // Box–Muller; 1 - next() is in (0, 1] so the log is finite.
      const radius = Math.sqrt(-2 * Math.log(1 - this.rng.next()));
      const value = Math.floor(this.#mean + this.#sigma * radius * Math.cos(2 * Math.PI * this.rng.next()));
      if (value >= 0 && value < this.blocks) return value;
    }
    return Math.min(this.blocks - 1, Math.max(0, Math.floor(this.#mean)));
  }
}

/** A sampler for `distribution` over `blocks` block indices, drawing from `rng`. */
export function createIndexSampler(
  distribution: RandomDistribution,
  blocks: number,
  options: { rng: WorkloadRng; randomMap?: boolean },
): IndexSampler {
  if (!Number.isSafeInteger(blocks) || blocks < 1) {
    throw new RangeError(`A distribution needs at least one block, got ${blocks}`);
  }
  const rng = options.rng;
  switch (distribution.kind) {
    case "random":
      return options.randomMap === false
        ? new ReplacementUniformSampler(blocks, rng)
        : new MapUniformSampler(blocks, rng);
    case "zipf":
      return new ZipfSampler(blocks, rng, distribution.theta, distribution.center);
    case "pareto":
      return new ParetoSampler(blocks, rng, distribution.h, distribution.center);
    case "normal":
      return new NormalSampler(blocks, rng, distribution.devPercent, distribution.center);
  }
}

/** Chooses the size of each I/O for one direction. */
export type BlockSizeChooser = () => number;

/**
 * A chooser for `spec`: fixed; `bsrange` uniform over the multiples of its lower bound in range
 * (fio aligns to the minimum block size); `bssplit` by weight.
 */
export function createBlockSizeChooser(spec: BlockSizeSpec, options: { rng: WorkloadRng }): BlockSizeChooser {
  const rng = options.rng;
  switch (spec.kind) {
    case "fixed":
      return () => spec.bytes;
    case "range": {
      const steps = Math.floor(spec.maxBytes / spec.minBytes);
      return () => spec.minBytes * (1 + Math.floor(rng.next() * steps));
    }
    case "split": {
      const total = spec.entries.reduce((sum, entry) => sum + entry.percent, 0);
      const entries = spec.entries.filter((entry) => entry.percent > 0);
      return () => {
        let draw = rng.next() * total;
        for (const entry of entries) {
          draw -= entry.percent;
          if (draw < 0) return entry.bytes;
        }
        return entries.at(-1)!.bytes;
      };
    }
  }
}
