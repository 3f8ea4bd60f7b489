import { describe, expect, it } from "vitest";
import { MUTATION_FUA_STAYS_VOLATILE } from "../../engine/block/cache.js";
import { executeCase } from "../../scenarios/executor.js";
import { loadScenarioModules } from "../../scenarios/load.js";
import { failureSignature, shrinkCase } from "../../scenarios/shrink.js";

const library = await loadScenarioModules();

describe("shrinkCase", () => {
  it("reduces a failing case to fewer I/Os that still fail, within its budget", () => {
    const { scenario } = library.find((s) => s.scenario.name === "linear-fua-power-cut")!;
    const mutations = new Set([MUTATION_FUA_STAYS_VOLATILE]);
    const spec = { scenario: scenario.name, seed: 1 };
    expect(executeCase(scenario, spec, { mutations }).record.status).toBe("fail");
    const result = shrinkCase(scenario, spec, { mutations, maxRuns: 60 });
    expect(result.runs).toBeLessThanOrEqual(60);
    expect(executeCase(result.scenario, result.spec, { mutations }).record.status).toBe("fail");
    const phase = result.scenario.phases[0]!;
    if (!("workload" in phase)) throw new Error("expected a workload phase");
    expect(phase.workload.jobs[0]!.number_ios).toBeLessThan(300);
    expect(result.steps.some((s) => s.includes("number_ios"))).toBe(true);
    // The fault is what makes it fail, so it must survive shrinking.
    expect(result.scenario.faults).toHaveLength(1);
    // It fails the same way: the same expectation, not "fault did not fire" once the I/Os that
    // reach the cut are gone.
    const original = executeCase(scenario, spec, { mutations }).record.failures[0]!;
    expect(result.signature).toBe(failureSignature(original));
    const shrunk = executeCase(result.scenario, result.spec, { mutations }).record.failures;
    expect(shrunk.map(failureSignature)).toContain(result.signature);
    expect(shrunk.some((f) => f.startsWith("fault did not fire"))).toBe(false);
  });

  it("takes a failure's signature as the expectation that failed, whatever its counts", () => {
    const lost = "3 lost block(s) after recovery: acknowledged data was not preserved";
    expect(failureSignature(lost)).toBe(failureSignature(lost.replace("3", "17")));
    expect(failureSignature(lost)).not.toBe(
      failureSignature("fault did not fire: power-cut#0 (at write 120) was never reached"),
    );
  });

  it("refuses a case that does not fail", () => {
    const { scenario } = library.find((s) => s.scenario.name === "linear-fua-power-cut")!;
    expect(() => shrinkCase(scenario, { scenario: scenario.name, seed: 1 })).toThrow(/does not fail/);
  });
});
