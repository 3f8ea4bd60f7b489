/**
 * What an overhead run covers: configs, workloads, profiles, seeds, repetitions and sizes, with the
 * full and quick defaults, parsing of the command-line lists, and limits on the matrix size.
 */

import { describeProfile } from "../../engine/sim/timing/profile.js";
import { BUILTIN_PROFILES } from "../../engine/sim/timing/profiles.js";
import { resolveProfile } from "../../engine/sim/timing/resolve.js";
import { CONFIGS, configByName, LINEAR_CONFIG, LV_SIZE_QUANTUM_BYTES, MAX_LV_BYTES } from "./layouts.js";
import { MAX_IOS_PER_CELL, WORKLOADS, workloadByName } from "./workloads.js";

const MiB = 1024 * 1024;

/** The matrix of one run. */
export interface OverheadPlan {
  /** Config names; linear always runs too, as the baseline. */
  readonly configs: readonly string[];
  readonly workloads: readonly string[];
  /** Device profile names (built-in or `custom:`). */
  readonly profiles: readonly string[];
  readonly seeds: readonly number[];
  /** Repetitions per seed, each an independent replicate. */
  readonly repetitions: number;
  /** LV size of every config. */
  readonly lvBytes: number;
  /** I/Os of the 4 KiB random workloads. */
  readonly randomIos: number;
}

/** Most samples one run may hold (configs × workloads × profiles × seeds × repetitions). */
export const MAX_SAMPLES = 20_000;
/** Most seeds one run may list. */
export const MAX_SEEDS = 100;
/** Most repetitions per seed. */
export const MAX_REPETITIONS = 20;

/** The full matrix: every config, workload and built-in profile, seeds 1..5, 48 MiB LVs. */
export const FULL_PLAN: OverheadPlan = Object.freeze({
  configs: CONFIGS.map((c) => c.name),
  workloads: WORKLOADS.map((w) => w.name),
  profiles: [...BUILTIN_PROFILES.keys()],
  seeds: [1, 2, 3, 4, 5],
  repetitions: 1,
  lvBytes: 48 * MiB,
  randomIos: 2048,
});

/**
 * The CI matrix: the configs the realdm observations and the classic table speak about, on the
 * profile of the reference runs, two seeds, 12 MiB LVs; a few seconds on two cores.
 */
export const QUICK_PLAN: OverheadPlan = Object.freeze({
  configs: [
    LINEAR_CONFIG,
    "striped-2",
    "mirror-2leg-core",
    "mirror-2leg-disk",
    "mirror-2leg-core-sharedbus",
    "origin-1snap-4k-first",
    "origin-1snap-64k-overwrite",
    "pvmove",
    "raid1-2leg",
    "thin-first",
    "thin-1snap-first",
  ],
  // The single-stream set: the concurrent-stream rows are in the full matrix (and --workload).
  workloads: WORKLOADS.filter((w) => (w.streams ?? 1) === 1).map((w) => w.name),
  profiles: ["realdm-100mib-1kiops"],
  seeds: [1, 2],
  repetitions: 1,
  lvBytes: 12 * MiB,
  randomIos: 512,
});

/**
 * The reference comparison (`--realdm`): the configs and workloads research/realdm-observations.md
 * measured on real LVM2 2.03.16 / kernel 6.1, on their disks' profile, at their sizes: 96 MiB LVs,
 * 4096 random 4 KiB writes to fresh blocks at iodepth 32, and 1 MiB sequential writes; five seeds,
 * so the 95% intervals rest on five independent samples.
 */
export const REALDM_PLAN: OverheadPlan = Object.freeze({
  configs: [
    LINEAR_CONFIG,
    "mirror-2leg-core",
    "mirror-2leg-disk",
    "origin-1snap-4k-first",
    "origin-1snap-64k-first",
    "raid1-2leg",
    "raid1-2leg-warm",
  ],
  workloads: ["randwrite-4k-qd32", "write-1m-qd8"],
  profiles: ["realdm-100mib-1kiops"],
  seeds: [1, 2, 3, 4, 5],
  repetitions: 1,
  lvBytes: 96 * MiB,
  randomIos: 4096,
});

/** Samples the plan runs, linear included. */
export function planSamples(plan: OverheadPlan): number {
  const configs = new Set([LINEAR_CONFIG, ...plan.configs]).size;
  return configs * plan.workloads.length * plan.profiles.length * plan.seeds.length * plan.repetitions;
}

/** Check every name and limit of `plan`; throws naming the field, the value and what to do. */
export function validatePlan(plan: OverheadPlan): OverheadPlan {
  for (const name of plan.configs) configByName(name);
  for (const name of plan.workloads) workloadByName(name);
  for (const name of plan.profiles) resolveProfile(name);
  const empty = (["configs", "workloads", "profiles", "seeds"] as const).find((f) => plan[f].length === 0);
  if (empty !== undefined) throw new RangeError(`Overhead plan has no ${empty}; give at least one`);
  if (plan.seeds.length > MAX_SEEDS) {
    throw new RangeError(`Overhead plan lists ${plan.seeds.length} seeds; at most ${MAX_SEEDS}`);
  }
  for (const seed of plan.seeds) {
    if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
      throw new RangeError(`Overhead seed ${seed} is not an unsigned 32-bit integer`);
    }
  }
  if (!Number.isInteger(plan.repetitions) || plan.repetitions < 1 || plan.repetitions > MAX_REPETITIONS) {
    throw new RangeError(
      `Overhead repetitions ${plan.repetitions} is not an integer from 1 to ${MAX_REPETITIONS}`,
    );
  }
  if (plan.lvBytes % LV_SIZE_QUANTUM_BYTES !== 0 || plan.lvBytes <= 0 || plan.lvBytes > MAX_LV_BYTES) {
    throw new RangeError(
      `Overhead LV size ${plan.lvBytes} bytes is not a positive multiple of ${LV_SIZE_QUANTUM_BYTES / MiB} MiB up to ${MAX_LV_BYTES / MiB} MiB`,
    );
  }
  if (!Number.isInteger(plan.randomIos) || plan.randomIos < 1 || plan.randomIos > MAX_IOS_PER_CELL) {
    throw new RangeError(
      `Overhead random I/O count ${plan.randomIos} is not an integer from 1 to ${MAX_IOS_PER_CELL}`,
    );
  }
  const samples = planSamples(plan);
  if (samples > MAX_SAMPLES) {
    throw new RangeError(
      `Overhead plan has ${samples} samples, more than ${MAX_SAMPLES}; select fewer configs, profiles or seeds`,
    );
  }
  return plan;
}

/** Largest seed range `a..b` accepted, to refuse a typo before it allocates anything. */
const MAX_RANGE = MAX_SEEDS;

/** Parse a seed list: `3`, `1..5`, `1,4,9` or a mix (`1..3,7`); duplicates are dropped, order kept. */
export function parseSeeds(text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(",").map((p) => p.trim())) {
    const range = /^(\d+)\.\.(\d+)$/.exec(part);
    if (range !== null) {
      const from = Number(range[1]);
      const to = Number(range[2]);
      if (to < from || to - from >= MAX_RANGE) {
        throw new RangeError(`Seed range "${part}" must go upwards and span at most ${MAX_RANGE} seeds`);
      }
      for (let s = from; s <= to; s++) seeds.push(s);
    } else if (/^\d+$/.test(part)) {
      seeds.push(Number(part));
    } else {
      throw new RangeError(`Seed "${part}" is not a number or a range; write e.g. 1..5 or 1,2,7`);
    }
  }
  return [...new Set(seeds)];
}

/** Split a comma-separated list, trimming and dropping empty items. */
export function parseList(text: string): string[] {
  return text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/**
 * Split a profile list. A `custom:` profile has commas of its own (`custom:bw=100MiB,lat=200us`),
 * so an item with `=` that follows a custom profile belongs to it.
 */
export function parseProfiles(text: string): string[] {
  const profiles: string[] = [];
  for (const item of parseList(text)) {
    const last = profiles.at(-1);
    if (last?.startsWith("custom:") && item.includes("=") && !item.startsWith("custom:")) {
      profiles[profiles.length - 1] = `${last},${item}`;
    } else {
      profiles.push(item);
    }
  }
  return profiles;
}

/** One line defining a profile (built-in or `custom:`), as every report prints it. */
export function describeBuiltinProfile(name: string): string {
  return describeProfile(resolveProfile(name));
}
