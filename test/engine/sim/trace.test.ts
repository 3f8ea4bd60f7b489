import { describe, expect, it } from "vitest";
import { isSimulationHalt, SimulationHalt } from "../../../engine/sim/halt.js";
import { Trace, type TraceEvent } from "../../../engine/sim/trace.js";

describe("Trace", () => {
  it("numbers events overall and per name", () => {
    const trace = new Trace();
    const seen: TraceEvent[] = [];
    trace.subscribe((e) => seen.push(e));
    trace.emit("metadata.precommit", { seqno: 1 });
    trace.emit("metadata.commit", { seqno: 1 });
    trace.emit("metadata.precommit", { seqno: 2 });
    expect(seen.map((e) => [e.name, e.index, e.occurrence])).toEqual([
      ["metadata.precommit", 1, 1],
      ["metadata.commit", 2, 1],
      ["metadata.precommit", 3, 2],
    ]);
    expect(seen[2]!.data).toEqual({ seqno: 2 });
    expect(trace.count("metadata.precommit")).toBe(2);
    expect(trace.count("metadata.commit")).toBe(1);
    expect(trace.count("pvmove.checkpoint")).toBe(0);
    expect(trace.count()).toBe(3);
  });

  it("counts events even with no listener", () => {
    const trace = new Trace();
    trace.emit("a");
    trace.emit("a");
    expect(trace.count("a")).toBe(2);
  });

  it("calls listeners in subscription order and stops calling after unsubscribe", () => {
    const trace = new Trace();
    const calls: string[] = [];
    trace.subscribe(() => calls.push("first"));
    const off = trace.subscribe(() => calls.push("second"));
    trace.emit("x");
    off();
    trace.emit("x");
    expect(calls).toEqual(["first", "second", "first"]);
  });

  it("lets a listener unsubscribe itself while the event is being delivered", () => {
    const trace = new Trace();
    const calls: string[] = [];
    const off = trace.subscribe(() => {
      calls.push("once");
      off();
    });
    trace.subscribe(() => calls.push("always"));
    trace.emit("x");
    trace.emit("x");
    expect(calls).toEqual(["once", "always", "always"]);
  });

  it("propagates a SimulationHalt thrown by a listener out of emit, at that exact event", () => {
    const trace = new Trace();
    const later: number[] = [];
    trace.subscribe((e) => {
      if (e.name === "pvmove.checkpoint" && e.occurrence === 2)
        throw new SimulationHalt("power-cut", `${e.name}#2`);
    });
    trace.subscribe((e) => later.push(e.index));
    let engineStep = 0;
    let halted: unknown;
    try {
      for (engineStep = 1; engineStep <= 5; engineStep++)
        trace.emit("pvmove.checkpoint", { step: engineStep });
    } catch (error) {
      halted = error;
    }
    expect(isSimulationHalt(halted)).toBe(true);
    expect((halted as SimulationHalt).reason).toBe("power-cut");
    expect((halted as SimulationHalt).message).toBe("Simulation halted (power-cut) at pvmove.checkpoint#2");
    expect(engineStep).toBe(2);
    // The listener after the halting one never saw the halting event.
    expect(later).toEqual([1]);
    expect(isSimulationHalt(new Error("other"))).toBe(false);
  });
});
