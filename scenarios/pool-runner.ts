import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Tinypool from "tinypool";
import type { CaseSpec, CrashPoint } from "./case.js";
import type { CaseResult } from "./records.js";
import type { CaseRunner } from "./sweep.js";
import type { WorkerTask } from "./worker.js";

/** The compiled worker: beside this module in dist/, or in dist/ when running from the sources. */
function workerFile(): string {
  for (const relative of ["./worker.js", "../dist/scenarios/worker.js"]) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error("Worker threads run the compiled worker; run `npm run build` first");
}

/** Runs cases on worker threads (tinypool); requires the compiled `dist/` (the worker is JavaScript). */
export function poolRunner(options: {
  readonly workers: number;
  readonly files: readonly string[];
  readonly mutations: readonly string[];
  readonly storage: WorkerTask["storage"];
  readonly keepRoot?: string;
}): CaseRunner {
  const filename = workerFile();
  const pool = new Tinypool({ filename, minThreads: 1, maxThreads: options.workers });
  const task = (op: WorkerTask["op"], spec: CaseSpec): WorkerTask => ({
    op,
    spec,
    files: options.files,
    mutations: options.mutations,
    storage: options.storage,
    ...(options.keepRoot === undefined ? {} : { keepRoot: options.keepRoot }),
  });
  return {
    async run(spec) {
      return (await pool.run(task("run", spec))) as CaseResult;
    },
    async explore(cases) {
      const first = cases[0];
      if (first === undefined) return [];
      return (await pool.run({ ...task("explore", first), specs: cases })) as CaseResult[];
    },
    async crashPoints(scenario, seed) {
      return (await pool.run(
        task("crashPoints", { scenario: scenario.name, seed }),
      )) as readonly CrashPoint[];
    },
    async close() {
      await pool.destroy();
    },
  };
}
