/**
 * The pvmove mutations against the nightly scenarios that catch them, at one seed: each
 * scenario passes on the real engine and fails with its mutation, with the damage it names.
 */
import { describe, expect, it } from "vitest";
import { PVMOVE_ABORT_KEEPS_RUNNING_SEGMENT } from "../../engine/lvm/pvmove/abort.js";
import { PVMOVE_FINISH_SKIP_FLUSH } from "../../engine/lvm/pvmove/finish.js";
import { PVMOVE_CHECKPOINT_SKIP_FLUSH } from "../../engine/lvm/pvmove/poll.js";
import { PVMOVE_RESUME_IGNORES_MOVED } from "../../engine/lvm/pvmove/resume.js";
import { executeCase } from "../../scenarios/executor.js";
import { loadScenarioModules } from "../../scenarios/load.js";

const library = await loadScenarioModules();

function scenario(name: string) {
  const found = library.find((l) => l.scenario.name === name);
  if (found === undefined) throw new Error(`No scenario ${name}`);
  return found.scenario;
}

const pairs = [
  { scenario: "pvmove-checkpoint-cut-prefix", mutation: PVMOVE_CHECKPOINT_SKIP_FLUSH },
  { scenario: "pvmove-finish-cut-dest-cache-lost", mutation: PVMOVE_FINISH_SKIP_FLUSH.name },
  { scenario: "pvmove-writes-on-moved-segment-cut", mutation: PVMOVE_RESUME_IGNORES_MOVED.name },
  { scenario: "pvmove-cut-abort", mutation: PVMOVE_ABORT_KEEPS_RUNNING_SEGMENT.name },
];

describe("pvmove ordering scenarios", () => {
  for (const pair of pairs) {
    it(`${pair.scenario} passes on the real engine and catches ${pair.mutation}`, () => {
      const s = scenario(pair.scenario);
      const real = executeCase(s, { scenario: s.name, seed: 1 }).record;
      expect(real.status, real.failures.join("; ")).toBe("pass");
      expect(real.faults.length).toBe(1);
      const mutant = executeCase(
        s,
        { scenario: s.name, seed: 1 },
        { mutations: new Set([pair.mutation]) },
      ).record;
      expect(mutant.status).toBe("fail");
      expect(mutant.verify.lost).toBeGreaterThan(0);
    }, 30_000);
  }
});
