/**
 * Operator actions run a command `afterNs` after the Nth trace event of a name, from the
 * scheduler; one that never ran, or exited otherwise than expected, is a failure. End to end, the
 * operator of thin-data-full-grow extends a full pool while its writes are held, and they complete.
 */
import { describe, expect, it } from "vitest";
import { livePool } from "../../engine/lvm/thin/status.js";
import { Scheduler } from "../../engine/sim/scheduler.js";
import { Trace } from "../../engine/sim/trace.js";
import { executeCase } from "../../scenarios/executor.js";
import thinScenarios from "../../scenarios/library/thin.scenario.js";
import { armOperatorActions } from "../../scenarios/operator-actions.js";

const action = (lvm: string, occurrence: number, expectExit = 0) => ({
  on: { event: "thin.pool.mode", occurrence },
  afterNs: 5,
  lvm,
  expectExit,
});

describe("operator actions", () => {
  it("run afterNs after the Nth event, once, and report a wrong exit or an event that never came", () => {
    const machine = { trace: new Trace(), scheduler: new Scheduler() };
    const ran: [string, number][] = [];
    const armed = armOperatorActions(
      machine,
      [action("lvextend a", 2), action("lvs b", 1, 5), action("never", 9)],
      (line) => {
        ran.push([line, machine.scheduler.nowNs]);
        return { exitCode: 0, stderr: "" };
      },
    );
    machine.scheduler.at(10, () => machine.trace.emit("thin.pool.mode", {}));
    machine.scheduler.at(20, () => machine.trace.emit("thin.pool.mode", {}));
    machine.scheduler.at(30, () => machine.trace.emit("thin.pool.mode", {}));
    machine.scheduler.run();
    expect(ran).toEqual([
      ["lvs b", 15],
      ["lvextend a", 25],
    ]);
    expect(armed.failures({ crashed: false })).toEqual([
      'operator[1] "lvs b" exited 0, expected 5: ',
      'operator[2] "never" never ran: thin.pool.mode#9 never happened',
    ]);
    // A crash may end the run before the event: not the action's fault.
    expect(armed.failures({ crashed: true })).toHaveLength(1);
  });

  it("thin-data-full-grow: lvextend 5 s after the pool filled resumes every held write", () => {
    const scenario = thinScenarios.find((s) => s.name === "thin-data-full-grow")!;
    const run = executeCase(scenario, { scenario: scenario.name, seed: 3 });
    expect(run.record.status, JSON.stringify(run.record.failures)).toBe("pass");
    expect(run.lvmLog).toContain("$ lvextend -L +24M vg0/pool");
    const counts = livePool(run.machine.host, "vg0", "pool")!.heldWrites();
    expect(counts.held).toBeGreaterThan(0);
    expect(counts).toMatchObject({ resumed: counts.held, timedOut: 0 });
    expect(run.record.verify.ok).toBeGreaterThan(0);
  });
});
