import { describe, expect, it } from "vitest";
import {
  makeMachine,
  readMedia,
  runAndReplay,
  runCase,
  runWorkload,
  stepData,
  stepTarget,
} from "../machine.js";

const devices = ["pv0", "pv1"];
// pv1's 2nd write is step 3: 4 sectors at sector 111.
const step3 = stepTarget(3, devices);

function sectorsOnMedia(machine: ReturnType<typeof makeMachine>): ("new" | "old")[] {
  const data = stepData(3, step3.lengthBytes);
  const media = readMedia(machine, "pv1", step3.offsetBytes, step3.lengthBytes);
  return [0, 1, 2, 3].map((s) => {
    const span = media.subarray(s * 512, (s + 1) * 512);
    if (span.every((b, i) => b === data[s * 512 + i])) return "new";
    if (span.every((b) => b === 0)) return "old";
    throw new Error(`sector ${s} is neither old nor new`);
  });
}

describe("torn-write", () => {
  it("tears exactly the triggering write to the given sectors and reports success", () => {
    const { machine, outcomes } = runCase(
      { specs: [{ kind: "torn-write", at: { write: 2, device: "pv1" }, keepSectors: [0, 2] }] },
      6,
    );
    expect(step3.lengthBytes).toBe(2048);
    expect(outcomes.every((o) => o.error === undefined)).toBe(true);
    expect(sectorsOnMedia(machine)).toEqual(["new", "old", "new", "old"]);
    // Every other write landed whole.
    for (const step of [1, 2, 4, 5, 6]) {
      const t = stepTarget(step, devices);
      expect(readMedia(machine, t.device, t.offsetBytes, t.lengthBytes)).toEqual(
        stepData(step, t.lengthBytes),
      );
    }
    const cleared = machine.sink.records.find((r) => r.type === "fault-cleared");
    expect(cleared?.effect).toMatchObject({ keptSectors: [0, 2], lostSectors: [1, 3], writeIndex: 2 });
  });

  it("after an event trigger, tears the next write to the named device", () => {
    const machine = makeMachine({
      specs: [
        {
          kind: "torn-write",
          device: "pv1",
          at: { event: "workload.step", occurrence: 3 },
          pattern: "prefix",
        },
      ],
    });
    runWorkload(machine, 6);
    const states = sectorsOnMedia(machine);
    const kept = states.filter((s) => s === "new").length;
    expect(kept).toBeLessThan(4);
    expect(states).toEqual(["new", "new", "new", "new"].map((_, i) => (i < kept ? "new" : "old")));
    expect(machine.sink.fired[0]?.effect).toEqual({ device: "pv1", pending: true });
  });

  it("is seeded: same seed same bytes, other seeds other tears, and the record replays", () => {
    const specs = [{ kind: "torn-write" as const, at: { write: 2, device: "pv1" } }];
    const tears = new Set<string>();
    for (let seed = 1; seed <= 12; seed += 1) {
      const a = runCase({ seed, specs }, 6);
      const b = runCase({ seed, specs }, 6);
      expect(b.hashes).toEqual(a.hashes);
      const states = sectorsOnMedia(a.machine);
      expect(states).toContain("old");
      tears.add(states.join(","));
    }
    expect(tears.size).toBeGreaterThan(1);
    const { first, replay } = runAndReplay({ seed: 5, specs }, 6);
    expect(replay.hashes).toEqual(first.hashes);
    expect(replay.machine.sink.records).toEqual(first.machine.sink.records);
  });

  it("refuses an event trigger without a device", () => {
    const machine = makeMachine({ specs: [{ kind: "torn-write", at: { event: "workload.step" } }] });
    expect(() => runWorkload(machine, 2)).toThrow(
      /names no device; set device, or trigger it at a block write/,
    );
  });
});
