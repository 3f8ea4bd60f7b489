/**
 * After every nightly thin scenario (seed 1: its power cut, recovery and checks), the real
 * `thin_check` from thin-provisioning-tools accepts the pool metadata lvmlab's kernel left on disk.
 */
import { describe, expect, it } from "vitest";
import { livePool } from "../../engine/lvm/thin/status.js";
import { executeCase } from "../../scenarios/executor.js";
import thinScenarios from "../../scenarios/library/thin.scenario.js";
import { lvImage, poolMetadataImage } from "../engine/lvm/thin/helpers.js";
import { imageOf, thinCheck, thinToolsUnavailable } from "../engine/persistent-data/thin-tools.js";

const skip = thinToolsUnavailable();

describe("real thin_check after the nightly thin scenarios", () => {
  for (const scenario of thinScenarios) {
    it.skipIf(skip)(`accepts vg0/pool after ${scenario.name}`, () => {
      const run = executeCase(scenario, { scenario: scenario.name, seed: 1 });
      expect(run.record.status, JSON.stringify(run.record.failures)).toBe("pass");
      // No green without work: a scenario with a power cut really cut power.
      if (scenario.faults.length > 0) expect(run.record.faults.length).toBeGreaterThan(0);
      const pool = livePool(run.machine.host, "vg0", "pool");
      expect(pool, "the pool is active after recovery").toBeDefined();
      const check = thinCheck(imageOf(pool!.metadataDevice));
      expect(check.status, check.stderr).toBe(0);
      expect(check.stdout).toMatch(/TRANSACTION_ID=\d+/);
    });
  }
});

describe("real thin_check after thin-repair", () => {
  it.skipIf(skip)("rejects the damaged copy kept as pool_meta0: the corruption was real", () => {
    const scenario = thinScenarios.find((s) => s.name === "thin-repair")!;
    const run = executeCase(scenario, { scenario: scenario.name, seed: 2 });
    expect(run.record.status, JSON.stringify(run.record.failures)).toBe("pass");
    const fault = run.record.faults[0] as { effect?: { structure?: string } };
    expect(fault.effect?.structure).toBe("space-map");
    const meta0 = thinCheck(lvImage(run.machine.host, "pool_meta0"));
    expect(meta0.status).not.toBe(0);
    const pool = thinCheck(poolMetadataImage(run.machine.host, "pool"));
    expect(pool.status, pool.stderr).toBe(0);
  });
});
