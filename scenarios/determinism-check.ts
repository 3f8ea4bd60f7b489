/**
 * `--check-determinism`: every case runs twice, in two different worker layouts (this thread and a
 * worker thread that has already run other cases, or the other way round), and any byte of
 * difference in its record or timeline fails the case, as FoundationDB's simulator reruns a seed
 * to catch nondeterminism before it hides a bug.
 */
import type { CaseRecord, CaseResult } from "./records.js";
import type { CaseRunner } from "./sweep.js";

/** The lines a case writes to NDJSON, as text. */
function resultLines(result: CaseResult): string[] {
  return [...result.timeline, result.record].map((line) => JSON.stringify(line));
}

/** Where two runs of one case first differ, or undefined when they are byte-identical. */
export function firstDifference(a: CaseResult, b: CaseResult): string | undefined {
  const left = resultLines(a);
  const right = resultLines(b);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i];
    const y = right[i];
    if (x === y) continue;
    if (x === undefined || y === undefined) {
      return `line ${i + 1} is missing from the ${x === undefined ? "first" : "second"} run`;
    }
    let at = 0;
    while (at < x.length && x[at] === y[at]) at++;
    const clip = (text: string) => JSON.stringify(text.slice(Math.max(0, at - 20), at + 40));
    return `line ${i + 1} differs at character ${at + 1}: ${clip(x)} vs ${clip(y)}`;
  }
  return undefined;
}

/** A failed copy of the first run's record that says where the second run differed. */
function nondeterministic(record: CaseRecord, where: string): CaseRecord {
  const failure = `nondeterministic: two runs of ${record.key} differ, ${where}`;
  return { ...record, status: "fail", verdict: failure, failures: [failure, ...record.failures] };
}

/** Runs every case on both runners and fails the cases whose two results are not byte-identical. */
export function determinismCheckingRunner(first: CaseRunner, second: CaseRunner): CaseRunner {
  return {
    async run(spec) {
      const [a, b] = await Promise.all([first.run(spec), second.run(spec)]);
      const where = firstDifference(a, b);
      return where === undefined ? a : { record: nondeterministic(a.record, where), timeline: a.timeline };
    },
    async crashPoints(scenario, seed) {
      const [a, b] = await Promise.all([
        first.crashPoints(scenario, seed),
        second.crashPoints(scenario, seed),
      ]);
      if (JSON.stringify(a) !== JSON.stringify(b)) {
        throw new Error(
          `Nondeterministic: ${scenario.name} seed ${seed} has ${a.length} crash points in one run and ${b.length} in the other`,
        );
      }
      return a;
    },
    async close() {
      await Promise.all([first.close?.(), second.close?.()]);
    },
  };
}
