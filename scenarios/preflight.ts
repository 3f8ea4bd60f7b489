/**
 * Checks a scenario as far as it can be checked without running it: every fio job of every
 * workload phase parses with fio's option names, and every LVM2 command line (setup, phases that
 * must succeed, recovery) names a command lvmlab knows with options it accepts. A mistake is then
 * refused when the scenario is loaded (exit 2) instead of turning every seed red (exit 1).
 */
import { COMMANDS, CommandLineError, parseArgs } from "../engine/lvm/mod.js";
import { splitCommandLine } from "./command-line.js";
import { ScenarioError } from "./define.js";
import { jobsFromOptions } from "./jobs.js";
import type { LoadedScenario } from "./load.js";

/** Why one LVM2 command line would be refused before it ran, or undefined when it parses. */
export function commandLineProblem(line: string): string | undefined {
  let argv: string[];
  try {
    argv = splitCommandLine(line);
  } catch (error) {
    return (error as Error).message;
  }
  const name = argv[0];
  if (name === undefined) return "empty command line";
  const def = COMMANDS.get(name);
  if (def === undefined) return `no such LVM2 command "${name}" in "${line}"`;
  try {
    parseArgs(name, argv.slice(1), def.options);
  } catch (error) {
    if (error instanceof CommandLineError) return `${error.message} in "${line}"`;
    throw error;
  }
  return undefined;
}

/** Every problem found in one scenario, each naming the field it is in. */
export function scenarioProblems(loaded: LoadedScenario): string[] {
  const { scenario } = loaded;
  const problems: string[] = [];
  const checkLine = (line: string, where: string) => {
    const problem = commandLineProblem(line);
    if (problem !== undefined) problems.push(`${where}: ${problem}`);
  };
  for (const [i, line] of scenario.setup.entries()) checkLine(line, `setup[${i}]`);
  scenario.phases.forEach((phase, i) => {
    if ("workload" in phase) {
      try {
        jobsFromOptions(phase.workload.jobs, `phases[${i}].workload.jobs`);
      } catch (error) {
        problems.push(`phases[${i}].workload.jobs: ${(error as Error).message}`);
      }
    } else if ("lvm" in phase && phase.expectExit === 0) {
      // A phase that expects a non-zero exit may test LVM2's refusal of a bad command line.
      checkLine(phase.lvm, `phases[${i}].lvm`);
    }
  });
  for (const [i, line] of scenario.recovery.entries()) checkLine(line, `recovery[${i}]`);
  return problems;
}

/** Throws a ScenarioError naming the file and every problem of the first scenario that has any. */
export function preflightScenarios(scenarios: readonly LoadedScenario[]): void {
  for (const loaded of scenarios) {
    const problems = scenarioProblems(loaded);
    if (problems.length > 0) {
      throw new ScenarioError(
        problems.slice(0, 10).map((p) => `${loaded.scenario.name}: ${p}`),
        loaded.file,
      );
    }
  }
}
