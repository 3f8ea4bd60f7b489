import { describe, expect, it } from "vitest";
import { VolatileCache } from "../../engine/block/cache.js";
import { MemoryDevice } from "../../engine/block/memory.js";
import { MirrorTarget } from "../../engine/dm/mirror/mirror.js";
import { startMirrorResync } from "../../engine/dm/mirror/resync-driver.js";
import { isSimulationHalt, type SimulationHalt } from "../../engine/sim/halt.js";
import { Rng } from "../../engine/sim/rng.js";
import { Scheduler } from "../../engine/sim/scheduler.js";
import { Trace } from "../../engine/sim/trace.js";
import { stallableDriver } from "../../faults/adapters.js";
import { FaultInjector } from "../../faults/compose.js";
import { ArrayFaultSink, type FaultRecord } from "../../faults/record.js";
import { FaultSpecError, type FaultSpecInput, parseFaultSpecs } from "../../faults/schema.js";
import { hashDevice } from "./machine.js";

const KiB = 1024;
const MS = 1_000_000;

// A PV loss during a sync stall, then a power cut once the PV is back.
const chain: FaultSpecInput[] = [
  {
    id: "stall",
    kind: "sync-stall",
    target: "vg-lv",
    at: { event: "mirror.resync.step", occurrence: 2 },
    window: { durationNs: 1000 * MS },
  },
  {
    id: "loss",
    kind: "pv-loss",
    device: "pv1",
    at: { after: "stall", delayNs: 200 * MS },
    window: { durationNs: 300 * MS },
  },
  { kind: "power-cut", at: { after: "loss", edge: "cleared", delayNs: 100 * MS }, policy: { kind: "torn" } },
];

function run(source: { specs: readonly FaultSpecInput[] } | { records: readonly FaultRecord[] }, seed = 1) {
  const scheduler = new Scheduler();
  const trace = new Trace();
  const sink = new ArrayFaultSink();
  const options = { rng: Rng.fromSeed(seed).fork("faults"), trace, scheduler, sink };
  const injector =
    "records" in source
      ? FaultInjector.fromRecords(source.records, options)
      : new FaultInjector(parseFaultSpecs(source.specs), options);
  const caches = [0, 1].map((i) => new VolatileCache(new MemoryDevice(`pv${i}`, 256 * KiB)));
  const legs = caches.map((c) => injector.wrap(c));
  caches[0]!.backing.write(0, new Uint8Array(256 * KiB).fill(0x5a));
  const mirror = new MirrorTarget("vg-lv", {
    lengthSectors: (256 * KiB) / 512,
    regionSizeSectors: 64,
    legs: legs.map((device) => ({ device, offsetSectors: 0 })),
    syncSpeedBytesPerSecond: 32 * KiB * 10,
    trace,
  });
  injector.registerSyncTarget(
    "vg-lv",
    stallableDriver(() => startMirrorResync(mirror, scheduler), { scheduler }),
  );
  injector.arm();
  const readErrors: string[] = [];
  for (const t of [250, 400, 650]) {
    scheduler.at(t * MS, () => {
      try {
        legs[1]!.read(0, new Uint8Array(512), { issueNs: t * MS });
        readErrors.push(`${t}:ok`);
      } catch (error) {
        readErrors.push(`${t}:${(error as { code?: string }).code ?? "?"}`);
      }
    });
  }
  let halt: SimulationHalt | undefined;
  try {
    scheduler.run();
  } catch (error) {
    if (!isSimulationHalt(error)) throw error;
    halt = error;
  }
  const outcomes = halt === undefined ? [] : injector.resolvePowerCut();
  const hashes = caches.map((c) => hashDevice(c.backing));
  return { sink, halt, outcomes, hashes, readErrors, scheduler, mirror };
}

describe("fault composition", () => {
  it("runs a PV loss during a sync stall, then a power cut, each at its exact point", () => {
    const result = run({ specs: chain });
    const timeline = result.sink.records.map((r) =>
      r.type === "fault"
        ? `fired ${r.id ?? r.kind} @${r.firedAt.tNs / MS}`
        : `cleared ${r.id ?? r.kind} @${r.clearedAt.tNs / MS}`,
    );
    expect(timeline).toEqual([
      "fired stall @100",
      "fired loss @300",
      "cleared loss @600",
      "fired power-cut @700",
      "cleared power-cut @700",
    ]);
    expect(result.readErrors).toEqual(["250:ok", "400:ENXIO", "650:ok"]);
    expect(result.halt?.reason).toBe("power-cut");
    expect(result.halt?.at).toBe("after loss (t=700000000 ns)");
    // The stall held: no resync step ran after the 2nd, so the mirror never finished.
    expect(result.mirror.inSync).toBe(false);
    expect(result.outcomes.map((o) => [o.device, o.policy.kind, o.cached])).toEqual([
      ["pv0", "torn", true],
      ["pv1", "torn", true],
    ]);
  });

  it("is deterministic under the seed and replays from its records", () => {
    const a = run({ specs: chain }, 3);
    const b = run({ specs: chain }, 3);
    expect(b.hashes).toEqual(a.hashes);
    expect(b.sink.records).toEqual(a.sink.records);
    const replay = run({ records: a.sink.fired }, 12345);
    expect(replay.hashes).toEqual(a.hashes);
    expect(replay.readErrors).toEqual(a.readErrors);
    expect(replay.sink.fired.map((r) => r.seedPath)).toEqual(a.sink.fired.map((r) => r.seedPath));
    expect(a.sink.fired.map((r) => r.seedPath)).toEqual([
      "3/faults/stall:sync-stall",
      "3/faults/loss:pv-loss",
      "3/faults/2:power-cut",
    ]);
  });

  it("refuses a chain that points forward", () => {
    const scheduler = new Scheduler();
    expect(
      () =>
        new FaultInjector(
          [
            { kind: "power-cut", at: { after: "x" }, policy: { kind: "drop-all" }, perDevice: {} },
            { id: "x", kind: "pv-loss", device: "pv0", at: { timeNs: 1 }, returnAs: "intact" },
          ],
          { rng: Rng.fromSeed(1), trace: new Trace(), scheduler },
        ),
    ).toThrow(FaultSpecError);
  });

  it("refuses to arm a fault naming a device that was never wrapped", () => {
    const injector = new FaultInjector(
      parseFaultSpecs([{ kind: "pv-loss", device: "pv9", at: { timeNs: 1 } }]),
      {
        rng: Rng.fromSeed(1),
        trace: new Trace(),
        scheduler: new Scheduler(),
      },
    );
    injector.wrap(new MemoryDevice("pv0", 4096));
    expect(() => injector.arm()).toThrow(
      /Fault pv-loss#0 names device pv9, which is not a wrapped PV \(have: pv0\)/,
    );
  });
});
