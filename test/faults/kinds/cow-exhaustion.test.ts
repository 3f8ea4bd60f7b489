import { describe, expect, it } from "vitest";
import { MemoryDevice } from "../../../engine/block/memory.js";
import { SnapshotTarget } from "../../../engine/dm/snapshot/snapshot.js";
import { Rng } from "../../../engine/sim/rng.js";
import { Scheduler } from "../../../engine/sim/scheduler.js";
import { Trace } from "../../../engine/sim/trace.js";
import { FaultInjector } from "../../../faults/compose.js";
import { ArrayFaultSink, type FaultRecord } from "../../../faults/record.js";
import { type FaultSpecInput, parseFaultSpecs } from "../../../faults/schema.js";
import type { CowSpace } from "../../../faults/targets.js";
import { hashDevice } from "../machine.js";

const KiB = 1024;

function snapshotRig(specs: readonly FaultSpecInput[] | { records: readonly FaultRecord[] }, seed = 1) {
  const scheduler = new Scheduler();
  const trace = new Trace();
  const sink = new ArrayFaultSink();
  const options = { rng: Rng.fromSeed(seed).fork("faults"), trace, scheduler, sink };
  const injector =
    "records" in specs
      ? FaultInjector.fromRecords(specs.records, options)
      : new FaultInjector(parseFaultSpecs(specs), options);
  const origin = injector.wrap(new MemoryDevice("origin", 512 * KiB));
  for (let i = 0; i < 128; i += 1) origin.write(i * 4096, new Uint8Array(4096).fill(i + 1));
  const cowMedia = new MemoryDevice("cow", 160 * KiB);
  const cow = injector.wrap(cowMedia);
  const snap = new SnapshotTarget("vg-snap", { origin, cow, chunkSizeSectors: 8, trace });
  injector.registerSnapshot("vg-snap", snap);
  injector.arm();
  return { scheduler, snap, sink, origin, cowMedia };
}

describe("cow-exhaustion", () => {
  it("fills a real snapshot's COW at the firing time without changing origin or snapshot contents", () => {
    const rig = snapshotRig([
      { kind: "cow-exhaustion", snapshot: "vg-snap", freeChunks: 2, at: { timeNs: 100 } },
    ]);
    const originBefore = hashDevice(rig.origin);
    rig.scheduler.run(99);
    const usedBefore = rig.snap.store.usage().sectorsAllocated;
    rig.scheduler.run();
    const usage = rig.snap.store.usage();
    expect(usedBefore).toBeLessThan(usage.sectorsAllocated);
    expect(usage.totalSectors / 8 - usage.sectorsAllocated / 8).toBe(2);
    expect(rig.snap.valid).toBe(true);
    expect(hashDevice(rig.origin)).toBe(originBefore);
    expect(hashDevice(rig.snap)).toBe(originBefore);
    expect(rig.sink.fired[0]?.effect).toMatchObject({
      snapshot: "vg-snap",
      mode: "fill",
      freeChunks: 2,
      valid: true,
    });
  });

  it("with no free chunk left, the next origin chunk copy invalidates the snapshot", () => {
    const rig = snapshotRig([{ kind: "cow-exhaustion", snapshot: "vg-snap", at: { timeNs: 0 } }]);
    rig.scheduler.run();
    expect(rig.snap.valid).toBe(true);
    const fresh = [...Array(128).keys()].find((c) => rig.snap.store.lookup(c) === undefined)!;
    const pending = rig.snap.copyChunks(fresh * 4096, 4096, 1000);
    rig.snap.commitCopies(pending, 1000);
    expect(rig.snap.valid).toBe(false);
  });

  it("the fill order is seeded: same seed same COW bytes, another seed other bytes, and it replays", () => {
    const spec: FaultSpecInput = {
      kind: "cow-exhaustion",
      snapshot: "vg-snap",
      freeChunks: 1,
      at: { timeNs: 5 },
    };
    const cowHash = (seed: number) => {
      const rig = snapshotRig([spec], seed);
      rig.scheduler.run();
      return { hash: hashDevice(rig.cowMedia), records: rig.sink.fired };
    };
    const a = cowHash(1);
    expect(cowHash(1).hash).toBe(a.hash);
    expect(cowHash(2).hash).not.toBe(a.hash);
    const replay = snapshotRig({ records: a.records }, 50);
    replay.scheduler.run();
    expect(hashDevice(replay.cowMedia)).toBe(a.hash);
  });

  it("limit mode caps a store with a limit hook and lifts the cap at window end", () => {
    const calls: (number | undefined)[] = [];
    const cow: CowSpace = { cowChunksUsed: () => 7, setCowChunkLimit: (limit) => calls.push(limit) };
    const scheduler = new Scheduler();
    const injector = new FaultInjector(
      parseFaultSpecs([
        {
          kind: "cow-exhaustion",
          snapshot: "s",
          mode: "limit",
          freeChunks: 3,
          at: { timeNs: 10 },
          window: { durationNs: 90 },
        },
      ]),
      { rng: Rng.fromSeed(1), trace: new Trace(), scheduler },
    );
    injector.registerSnapshot("s", cow);
    injector.arm();
    scheduler.run(50);
    expect(calls).toEqual([10]);
    scheduler.run();
    expect(calls).toEqual([10, undefined]);
  });
});
