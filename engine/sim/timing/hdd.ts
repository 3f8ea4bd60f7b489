/**
 * Spinning-disk positioning: seek time as a function of head travel, and rotational latency.
 * Facts from drive specifications: seek time is measured actuator start to reliable read,
 * "average" is weighted over all seek combinations, and average rotational latency is half a
 * revolution (e.g. 4.17 ms at 7200 rpm).
 */
import type { Rng } from "../rng.js";
import type { HddMechanics } from "./profile.js";

/** Time for one platter revolution. */
export function revolutionNs(mechanics: HddMechanics): number {
  return 60e9 / mechanics.rpm;
}

/**
 * Seek time for a head move of `distanceBytes`: 0 for no move, otherwise
 * t2t + a·√d + b·d with d the fraction of the disk travelled. The √ term is the accelerate-
 * decelerate phase of short seeks, the linear term the coast phase of long ones (Ruemmler and
 * Wilkes, "An introduction to disk drive modeling", 1994). a and b are chosen so that d → 0 gives
 * the track-to-track time, d = 1 the full stroke, and the mean over uniformly random start and end
 * points (E[√d] = 8/15, E[d] = 1/3) the datasheet average.
 */
export function seekNs(mechanics: HddMechanics, distanceBytes: number): number {
  const distance = Math.abs(distanceBytes);
  if (distance === 0) return 0;
  const fraction = Math.min(1, distance / mechanics.sizeBytes);
  const span = mechanics.fullStrokeSeekNs - mechanics.trackToTrackSeekNs;
  const sqrtWeight = Math.max(
    0,
    5 * (mechanics.averageSeekNs - mechanics.trackToTrackSeekNs) - (5 * span) / 3,
  );
  const linearWeight = Math.max(0, span - sqrtWeight);
  return mechanics.trackToTrackSeekNs + sqrtWeight * Math.sqrt(fraction) + linearWeight * fraction;
}

/**
 * Wait for the target sector to come under the head: uniform over one revolution when a timing
 * stream is given, otherwise exactly the average, half a revolution.
 */
export function rotationalLatencyNs(mechanics: HddMechanics, rng?: Rng): number {
  const revolution = revolutionNs(mechanics);
  return rng === undefined ? revolution / 2 : rng.next() * revolution;
}
