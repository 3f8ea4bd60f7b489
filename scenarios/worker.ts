/**
 * A worker thread's entry point for `lvmlab run --workers N`: it loads the scenario library once
 * and runs the cases it is handed. Cases are independent (each builds its own machine), so running
 * them on several threads changes nothing but wall time; the sweep writes records in case order.
 */
import type { CaseSpec, CrashPoint } from "./case.js";
import { discoverCrashPoints } from "./crash-points.js";
import { executeCase } from "./executor.js";
import { type LoadedScenario, loadScenarioFile, loadScenarioModules } from "./load.js";
import { caseOptions, exploreCases, resolveCrashPoint, scenarioByName } from "./local-runner.js";
import type { CaseResult } from "./records.js";

/** What the pool sends a worker. */
export interface WorkerTask {
  readonly op: "run" | "crashPoints" | "explore";
  readonly spec: CaseSpec;
  /** With op "explore": explored cases of the spec's (scenario, seed), branched from one run. */
  readonly specs?: readonly CaseSpec[];
  readonly files: readonly string[];
  readonly mutations: readonly string[];
  readonly storage: { readonly kind: "memory" | "file"; readonly workDir?: string };
  /** `--keep DIR`: each case leaves its images in a directory of its own under DIR. */
  readonly keepRoot?: string;
}

let library: Promise<LoadedScenario[]> | undefined;
let libraryFiles = "";

async function scenarios(files: readonly string[]): Promise<LoadedScenario[]> {
  const key = files.join("\n");
  if (library === undefined || key !== libraryFiles) {
    libraryFiles = key;
    library = loadScenarioModules().then((built) => [...built, ...files.map((f) => loadScenarioFile(f))]);
  }
  return library;
}

/** Runs one task; tinypool calls this. */
export default async function runTask(
  task: WorkerTask,
): Promise<CaseResult | readonly CaseResult[] | readonly CrashPoint[]> {
  const all = await scenarios(task.files);
  const scenario = scenarioByName(all, task.spec.scenario);
  const options = { mutations: new Set(task.mutations), storage: task.storage };
  if (task.op === "crashPoints") return discoverCrashPoints(scenario, task.spec.seed, options);
  if (task.op === "explore") {
    const keep = task.keepRoot === undefined ? {} : { keepRoot: task.keepRoot };
    return exploreCases(all, task.specs ?? [], { ...options, ...keep });
  }
  const resolved = resolveCrashPoint(scenario, task.spec, options);
  const keep = task.keepRoot === undefined ? {} : { keepRoot: task.keepRoot };
  const run = executeCase(scenario, resolved, caseOptions(task.spec, { ...options, ...keep }));
  run.machine.close();
  return { record: run.record, timeline: run.timeline };
}
