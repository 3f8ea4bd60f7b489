/**
 * Crash points explored per second per core: branching every point from one run of the case
 * (`scenarios/branch-explore.ts`) against re-executing setup and workload for each point (the
 * `--explore-mode reexec` path), on the same points of the same scenarios, in the same run. Time
 * is this process's CPU time (user + system), so the rate is per core whatever else the machine
 * runs; both paths give the same records (test/scenarios/branch-explore.test.ts), and this suite
 * checks that again for every point it times.
 */
import { exploreByBranching } from "../../scenarios/branch-explore.js";
import type { CaseSpec } from "../../scenarios/case.js";
import { discoverCrashPoints } from "../../scenarios/crash-points.js";
import { executeCase } from "../../scenarios/executor.js";
import { loadScenarioModules } from "../../scenarios/load.js";
import type { CaseResult } from "../../scenarios/records.js";
import type { BenchRow, BenchSuite } from "../suite.js";

const SCENARIOS = ["pvmove-cut-resume", "mirror-crash-disk-log", "metadata-commit-power-cut"];
const SEED = 1;

/** CPU nanoseconds of this process so far (every thread of it: the collector's included). */
function cpuNs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
}

function timed<T>(run: () => T): { value: T; ns: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const start = cpuNs();
  const value = run();
  return { value, ns: cpuNs() - start };
}

const suite: BenchSuite = {
  name: "explore",
  description:
    "crash points per CPU-second: branched from one run vs re-executed from the start, same points, same run",
  async run(options) {
    const library = await loadScenarioModules();
    // Points spread evenly over the whole run (early points have the longest recoveries).
    const pointsPerScenario = options.quick ? 12 : 60;
    const rows: BenchRow[] = [];
    for (const name of SCENARIOS) {
      const scenario = library.find((s) => s.scenario.name === name)?.scenario;
      if (scenario === undefined) throw new Error(`bench explore: no scenario ${name}`);
      const all = discoverCrashPoints(scenario, SEED);
      const step = Math.max(1, Math.floor(all.length / pointsPerScenario));
      const cases: CaseSpec[] = all
        .filter((_, i) => i % step === 0)
        .slice(0, pointsPerScenario)
        .map((crashPoint) => ({ scenario: name, seed: SEED, crashPoint }));
      const reexec = timed(() =>
        cases.map((spec): CaseResult => {
          const { record, timeline, machine } = executeCase(scenario, spec);
          machine.close();
          return { record, timeline };
        }),
      );
      const branch = timed(() => exploreByBranching(scenario, cases));
      for (const [i, result] of branch.value.entries()) {
        if (JSON.stringify(result) !== JSON.stringify(reexec.value[i])) {
          throw new Error(
            `bench explore: ${name} ${cases[i]!.crashPoint!.label} differs between the two paths`,
          );
        }
      }
      const perPoint = (ns: number) => ns / cases.length;
      const rate = (ns: number) => `${(1e9 / perPoint(ns)).toFixed(1)} points/s/core`;
      const group = `${name}@${SEED}, ${cases.length} of ${all.length} points`;
      const baseline = `re-execute each, ${rate(reexec.ns)}`;
      rows.push({ name: baseline, group, nsPerOp: perPoint(reexec.ns) });
      rows.push({
        name: `branch from one run, ${rate(branch.ns)}`,
        group,
        nsPerOp: perPoint(branch.ns),
        baseline,
        ratioToBaseline: reexec.ns / branch.ns,
      });
    }
    return rows;
  },
};

export default suite;
