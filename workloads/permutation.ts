/**
 * A keyed pseudo-random permutation of [0, n) in O(1) memory: a balanced Feistel network over the
 * next even power of two, cycle-walked back into range. It gives fio's "each block once per pass"
 * random map without a bitmap, and scatters zipf/pareto ranks across the range as fio's hash does,
 * but as a true bijection so no two ranks land on one block.
 */

import type { WorkloadRng } from "./random-source.js";

const ROUNDS = 4;
/** Largest domain supported: 2^48 blocks is far beyond any LV the engine can hold. */
const MAX_PERMUTATION_DOMAIN = 2 ** 48;
// Cycle walking needs < 4 steps on average (the domain is < 4n); this bound only catches a bug.
const MAX_CYCLE_WALK = 100_000;

function mix32(x: number, key: number): number {
  let h = (x ^ key) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A bijection on [0, domain) chosen by four 32-bit keys drawn from `rng`. */
export class FeistelPermutation {
  readonly domain: number;
  readonly #halfBits: number;
  readonly #halfSize: number;
  readonly #keys: number[];

  constructor(domain: number, rng: WorkloadRng) {
    if (!Number.isSafeInteger(domain) || domain < 1 || domain > MAX_PERMUTATION_DOMAIN) {
      throw new RangeError(`Permutation domain must be an integer in [1, 2^48], got ${domain}`);
    }
    this.domain = domain;
    let bits = Math.max(2, Math.ceil(Math.log2(domain)));
    if (bits % 2 === 1) bits += 1;
    this.#halfBits = bits / 2;
    this.#halfSize = 2 ** this.#halfBits;
    this.#keys = Array.from({ length: ROUNDS }, () => rng.uint32());
  }

  #round(value: number): number {
    const size = this.#halfSize;
    let left = Math.floor(value / size);
    let right = value % size;
    for (const key of this.#keys) {
      // Halves are at most 24 bits (domain <= 2^48), so they fit the 32-bit mixer whole.
      const f = mix32(right, key) % size;
      const next = (left + f) % size;
      left = right;
      right = next;
    }
    return left * size + right;
  }

  /** The image of `index`; every index in [0, domain) maps to a distinct index in [0, domain). */
  map(index: number): number {
    if (!(index >= 0 && index < this.domain)) {
      throw new RangeError(`Permutation index ${index} outside [0, ${this.domain})`);
    }
    let value = this.#round(index);
    for (let step = 0; value >= this.domain; step++) {
      if (step >= MAX_CYCLE_WALK) {
        throw new Error(`Permutation cycle walk for ${index} did not return to [0, ${this.domain})`);
      }
      value = this.#round(value);
    }
    return value;
  }
}
