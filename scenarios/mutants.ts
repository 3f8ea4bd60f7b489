import type { MutationInfo } from "../engine/sim/mutations.js";
import { type CaseSpec, caseKey } from "./case.js";
import { discoverCrashPoints } from "./crash-points.js";
import { executeCase } from "./executor.js";
import type { LoadedScenario } from "./load.js";
import type { Scenario } from "./schema.js";
import { parseSeeds } from "./seeds.js";

/** Which scenarios a verdict counts: the nightly suite (what `npm start` runs) or the whole library. */
export type MutantScope = "nightly" | "library";

/** One mutant's verdict, as the `mutant` NDJSON record. */
export interface MutantRecord {
  readonly type: "mutant";
  readonly name: string;
  readonly description: string;
  readonly caught: boolean;
  /** What the verdict counts: "nightly" = nightly-tagged scenarios at their nightly seeds only. */
  readonly scope: MutantScope;
  /** Scenarios with at least one failing case under this mutant. */
  readonly caughtBy: readonly string[];
  /** The first catching case of each scenario in {@link caughtBy}, e.g. `pvmove-checkpoint-cut-prefix@1`. */
  readonly caughtByCase: readonly string[];
  /** True when a catch came only from a crash-point sweep (`--explore`), which the nightly does not run. */
  readonly byExploration: boolean;
  /** Cases run before the verdict (mutant runs plus the real-engine reruns of failing cases). */
  readonly cases: number;
}

/** How hard to try. */
export interface MutantOptions {
  /** Seeds per scenario (default: the scenario's own, as the nightly runs them). */
  readonly seeds?: readonly number[];
  /** Also run every crash point of scenarios that declare `explore` (not part of the nightly). */
  readonly explore?: boolean;
  /** Crash points per (scenario, seed) when exploring; spread evenly over the run. */
  readonly maxCrashPoints?: number;
  /** Stop at the first catching scenario (default); false runs them all to list every catcher. */
  readonly firstOnly?: boolean;
  /** Recorded in the verdict: which scenarios `library` holds (default "nightly"). */
  readonly scope?: MutantScope;
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

function words(text: string): Set<string> {
  return new Set(text.split(/[^a-z0-9]+/).filter((w) => w.length > 2));
}

/**
 * The library ordered so scenarios sharing words with the mutant's name (its area: pvmove,
 * mirror, snapshot, metadata…) run first. Only the run time depends on it, never the verdict:
 * a mutant no scenario catches still runs every case.
 */
export function orderForMutant(
  mutant: MutationInfo,
  library: readonly LoadedScenario[],
): readonly LoadedScenario[] {
  const mine = words(mutant.name);
  const score = (loaded: LoadedScenario): number => {
    const theirs = words([loaded.scenario.name, ...loaded.scenario.tags].join(" "));
    let shared = 0;
    for (const w of mine) if (theirs.has(w)) shared += 1;
    return shared;
  };
  return library
    .map((loaded, index) => ({ loaded, index, score: score(loaded) }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .map((x) => x.loaded);
}

/**
 * Runs the library against one mutant: a scenario catches it when any of its cases fails with the
 * mutation on while the same case passes on the real engine (so a scenario that is red for another
 * reason never takes credit). Pass the nightly scenarios to get the nightly's own verdict.
 */
export function runMutant(
  mutant: MutationInfo,
  library: readonly LoadedScenario[],
  options: MutantOptions = {},
): MutantRecord {
  const mutations = new Set([mutant.name]);
  const caughtBy: string[] = [];
  const caughtByCase: string[] = [];
  let explorationOnly = 0;
  let cases = 0;
  const catches = (scenario: Scenario, spec: CaseSpec): boolean => {
    cases += 1;
    if (executeCase(scenario, spec, { mutations }).record.status !== "fail") return false;
    cases += 1;
    return executeCase(scenario, spec).record.status === "pass";
  };
  for (const loaded of orderForMutant(mutant, library)) {
    if (caughtBy.length > 0 && options.firstOnly !== false) break;
    const { scenario } = loaded;
    const seeds = seedsOf(loaded, options);
    let caughtAt: CaseSpec | undefined;
    for (const seed of seeds) {
      const spec = { scenario: scenario.name, seed };
      if (catches(scenario, spec)) {
        caughtAt = spec;
        break;
      }
    }
    // Bugs that only show at one instant need the crash-point sweep: the first seed's points,
    // spread evenly so the sweep stays bounded. The nightly never runs it, so it is opt-in.
    if (
      caughtAt === undefined &&
      options.explore &&
      scenario.explore !== undefined &&
      seeds[0] !== undefined
    ) {
      const seed = seeds[0];
      const points = spread(discoverCrashPoints(scenario, seed), options.maxCrashPoints ?? 48);
      for (const crashPoint of points) {
        const spec = { scenario: scenario.name, seed, crashPoint };
        if (catches(scenario, spec)) {
          caughtAt = spec;
          explorationOnly += 1;
          break;
        }
      }
    }
    if (caughtAt !== undefined) {
      caughtBy.push(scenario.name);
      caughtByCase.push(caseKey(caughtAt));
    }
  }
  const byExploration = caughtBy.length > 0 && explorationOnly === caughtBy.length;
  options.onProgress?.(
    `${caughtBy.length > 0 ? "caught  " : "SURVIVED"} ${mutant.name}${caughtByCase.length > 0 ? ` by ${caughtByCase.join(", ")}` : ""}${byExploration ? " (crash-point sweep only)" : ""}`,
  );
  return {
    type: "mutant",
    name: mutant.name,
    description: mutant.description,
    caught: caughtBy.length > 0,
    scope: options.scope ?? "nightly",
    caughtBy,
    caughtByCase,
    byExploration,
    cases,
  };
}
