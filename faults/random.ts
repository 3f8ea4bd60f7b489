import type { Rng } from "../engine/sim/rng.js";

/**
 * Random helpers over the engine's seeded {@link Rng}. Each fault draws from its own stream,
 * forked from the injector's by the fault's id (or index) and kind, so adding a fault never
 * shifts another's draws, and `Rng.fromSeedPath(record.seedPath)` rebuilds it for a replay.
 */

/** Largest count {@link sampleDistinct} will draw, so a bad parameter cannot stall a run. */
export const SAMPLE_COUNT_MAX = 1 << 20;

/** `count` distinct integers from [0, n), ascending (Floyd's algorithm: O(count) draws and memory). */
export function sampleDistinct(random: Rng, count: number, n: number): number[] {
  if (!Number.isSafeInteger(count) || count < 0 || count > n || count > SAMPLE_COUNT_MAX) {
    throw new RangeError(
      `Cannot draw ${count} distinct values from ${n}: need 0 <= count <= n and count <= ${SAMPLE_COUNT_MAX}`,
    );
  }
  const chosen = new Set<number>();
  for (let j = n - count; j < n; j += 1) {
    const t = random.int(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((a, b) => a - b);
}

/** The run seed a seed path starts with (its first segment). */
export function rootSeedOf(seedPath: string): string {
  return seedPath.split("/")[0] ?? seedPath;
}
