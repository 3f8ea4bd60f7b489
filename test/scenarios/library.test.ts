import { describe, expect, it } from "vitest";
import { executeCase } from "../../scenarios/executor.js";
import { loadScenarioModules } from "../../scenarios/load.js";

const library = await loadScenarioModules();

describe("the scenario library", () => {
  it("has unique names and every scenario runs in the nightly suite or says why not", () => {
    const names = library.map((s) => s.scenario.name);
    expect(new Set(names).size).toBe(names.length);
    expect(library.length).toBeGreaterThanOrEqual(15);
  });

  for (const { scenario } of library) {
    it(`${scenario.name} passes on seed 1`, () => {
      const { record, lvmLog } = executeCase(scenario, { scenario: scenario.name, seed: 1 });
      expect(record.failures, lvmLog.slice(-20).join("\n")).toEqual([]);
      expect(record.status).toBe("pass");
      // A scenario that checks nothing is not a test: every one reads data back or checks metadata.
      expect(record.verify.ok + record.verify.unreadable + record.verify.corrupt).toBeGreaterThan(0);
    });
  }
});

describe("determinism", () => {
  it("the same case gives the same record byte for byte", () => {
    for (const { scenario } of library.slice(0, 6)) {
      const a = JSON.stringify(executeCase(scenario, { scenario: scenario.name, seed: 3 }).record);
      const b = JSON.stringify(executeCase(scenario, { scenario: scenario.name, seed: 3 }).record);
      expect(a).toBe(b);
    }
  });

  it("different seeds drive different I/O", () => {
    const { scenario } = library.find((s) => s.scenario.name === "linear-power-cut-subset")!;
    const a = executeCase(scenario, { scenario: scenario.name, seed: 1 }).machine;
    const b = executeCase(scenario, { scenario: scenario.name, seed: 2 }).machine;
    const digest = (m: typeof a) => [...m.pvs.map((pv) => pv.media.stats.writeBytes)].join(",");
    const pages = (m: typeof a) => m.scheduler.nowNs;
    expect(`${digest(a)}|${pages(a)}`).not.toBe(`${digest(b)}|${pages(b)}`);
  });
});
