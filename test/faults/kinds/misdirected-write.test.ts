import { describe, expect, it } from "vitest";
import { readMedia, runAndReplay, runCase, stepData, stepTarget } from "../machine.js";

const devices = ["pv0", "pv1"];
const step3 = stepTarget(3, devices);

describe("misdirected-write", () => {
  it("lands the triggering write at the given offset; the intended sectors keep their old bytes", () => {
    const { machine } = runCase(
      {
        specs: [
          { kind: "misdirected-write", at: { write: 2, device: "pv1" }, targetOffsetBytes: 1500 * 512 },
        ],
      },
      6,
    );
    expect(readMedia(machine, "pv1", step3.offsetBytes, step3.lengthBytes).every((b) => b === 0)).toBe(true);
    expect(readMedia(machine, "pv1", 1500 * 512, step3.lengthBytes)).toEqual(stepData(3, step3.lengthBytes));
    // Only that write moved.
    const step5 = stepTarget(5, devices);
    expect(readMedia(machine, "pv1", step5.offsetBytes, step5.lengthBytes)).toEqual(
      stepData(5, step5.lengthBytes),
    );
    const cleared = machine.sink.records.find((r) => r.type === "fault-cleared");
    expect(cleared?.effect).toEqual({
      device: "pv1",
      writeIndex: 2,
      intendedOffsetBytes: step3.offsetBytes,
      landedOffsetBytes: 1500 * 512,
      lengthBytes: 2048,
    });
  });

  it("misdirects count consecutive writes to a seeded place that is never the intended one", () => {
    const { machine } = runCase(
      { specs: [{ kind: "misdirected-write", at: { write: 2, device: "pv1" }, count: 2 }] },
      8,
    );
    const moves = machine.sink.records.filter((r) => r.type === "fault-cleared").map((r) => r.effect);
    expect(moves.map((m) => m.writeIndex)).toEqual([2, 3]);
    for (const m of moves) {
      expect(m.landedOffsetBytes).not.toBe(m.intendedOffsetBytes);
      expect(Number(m.landedOffsetBytes) % 512).toBe(0);
      expect(Number(m.landedOffsetBytes) + Number(m.lengthBytes)).toBeLessThanOrEqual(1024 * 1024);
    }
    const step7 = stepTarget(7, devices);
    expect(readMedia(machine, "pv1", step7.offsetBytes, step7.lengthBytes)).toEqual(
      stepData(7, step7.lengthBytes),
    );
  });

  it("is seeded: same seed same bytes, another seed another offset, and the record replays", () => {
    const specs = [{ kind: "misdirected-write" as const, at: { write: 2, device: "pv1" } }];
    const a = runCase({ seed: 1, specs }, 6);
    expect(runCase({ seed: 1, specs }, 6).hashes).toEqual(a.hashes);
    expect(runCase({ seed: 2, specs }, 6).hashes.pv1).not.toEqual(a.hashes.pv1);
    expect(runCase({ seed: 2, specs }, 6).hashes.pv0).toEqual(a.hashes.pv0);
    const { first, replay } = runAndReplay({ seed: 3, specs }, 6);
    expect(replay.hashes).toEqual(first.hashes);
    expect(replay.machine.sink.records).toEqual(first.machine.sink.records);
  });
});
