import { describe, expect, it } from "vitest";
import { Scheduler } from "../../engine/sim/scheduler.js";
import { Trace } from "../../engine/sim/trace.js";
import { parseFaultSpec, type Trigger, type Window } from "../../faults/schema.js";
import {
  armTrigger,
  armWindow,
  FaultBus,
  type FiredAt,
  MUTATION_TRIGGER_ONE_LATE,
  TRIGGER_ONE_LATE,
  type TriggerContext,
  WriteTap,
} from "../../faults/trigger.js";
import { makeMachine, runWorkload } from "./machine.js";

function context(): TriggerContext {
  return { trace: new Trace(), scheduler: new Scheduler(), writes: new WriteTap(), bus: new FaultBus() };
}

function trigger(at: unknown): Trigger {
  return parseFaultSpec({ kind: "power-cut", at }).at;
}

function write(ctx: TriggerContext, device: string, writeIndex: number, issueNs = 0): void {
  ctx.writes.observe({ device, offsetBytes: 0, lengthBytes: 512, issueNs, writeIndex });
}

describe("triggers", () => {
  it("fires once at the Nth occurrence of a matching event and never before", () => {
    const ctx = context();
    const fired: FiredAt[] = [];
    armTrigger(trigger({ event: "pvmove.checkpoint", occurrence: 3 }), ctx, {
      label: "t",
      onFire: (f) => fired.push(f),
    });
    ctx.trace.emit("pvmove.checkpoint");
    ctx.trace.emit("other");
    ctx.trace.emit("pvmove.checkpoint");
    expect(fired).toEqual([]);
    ctx.trace.emit("pvmove.checkpoint");
    ctx.trace.emit("pvmove.checkpoint");
    expect(fired).toEqual([{ tNs: 0, event: "pvmove.checkpoint", eventIndex: 4, occurrence: 3 }]);
  });

  it("counts only events whose data match where", () => {
    const ctx = context();
    const fired: FiredAt[] = [];
    armTrigger(trigger({ event: "mirror.region.mark", where: { region: 2 }, occurrence: 2 }), ctx, {
      label: "t",
      onFire: (f) => fired.push(f),
    });
    for (const region of [1, 2, 1, 3, 2, 2]) ctx.trace.emit("mirror.region.mark", { region });
    expect(fired.map((f) => f.eventIndex)).toEqual([5]);
  });

  it("counts writes per device, or across the VG without a device", () => {
    const ctx = context();
    const perDevice: FiredAt[] = [];
    const vgWide: FiredAt[] = [];
    armTrigger(trigger({ write: 2, device: "pv1" }), ctx, { label: "a", onFire: (f) => perDevice.push(f) });
    armTrigger(trigger({ write: 3 }), ctx, { label: "b", onFire: (f) => vgWide.push(f) });
    write(ctx, "pv0", 1, 10);
    write(ctx, "pv1", 1, 20);
    write(ctx, "pv0", 2, 30);
    write(ctx, "pv1", 2, 40);
    write(ctx, "pv1", 3, 50);
    expect(vgWide).toEqual([{ tNs: 30, device: "pv0", writeIndex: 2, vgWriteIndex: 3 }]);
    expect(perDevice).toEqual([{ tNs: 40, device: "pv1", writeIndex: 2, vgWriteIndex: 4 }]);
    expect(ctx.writes.vgWriteCount).toBe(5);
  });

  it("fires at a virtual time through the scheduler and refuses a time in the past", () => {
    const ctx = context();
    const fired: FiredAt[] = [];
    armTrigger(trigger({ timeNs: 700 }), ctx, { label: "t", onFire: (f) => fired.push(f) });
    ctx.scheduler.run(699);
    expect(fired).toEqual([]);
    ctx.scheduler.run();
    expect(fired).toEqual([{ tNs: 700 }]);
    expect(() => armTrigger(trigger({ timeNs: 5 }), ctx, { label: "late", onFire: () => {} })).toThrow(
      /Cannot arm late at.timeNs 5: the clock is already at 700 ns/,
    );
  });

  it("follows another fault's edge, immediately or after a delay", () => {
    const ctx = context();
    const fired: string[] = [];
    armTrigger(trigger({ after: "stall" }), ctx, { label: "now", onFire: (f) => fired.push(`now@${f.tNs}`) });
    armTrigger(trigger({ after: "stall", edge: "cleared", delayNs: 50 }), ctx, {
      label: "later",
      onFire: (f) => fired.push(`later@${f.tNs}:${f.after}`),
    });
    ctx.bus.announce("other", "fired", 1);
    ctx.bus.announce("stall", "fired", 100);
    ctx.scheduler.run(200);
    ctx.bus.announce("stall", "cleared", 200);
    ctx.scheduler.run();
    expect(fired).toEqual(["now@100", "later@250:stall"]);
  });

  it("disarming stops a trigger that has not fired", () => {
    const ctx = context();
    let fired = 0;
    const disarm = armTrigger(trigger({ event: "e" }), ctx, { label: "t", onFire: () => (fired += 1) });
    const disarmTime = armTrigger(trigger({ timeNs: 10 }), ctx, { label: "t", onFire: () => (fired += 1) });
    disarm();
    disarmTime();
    ctx.trace.emit("e");
    ctx.scheduler.run();
    expect(fired).toBe(0);
  });

  it("ends a window after a duration or at the Nth later event", () => {
    const ctx = context();
    const ends: FiredAt[] = [];
    const win = (w: unknown): Window => {
      const spec = parseFaultSpec({ kind: "pv-loss", device: "d", at: { timeNs: 0 }, window: w });
      if (!("window" in spec) || spec.window === undefined) throw new Error("expected a window");
      return spec.window;
    };
    ctx.trace.emit("tick");
    armWindow(win({ untilEvent: "tick", occurrence: 2 }), ctx, {
      startNs: 0,
      label: "w",
      onEnd: (e) => ends.push(e),
    });
    armWindow(win({ durationNs: 300 }), ctx, { startNs: 100, label: "d", onEnd: (e) => ends.push(e) });
    ctx.trace.emit("tick");
    expect(ends).toEqual([]);
    ctx.trace.emit("tick");
    ctx.scheduler.run();
    expect(ends).toEqual([{ tNs: 0, event: "tick", eventIndex: 3, occurrence: 3 }, { tNs: 400 }]);
  });
});

describe("the fires-one-late mutation", () => {
  // The firing points the injector reports for a write trigger and an event trigger.
  function firingPoints(mutations: ReadonlySet<string>) {
    const machine = makeMachine({
      specs: [
        { kind: "pv-loss", device: "pv1", at: { write: 3, device: "pv1" } },
        { kind: "slow-device", device: "pv0", addNs: 1, at: { event: "workload.step", occurrence: 4 } },
      ],
      mutations,
    });
    runWorkload(machine, 12);
    return Object.fromEntries(
      machine.sink.fired.map((r) => [r.kind, r.firedAt.writeIndex ?? r.firedAt.occurrence]),
    );
  }

  it("is caught: the suite's firing-point checks see the trigger fire one late", () => {
    expect(firingPoints(new Set())).toEqual({ "pv-loss": 3, "slow-device": 4 });
    expect(firingPoints(new Set([MUTATION_TRIGGER_ONE_LATE]))).toEqual({ "pv-loss": 4, "slow-device": 5 });
    expect(TRIGGER_ONE_LATE.name).toBe(MUTATION_TRIGGER_ONE_LATE);
  });
});

describe("after triggers on faults that clear more than once", () => {
  it("fire once, after the first clearing", () => {
    const machine = makeMachine({
      specs: [
        { id: "moves", kind: "misdirected-write", at: { write: 2, device: "pv1" }, count: 2 },
        {
          kind: "slow-device",
          device: "pv0",
          addNs: 5,
          at: { after: "moves", edge: "cleared", delayNs: 10 },
        },
      ],
    });
    runWorkload(machine, 10);
    expect(machine.sink.records.filter((r) => r.type === "fault-cleared")).toHaveLength(2);
    expect(machine.sink.fired.map((r) => `${r.kind}@${r.firedAt.tNs}`)).toEqual([
      "misdirected-write@3000",
      "slow-device@3010",
    ]);
  });
});
