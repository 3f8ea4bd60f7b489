import { describe, expect, it } from "vitest";
import { MemoryDevice } from "../../../engine/block/memory.js";
import {
  hashDevice,
  MiB,
  makeMachine,
  readMedia,
  runAndReplay,
  runCase,
  runWorkload,
  stepData,
  stepTarget,
} from "../machine.js";

const blank = hashDevice(new MemoryDevice("blank", MiB));
const devices = ["pv0", "pv1"];

describe("power-cut", () => {
  it("halts at the 5th VG write, before it is issued, and drop-all loses every unflushed write", () => {
    const result = runCase(
      { cached: true, specs: [{ kind: "power-cut", at: { write: 5 }, policy: { kind: "drop-all" } }] },
      10,
    );
    expect(result.halt?.reason).toBe("power-cut");
    expect(result.halt?.at).toContain("write 3 on pv1 (VG write 5");
    expect(result.outcomes.map((o) => o.step)).toEqual([]);
    expect(result.powerCut?.map((o) => [o.device, o.policy.kind, o.cached])).toEqual([
      ["pv0", "drop-all", true],
      ["pv1", "drop-all", true],
    ]);
    expect(result.powerCut?.map((o) => (o.kept as { pendingWrites: number }).pendingWrites)).toEqual([2, 2]);
    const resolved = result.machine.sink.records.find((r) => r.type === "fault-cleared");
    expect(resolved?.effect).toEqual({
      devices: [
        {
          device: "pv0",
          policy: "drop-all",
          cached: true,
          pendingWrites: 2,
          keptWrites: 0,
          tornWrites: 0,
          droppedWrites: 2,
          keptSectors: 0,
        },
        {
          device: "pv1",
          policy: "drop-all",
          cached: true,
          pendingWrites: 2,
          keptWrites: 0,
          tornWrites: 0,
          droppedWrites: 2,
          keptSectors: 0,
        },
      ],
    });
    expect(result.hashes).toEqual({ pv0: blank, pv1: blank });
  });

  it("keep-all keeps exactly the writes issued before the cut", () => {
    const result = runCase(
      { cached: true, specs: [{ kind: "power-cut", at: { write: 5 }, policy: { kind: "keep-all" } }] },
      10,
    );
    for (let step = 1; step <= 4; step += 1) {
      const t = stepTarget(step, devices);
      expect(readMedia(result.machine, t.device, t.offsetBytes, t.lengthBytes)).toEqual(
        stepData(step, t.lengthBytes),
      );
    }
    const fifth = stepTarget(5, devices);
    expect(
      readMedia(result.machine, fifth.device, fifth.offsetBytes, fifth.lengthBytes).every((b) => b === 0),
    ).toBe(true);
  });

  it("applies per-device policies, and the devices are back on once it is resolved", () => {
    const result = runCase(
      {
        cached: true,
        specs: [
          {
            kind: "power-cut",
            at: { event: "workload.step", occurrence: 7 },
            policy: { kind: "keep-all" },
            perDevice: { pv1: { kind: "drop-all" } },
          },
        ],
      },
      10,
    );
    expect(result.halt?.at).toContain("workload.step #7");
    expect(result.hashes.pv1).toBe(blank);
    expect(result.hashes.pv0).not.toBe(blank);
    expect(result.machine.sink.fired[0]?.effect).toEqual({
      policies: { pv0: { kind: "keep-all" }, pv1: { kind: "drop-all" } },
    });
    expect(result.machine.pvs.get("pv0")!.poweredOff).toBe(false);
  });

  it("fires at a virtual time and not before", () => {
    const result = runCase({ cached: true, specs: [{ kind: "power-cut", at: { timeNs: 6500 } }] }, 10);
    expect(result.halt?.at).toBe("t=6500 ns");
    expect(result.machine.injector.vgWriteCount).toBe(6);
    expect(result.machine.sink.fired[0]?.firedAt).toEqual({ tNs: 6500 });
  });

  it("a seeded subset leaves the same bytes for the same seed, other bytes for another seed, and replays", () => {
    const specs = [{ kind: "power-cut" as const, at: { write: 41 }, policy: { kind: "torn" as const } }];
    const a = runCase({ cached: true, seed: 7, specs }, 60);
    const b = runCase({ cached: true, seed: 7, specs }, 60);
    const c = runCase({ cached: true, seed: 8, specs }, 60);
    expect(b.hashes).toEqual(a.hashes);
    expect(c.hashes).not.toEqual(a.hashes);
    const policies = a.machine.sink.fired[0]?.effect.policies as Record<
      string,
      { kind: string; seed: number }
    >;
    expect(policies.pv0?.kind).toBe("torn");
    expect(policies.pv0?.seed).not.toBe(policies.pv1?.seed);
    const { first, replay } = runAndReplay({ cached: true, seed: 7, specs }, 60);
    expect(replay.hashes).toEqual(first.hashes);
    expect(replay.halt?.at).toBe(first.halt?.at);
  });
});

describe("power-cut and reboot", () => {
  it("powers the devices back on after resolving, keeping faults that outlive a reboot", () => {
    const machine = makeMachine({
      cached: true,
      specs: [
        { kind: "pv-loss", device: "pv1", at: { timeNs: 0 } },
        { kind: "torn-write", device: "pv0", at: { timeNs: 0 } },
        { kind: "power-cut", at: { timeNs: 3500 }, policy: { kind: "keep-all" } },
        { kind: "bit-rot", device: "pv0", mode: "on-read", at: { timeNs: 9000 } },
      ],
    });
    expect(() => runWorkload(machine, 3)).toThrow(/power-cut/);
    const pv0 = machine.pvs.get("pv0")!;
    expect(pv0.poweredOff).toBe(true);
    machine.injector.resolvePowerCut();
    expect(pv0.poweredOff).toBe(false);
    expect(pv0.effects.map((e) => e.label)).toEqual([]);
    expect(machine.pvs.get("pv1")!.effects.map((e) => e.label)).toEqual(["pv-loss#0"]);
    expect(() => machine.pvs.get("pv1")!.read(0, new Uint8Array(512))).toThrow(/ENXIO/);
    expect(pv0.write(0, new Uint8Array(512).fill(9), { issueNs: 4000 })).toBe(4000);
    // Unfired faults stay armed and fire after the reboot.
    machine.scheduler.run();
    expect(machine.sink.fired.map((r) => r.kind)).toEqual(["pv-loss", "torn-write", "power-cut", "bit-rot"]);
    expect(() => machine.injector.resolvePowerCut()).toThrow(/No power cut is pending/);
  });

  it("ends a PV blink whose window waits for an event at the reboot, and lets a timed one run its time", () => {
    const machine = makeMachine({
      cached: true,
      specs: [
        // pv1 blinks until a `blink.end` event nobody emits: the kernel that would is cut off.
        {
          kind: "pv-loss",
          id: "blink",
          device: "pv1",
          at: { timeNs: 0 },
          window: { untilEvent: "blink.end" },
        },
        // pv0 is unplugged for 10 µs of virtual time.
        {
          kind: "pv-loss",
          id: "unplugged",
          device: "pv0",
          at: { timeNs: 0 },
          window: { durationNs: 10_000 },
        },
        { kind: "power-cut", at: { timeNs: 3500 }, policy: { kind: "keep-all" } },
      ],
    });
    expect(() => runWorkload(machine, 3)).toThrow(/power-cut/);
    machine.injector.resolvePowerCut();
    expect(machine.pvs.get("pv1")!.effects).toEqual([]);
    expect(machine.pvs.get("pv1")!.read(0, new Uint8Array(512))).toBe(0);
    const cleared = machine.sink.records.filter((r) => r.type === "fault-cleared");
    expect(cleared.at(-1)).toMatchObject({
      id: "blink",
      clearedAt: { tNs: 3500 },
      effect: { device: "pv1", returnedAs: "intact", endedBy: "reboot" },
    });
    // The timed loss outlives the reboot until its time is up, as the clock runs on.
    expect(() => machine.pvs.get("pv0")!.read(0, new Uint8Array(512))).toThrow(/ENXIO/);
    machine.scheduler.run();
    expect(() => machine.pvs.get("pv0")!.read(0, new Uint8Array(512))).not.toThrow();
    const back = machine.sink.records.filter((r) => r.type === "fault-cleared" && r.kind === "pv-loss");
    expect(back.map((r) => r.id)).toEqual(["blink", "unplugged"]);
  });
});
