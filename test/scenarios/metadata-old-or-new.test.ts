import { describe, expect, it } from "vitest";
import { LATER_AREAS_OLD_BODY } from "../../engine/format/commit.js";
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

describe("expect.metadataOldOrNew judges content, not only the seqno", () => {
  const cacheLost = library.find((s) => s.scenario.name === "metadata-commit-first-pv-cache-lost")!.scenario;
  const mixed = (check: boolean) => {
    // The mutation is switched on once the faults are armed, so setup commits cleanly and only the
    // lvcreate the cut interrupts writes a new seqno over pv1's and pv2's old body (alike on both,
    // so LVM2's own same-seqno mismatch check has nothing to compare once pv0 lost its commit).
    const mutations = new Set<string>();
    return executeCase(
      { ...cacheLost, expect: { ...cacheLost.expect, metadataOldOrNew: check } },
      { scenario: cacheLost.name, seed: 1 },
      { mutations, onArmed: () => mutations.add(LATER_AREAS_OLD_BODY.name) },
    ).record;
  };

  it("passes the new VG read from pv1 when pv0's cache was lost", () => {
    const record = executeCase(cacheLost, { scenario: cacheLost.name, seed: 1 }).record;
    expect(record.status, record.failures.join("; ")).toBe("pass");
    expect(record.faults).toHaveLength(1);
  });

  it(`fails a VG no command wrote (${LATER_AREAS_OLD_BODY.name}), and only with the check on`, () => {
    const text = /^VG vg0 came back at seqno \d+ from pv1 with text no command wrote/;
    expect(mixed(true).failures.some((f) => text.test(f))).toBe(true);
    expect(mixed(false).failures.some((f) => text.test(f))).toBe(false);
  });
});

describe("explored crash points judge metadata as LVM2 promises it after a cut", () => {
  // snapshot-overflow declares no power cut and no metadataOldOrNew. At write 163 of seed 1 a
  // drop-all cut keeps the snapshot's lvcreate commit on pv0 (whose cache a data flush emptied)
  // and loses it on pv1: LVM2 then warns "ignoring metadata seqno 2 on pv1" until a write.
  const overflow = library.find((s) => s.scenario.name === "snapshot-overflow")!.scenario;
  const spec = {
    scenario: overflow.name,
    seed: 1,
    crashPoint: { kind: "write", index: 163, label: "write 163" },
  } as const;

  it("runs the operator's vgck --updatemetadata when a whole-write cut left copies disagreeing", () => {
    const run = executeCase(overflow, spec);
    expect(run.lvmLog).toContain("$ vgck --updatemetadata vg0");
    expect(run.record.failures.filter((f) => /metadata|seqno/.test(f))).toEqual([]);
  });

  it("still fails the point when commits write a VG no command made (the repair hides no bug)", () => {
    const run = executeCase(overflow, spec, { mutations: new Set([LATER_AREAS_OLD_BODY.name]) });
    expect(run.record.status).toBe("fail");
    expect(run.record.failures.some((f) => /metadata|seqno/.test(f))).toBe(true);
  });
});
