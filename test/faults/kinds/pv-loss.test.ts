import { describe, expect, it } from "vitest";
import {
  hashDevice,
  makeMachine,
  runAndReplay,
  runCase,
  runWorkload,
  STEP_NS,
  stepTarget,
} from "../machine.js";

const devices = ["pv0", "pv1"];
// Steps alternate devices: odd steps write pv1, even steps pv0.
const pv1Steps = (n: number) =>
  Array.from({ length: n }, (_, i) => i + 1).filter((s) => stepTarget(s, devices).device === "pv1");

describe("pv-loss", () => {
  it("fires at the 3rd write of pv1: earlier writes land, that write and later ones fail ENXIO, pv0 is untouched", () => {
    const { outcomes, machine } = runCase(
      { specs: [{ kind: "pv-loss", device: "pv1", at: { write: 3, device: "pv1" } }] },
      12,
    );
    const onPv1 = outcomes.filter((o) => o.device === "pv1");
    expect(onPv1.map((o) => o.error ?? "ok")).toEqual(["ok", "ok", "ENXIO", "ENXIO", "ENXIO", "ENXIO"]);
    expect(outcomes.filter((o) => o.device === "pv0").every((o) => o.error === undefined)).toBe(true);
    const [record] = machine.sink.fired;
    expect(record?.firedAt).toMatchObject({
      device: "pv1",
      writeIndex: 3,
      vgWriteIndex: 5,
      tNs: 5 * STEP_NS,
    });
    expect(() => machine.pvs.get("pv1")!.read(0, new Uint8Array(512))).toThrow(/ENXIO on pv1 at byte 0/);
    expect(() => machine.pvs.get("pv1")!.flush()).toThrow(/ENXIO/);
    expect(machine.pvs.get("pv0")!.read(0, new Uint8Array(512))).toBe(0);
  });

  it("fires at the Nth VG-wide write when no device is given", () => {
    const { outcomes } = runCase({ specs: [{ kind: "pv-loss", device: "pv0", at: { write: 4 } }] }, 8);
    // VG write 4 is step 4 (pv0); pv0's earlier write (step 2) landed.
    expect(outcomes.map((o) => `${o.step}:${o.device}:${o.error ?? "ok"}`)).toEqual([
      "1:pv1:ok",
      "2:pv0:ok",
      "3:pv1:ok",
      "4:pv0:ENXIO",
      "5:pv1:ok",
      "6:pv0:ENXIO",
      "7:pv1:ok",
      "8:pv0:ENXIO",
    ]);
  });

  it("comes back intact when its time window closes, and its data survived", () => {
    const { outcomes, machine } = runCase(
      {
        specs: [{ kind: "pv-loss", device: "pv1", at: { timeNs: 2500 }, window: { durationNs: 4000 } }],
      },
      12,
    );
    // Lost over [2500, 6500): steps 3 and 5 on pv1 fail; 1, 7, 9, 11 succeed.
    expect(outcomes.filter((o) => o.error !== undefined).map((o) => o.step)).toEqual([3, 5]);
    expect(machine.sink.records.map((r) => r.type)).toEqual(["fault", "fault-cleared"]);
    const step1 = stepTarget(1, devices);
    const back = new Uint8Array(step1.lengthBytes);
    machine.pvs.get("pv1")!.read(step1.offsetBytes, back);
    expect(back.some((b) => b !== 0)).toBe(true);
  });

  it("comes back blank when returnAs is blank, after the Nth matching trace event", () => {
    const machine = makeMachine({
      specs: [
        {
          kind: "pv-loss",
          device: "pv1",
          at: { event: "workload.step", occurrence: 4 },
          window: { untilEvent: "workload.step", occurrence: 2 },
          returnAs: "blank",
        },
      ],
    });
    const outcomes = runWorkload(machine, 8);
    // Fired at step 4, cleared at step 6 (2nd step event after firing), before step 6's write.
    expect(outcomes.filter((o) => o.error !== undefined).map((o) => o.step)).toEqual([5]);
    expect(machine.sink.fired[0]?.firedAt).toMatchObject({
      event: "workload.step",
      occurrence: 4,
      eventIndex: 4,
    });
    const step1 = stepTarget(1, devices);
    const back = new Uint8Array(step1.lengthBytes);
    machine.pvs.get("pv1")!.read(step1.offsetBytes, back);
    expect(back.every((b) => b === 0)).toBe(true);
  });

  it("leaves the same bytes for the same seed and replays from its record", () => {
    const specs = [
      {
        kind: "pv-loss" as const,
        device: "pv1",
        at: { write: 2, device: "pv1" },
        window: { durationNs: 3000 },
      },
    ];
    const { first, replay } = runAndReplay({ specs }, 16);
    expect(replay.hashes).toEqual(first.hashes);
    expect(replay.outcomes).toEqual(first.outcomes);
    expect(replay.machine.sink.records).toEqual(first.machine.sink.records);
    expect(pv1Steps(16).length).toBe(8);
    expect(hashDevice(first.machine.media.get("pv1")!)).not.toEqual(runCase({ specs: [] }, 16).hashes.pv1);
  });
});
