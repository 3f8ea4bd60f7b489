import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { caseKey, parseCaseKey } from "./case.js";
import { loadLibrary } from "./load.js";
import { resolveCrashPoint, scenarioByName } from "./local-runner.js";
import { shrinkCase } from "./shrink.js";

/** Shrinks a failing case from the library and saves the smaller scenario as a JSON file. */
export async function shrinkAndSave(
  key: string,
  options: { readonly files: readonly string[]; readonly dir: string },
): Promise<{
  readonly file: string;
  readonly replay: string;
  readonly runs: number;
  readonly steps: readonly string[];
}> {
  const spec = parseCaseKey(key);
  const scenario = scenarioByName(await loadLibrary(options.files), spec.scenario);
  const result = shrinkCase(scenario, resolveCrashPoint(scenario, spec, {}));
  mkdirSync(options.dir, { recursive: true });
  const file = join(options.dir, `${result.scenario.name}.json`);
  writeFileSync(file, `${JSON.stringify(result.scenario, null, 2)}\n`);
  return {
    file,
    replay: `lvmlab replay ${caseKey(result.spec)} --file ${file}`,
    runs: result.runs,
    steps: result.steps,
  };
}
