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
// Fired at 500 ns; up 2000, down 2000: down over [2500, 4500), [6500, 8500), ...
const base = { kind: "flakey" as const, device: "pv0", at: { timeNs: 500 }, upNs: 2000, downNs: 2000 };

describe("flakey", () => {
  it("with no feature fails every pv0 request while down, and only while down", () => {
    const { outcomes } = runCase({ specs: [base] }, 10);
    // pv0 gets even steps: 4 (t=4000) and 8 (t=8000) fall in down intervals.
    expect(outcomes.filter((o) => o.error !== undefined).map((o) => `${o.step}:${o.error}`)).toEqual([
      "4:EIO",
      "8:EIO",
    ]);
  });

  it("drop_writes acknowledges writes while down but never stores them", () => {
    const { outcomes, machine } = runCase({ specs: [{ ...base, dropWrites: true }] }, 10);
    expect(outcomes.every((o) => o.error === undefined)).toBe(true);
    const step4 = stepTarget(4, devices);
    expect(readMedia(machine, "pv0", step4.offsetBytes, step4.lengthBytes).every((b) => b === 0)).toBe(true);
    const step6 = stepTarget(6, devices);
    expect(readMedia(machine, "pv0", step6.offsetBytes, step6.lengthBytes)).toEqual(
      stepData(6, step6.lengthBytes),
    );
  });

  it("error_reads fails reads while down and lets writes through", () => {
    const machine = makeMachine({ specs: [{ ...base, errorReads: true }] });
    const outcomes = runWorkload(machine, 10);
    expect(outcomes.every((o) => o.error === undefined)).toBe(true);
    const pv0 = machine.pvs.get("pv0")!;
    expect(() => pv0.read(0, new Uint8Array(512), { issueNs: 3000 })).toThrow(/EIO on pv0 .*reads fail/);
    expect(pv0.read(0, new Uint8Array(512), { issueNs: 5000 })).toBe(5000);
  });

  it("corrupt_bio_byte w sets the Nth byte of writes while down; the window ends the flakiness", () => {
    const { machine } = runCase(
      {
        specs: [
          { ...base, corruptBioByte: { nth: 3, direction: "w", value: 0xee }, window: { durationNs: 6000 } },
        ],
      },
      10,
    );
    const step4 = stepTarget(4, devices);
    const expected = stepData(4, step4.lengthBytes);
    expected[2] = 0xee;
    expect(readMedia(machine, "pv0", step4.offsetBytes, step4.lengthBytes)).toEqual(expected);
    // Step 8 (t=8000) is in a down interval, but the window closed at 6500.
    const step8 = stepTarget(8, devices);
    expect(readMedia(machine, "pv0", step8.offsetBytes, step8.lengthBytes)).toEqual(
      stepData(8, step8.lengthBytes),
    );
    expect(machine.sink.records.map((r) => r.type)).toEqual(["fault", "fault-cleared"]);
  });

  it("leaves the same bytes every run and replays from its record", () => {
    const { first, replay } = runAndReplay({ specs: [{ ...base, dropWrites: true }] }, 12);
    expect(replay.hashes).toEqual(first.hashes);
    expect(replay.outcomes).toEqual(first.outcomes);
    expect(first.hashes.pv0).not.toBe(runCase({ specs: [] }, 12).hashes.pv0);
  });
});
