/**
 * Which statistics a sample can support. A report prints a confidence interval only over enough
 * independent samples, and a latency percentile only when enough I/Os lie beyond it; otherwise it
 * prints a dash and says why, and it always prints n.
 */

/** Fewest independent samples (seeds × repetitions) for a 95% bootstrap interval worth printing. */
export const MIN_SAMPLES_FOR_CI = 5;

/** I/Os that must lie beyond a percentile for it to be more than the sample's maximum. */
const MIN_IOS_BEYOND_PERCENTILE = 10;

/** Percentile of each latency metric id, as a fraction. */
export const PERCENTILE_OF: Readonly<Record<string, number>> = {
  "latNs.p50": 0.5,
  "latNs.p90": 0.9,
  "latNs.p99": 0.99,
  "latNs.p999": 0.999,
};

/** True when `n` samples support a 95% interval. */
export function ciSupported(n: number): boolean {
  return n >= MIN_SAMPLES_FOR_CI;
}

/** Fewest I/Os per sample for the percentile `p` (0.99 → 1000 with 10 beyond it). */
export function iosNeededFor(p: number): number {
  return Math.ceil(MIN_IOS_BEYOND_PERCENTILE / (1 - p) - 1e-9);
}

/**
 * True when the metric is printable for samples of `ios` I/Os each: always for non-percentiles,
 * and for percentiles when `ios` is unknown (older records) or large enough.
 */
export function metricSupported(metricId: string, ios: number | undefined): boolean {
  const p = PERCENTILE_OF[metricId];
  if (p === undefined || ios === undefined) return true;
  return ios >= iosNeededFor(p);
}
