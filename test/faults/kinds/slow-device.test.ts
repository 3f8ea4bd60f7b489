import { describe, expect, it } from "vitest";
import { type BlockDevice, emptyIoStats } from "../../../engine/block/device.js";
import { MemoryDevice } from "../../../engine/block/memory.js";
import { Rng } from "../../../engine/sim/rng.js";
import { Scheduler } from "../../../engine/sim/scheduler.js";
import { Trace } from "../../../engine/sim/trace.js";
import { FaultInjector } from "../../../faults/compose.js";
import { ArrayFaultSink, type FaultRecord } from "../../../faults/record.js";
import { type FaultSpecInput, parseFaultSpecs } from "../../../faults/schema.js";

/** A device with a fixed service time, so multipliers have something to multiply. */
function fixedLatency(inner: BlockDevice, serviceNs: number): BlockDevice {
  return {
    name: inner.name,
    sizeBytes: inner.sizeBytes,
    stats: emptyIoStats(),
    read: (o, d, x = {}) => inner.read(o, d, x) + serviceNs,
    write: (o, d, x = {}) => inner.write(o, d, x) + serviceNs,
    flush: (x = {}) => inner.flush(x) + serviceNs,
    discard: (o, l, x = {}) => inner.discard(o, l, x) + serviceNs,
  };
}

function latencies(
  specs: readonly FaultSpecInput[] | { records: readonly FaultRecord[] },
  seed = 1,
): string[] {
  const scheduler = new Scheduler();
  const options = {
    rng: Rng.fromSeed(seed).fork("faults"),
    trace: new Trace(),
    scheduler,
    sink: new ArrayFaultSink(),
  };
  const injector =
    "records" in specs
      ? FaultInjector.fromRecords(specs.records, options)
      : new FaultInjector(parseFaultSpecs(specs), options);
  const pvs = ["pv0", "pv1"].map((n) => injector.wrap(fixedLatency(new MemoryDevice(n, 1 << 20), 100)));
  injector.arm();
  const out: string[] = [];
  for (let i = 1; i <= 40; i += 1) {
    scheduler.run(i * 1000);
    const pv = pvs[i % 2]!;
    const t = scheduler.nowNs;
    const done =
      i % 4 < 2
        ? pv.write(0, new Uint8Array(512), { issueNs: t })
        : pv.read(0, new Uint8Array(512), { issueNs: t });
    out.push(`${pv.name}:${i % 4 < 2 ? "w" : "r"}:${done - t}`);
  }
  lastRecords = options.sink.fired;
  return out;
}
let lastRecords: readonly FaultRecord[] = [];

describe("slow-device", () => {
  it("multiplies and raises the service time of the chosen ops on that device, from the firing, for the window", () => {
    const out = latencies([
      {
        kind: "slow-device",
        device: "pv1",
        ops: "write",
        factor: 3,
        addNs: 7,
        at: { timeNs: 4500 },
        window: { durationNs: 20_000 },
      },
    ]);
    // i=5 (pv1, w) is the first slowed request; i=25 (t=25000) is the first after the window.
    expect(out.slice(0, 4).every((s) => s.endsWith(":100"))).toBe(true);
    expect(out[4]).toBe("pv1:w:307");
    expect(out[6]).toBe("pv1:r:100");
    expect(out[5]).toBe("pv0:r:100");
    expect(out[16]).toBe("pv1:w:307");
    expect(out[24]).toBe("pv1:w:100");
  });

  it("spikes are seeded: same seed same latencies, other seed other spikes, record replays", () => {
    const spec: FaultSpecInput = {
      kind: "slow-device",
      device: "pv0",
      spikeProbability: 0.3,
      spikeNs: 1_000_000,
      at: { timeNs: 0 },
    };
    const a = latencies([spec], 1);
    const spikes = a.filter((s) => s.endsWith(":1000100")).length;
    expect(spikes).toBeGreaterThan(0);
    expect(spikes).toBeLessThan(20);
    expect(a.filter((s) => s.startsWith("pv1")).every((s) => s.endsWith(":100"))).toBe(true);
    expect(latencies([spec], 1)).toEqual(a);
    expect(latencies([spec], 2)).not.toEqual(a);
    latencies([spec], 3);
    const recorded = lastRecords;
    const third = latencies([spec], 3);
    expect(latencies({ records: recorded }, 77)).toEqual(third);
  });
});
