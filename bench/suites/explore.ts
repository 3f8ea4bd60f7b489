/**
 * Crash points explored per second per core: branching every crash point of the run from one run
 * of the case (`scenarios/branch-explore.ts`, what `lvmlab run --explore` does) against
 * re-executing setup and workload for each point (the `--explore-mode reexec` path), in the same
 * run: every point of pvmove-cut-resume re-executed too, 60 points spread over the run of the others
 * (12 of each with --quick, each sample timed on its second pass); the branched exploration is
 * timed over several sweeps (see `branchSweeps`), the first with V8 still warming the branch path.
 * Time is this process's CPU time (user + system), so the rate is per core whatever else the
 * machine runs; both paths give the same records
 * (test/scenarios/branch-explore.test.ts), and this suite checks that again for every point it
 * re-executes.
 */
import { type BranchStats, exploreByBranching } from "../../scenarios/branch-explore.js";
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

/**
 * CPU time of `run`. With `collectFirst` a full collection runs before it, so the garbage of what
 * ran before is not charged to it. Not between sweeps of one exploration: a forced collection
 * shrinks the young generation, and a two-second sweep after it pays for growing it again (about a
 * third more CPU per branched point), which no exploration running sweep after sweep pays.
 */
function timed<T>(run: () => T, collectFirst = true): { value: T; ns: number } {
  if (collectFirst) (globalThis as { gc?: () => void }).gc?.();
  const start = cpuNs();
  const value = run();
  return { value, ns: cpuNs() - start };
}

/**
 * Points re-executed per scenario: every point of pvmove-cut-resume (the done-when of issue 15
 * compares whole explorations) and 60 of the others in a full run; 12 with --quick.
 */
function reexecPoints(name: string, quick: boolean): number {
  if (quick) return 12;
  return name === "pvmove-cut-resume" ? Number.POSITIVE_INFINITY : 60;
}

/**
 * Sweeps of the branched exploration: pvmove-cut-resume and metadata-commit-power-cut have few
 * points, so V8 is still warming the branch path in their second sweep (five reach a steady rate);
 * mirror-crash-disk-log's 3997 points warm it within the first. Two with --quick.
 */
function branchSweeps(name: string, quick: boolean): number {
  if (quick) return 2;
  return name === "mirror-crash-disk-log" ? 2 : 5;
}

/** `count` indexes spread evenly over `0..total-1` (all of them when `count >= total`). */
function evenlySpaced(total: number, count: number): number[] {
  if (count >= total) return Array.from({ length: total }, (_, i) => i);
  return Array.from({ length: count }, (_, i) => Math.floor((i * total) / count));
}

const suite: BenchSuite = {
  name: "explore",
  description:
    "crash points per CPU-second: every point of the run branched from one run vs re-executed from the start, same run",
  async run(options) {
    const library = await loadScenarioModules();
    const rows: BenchRow[] = [];
    for (const name of SCENARIOS) {
      const scenario = library.find((s) => s.scenario.name === name)?.scenario;
      if (scenario === undefined) throw new Error(`bench explore: no scenario ${name}`);
      const all = discoverCrashPoints(scenario, SEED);
      if (all.length === 0) throw new Error(`bench explore: ${name}@${SEED} has no crash points`);
      const cases: CaseSpec[] = all.map((crashPoint) => ({ scenario: name, seed: SEED, crashPoint }));
      // Exploration branches every point of the run, as `lvmlab run --explore` does; the cost per
      // point depends on how densely the run is branched (the run between points, and the code
      // the run leaves cold), so a sample of points would not measure it.
      const stats: BranchStats = { sharedRecoveries: 0 };
      const branch = timed(() => exploreByBranching(scenario, cases, {}, stats));
      // The same exploration again, until V8 has warmed the branch path: the first sweep pays
      // its warm-up (more than twice the CPU of a warm sweep on pvmove-cut-resume), as a single
      // `lvmlab run --explore` of one seed does; an exploration of several seeds or scenarios, as
      // each worker of a nightly runs, goes at the last sweep's rate.
      const sweeps: { value: CaseResult[]; ns: number }[] = [branch];
      for (let n = 2; n <= branchSweeps(name, options.quick); n++) {
        sweeps.push(timed(() => exploreByBranching(scenario, cases), false));
      }
      // Compared once every sweep is timed, so no sweep pays for the comparison's garbage.
      const records = JSON.stringify(branch.value);
      if (sweeps.some((sweep) => JSON.stringify(sweep.value) !== records)) {
        throw new Error(`bench explore: ${name} gave different records when explored again`);
      }
      // Re-execution costs the same per point whatever else runs, so a sample spread over the
      // whole run (early points have the longest recoveries) measures its rate.
      const reexecIndexes = evenlySpaced(cases.length, reexecPoints(name, options.quick));
      const reexecute = (i: number): CaseResult => {
        const { record, timeline, machine } = executeCase(scenario, cases[i]!);
        machine.close();
        return { record, timeline };
      };
      // The first dozen re-executions after branching run several times slower than the rest (the
      // setup and workload code went cold). A whole sweep amortises that as `--explore-mode reexec`
      // does; a sample is run once untimed first, or it would measure mostly the warm-up.
      if (reexecIndexes.length < cases.length) reexecIndexes.forEach(reexecute);
      const reexec = timed(() => reexecIndexes.map(reexecute));
      for (const [k, i] of reexecIndexes.entries()) {
        if (JSON.stringify(branch.value[i]) !== JSON.stringify(reexec.value[k])) {
          throw new Error(
            `bench explore: ${name} ${cases[i]!.crashPoint!.label} differs between the two paths`,
          );
        }
      }
      const reexecPerPoint = reexec.ns / reexecIndexes.length;
      const rate = (perPointNs: number) => `${(1e9 / perPointNs).toFixed(1)} points/s/core`;
      const group = `${name}@${SEED}, ${cases.length} points`;
      const sample =
        reexecIndexes.length === cases.length
          ? "all"
          : `${reexecIndexes.length} of ${cases.length} spread over the run${options.quick ? ", --quick" : ""}`;
      const baseline = `re-execute each (${sample}), ${rate(reexecPerPoint)}`;
      rows.push({ name: baseline, group, nsPerOp: reexecPerPoint });
      const shared = `${stats.sharedRecoveries} of ${cases.length} judged on a shared recovery`;
      for (const [n, sweep] of sweeps.entries()) {
        const perPoint = sweep.ns / cases.length;
        const which =
          n === 0
            ? `first sweep (${shared})`
            : `sweep ${n + 1}${n === sweeps.length - 1 && n > 1 ? ", warm" : ""}`;
        rows.push({
          name: `branch every point from one run, ${which}, ${rate(perPoint)}`,
          group,
          nsPerOp: perPoint,
          baseline,
          ratioToBaseline: reexecPerPoint / perPoint,
        });
      }
    }
    return rows;
  },
};

export default suite;
