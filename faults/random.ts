import seedrandom from "seedrandom";

/**
 * Seeded random streams for faults. A fault's stream is derived from nothing but the run seed and
 * its seed path (e.g. `faults/2:torn-write`), so an NDJSON fault record alone rebuilds it, and
 * adding a fault never shifts the stream of another fault, the workload, or device timing.
 */

/** Largest count {@link FaultRandom.sample} will draw, so a bad parameter cannot stall a run. */
export const SAMPLE_COUNT_MAX = 1 << 20;

/** A deterministic random stream identified by (seed, seedPath). */
export class FaultRandom {
  readonly #prng: seedrandom.PRNG;

  private constructor(
    /** The run seed, exactly as the run was given it. */
    readonly seed: string | number,
    /** Slash-separated labels from the run seed to this stream. */
    readonly seedPath: string,
  ) {
    this.#prng = seedrandom.alea(`lvmlab\u0000${String(seed)}\u0000${seedPath}`);
  }

  /** The stream for `seedPath` under `seed`; the same pair always yields the same numbers. */
  static fromSeed(seed: string | number, seedPath = ""): FaultRandom {
    return new FaultRandom(seed, seedPath);
  }

  /** An independent child stream; its numbers do not depend on how much of this one was used. */
  fork(label: string): FaultRandom {
    if (label.length === 0 || label.includes("/")) {
      throw new RangeError(
        `Cannot fork a random stream with label "${label}": use a non-empty label without "/"`,
      );
    }
    return new FaultRandom(this.seed, this.seedPath === "" ? label : `${this.seedPath}/${label}`);
  }

  /** A float in [0, 1). */
  next(): number {
    return this.#prng.double();
  }

  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number {
    if (!Number.isSafeInteger(maxExclusive) || maxExclusive <= 0) {
      throw new RangeError(
        `Cannot draw an integer below ${maxExclusive}: the bound must be a positive integer`,
      );
    }
    return Math.floor(this.next() * maxExclusive);
  }

  /** An unsigned 32-bit integer, e.g. a seed for an engine crash policy. */
  uint32(): number {
    return this.#prng.int32() >>> 0;
  }

  /** `count` distinct integers from [0, n), in ascending order (Floyd's algorithm: O(count)). */
  sample(count: number, n: number): number[] {
    if (!Number.isSafeInteger(count) || count < 0 || count > n || count > SAMPLE_COUNT_MAX) {
      throw new RangeError(
        `Cannot draw ${count} distinct values from ${n}: need 0 <= count <= n and count <= ${SAMPLE_COUNT_MAX}`,
      );
    }
    const chosen = new Set<number>();
    for (let j = n - count; j < n; j += 1) {
      const t = this.int(j + 1);
      chosen.add(chosen.has(t) ? j : t);
    }
    return [...chosen].sort((a, b) => a - b);
  }
}
