import { join } from "node:path";
import { exploreByBranching } from "./branch-explore.js";
import { type CaseSpec, type CrashPoint, caseKey } from "./case.js";
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

/** Executor options for one case: `keepRoot` becomes a directory per case (`<root>/<case key>`). */
export function caseOptions(
  spec: CaseSpec,
  options: ExecutorOptions & { readonly keepRoot?: string },
): ExecutorOptions {
  const { keepRoot, ...rest } = options;
  const folder = caseKey(spec).replaceAll("/", "_");
  // Image files get a directory per case too, so cases of one sweep (even on several workers)
  // never share an image.
  const storage =
    rest.storage?.kind === "file"
      ? { storage: { kind: "file" as const, workDir: join(rest.storage.workDir ?? ".lvmlab-work", folder) } }
      : {};
  return { ...rest, ...storage, ...(keepRoot === undefined ? {} : { keepDir: join(keepRoot, folder) }) };
}

/**
 * Runs explored cases of one (scenario, seed) by branching (`--keep` and file-backed PVs need a
 * run per case, so those cases are re-executed one by one, each in its own directory).
 */
export function exploreCases(
  scenarios: readonly LoadedScenario[],
  cases: readonly CaseSpec[],
  options: ExecutorOptions & { readonly keepRoot?: string },
): CaseResult[] {
  const first = cases[0];
  if (first === undefined) return [];
  const scenario = scenarioByName(scenarios, first.scenario);
  const { keepRoot, ...rest } = options;
  if (keepRoot !== undefined || (rest.storage?.kind ?? "memory") !== "memory") {
    return cases.map((spec) => {
      const { record, timeline, machine } = executeCase(scenario, spec, caseOptions(spec, options));
      machine.close();
      return { record, timeline };
    });
  }
  return exploreByBranching(scenario, cases, rest);
}

/** Runs cases in this thread (tests, replay, `--workers 1`). */
export function localRunner(
  scenarios: readonly LoadedScenario[],
  options: ExecutorOptions & { readonly keepRoot?: string } = {},
): CaseRunner {
  return {
    async run(spec): Promise<CaseResult> {
      const scenario = scenarioByName(scenarios, spec.scenario);
      const resolved = resolveCrashPoint(scenario, spec, options);
      const { record, timeline, machine } = executeCase(scenario, resolved, caseOptions(spec, options));
      machine.close();
      return { record, timeline };
    },
    async crashPoints(scenario, seed): Promise<readonly CrashPoint[]> {
      return discoverCrashPoints(scenario, seed, options);
    },
    async explore(cases): Promise<CaseResult[]> {
      return exploreCases(scenarios, cases, options);
    },
  };
}
