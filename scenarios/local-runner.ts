import type { CaseSpec, CrashPoint } from "./case.js";
import { discoverCrashPoints } from "./crash-points.js";
import { type ExecutorOptions, executeCase } from "./executor.js";
import type { LoadedScenario } from "./load.js";
import type { CaseResult } from "./records.js";
import type { Scenario } from "./schema.js";
import type { CaseRunner } from "./sweep.js";

/** Looks a scenario up by name, with the list of names when it is unknown. */
export function scenarioByName(scenarios: readonly LoadedScenario[], name: string): Scenario {
  const found = scenarios.find((s) => s.scenario.name === name);
  if (found === undefined) {
    throw new RangeError(
      `No scenario named "${name}"; known: ${scenarios.map((s) => s.scenario.name).join(", ")}`,
    );
  }
  return found.scenario;
}

/**
 * Fills in the event name of a crash point given only by index (a replay from a case key): the
 * scenario's dry run numbers its points, and the same index names the same point.
 */
export function resolveCrashPoint(scenario: Scenario, spec: CaseSpec, options: ExecutorOptions): CaseSpec {
  const point = spec.crashPoint;
  if (point === undefined || point.kind === "write" || /#\d+$/.test(point.label)) return spec;
  const found = discoverCrashPoints(scenario, spec.seed, options).find(
    (p) => p.kind === point.kind && p.index === point.index,
  );
  if (found === undefined) {
    throw new RangeError(
      `${scenario.name} seed ${spec.seed} has no crash point ${point.kind}:${point.index}`,
    );
  }
  return { ...spec, crashPoint: found };
}

/** Runs cases in this thread (tests, replay, `--workers 1`). */
export function localRunner(scenarios: readonly LoadedScenario[], options: ExecutorOptions = {}): CaseRunner {
  return {
    async run(spec): Promise<CaseResult> {
      const scenario = scenarioByName(scenarios, spec.scenario);
      const { record, timeline } = executeCase(scenario, resolveCrashPoint(scenario, spec, options), options);
      return { record, timeline };
    },
    async crashPoints(scenario, seed): Promise<readonly CrashPoint[]> {
      return discoverCrashPoints(scenario, seed, options);
    },
  };
}
