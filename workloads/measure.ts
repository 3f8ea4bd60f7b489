/**
 * Per-job measurements in virtual time: I/O counts and bytes, IOPS and bandwidth, completion
 * latency in an HDR histogram (fio's percentile list), device-level write amplification from the
 * PVs' counters, and the engine's measured CPU time. Virtual numbers come from the device models;
 * CPU time is measurement only and never feeds a decision.
 */

import * as hdr from "hdr-histogram-js";
import type { IoStats } from "../engine/block/device.js";

/** fio's default completion-latency percentile list (options.c). */
const FIO_PERCENTILES: readonly number[] = [
  1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99,
];

/** Latency distribution of one direction. */
export interface LatencySummary {
  readonly samples: number;
  readonly minNs: number;
  readonly maxNs: number;
  readonly meanNs: number;
  readonly stddevNs: number;
  readonly p50Ns: number;
  readonly p90Ns: number;
  readonly p99Ns: number;
  readonly p99_9Ns: number;
  /** fio's percentile list, in order. */
  readonly percentiles: readonly { readonly percent: number; readonly ns: number }[];
}

/** Counters of one direction of one job. */
export interface DirectionStats {
  readonly ios: number;
  readonly bytes: number;
  /** Job run time the rates are computed over. */
  readonly runtimeNs: number;
  readonly iops: number;
  readonly bwBytesPerSec: number;
  readonly latency: LatencySummary;
}

/** Collects latencies of one direction: exact min/max/mean/stddev, percentiles from HDR buckets. */
export class LatencyRecorder {
  readonly #histogram = hdr.build({ bitBucketSize: 64, numberOfSignificantValueDigits: 3, autoResize: true });
  #count = 0;
  #bytes = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = 0;
  #mean = 0;
  #m2 = 0;

  /** Record one completed I/O of `bytes` that took `latencyNs`. */
  record(latencyNs: number, bytes: number): void {
    if (!(latencyNs >= 0) || !Number.isFinite(latencyNs)) {
      throw new RangeError(`Latency must be a finite non-negative number of ns, got ${latencyNs}`);
    }
    this.#histogram.recordValue(Math.round(latencyNs));
    this.#count += 1;
    this.#bytes += bytes;
    if (latencyNs < this.#min) this.#min = latencyNs;
    if (latencyNs > this.#max) this.#max = latencyNs;
    const delta = latencyNs - this.#mean;
    this.#mean += delta / this.#count;
    this.#m2 += delta * (latencyNs - this.#mean);
  }

  /** I/Os recorded. */
  get count(): number {
    return this.#count;
  }

  /** Bytes recorded. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The distribution so far. */
  summary(): LatencySummary {
    const at = (percent: number): number =>
      this.#count === 0 ? 0 : this.#histogram.getValueAtPercentile(percent);
    return {
      samples: this.#count,
      minNs: this.#count === 0 ? 0 : this.#min,
      maxNs: this.#max,
      meanNs: this.#mean,
      stddevNs: this.#count > 1 ? Math.sqrt(this.#m2 / (this.#count - 1)) : 0,
      p50Ns: at(50),
      p90Ns: at(90),
      p99Ns: at(99),
      p99_9Ns: at(99.9),
      percentiles: FIO_PERCENTILES.map((percent) => ({ percent, ns: at(percent) })),
    };
  }

  /** Counters and rates over `runtimeNs`. */
  stats(runtimeNs: number): DirectionStats {
    const seconds = runtimeNs / 1e9;
    return {
      ios: this.#count,
      bytes: this.#bytes,
      runtimeNs,
      iops: seconds > 0 ? this.#count / seconds : 0,
      bwBytesPerSec: seconds > 0 ? this.#bytes / seconds : 0,
      latency: this.summary(),
    };
  }
}

/** Sum of bytes written across PV counters. */
function totalBytesWritten(stats: readonly IoStats[]): number {
  return stats.reduce((sum, s) => sum + s.writeBytes, 0);
}

/**
 * Device-level write amplification: bytes the PVs wrote during the run ÷ bytes the jobs wrote.
 * Undefined when the jobs wrote nothing.
 */
export function writeAmplification(
  pvBefore: readonly IoStats[],
  pvAfter: readonly IoStats[],
  options: { jobBytesWritten: number },
): number | undefined {
  if (pvBefore.length !== pvAfter.length) {
    throw new RangeError(
      `Write amplification needs matching PV counters, got ${pvBefore.length} and ${pvAfter.length}`,
    );
  }
  if (options.jobBytesWritten <= 0) return undefined;
  return (totalBytesWritten(pvAfter) - totalBytesWritten(pvBefore)) / options.jobBytesWritten;
}

/** CPU time this process spent, for "measured" figures next to the modelled ones. */
export interface CpuTime {
  readonly userUs: number;
  readonly systemUs: number;
  readonly wallMs: number;
}

/** Start a CPU-time measurement; call the returned function to read it. Measurement only. */
export function startCpuMeasurement(): () => CpuTime {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  return () => {
    const used = process.cpuUsage(cpu);
    return { userUs: used.user, systemUs: used.system, wallMs: performance.now() - wall };
  };
}
