/**
 * Seed lists as users type them: `7`, `1..64`, `1,5,9`, `1..8,100`. Seeds are non-negative
 * integers; a list is capped so that a typo cannot start a sweep of billions of cases.
 */

/** Most seeds one list may name. */
export const MAX_SEEDS = 1_000_000;

/** Parses a seed list; throws a RangeError naming the bad part. */
export function parseSeeds(text: string): number[] {
  const seeds: number[] = [];
  const seen = new Set<number>();
  const parts = text.split(",").map((part) => part.trim());
  for (const part of parts) {
    const range = /^(\d+)\.\.(\d+)$/.exec(part);
    let lo: number;
    let hi: number;
    if (range) {
      lo = Number(range[1]);
      hi = Number(range[2]);
    } else if (/^\d+$/.test(part)) {
      lo = Number(part);
      hi = lo;
    } else {
      throw new RangeError(`Bad seed list "${text}": "${part}" is not a seed (N) or a range (A..B)`);
    }
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi)) {
      throw new RangeError(`Bad seed list "${text}": "${part}" is too large`);
    }
    if (hi < lo) throw new RangeError(`Bad seed list "${text}": range "${part}" runs backwards`);
    if (seeds.length + (hi - lo + 1) > MAX_SEEDS) {
      throw new RangeError(`Bad seed list "${text}": more than ${MAX_SEEDS} seeds`);
    }
    for (let seed = lo; seed <= hi; seed++) {
      if (!seen.has(seed)) {
        seen.add(seed);
        seeds.push(seed);
      }
    }
  }
  return seeds;
}
