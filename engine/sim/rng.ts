/**
 * Seeded random streams. Every random choice in a run comes from an {@link Rng}, and each
 * component (workload, faults, device timing) forks its own child stream by label, so adding a
 * fault never shifts the workload's draws and one seed replays a run bit for bit.
 */
import seedrandom from "seedrandom";

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_21 = 0x20_0000;
const TWO_POW_53 = 2 ** 53;
/** Rejection sampling rejects less than half of the draws, so 64 misses in a row means a broken generator. */
const MAX_REJECTIONS = 64;
/** Largest buffer `bytes()` allocates; bigger fills should reuse a caller-owned buffer with `fill()`. */
const MAX_BYTES_ALLOC = 1 << 30;
const SEED_PATH_SEPARATOR = "/";
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function assertSegment(kind: string, segment: string): void {
  if (segment.length === 0) throw new RangeError(`Rng ${kind} must not be empty; pass a non-empty string`);
  if (segment.includes(SEED_PATH_SEPARATOR)) {
    throw new RangeError(
      `Rng ${kind} "${segment}" must not contain "${SEED_PATH_SEPARATOR}"; it separates the levels of a seed path`,
    );
  }
}

/**
 * A deterministic random stream (Baagøe's Alea via `seedrandom.alea`, a local generator that never
 * touches `Math.random`). Its state depends only on its {@link Rng.seedPath}.
 */
export class Rng {
  #prng: seedrandom.StatefulPRNG<seedrandom.State.Alea>;

  private constructor(
    /** Where this stream comes from, e.g. "42/workload/job0"; {@link Rng.fromSeedPath} rebuilds it. */
    readonly seedPath: string,
  ) {
    // `state: true` only adds the state() accessor that crash-point branching copies; draws are unchanged.
    this.#prng = seedrandom.alea(seedPath, { state: true });
  }

  /**
   * Continue from exactly where `other` is (crash-point branching copies a run's streams at a
   * point): the next draws here equal the next draws there. Both streams must have the same path.
   */
  adoptStateOf(other: Rng): void {
    if (other.seedPath !== this.seedPath) {
      throw new RangeError(`Rng ${this.seedPath} cannot adopt the state of stream ${other.seedPath}`);
    }
    this.#prng = seedrandom.alea("", { state: other.#prng.state() });
  }

  /** The root stream of a run. */
  static fromSeed(seed: number | string): Rng {
    if (typeof seed === "number" && !Number.isSafeInteger(seed)) {
      throw new RangeError(`Rng seed must be a safe integer or a string, got ${seed}`);
    }
    const text = String(seed);
    assertSegment("seed", text);
    return new Rng(text);
  }

  /** Rebuild a stream from a replay record's seed path, e.g. "42/workload/job0", at its first draw. */
  static fromSeedPath(seedPath: string): Rng {
    for (const segment of seedPath.split(SEED_PATH_SEPARATOR)) assertSegment("seed path segment", segment);
    return new Rng(seedPath);
  }

  /**
   * An independent child stream named by `label`. It depends on this stream's seed path and the
   * label only, never on how many draws were made here, so the same label always gives the same
   * stream; use distinct labels ("job0", "job1") for distinct streams.
   */
  fork(label: string): Rng {
    assertSegment("fork label", label);
    return new Rng(`${this.seedPath}${SEED_PATH_SEPARATOR}${label}`);
  }

  /** A float in [0, 1) with 53 bits of precision. */
  next(): number {
    return this.#prng.double();
  }

  /** A uniform unsigned 32-bit integer. */
  uint32(): number {
    return this.#prng.int32() >>> 0;
  }

  /** A uniform integer in [0, maxExclusive), without modulo bias; `maxExclusive` may be up to 2^53. */
  int(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive < 1 || maxExclusive > TWO_POW_53) {
      throw new RangeError(`Rng.int maxExclusive must be an integer in [1, 2^53], got ${maxExclusive}`);
    }
    if (maxExclusive <= TWO_POW_32) {
      const limit = TWO_POW_32 - (TWO_POW_32 % maxExclusive);
      for (let attempt = 0; attempt < MAX_REJECTIONS; attempt++) {
        const draw = this.uint32();
        if (draw < limit) return draw % maxExclusive;
      }
    } else {
      const limit = TWO_POW_53 - (TWO_POW_53 % maxExclusive);
      for (let attempt = 0; attempt < MAX_REJECTIONS; attempt++) {
        const draw = (this.uint32() % TWO_POW_21) * TWO_POW_32 + this.uint32();
        if (draw < limit) return draw % maxExclusive;
      }
    }
    throw new Error(`Rng ${this.seedPath}: ${MAX_REJECTIONS} rejected draws for int(${maxExclusive})`);
  }

  /** A uniform integer in [lo, hiExclusive). */
  range(lo: number, hiExclusive: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hiExclusive) || hiExclusive <= lo) {
      throw new RangeError(`Rng.range needs integers lo < hiExclusive, got [${lo}, ${hiExclusive})`);
    }
    return lo + this.int(hiExclusive - lo);
  }

  /** A uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) {
      throw new RangeError(`Rng.uniform needs finite lo <= hi, got [${lo}, ${hi})`);
    }
    return lo + (hi - lo) * this.next();
  }

  /** True with probability `p`. */
  bool(p = 0.5): boolean {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Rng.bool probability must be in [0, 1], got ${p}`);
    return this.next() < p;
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError(`Rng.pick needs a non-empty array`);
    return items[this.int(items.length)]!;
  }

  /** Shuffle `items` in place (Fisher-Yates) and return it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const held = items[i]!;
      items[i] = items[j]!;
      items[j] = held;
    }
    return items;
  }

  /** A new buffer of `lengthBytes` random bytes. */
  bytes(lengthBytes: number): Uint8Array {
    if (!Number.isInteger(lengthBytes) || lengthBytes < 0 || lengthBytes > MAX_BYTES_ALLOC) {
      throw new RangeError(
        `Rng.bytes length must be an integer in [0, ${MAX_BYTES_ALLOC}], got ${lengthBytes}`,
      );
    }
    return this.fill(new Uint8Array(lengthBytes));
  }

  /**
   * Fill `dst` with random bytes and return it. Draws one 32-bit integer per 4 bytes and lays them
   * out little-endian whatever the host, so the bytes depend only on the seed path and draw count.
   */
  fill(dst: Uint8Array): Uint8Array {
    const words = dst.length >>> 2;
    let i = 0;
    if (LITTLE_ENDIAN_HOST && dst.byteOffset % 4 === 0) {
      const view = new Uint32Array(dst.buffer, dst.byteOffset, words);
      for (let w = 0; w < words; w++) view[w] = this.#prng.int32();
      i = words * 4;
    } else {
      for (let w = 0; w < words; w++, i += 4) {
        const v = this.#prng.int32();
        dst[i] = v & 0xff;
        dst[i + 1] = (v >>> 8) & 0xff;
        dst[i + 2] = (v >>> 16) & 0xff;
        dst[i + 3] = (v >>> 24) & 0xff;
      }
    }
    if (i < dst.length) {
      let v = this.#prng.int32();
      for (; i < dst.length; i++, v >>>= 8) dst[i] = v & 0xff;
    }
    return dst;
  }

  /** An exponentially distributed value with the given mean (e.g. Poisson inter-arrival times). */
  exponential(meanNs: number): number {
    if (!(meanNs >= 0) || !Number.isFinite(meanNs)) {
      throw new RangeError(`Rng.exponential mean must be finite and >= 0, got ${meanNs}`);
    }
    // 1 - next() lies in (0, 1], so the logarithm is finite.
    return -meanNs * Math.log(1 - this.next());
  }

  /** A normally distributed value (Box-Muller); always consumes exactly two draws, so replays stay aligned. */
  normal(mean: number, sd: number): number {
    if (!Number.isFinite(mean) || !(sd >= 0) || !Number.isFinite(sd)) {
      throw new RangeError(`Rng.normal needs a finite mean and a finite sd >= 0, got mean ${mean}, sd ${sd}`);
    }
    const u1 = 1 - this.next();
    const u2 = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
