import { describe, expect, it } from "vitest";
import { MUTATION_FUA_STAYS_VOLATILE } from "../../engine/block/mod.js";
import { type BranchStats, canBranch, exploreByBranching } from "../../scenarios/branch-explore.js";
import type { CaseSpec } from "../../scenarios/case.js";
import { discoverCrashPoints } from "../../scenarios/crash-points.js";
import { executeCase } from "../../scenarios/executor.js";
import { loadLibrary } from "../../scenarios/load.js";
import { localRunner } from "../../scenarios/local-runner.js";
import type { CaseResult } from "../../scenarios/records.js";
import type { Scenario } from "../../scenarios/schema.js";
import { runSweep } from "../../scenarios/sweep.js";

const library = await loadLibrary();

function scenario(name: string): Scenario {
  const found = library.find((s) => s.scenario.name === name);
  if (found === undefined) throw new Error(`no scenario ${name}`);
  return found.scenario;
}

function reexecute(declared: Scenario, spec: CaseSpec, mutations?: ReadonlySet<string>): CaseResult {
  const { record, timeline } = executeCase(declared, spec, mutations === undefined ? {} : { mutations });
  return { record, timeline };
}

/** Every point of (scenario, seed) under `policy`, both ways; the records and timelines must match byte for byte. */
function compareEveryPoint(
  name: string,
  seed: number,
  policy?: string,
  mutations?: ReadonlySet<string>,
  every = 1,
) {
  const declared = scenario(name);
  const points = discoverCrashPoints(declared, seed, mutations === undefined ? {} : { mutations }).filter(
    (_, i) => i % every === 0,
  );
  const cases: CaseSpec[] = points.map((crashPoint) => ({
    scenario: name,
    seed,
    crashPoint,
    ...(policy === undefined ? {} : { policy }),
  }));
  const stats: BranchStats = { sharedRecoveries: 0 };
  const branched = exploreByBranching(declared, cases, mutations === undefined ? {} : { mutations }, stats);
  const reexecuted = cases.map((spec) => reexecute(declared, spec, mutations));
  return { points, branched, reexecuted, stats };
}

describe("exploreByBranching gives every point the record re-execution gives", () => {
  // One small scenario per crash-policy kind; each compares every point of the run, not a sample.
  const policies = ["drop-all", "keep-all", "subset", "torn", "prefix:2"] as const;
  for (const policy of policies) {
    it(`metadata-commit-power-cut seed 1, ${policy}`, () => {
      const { points, branched, reexecuted } = compareEveryPoint("metadata-commit-power-cut", 1, policy);
      expect(points.length).toBeGreaterThan(10);
      expect(points.some((p) => p.kind === "event")).toBe(true);
      expect(points.some((p) => p.kind === "write")).toBe(true);
      for (const [i, result] of branched.entries()) {
        expect(JSON.stringify(result), points[i]!.label).toBe(JSON.stringify(reexecuted[i]));
      }
      // The cut fired at every point (a branch that never fired would not be a crash test).
      for (const result of branched) expect(result.record.faults.map((f) => f.kind)).toContain("power-cut");
    });
  }

  it("raid1-power-cut-ordinary-writes seed 1 (a raid1 LV and its monitor on the machine)", () => {
    const { points, branched, reexecuted } = compareEveryPoint("raid1-power-cut-ordinary-writes", 1);
    expect(points.length).toBeGreaterThan(2);
    expect(branched.map((r) => JSON.stringify(r))).toEqual(reexecuted.map((r) => JSON.stringify(r)));
  });

  it("shares one recovery between the points that left the same disks (pvmove-cut-resume, every 6th point)", () => {
    const { points, branched, reexecuted, stats } = compareEveryPoint(
      "pvmove-cut-resume",
      1,
      undefined,
      undefined,
      6,
    );
    // Most points of a drop-all exploration leave what the last flush left: they share.
    expect(stats.sharedRecoveries).toBeGreaterThan(points.length / 2);
    expect(stats.sharedRecoveries).toBeLessThan(points.length);
    expect(branched.map((r) => JSON.stringify(r))).toEqual(reexecuted.map((r) => JSON.stringify(r)));
  });

  it("shares recoveries whose first judge activated thin LVs (thin-discard-under-snapshot, every 2nd point)", () => {
    const { points, branched, reexecuted, stats } = compareEveryPoint(
      "thin-discard-under-snapshot",
      1,
      undefined,
      undefined,
      2,
    );
    expect(stats.sharedRecoveries).toBeGreaterThan(points.length / 2);
    expect(branched.map((r) => JSON.stringify(r))).toEqual(reexecuted.map((r) => JSON.stringify(r)));
  });

  it("matches under an engine mutation too, failing cases included (every 15th point)", () => {
    const mutations = new Set([MUTATION_FUA_STAYS_VOLATILE]);
    const { branched, reexecuted } = compareEveryPoint("linear-fua-power-cut", 1, "drop-all", mutations, 15);
    expect(branched.some((r) => r.record.status === "fail")).toBe(true);
    expect(branched.map((r) => JSON.stringify(r))).toEqual(reexecuted.map((r) => JSON.stringify(r)));
  });
});

describe("exploreByBranching falls back to re-execution where it cannot branch", () => {
  it("refuses scenarios with faults other than power cuts, file-backed PVs and --keep", () => {
    expect(canBranch(scenario("metadata-commit-power-cut"), 1, {})).toBe(true);
    expect(canBranch(scenario("striped-pv-loss"), 1, {})).toBe(false);
    expect(canBranch(scenario("metadata-commit-power-cut"), 1, { storage: { kind: "file" } })).toBe(false);
    expect(canBranch(scenario("metadata-commit-power-cut"), 1, { keepDir: "/tmp/x" })).toBe(false);
  });

  it("re-executes a point the run never reaches, which then reports the cut that did not fire", () => {
    const declared = scenario("metadata-commit-power-cut");
    const spec: CaseSpec = {
      scenario: declared.name,
      seed: 1,
      crashPoint: { kind: "write", index: 1_000_000, label: "write 1000000" },
    };
    const [result] = exploreByBranching(declared, [spec]);
    expect(JSON.stringify(result)).toBe(JSON.stringify(reexecute(declared, spec)));
    expect(result!.record.failures.join("\n")).toMatch(/fault did not fire: explore/);
  });

  it("refuses cases of different seeds in one call", () => {
    const declared = scenario("metadata-commit-power-cut");
    const point = { kind: "write" as const, index: 1, label: "write 1" };
    expect(() =>
      exploreByBranching(declared, [
        { scenario: declared.name, seed: 1, crashPoint: point },
        { scenario: declared.name, seed: 2, crashPoint: point },
      ]),
    ).toThrow(/one scenario and seed/);
  });
});

describe("runSweep with branching jobs", () => {
  it("writes the records of --explore-mode reexec, in case order, with several workers' worth of jobs", async () => {
    const loaded = library.filter((s) => s.scenario.name === "metadata-commit-power-cut");
    const runner = localRunner(loaded);
    const sweep = (exploreMode: "branch" | "reexec") =>
      runSweep({ scenarios: loaded, seeds: [1], explore: true, exploreMode, runner, concurrency: 3 });
    const [branched, reexecuted] = [await sweep("branch"), await sweep("reexec")];
    expect(branched.records.length).toBeGreaterThan(10);
    expect(branched.records.map((r) => JSON.stringify(r))).toEqual(
      reexecuted.records.map((r) => JSON.stringify(r)),
    );
  });
});
