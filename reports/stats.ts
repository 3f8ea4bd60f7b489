/**
 * Summary statistics and seeded bootstrap confidence intervals, so that reports are
 * byte-deterministic for the same records.
 */
import seedrandom from "seedrandom";

/** Default bootstrap resamples: enough for stable 95% bounds on a few dozen samples, fast on 2 cores. */
const DEFAULT_RESAMPLES = 2000;
/** Upper bound on resamples, so a typo cannot stall a report. */
const MAX_RESAMPLES = 100_000;
/** Default two-sided confidence level. */
const DEFAULT_CONFIDENCE = 0.95;

/** A uniform [0, 1) generator. */
export type Rng = () => number;

/** A seeded uniform generator (seedrandom's alea); the same seed gives the same stream everywhere. */
export function createRng(seed: string): Rng {
  return seedrandom.alea(seed);
}

function requireSamples(xs: readonly number[], what: string): void {
  if (xs.length === 0) throw new RangeError(`Cannot compute the ${what} of no samples; pass at least one`);
  for (const x of xs) {
    if (!Number.isFinite(x)) throw new RangeError(`Cannot compute the ${what}: sample ${x} is not finite`);
  }
}

/** Arithmetic mean. */
export function mean(xs: readonly number[]): number {
  requireSamples(xs, "mean");
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

function sorted(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

function quantileOfSorted(values: ArrayLike<number>, fraction: number): number {
  const position = (values.length - 1) * fraction;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  const low = values[below] as number;
  const high = values[above] as number;
  return low + (high - low) * (position - below);
}

/** Percentile `p` in [0, 100] with linear interpolation between closest ranks (numpy's default). */
export function percentile(xs: readonly number[], p: number): number {
  requireSamples(xs, "percentile");
  if (!(p >= 0 && p <= 100)) throw new RangeError(`Percentile ${p} is outside [0, 100]`);
  return quantileOfSorted(sorted(xs), p / 100);
}

/** Median (the 50th percentile). */
export function median(xs: readonly number[]): number {
  return percentile(xs, 50);
}

/** Median absolute deviation from the median, unscaled (multiply by 1.4826 for a normal σ). */
export function mad(xs: readonly number[]): number {
  const centre = median(xs);
  return median(xs.map((x) => Math.abs(x - centre)));
}

/** A confidence interval around a point estimate. */
export interface Interval {
  readonly estimate: number;
  readonly low: number;
  readonly high: number;
}

/** Options shared by the bootstrap functions. */
export interface BootstrapOptions {
  /** Seed for the resampling stream; reports derive it from the cell key so cells are independent. */
  readonly seed: string;
  readonly resamples?: number;
  readonly confidence?: number;
}

function checkedResamples(options: BootstrapOptions): { resamples: number; confidence: number } {
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  if (!Number.isInteger(resamples) || resamples < 1 || resamples > MAX_RESAMPLES) {
    throw new RangeError(`Bootstrap resamples ${resamples} must be an integer in [1, ${MAX_RESAMPLES}]`);
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`Bootstrap confidence ${confidence} must lie strictly between 0 and 1`);
  }
  return { resamples, confidence };
}

function resampleMean(xs: readonly number[], rng: Rng): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[Math.floor(rng() * xs.length)] as number;
  return sum / xs.length;
}

function intervalOf(estimates: Float64Array, estimate: number, confidence: number): Interval {
  estimates.sort();
  const tail = (1 - confidence) / 2;
  return {
    estimate,
    low: quantileOfSorted(estimates, tail),
    high: quantileOfSorted(estimates, 1 - tail),
  };
}

/** Percentile-bootstrap confidence interval of the mean; one sample gives a zero-width interval. */
export function bootstrapMeanCi(xs: readonly number[], options: BootstrapOptions): Interval {
  requireSamples(xs, "bootstrap mean");
  const { resamples, confidence } = checkedResamples(options);
  const rng = createRng(options.seed);
  const estimates = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) estimates[i] = resampleMean(xs, rng);
  return intervalOf(estimates, mean(xs), confidence);
}

/** head ÷ base with the conventions reports need: 0/0 is "no change", x/0 is infinite. */
export function ratioOfMeans(baseMean: number, headMean: number): number {
  if (baseMean === 0) return headMean === 0 ? 1 : Number.POSITIVE_INFINITY;
  return headMean / baseMean;
}

/**
 * Percentile-bootstrap confidence interval of mean(head) ÷ mean(base), resampling both groups
 * independently with a seeded stream.
 */
export function bootstrapRatioCi(
  base: readonly number[],
  head: readonly number[],
  options: BootstrapOptions,
): Interval {
  requireSamples(base, "bootstrap ratio (base)");
  requireSamples(head, "bootstrap ratio (head)");
  const { resamples, confidence } = checkedResamples(options);
  const rng = createRng(options.seed);
  const estimates = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) {
    estimates[i] = ratioOfMeans(resampleMean(base, rng), resampleMean(head, rng));
  }
  return intervalOf(estimates, ratioOfMeans(mean(base), mean(head)), confidence);
}
