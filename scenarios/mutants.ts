import type { MutationInfo } from "../engine/sim/mutations.js";
import { discoverCrashPoints } from "./crash-points.js";
import { executeCase } from "./executor.js";
import type { LoadedScenario } from "./load.js";
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
  for (const loaded of library) {
    const { scenario } = loaded;
    let caught = false;
    for (const seed of seedsOf(loaded, options)) {
      cases += 1;
      if (executeCase(scenario, { scenario: scenario.name, seed }, { mutations }).record.status === "fail") {
        caught = true;
        break;
      }
      if (options.explore && scenario.explore !== undefined) {
        const points = spread(discoverCrashPoints(scenario, seed), options.maxCrashPoints ?? 400);
        for (const crashPoint of points) {
          cases += 1;
          const run = executeCase(scenario, { scenario: scenario.name, seed, crashPoint }, { mutations });
          if (run.record.status === "fail") {
            caught = true;
            break;
          }
        }
        if (caught) break;
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
