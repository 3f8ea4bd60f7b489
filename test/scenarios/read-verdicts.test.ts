/**
 * Verdicts on what is read, not only on what survives: a verifying job's reads while the workload
 * runs, reads of a mirrored LV before its resync ends (`readsStableThroughResync`), and the blocks
 * of a zeroing thin pool no write reached (`thinZeroed`). Each fails a broken engine and passes
 * the faithful one.
 */
import { describe, expect, it } from "vitest";
import { executeCase } from "../../scenarios/executor.js";
import { loadScenarioModules } from "../../scenarios/load.js";
import type { Scenario } from "../../scenarios/schema.js";

const library = await loadScenarioModules();
const named = (name: string): Scenario => library.find((s) => s.scenario.name === name)!.scenario;

describe("verdicts on reads", () => {
  it("fail a case whose verifying job read back wrong data while it ran", () => {
    const scenario = named("raid1-reads-during-recovery");
    const mutations = new Set(["raid1-reads-past-recovery-offset"]);
    const broken = [1, 2, 3, 4].map(
      (seed) => executeCase(scenario, { scenario: scenario.name, seed }, { mutations }).record,
    );
    const caught = broken.filter((r) => r.failures.some((f) => /job reads read back \d+ lost block/.test(f)));
    expect(caught.length).toBeGreaterThan(0);
    const faithful = executeCase(scenario, { scenario: scenario.name, seed: caught[0]!.seed }).record;
    expect(faithful.status, faithful.failures.join("; ")).toBe("pass");
  });

  it("readsStableThroughResync reads before the resync ends, and fails when there is none to read through", () => {
    const scenario = named("mirror-core-log-cut-reads-during-resync");
    const run = executeCase(scenario, { scenario: scenario.name, seed: 1 });
    expect(run.record.status, run.record.failures.join("; ")).toBe("pass");
    // No cut: the mirror is in sync when recovery ends, so nothing was read through a resync.
    const { swarm: _swarm, ...uncut } = scenario;
    const idle = executeCase(
      { ...uncut, expect: { ...scenario.expect, readsStableThroughResync: ["vg0/m"] } },
      {
        scenario: scenario.name,
        seed: 1,
      },
    ).record;
    expect(idle.failures).toContain(
      "vg0/m was in sync when recovery ended, so no read met a region its resync had not reached",
    );
  });

  it("thinZeroed fails a pool that skips zeroing and an LV no workload wrote", () => {
    const scenario = named("thin-zeroing-reuses-blocks");
    const mutations = new Set(["dm.thin.skips-block-zeroing"]);
    const broken = executeCase(scenario, { scenario: scenario.name, seed: 1 }, { mutations }).record;
    expect(broken.status).toBe("fail");
    expect(broken.verify.misdirected + broken.verify.corrupt + broken.verify.stale).toBeGreaterThan(0);
    const unwritten = executeCase(
      { ...scenario, expect: { ...scenario.expect, thinZeroed: ["vg0/pool"] } },
      { scenario: scenario.name, seed: 1 },
    ).record;
    expect(unwritten.failures).toContain(
      "thinZeroed names vg0/pool, which no workload wrote, so nothing was read back",
    );
  });

  it("fail a subset cut that kept every cached write, and pass the faithful one", () => {
    const scenario = named("fua-overwrite-power-cut");
    const mutations = new Set(["block.crash-state.subset-keeps-all"]);
    const broken = executeCase(scenario, { scenario: scenario.name, seed: 1 }, { mutations }).record;
    expect(
      broken.failures.some((f) => /^the subset power cut kept (\d+) of \1 cached writes on /.test(f)),
    ).toBe(true);
    const faithful = executeCase(scenario, { scenario: scenario.name, seed: 1 }).record;
    expect(faithful.status, faithful.failures.join("; ")).toBe("pass");
  });
});
