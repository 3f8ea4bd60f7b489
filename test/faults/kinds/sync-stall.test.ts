import { describe, expect, it } from "vitest";
import { MemoryDevice } from "../../../engine/block/memory.js";
import { MirrorTarget } from "../../../engine/dm/mirror/mirror.js";
import { startMirrorResync } from "../../../engine/dm/mirror/resync-driver.js";
import { Rng } from "../../../engine/sim/rng.js";
import { Scheduler } from "../../../engine/sim/scheduler.js";
import { Trace } from "../../../engine/sim/trace.js";
import { stallableDriver } from "../../../faults/adapters.js";
import { FaultInjector } from "../../../faults/compose.js";
import { ArrayFaultSink, type FaultRecord } from "../../../faults/record.js";
import { type FaultSpecInput, parseFaultSpecs } from "../../../faults/schema.js";
import { makeMachine, runAndReplay, runWorkload } from "../machine.js";

const KiB = 1024;
// 8 regions of 32 KiB, 10 regions per second of virtual time: one step every 100 ms.
const STEP_NS = 100_000_000;

function mirrorRig(specs: readonly FaultSpecInput[] | { records: readonly FaultRecord[] }) {
  const scheduler = new Scheduler();
  const trace = new Trace();
  const sink = new ArrayFaultSink();
  const options = { rng: Rng.fromSeed(1).fork("faults"), trace, scheduler, sink };
  const injector =
    "records" in specs
      ? FaultInjector.fromRecords(specs.records, options)
      : new FaultInjector(parseFaultSpecs(specs), options);
  const legs = [0, 1].map((i) => injector.wrap(new MemoryDevice(`pv${i}`, 256 * KiB)));
  legs[0]!.write(0, new Uint8Array(256 * KiB).fill(0xab));
  const mirror = new MirrorTarget("vg-lv", {
    lengthSectors: (256 * KiB) / 512,
    regionSizeSectors: 64,
    legs: legs.map((device) => ({ device, offsetSectors: 0 })),
    syncSpeedBytesPerSecond: 32 * KiB * 10,
    trace,
  });
  const stepTimes: number[] = [];
  trace.subscribe((e) => {
    if (e.name === "mirror.resync.step") stepTimes.push(scheduler.nowNs);
  });
  const driver = stallableDriver(() => startMirrorResync(mirror, scheduler), { scheduler });
  injector.registerSyncTarget("vg-lv", driver);
  injector.arm();
  return { scheduler, mirror, stepTimes, sink, driver, legs };
}

describe("sync-stall", () => {
  it("stops a real mirror resync at the 2nd resync step for its window, then lets it finish", () => {
    const rig = mirrorRig([
      {
        kind: "sync-stall",
        target: "vg-lv",
        at: { event: "mirror.resync.step", occurrence: 2 },
        window: { durationNs: 1_000_000_000 },
      },
    ]);
    rig.scheduler.run();
    expect(rig.mirror.inSync).toBe(true);
    expect(rig.stepTimes.slice(0, 2)).toEqual([0, STEP_NS]);
    // Nothing during the 1 s stall; the copy resumes when it ends.
    expect(rig.stepTimes[2]).toBe(STEP_NS + 1_000_000_000);
    expect(rig.stepTimes.every((t) => t <= STEP_NS || t >= STEP_NS + 1_000_000_000)).toBe(true);
    expect(rig.sink.records.map((r) => r.type)).toEqual(["fault", "fault-cleared"]);
  });

  it("nested stalls release the copy only when the last one ends", () => {
    const rig = mirrorRig([
      {
        kind: "sync-stall",
        target: "vg-lv",
        at: { timeNs: 50_000_000 },
        window: { durationNs: 500_000_000 },
      },
      {
        kind: "sync-stall",
        target: "vg-lv",
        at: { timeNs: 250_000_000 },
        window: { durationNs: 700_000_000 },
      },
    ]);
    rig.scheduler.run();
    expect(rig.stepTimes.filter((t) => t > 0 && t < 950_000_000)).toEqual([]);
    expect(rig.stepTimes[1]).toBe(950_000_000);
    expect(rig.mirror.inSync).toBe(true);
  });

  it("replays from its records with the same step times", () => {
    const first = mirrorRig([
      {
        kind: "sync-stall",
        target: "vg-lv",
        at: { event: "mirror.resync.step", occurrence: 3 },
        window: { durationNs: 3e8 },
      },
    ]);
    first.scheduler.run();
    const replay = mirrorRig({ records: first.sink.fired });
    replay.scheduler.run();
    expect(replay.stepTimes).toEqual(first.stepTimes);
    expect(replay.sink.records).toEqual(first.sink.records);
  });

  it("slow-leg adds the delay to every request on that leg only, for the window", () => {
    const machine = makeMachine({
      specs: [
        {
          kind: "sync-stall",
          mode: "slow-leg",
          device: "pv1",
          delayNs: 5_000_000,
          at: { timeNs: 2500 },
          window: { durationNs: 4000 },
        },
      ],
    });
    const outcomes = runWorkload(machine, 10);
    const latency = outcomes.map((o) => `${o.step}:${(o.doneNs ?? 0) - o.step * 1000}`);
    // pv1 takes odd steps; 3 and 5 fall in [2500, 6500).
    expect(latency).toEqual([
      "1:0",
      "2:0",
      "3:5000000",
      "4:0",
      "5:5000000",
      "6:0",
      "7:0",
      "8:0",
      "9:0",
      "10:0",
    ]);
    const { first, replay } = runAndReplay(
      { specs: [{ kind: "sync-stall", mode: "slow-leg", device: "pv0", at: { write: 2 } }] },
      8,
    );
    expect(replay.outcomes).toEqual(first.outcomes);
  });

  it("names a missing target clearly when it fires", () => {
    const machine = makeMachine({ specs: [{ kind: "sync-stall", target: "vg-nope", at: { timeNs: 10 } }] });
    expect(() => machine.scheduler.run()).toThrow(
      /targets vg-nope, which is not a registered sync target \(have: none\)/,
    );
  });
});
