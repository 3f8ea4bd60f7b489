/**
 * Crash-point exploration by branching: instead of re-running setup and workload from the start
 * for every crash point, run the case once (the scenario's own power cuts disarmed, as discovery
 * runs it) and, at each explored point, branch: a fresh machine takes over the run's state at that
 * instant — disks borrowed copy-on-write, the volatile logs, clock, timing streams, oracle, logs
 * and watchers — the explored cut fires there, and recovery and the verdict run on the branch.
 * The branch ends before the run goes on, so the run's pages are never copied for it.
 *
 * Same seed and point give the same record as re-execution (`executeCase` with the crash point):
 * the branch is built by the same code, takes over everything a reboot keeps, and refuses (with an
 * error) a run holding state it cannot carry. Cases it cannot branch — a scenario with faults other
 * than power cuts, operator actions, file-backed PVs, `--keep`, a point the run never reached — are re-executed.
 */
import type { FiredAt, TappedWrite } from "../faults/mod.js";
import type { CaseSpec } from "./case.js";
import { type ExecutorOptions, executeBranch, executeCase, StopCase } from "./executor.js";
import type { CaseResult } from "./records.js";
import type { Scenario } from "./schema.js";
import { SharedRecoveries } from "./shared-recoveries.js";
import { drawCase } from "./swarm.js";

/** How explored cases run: branched from one run per (scenario, seed), or each re-executed. */
export type ExploreMode = "branch" | "reexec";

/** The explore modes `--explore-mode` accepts. */
export const EXPLORE_MODES: readonly ExploreMode[] = ["branch", "reexec"];

/** What an exploration by branching did besides its records. */
export interface BranchStats {
  /** Points judged on the recovery an earlier point with the same disks and boot ran. */
  sharedRecoveries: number;
}

/** True when the explored cases of (scenario, seed) can be branched rather than re-executed. */
export function canBranch(declared: Scenario, seed: number, options: ExecutorOptions): boolean {
  if ((options.storage?.kind ?? "memory") !== "memory" || options.keepDir !== undefined) return false;
  const { scenario } = drawCase(declared, seed);
  // Operator actions are scheduler timers of the run, which a branch does not take over.
  if (scenario.operator.length > 0) return false;
  // Faults other than power cuts stay armed while exploring; their state is not carried over.
  return scenario.faults.every((f) => f.kind === "power-cut");
}

/** Re-executes one case as `lvmlab replay` would. */
function reexecute(declared: Scenario, spec: CaseSpec, options: ExecutorOptions): CaseResult {
  const { record, timeline, machine } = executeCase(declared, spec, options);
  machine.close();
  return { record, timeline };
}

/**
 * Runs explored cases of one (scenario, seed) — each with a crash point — and returns their
 * results in the order given. Points are matched the way the explored cut's trigger counts them
 * (the Nth VG block write or the Nth event of a name since the faults were armed, as late as the
 * machine's injector fires them), so a branch fires exactly where re-execution would.
 */
export function exploreByBranching(
  declared: Scenario,
  cases: readonly CaseSpec[],
  options: ExecutorOptions = {},
  stats?: BranchStats,
): CaseResult[] {
  if (stats !== undefined) stats.sharedRecoveries = 0;
  const first = cases[0];
  if (first === undefined) return [];
  for (const spec of cases) {
    if (spec.scenario !== first.scenario || spec.seed !== first.seed || spec.crashPoint === undefined) {
      throw new Error(
        `exploreByBranching takes explored cases of one scenario and seed; got ${spec.scenario}@${spec.seed}`,
      );
    }
  }
  if (!canBranch(declared, first.seed, options))
    return cases.map((spec) => reexecute(declared, spec, options));
  const atWrite = new Map<number, number[]>();
  const atEvent = new Map<string, number[]>();
  // Where each point's cut fires, counted as the case's own injector counts (`late` is its lateness).
  const placePoints = (late: number) => {
    for (const [i, spec] of cases.entries()) {
      const point = spec.crashPoint!;
      if (point.kind === "write") push(atWrite, point.index + late, i);
      else {
        const match = /^(.+)#(\d+)$/.exec(point.label);
        if (!match)
          throw new RangeError(`Crash point ${point.label} does not name an event as name#occurrence`);
        push(atEvent, `${match[1]}#${Number(match[2]) + late}`, i);
      }
    }
    return atWrite.size + atEvent.size;
  };
  const results: (CaseResult | undefined)[] = new Array(cases.length);
  const recoveries = new SharedRecoveries();
  let pointsLeft = 0;
  const branchAll = (
    indices: readonly number[],
    run: Parameters<typeof executeBranch>[2]["run"],
    firedAt: FiredAt,
  ) => {
    try {
      for (const i of indices) {
        const { record, timeline, machine } = executeBranch(declared, cases[i]!, {
          ...options,
          run,
          firedAt,
          recoveries,
        });
        // The branch's own pages go back to the pools for the next branch, unless its recovery is
        // kept for the points after it.
        if (!recoveries.owns(machine)) machine.close();
        results[i] = { record, timeline };
      }
    } catch (error) {
      throw new StopCase("a branch failed", error);
    }
    pointsLeft -= 1;
    if (pointsLeft === 0) throw new StopCase("every point branched");
  };
  let runMachine: { close(): void } | undefined;
  try {
    executeCase(
      declared,
      { scenario: first.scenario, seed: first.seed },
      {
        ...options,
        exploring: true,
        onArmed(machine, world) {
          runMachine = machine;
          pointsLeft = placePoints(machine.injector.triggerLateness);
          let writes = 0;
          machine.injector.onWrite((write: TappedWrite) => {
            writes += 1;
            const indices = atWrite.get(writes);
            if (indices === undefined) return;
            branchAll(indices, world, {
              tNs: Math.max(machine.scheduler.nowNs, write.issueNs),
              device: write.device,
              writeIndex: write.writeIndex,
              vgWriteIndex: write.vgWriteIndex,
            });
          });
          const occurrences = new Map<string, number>();
          machine.trace.subscribe((event) => {
            const occurrence = (occurrences.get(event.name) ?? 0) + 1;
            occurrences.set(event.name, occurrence);
            const indices = atEvent.get(`${event.name}#${occurrence}`);
            if (indices === undefined) return;
            branchAll(indices, world, {
              tNs: machine.scheduler.nowNs,
              event: event.name,
              eventIndex: event.index,
              occurrence: event.occurrence,
            });
          });
        },
        // Explored points lie within the phases; recovery of an uncut run is not needed.
        onPhasesDone() {
          throw new StopCase("phases done");
        },
      },
    );
  } catch (error) {
    if (!(error instanceof StopCase)) throw error;
    if (error.hookError !== undefined) throw error.hookError;
  } finally {
    if (stats !== undefined) stats.sharedRecoveries = recoveries.hits;
    // Only now may the run's pages be reused: every branch that borrowed them is done.
    recoveries.close();
    runMachine?.close();
  }
  // A point the run never reached is re-executed, which reports the cut that did not fire.
  return Array.from(cases, (spec, i) => results[i] ?? reexecute(declared, spec, options));
}

function push<K>(map: Map<K, number[]>, key: K, index: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [index]);
  else list.push(index);
}
