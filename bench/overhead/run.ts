/**
 * Runs the overhead matrix (config × workload × profile × seed × repetition) in virtual time and
 * turns each run into one `bench` record: modeled IOPS, MB/s, latency percentiles and write
 * amplification, the ratio to linear on the same workload, profile, seed and repetition, and the
 * measured CPU cost. Everything but `cpuNsPerOp` depends only on the cell and its seed.
 */

import { Rng } from "../../engine/sim/rng.js";
import { Scheduler } from "../../engine/sim/scheduler.js";
import type { BenchRecord } from "../../reports/records.js";
import { runJobs } from "../../workloads/runner.js";
import { caveatFor } from "./caveats.js";
import { LatencyTap } from "./latency-tap.js";
import { buildLayout, type ConfigDef, configByName, LINEAR_CONFIG } from "./layouts.js";
import type { OverheadPlan } from "./plan.js";
import { type OverheadWorkload, overheadJobs, workloadByName, workloadReads } from "./workloads.js";

/** One sample to run. */
export interface CellKey {
  readonly config: string;
  readonly workload: string;
  readonly profile: string;
  readonly seed: number;
  readonly repetition: number;
}

/** A bench record as this writer emits it (every optional field present). */
export type OverheadRecord = BenchRecord & {
  readonly relativeToLinear: number | null;
  readonly cpuNsPerOp: number;
  /** I/Os the workload completed. */
  readonly ios: number;
  /** Virtual time the workload ran. */
  readonly runtimeNs: number;
};

/**
 * The sample's random stream: a function of seed and repetition only, never of the config, so
 * every config sees the same offsets and the ratio to linear is paired. Each repetition is an
 * independent replicate (its own stream), so repetitions add real samples to the confidence interval.
 */
export function sampleRng(seed: number, repetition: number): Rng {
  return Rng.fromSeed(seed).fork(`rep${repetition}`);
}

/** Run one sample; `relativeToLinear` is left null for {@link runOverhead} to fill in. */
export function runCell(key: CellKey, plan: Pick<OverheadPlan, "lvBytes" | "randomIos">): OverheadRecord {
  const config: ConfigDef = configByName(key.config);
  const workload: OverheadWorkload = workloadByName(key.workload);
  const rng = sampleRng(key.seed, key.repetition);
  const layout = buildLayout(config, key.profile, {
    lvBytes: plan.lvBytes,
    rng: rng.fork("timing"),
    prefill: workloadReads(workload),
  });
  const scheduler = new Scheduler();
  scheduler.advanceTo(layout.readyNs);
  layout.start(scheduler);
  const tap = new LatencyTap(layout.device);
  const jobs = overheadJobs(workload, { lvBytes: plan.lvBytes, randomIos: plan.randomIos });
  const result = runJobs(jobs, tap, { rng: rng.fork("io"), scheduler, pvs: layout.pvs });
  if (result.jobs.length !== jobs.length) throw new Error(`Overhead cell ${describe(key)} ran no job`);
  let ios = 0;
  let bytes = 0;
  for (const run of result.jobs) {
    if (run.error !== undefined) {
      throw new Error(`Overhead cell ${describe(key)} failed: ${run.error.code} ${run.error.message}`);
    }
    ios += run.read.ios + run.write.ios;
    bytes += run.read.bytes + run.write.bytes;
  }
  const wanted = jobs.reduce((n, job) => n + (job.numberIos ?? 0), 0);
  const runtimeNs = result.endNs - result.startNs;
  if (ios !== wanted || !(runtimeNs > 0) || tap.recorder.count !== ios) {
    throw new Error(
      `Overhead cell ${describe(key)}: ${ios} I/Os completed (${tap.recorder.count} seen at the LV) in ${runtimeNs} ns, ` +
        `expected ${wanted} in a positive time; the job engine or the layout lost requests`,
    );
  }
  const latency = tap.recorder.summary();
  const cpuNs = (result.cpu.userUs + result.cpu.systemUs) * 1000;
  return {
    type: "bench",
    config: key.config,
    workload: key.workload,
    profile: key.profile,
    seed: key.seed,
    repetition: key.repetition,
    iops: ios / (runtimeNs / 1e9),
    mbps: bytes / (runtimeNs / 1e9) / 1e6,
    latNs: {
      p50: latency.p50Ns,
      p90: latency.p90Ns,
      p99: latency.p99Ns,
      p999: latency.p99_9Ns,
      max: latency.maxNs,
    },
    // A read-only workload wrote nothing, so no ratio exists; 0 keeps the field a number.
    writeAmplification: result.writeAmplification ?? 0,
    relativeToLinear: null,
    cpuNsPerOp: cpuNs / ios,
    ios,
    runtimeNs,
    ...caveatField(key),
  };
}

function caveatField(key: CellKey): { caveat?: string } {
  const caveat = caveatFor(key.config, key.workload, key.profile);
  return caveat === undefined ? {} : { caveat };
}

function describe(key: CellKey): string {
  return `${key.config}/${key.workload}/${key.profile} seed ${key.seed} repetition ${key.repetition}`;
}

/** Options of {@link runOverhead}. */
export interface RunOverheadOptions {
  /** Called after every sample, e.g. for a progress line; `done` counts from 1 to `total`. */
  readonly onRecord?: (record: OverheadRecord, done: number, total: number) => void;
  /**
   * Run each config once, unrecorded, before the matrix (default true), so the JIT warm-up of its
   * code paths does not land in the first sample's measured `cpuNsPerOp`. Modeled numbers are unaffected.
   */
  readonly warmUp?: boolean;
}

/** The plan's configs in run order: linear first (added when missing, it is every ratio's baseline). */
export function runOrder(configs: readonly string[]): string[] {
  return [LINEAR_CONFIG, ...configs.filter((c) => c !== LINEAR_CONFIG)];
}

/**
 * Run every sample of `plan` and return one record per sample, grouped by profile, workload, seed
 * and repetition with linear first; `relativeToLinear` is each sample's MB/s over linear's.
 */
export function runOverhead(plan: OverheadPlan, options: RunOverheadOptions = {}): OverheadRecord[] {
  const configs = runOrder(plan.configs);
  const total =
    plan.profiles.length * plan.workloads.length * plan.seeds.length * plan.repetitions * configs.length;
  const records: OverheadRecord[] = [];
  const [firstProfile, firstWorkload] = [plan.profiles[0], plan.workloads[0]];
  if (options.warmUp !== false && firstProfile !== undefined && firstWorkload !== undefined) {
    for (const config of configs) {
      runCell({ config, workload: firstWorkload, profile: firstProfile, seed: 0, repetition: 0 }, plan);
    }
  }
  for (const profile of plan.profiles) {
    for (const workload of plan.workloads) {
      for (const seed of plan.seeds) {
        for (let repetition = 0; repetition < plan.repetitions; repetition++) {
          let linearMbps: number | undefined;
          for (const config of configs) {
            const record = runCell({ config, workload, profile, seed, repetition }, plan);
            if (config === LINEAR_CONFIG) linearMbps = record.mbps;
            if (linearMbps === undefined || !(linearMbps > 0)) {
              throw new Error(`Overhead run: no linear baseline for ${workload}/${profile} seed ${seed}`);
            }
            const paired = { ...record, relativeToLinear: record.mbps / linearMbps };
            records.push(paired);
            options.onRecord?.(paired, records.length, total);
          }
        }
      }
    }
  }
  return records;
}
