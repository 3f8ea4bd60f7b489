import { describe, expect, it } from "vitest";
import { isBlockDeviceError } from "../../../engine/block/errors.js";
import type { FaultyDevice } from "../../../faults/device-wrapper.js";
import { makeMachine, runAndReplay, runWorkload } from "../machine.js";

function readError(pv: FaultyDevice, sector: number, sectors = 1): string | undefined {
  try {
    pv.read(sector * 512, new Uint8Array(sectors * 512));
    return undefined;
  } catch (error) {
    if (isBlockDeviceError(error)) return `${error.code}@${error.offsetBytes}`;
    throw error;
  }
}

describe("latent-sector-errors", () => {
  it("fails reads touching the given sectors with EIO from the firing on, only on that device", () => {
    const machine = makeMachine({
      specs: [{ kind: "latent-sector-errors", device: "pv1", sectors: [10, 20], at: { timeNs: 5000 } }],
    });
    const pv1 = machine.pvs.get("pv1")!;
    machine.scheduler.run(4999);
    expect(readError(pv1, 10)).toBeUndefined();
    machine.scheduler.run();
    expect(readError(pv1, 10)).toBe("EIO@5120");
    expect(readError(pv1, 8, 16)).toBe("EIO@5120");
    expect(readError(pv1, 15, 8)).toBe("EIO@10240");
    expect(readError(pv1, 11, 9)).toBeUndefined();
    expect(readError(machine.pvs.get("pv0")!, 10)).toBeUndefined();
  });

  it("heals a sector on write when healOnWrite, and keeps it bad otherwise", () => {
    for (const healOnWrite of [true, false]) {
      const machine = makeMachine({
        specs: [
          { kind: "latent-sector-errors", device: "pv0", sectors: [3], healOnWrite, at: { timeNs: 0 } },
        ],
      });
      machine.scheduler.run();
      const pv0 = machine.pvs.get("pv0")!;
      pv0.write(2 * 512, new Uint8Array(1024));
      expect(readError(pv0, 3)).toBe(healOnWrite ? undefined : "EIO@1536");
    }
  });

  it("draws a seeded set inside the range, lifts it when the window ends, and replays", () => {
    const spec = {
      kind: "latent-sector-errors" as const,
      device: "pv0",
      count: 5,
      rangeStartSector: 100,
      rangeSectors: 50,
      at: { event: "workload.step", occurrence: 2 },
      window: { untilEvent: "workload.step", occurrence: 3 },
    };
    const sectorsFor = (seed: number) => {
      const machine = makeMachine({ seed, specs: [spec] });
      runWorkload(machine, 3);
      const pv0 = machine.pvs.get("pv0")!;
      const bad = [];
      for (let s = 90; s < 160; s += 1) if (readError(pv0, s) !== undefined) bad.push(s);
      expect(machine.sink.fired[0]?.effect.sectors).toEqual(bad);
      for (let i = 0; i < 3; i += 1) machine.trace.emit("workload.step", { step: 100 + i });
      for (const s of bad) expect(readError(pv0, s)).toBeUndefined();
      return bad;
    };
    const a = sectorsFor(1);
    expect(a).toHaveLength(5);
    expect(a.every((s) => s >= 100 && s < 150)).toBe(true);
    expect(sectorsFor(1)).toEqual(a);
    expect(sectorsFor(2)).not.toEqual(a);
    const { first, replay } = runAndReplay({ specs: [spec] }, 8);
    expect(replay.machine.sink.records).toEqual(first.machine.sink.records);
  });
});
