import { describe, expect, it } from "vitest";
import { loadScenarioModules } from "../../scenarios/load.js";
import { MUTANT_CATALOGUE } from "../../scenarios/mutant-catalogue.js";
import { orderForMutant, runMutant } from "../../scenarios/mutants.js";
import { selectScenarios } from "../../scenarios/select.js";

const nightly = selectScenarios(await loadScenarioModules(), ["nightly"]);

describe("every catalogue mutant is caught by the nightly alone", () => {
  it("names the mutants the issues require", () => {
    const names = MUTANT_CATALOGUE.map((m) => m.name);
    for (const required of [
      "pvmove-skip-checkpoint",
      "pvmove-switch-before-sync",
      "pvmove-checkpoint-skip-flush",
      "pvmove-finish-skip-flush",
      "pvmove-resume-ignores-extents-moved",
      "pvmove-abort-keeps-running-segment",
      "mirror-ack-after-one-leg",
      "mirror-write-before-mark",
      "mirror-mark-not-flushed",
      "mirror-clear-before-leg-flush",
      "mirror-failed-write-stays-in-sync",
      "mirror-mark-next-region",
      "mirror-resync-from-wrong-leg",
      "snapshot-origin-before-commit",
      "snapshot-skip-exception-flush",
      "snapshot-exception-commit-no-fua",
      "snapshot-merge-skip-origin-flush",
      "format.commit.slot0-before-text",
      "format.scan.prefers-lower-seqno",
      "workloads.oracle.lost-as-stale",
      "block.crash-state.torn-never-tears",
    ]) {
      expect(names).toContain(required);
    }
    expect(new Set(names).size).toBe(names.length);
  });

  it("orders the scenarios of a mutant's own area first", () => {
    const mutant = MUTANT_CATALOGUE.find((m) => m.name === "pvmove-checkpoint-skip-flush")!;
    expect(orderForMutant(mutant, nightly)[0]!.scenario.tags).toContain("pvmove");
    expect(orderForMutant(mutant, nightly)).toHaveLength(nightly.length);
  });

  for (const mutant of MUTANT_CATALOGUE) {
    it(`catches ${mutant.name} in a nightly case`, () => {
      // Nightly scenarios at their own nightly seeds, no crash-point sweeps: what `npm start` runs.
      const record = runMutant(mutant, nightly);
      expect(record.caught, `${mutant.name} survived ${record.cases} nightly cases`).toBe(true);
      expect(record.scope).toBe("nightly");
      expect(record.byExploration).toBe(false);
      expect(record.caughtByCase[0]).toMatch(/^[a-z0-9.-]+@\d+$/);
    }, 300_000);
  }
});
