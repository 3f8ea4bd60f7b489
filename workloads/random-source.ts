/**
 * The random stream a workload draws from. `engine/sim/rng.ts`'s `Rng` satisfies it; the workload
 * layer asks only for what it uses, so tests and callers can pass any seeded stream.
 */

/** A seeded, forkable random stream (see `Rng` in engine/sim/rng.ts). */
export interface WorkloadRng {
  /** A float in [0, 1). */
  next(): number;
  /** A uniform unsigned 32-bit integer. */
  uint32(): number;
  /** An independent child stream named by `label` (no "/" in labels). */
  fork(label: string): WorkloadRng;
}

/** Make a job name safe as an Rng fork label (labels may not contain "/" or be empty). */
export function forkLabel(text: string): string {
  const safe = text.replaceAll("/", "_");
  return safe === "" ? "_" : safe;
}
