import type { MutationInfo } from "../engine/sim/mutations.js";
import type { CaseSpec } from "./case.js";
import { discoverCrashPoints } from "./crash-points.js";
import { executeCase } from "./executor.js";
import type { LoadedScenario } from "./load.js";
import type { Scenario } from "./schema.js";
import { parseSeeds } from "./seeds.js";

/** One mutant's verdict, as the `mutant` NDJSON record. */
export interface MutantRecord {
  readonly type: "mutant";
  readonly name: string;
  readonly description: string;
  readonly caught: boolean;
  /** Scenarios with at least one failing case under this mutant. */
  readonly caughtBy: readonly string[];
  /** Cases run before the verdict (a mutant stops at the first scenario that catches it per scenario). */
  readonly cases: number;
}

/** How hard to try. */
export interface MutantOptions {
  /** Seeds per scenario (default: the scenario's own). */
  readonly seeds?: readonly number[];
  /** Also run every crash point of scenarios that declare `explore`. */
  readonly explore?: boolean;
  /** Crash points per (scenario, seed) when exploring; spread evenly over the run. */
  readonly maxCrashPoints?: number;
  readonly onProgress?: (line: string) => void;
}

function seedsOf(loaded: LoadedScenario, options: MutantOptions): readonly number[] {
  return options.seeds ?? (loaded.scenario.seeds === undefined ? [1] : parseSeeds(loaded.scenario.seeds));
}

/** Picks at most `max` points, evenly spread, always keeping the first and the last. */
function spread<T>(points: readonly T[], max: number): readonly T[] {
  if (points.length <= max) return points;
  const step = (points.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => points[Math.round(i * step)]!);
}

/**
 * Runs the library against one mutant: a scenario catches it when any of its cases fails (with
 * the mutation on, while the same case passes on the real engine — the library is green there).
 */
export function runMutant(
  mutant: MutationInfo,
  library: readonly LoadedScenario[],
  options: MutantOptions = {},
): MutantRecord {
  const mutations = new Set([mutant.name]);
  const caughtBy: string[] = [];
  let cases = 0;
  // A case catches the mutant only if it fails with the mutation and passes on the real engine, so
  // a scenario that is red for another reason never takes credit.
  const catches = (scenario: Scenario, spec: CaseSpec): boolean => {
    cases += 1;
    if (executeCase(scenario, spec, { mutations }).record.status !== "fail") return false;
    cases += 1;
    return executeCase(scenario, spec).record.status === "pass";
  };
  for (const loaded of library) {
    const { scenario } = loaded;
    const seeds = seedsOf(loaded, options);
    let caught = false;
    for (const seed of seeds) {
      if (catches(scenario, { scenario: scenario.name, seed })) {
        caught = true;
        break;
      }
    }
    // Bugs that only show at one instant need the crash-point sweep: the first seed's points,
    // spread evenly so the sweep stays bounded.
    if (!caught && options.explore && scenario.explore !== undefined && seeds[0] !== undefined) {
      const seed = seeds[0];
      const points = spread(discoverCrashPoints(scenario, seed), options.maxCrashPoints ?? 48);
      for (const crashPoint of points) {
        if (catches(scenario, { scenario: scenario.name, seed, crashPoint })) {
          caught = true;
          break;
        }
      }
    }
    if (caught) caughtBy.push(scenario.name);
  }
  options.onProgress?.(
    `${caughtBy.length > 0 ? "caught  " : "SURVIVED"} ${mutant.name}${caughtBy.length > 0 ? ` by ${caughtBy.join(", ")}` : ""}`,
  );
  return {
    type: "mutant",
    name: mutant.name,
    description: mutant.description,
    caught: caughtBy.length > 0,
    caughtBy,
    cases,
  };
}
