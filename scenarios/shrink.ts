/**
 * Shrinking: reduces a failing case to a smaller one that still fails the same way — fewer faults,
 * fewer phases, fewer I/Os, an earlier crash point — so the reproduction an engineer reads is
 * short. A candidate counts only if it keeps the failure's signature (the same expectation
 * failing), so shrinking never trades the bug for another failure such as "fault did not fire".
 * Greedy one-step reductions (delta debugging without the combinatorics), bounded by a budget.
 */
import type { CaseSpec } from "./case.js";
import { discoverCrashPoints } from "./crash-points.js";
import { type ExecutorOptions, executeCase } from "./executor.js";
import type { Scenario } from "./schema.js";
import { drawCase } from "./swarm.js";

/** Limits on the search. */
export interface ShrinkOptions extends ExecutorOptions {
  /** Most cases the shrinker may run (default 200). */
  readonly maxRuns?: number;
}

/** The smallest failing case found. */
export interface ShrinkResult {
  readonly scenario: Scenario;
  readonly spec: CaseSpec;
  /** Cases run while shrinking. */
  readonly runs: number;
  /** One line per accepted reduction, in order. */
  readonly steps: readonly string[];
  /** The failure signature every accepted candidate kept. */
  readonly signature: string;
}

/**
 * A failure line's signature: the line with its numbers blanked, so "3 lost block(s)…" and
 * "1 lost block(s)…" are the same expectation failing, while "fault did not fire" is another.
 */
export function failureSignature(failure: string): string {
  return failure.replace(/\d+/g, "#");
}

type Job = Readonly<Record<string, string | number | boolean>>;

/** Shrinks a failing case; throws if the case does not fail to begin with. */
export function shrinkCase(scenario: Scenario, spec: CaseSpec, options: ShrinkOptions = {}): ShrinkResult {
  const maxRuns = options.maxRuns ?? 200;
  let runs = 0;
  const steps: string[] = [];
  const failuresOf = (candidate: Scenario, candidateSpec: CaseSpec): readonly string[] => {
    runs += 1;
    return executeCase(candidate, { ...candidateSpec, scenario: candidate.name }, options).record.failures;
  };
  const first = failuresOf(scenario, spec)[0];
  if (first === undefined)
    throw new RangeError(`${spec.scenario}@${spec.seed} does not fail; nothing to shrink`);
  const signature = failureSignature(first);
  const fails = (candidate: Scenario, candidateSpec: CaseSpec): boolean => {
    if (runs >= maxRuns) return false;
    return failuresOf(candidate, candidateSpec).some((f) => failureSignature(f) === signature);
  };
  // A swarm scenario shrinks as the seed drew it: its draw becomes the shrunk scenario's fixed faults.
  let best: Scenario = { ...drawCase(scenario, spec.seed).scenario, name: `${scenario.name}-shrunk` };
  let bestSpec: CaseSpec = { ...spec, scenario: best.name };

  // Fewer faults: drop each one the failure does not need.
  for (let i = best.faults.length - 1; i >= 0; i--) {
    const candidate = { ...best, faults: best.faults.filter((_, j) => j !== i) };
    if (fails(candidate, bestSpec)) {
      steps.push(`dropped fault ${i} (${best.faults[i]!.kind})`);
      best = candidate;
    }
  }
  // Fewer phases: drop each one the failure does not need.
  for (let i = best.phases.length - 1; i >= 0 && best.phases.length > 1; i--) {
    const candidate = { ...best, phases: best.phases.filter((_, j) => j !== i) };
    if (fails(candidate, bestSpec)) {
      steps.push(`dropped phase ${i}`);
      best = candidate;
    }
  }
  // Fewer I/Os: halve each job's number_ios while the case still fails.
  for (let p = 0; p < best.phases.length; p++) {
    const phase = best.phases[p]!;
    if (!("workload" in phase)) continue;
    for (let j = 0; j < phase.workload.jobs.length; j++) {
      for (;;) {
        const current = best.phases[p]!;
        if (!("workload" in current)) break;
        const job = current.workload.jobs[j]!;
        const ios = typeof job.number_ios === "number" ? job.number_ios : undefined;
        if (ios === undefined || ios <= 1) break;
        const smaller: Job = { ...job, number_ios: Math.floor(ios / 2) };
        const jobs = current.workload.jobs.map((x, k) => (k === j ? smaller : x));
        const candidate = {
          ...best,
          phases: best.phases.map((x, k) => (k === p ? { workload: { ...current.workload, jobs } } : x)),
        };
        if (!fails(candidate, bestSpec)) break;
        steps.push(`phase ${p} job ${j}: number_ios ${ios} → ${Math.floor(ios / 2)}`);
        best = candidate;
      }
    }
  }
  // An earlier crash point: the first point of the shrunk scenario that still fails.
  if (bestSpec.crashPoint !== undefined) {
    const current = bestSpec.crashPoint;
    const earlier = discoverCrashPoints(best, bestSpec.seed, options).filter(
      (p) => p.kind === current.kind && p.index < current.index,
    );
    for (const point of earlier) {
      if (runs >= maxRuns) break;
      if (fails(best, { ...bestSpec, crashPoint: point })) {
        steps.push(`crash point ${current.label} → ${point.label}`);
        bestSpec = { ...bestSpec, crashPoint: point };
        break;
      }
    }
  }
  return { scenario: best, spec: bestSpec, runs, steps, signature };
}
