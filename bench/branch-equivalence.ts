/**
 * Branching against re-execution across the library: for every scenario whose points branch,
 * explore each seed by branching (recoveries shared, as `lvmlab run --explore` does) and re-execute
 * about 25 points spread over the run (every point with --every-point), comparing records and timelines byte for byte. Too slow for
 * CI (about 10 minutes for seeds 1..2 on two cores); run it after touching anything a branch
 * carries, a reboot resets or a shared recovery's key leaves out:
 *
 *   node dist/bench/branch-equivalence.js [SEEDS, e.g. 1,2] [SCENARIO,...] [--every-point]
 *
 * Exits 1 when any compared point differs, printing where the two records first part.
 */
import { canBranch, exploreByBranching } from "../scenarios/branch-explore.js";
import type { CaseSpec } from "../scenarios/case.js";
import { discoverCrashPoints } from "../scenarios/crash-points.js";
import { executeCase } from "../scenarios/executor.js";
import { loadScenarioModules } from "../scenarios/load.js";

const COMPARED_PER_EXPLORATION = 25;

const everyPoint = process.argv.includes("--every-point");
const [seedsArg, onlyArg] = process.argv.slice(2).filter((a) => a !== "--every-point");
const seeds = (seedsArg ?? "1").split(",").map(Number);
const only = onlyArg?.split(",");
let differing = 0;
let compared = 0;
for (const { scenario } of await loadScenarioModules()) {
  if (only !== undefined && !only.includes(scenario.name)) continue;
  for (const seed of seeds) {
    if (!canBranch(scenario, seed, {})) continue;
    const cases: CaseSpec[] = discoverCrashPoints(scenario, seed).map((crashPoint) => ({
      scenario: scenario.name,
      seed,
      crashPoint,
    }));
    if (cases.length === 0) continue;
    const stats = { sharedRecoveries: 0 };
    const branched = exploreByBranching(scenario, cases, {}, stats);
    const step = everyPoint ? 1 : Math.max(1, Math.floor(cases.length / COMPARED_PER_EXPLORATION));
    let differ = 0;
    for (let i = 0; i < cases.length; i += step) {
      const { record, timeline, machine } = executeCase(scenario, cases[i]!);
      machine.close();
      compared += 1;
      const again = JSON.stringify({ record, timeline });
      const branch = JSON.stringify(branched[i]);
      if (again === branch) continue;
      differ += 1;
      let at = 0;
      while (again[at] === branch[at]) at += 1;
      const around = (text: string) => text.slice(Math.max(0, at - 120), at + 120);
      console.log(
        `  ${cases[i]!.crashPoint!.label} differs:\n    branched  …${around(branch)}\n    reexecuted …${around(again)}`,
      );
    }
    differing += differ;
    console.log(
      `${scenario.name}@${seed}: ${cases.length} points, ${stats.sharedRecoveries} on a shared recovery, ${differ} of the compared differ`,
    );
  }
}
console.log(`${compared} points compared, ${differing} differ`);
process.exitCode = differing === 0 ? 0 : 1;
