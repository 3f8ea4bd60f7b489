import { describe, expect, it } from "vitest";
import { executeCase } from "../../scenarios/executor.js";
import { loadScenarioModules } from "../../scenarios/load.js";
import type { Scenario } from "../../scenarios/schema.js";

const library = await loadScenarioModules();
const declared = library.find((s) => s.scenario.name === "metadata-commit-power-cut")!.scenario;
// The fixed case (a subset cut after the 2nd PV's commit), recovered without vgck.
const { swarm: _swarm, ...fixed } = declared;
const scenario = (oldOrNew: boolean): Scenario => ({
  ...fixed,
  recovery: ["vgchange -ay vg0"],
  expect: { ...declared.expect, metadataOldOrNew: oldOrNew },
});

describe("expect.metadataOldOrNew", () => {
  it("accepts the old or the new VG after a subset cut, judging copies after vgck --updatemetadata", () => {
    for (const seed of [1, 2, 3]) {
      const strict = executeCase(scenario(false), { scenario: declared.name, seed }).record;
      expect(strict.failures.some((f) => f.includes("metadata copies disagree"))).toBe(true);
      const run = executeCase(scenario(true), { scenario: declared.name, seed });
      expect(run.record.status, run.record.failures.join("; ")).toBe("pass");
      expect(run.lvmLog).toContain("$ vgck --updatemetadata vg0");
    }
  });

  it("accepts an older VG when several unflushed commits vanish", () => {
    // Two unflushed commits in a row: a subset cut may keep neither (LVM2 never flushes metadata).
    const twoCommits: Scenario = {
      ...scenario(true),
      phases: [...fixed.phases, { lvm: "lvcreate -an -Zn -l 1 -n second vg0", expectExit: 0 }],
      faults: [
        {
          ...fixed.faults[0]!,
          at: { event: "metadata.commit", occurrence: 4 },
        } as Scenario["faults"][number],
      ],
    };
    for (const seed of [1, 2, 3]) {
      const record = executeCase(twoCommits, { scenario: declared.name, seed }).record;
      expect(record.status, record.failures.join("; ")).toBe("pass");
    }
  });

  it("changes nothing after a drop-all cut, which cannot keep part of a commit", () => {
    const dropAll: Scenario = {
      ...scenario(true),
      faults: [{ ...fixed.faults[0]!, policy: { kind: "drop-all" } } as Scenario["faults"][number]],
    };
    const run = executeCase(dropAll, { scenario: declared.name, seed: 1 });
    expect(run.lvmLog).not.toContain("$ vgck --updatemetadata vg0");
  });
});
