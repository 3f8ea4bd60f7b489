import { describe, expect, it } from "vitest";
import {
  buildLayout,
  CONFIGS,
  configByName,
  LV_SIZE_QUANTUM_BYTES,
  prefill,
} from "../../../bench/overhead/layouts.js";
import type { BlockDevice } from "../../../engine/block/device.js";
import { MemoryDevice } from "../../../engine/block/memory.js";
import type { MirrorTarget } from "../../../engine/dm/mirror/mirror.js";
import type { SnapshotOriginTarget } from "../../../engine/dm/snapshot/snapshot-origin.js";
import { Rng } from "../../../engine/sim/rng.js";
import { Scheduler } from "../../../engine/sim/scheduler.js";

const KiB = 1024;
const LV_BYTES = LV_SIZE_QUANTUM_BYTES;

/** Writes that straddle stripe (64 KiB), chunk (4/64/512 KiB) and region (2 MiB) boundaries. */
const WRITES: readonly { offsetBytes: number; lengthBytes: number }[] = [
  { offsetBytes: 0, lengthBytes: 4 * KiB },
  { offsetBytes: 60 * KiB, lengthBytes: 8 * KiB },
  { offsetBytes: 2048 * KiB - 12 * KiB, lengthBytes: 200 * KiB },
  { offsetBytes: 508 * KiB, lengthBytes: 1024 * KiB },
  { offsetBytes: LV_BYTES - 4 * KiB, lengthBytes: 4 * KiB },
];

function pattern(lengthBytes: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(lengthBytes);
  for (let i = 0; i < lengthBytes; i++) bytes[i] = (i * 7 + seed * 13 + (i >> 9)) & 0xff;
  return bytes;
}

/** Index of the first differing byte, or -1; vitest's deep equality is far too slow on MiBs. */
function firstDifference(a: Uint8Array | undefined, b: Uint8Array | undefined): number {
  if (a === undefined || b === undefined) return -2;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function readAll(device: BlockDevice): Uint8Array {
  const out = new Uint8Array(device.sizeBytes);
  device.read(0, out);
  return out;
}

describe("overhead layouts", () => {
  it.each(CONFIGS.map((c) => [c.name]))("%s reads back exactly what was written", (name) => {
    const layout = buildLayout(configByName(name), "nvme", {
      lvBytes: LV_BYTES,
      rng: Rng.fromSeed(1).fork("timing"),
      prefill: true,
    });
    expect(layout.device.sizeBytes).toBe(LV_BYTES);
    const scheduler = new Scheduler();
    scheduler.advanceTo(layout.readyNs);
    layout.start(scheduler);
    // The prefill pattern is what reads find before any workload write.
    const reference = new MemoryDevice("expected", LV_BYTES);
    prefill(reference, LV_BYTES, 0);
    const expected = readAll(reference);
    let nowNs = layout.readyNs;
    for (const [i, w] of WRITES.entries()) {
      const data = pattern(w.lengthBytes, i + 1);
      nowNs = layout.device.write(w.offsetBytes, data, { issueNs: nowNs });
      expected.set(data, w.offsetBytes);
      // Let background work (the pvmove copy) run between writes, as it would on the scheduler.
      scheduler.run(nowNs);
    }
    expect(firstDifference(readAll(layout.device), expected)).toBe(-1);
  });

  it("keeps mirror legs identical and the snapshot's view unchanged", () => {
    const mirror = buildLayout(configByName("mirror-3leg-disk"), "sata-ssd", {
      lvBytes: LV_BYTES,
      rng: Rng.fromSeed(2),
      prefill: false,
    });
    for (const [i, w] of WRITES.entries()) mirror.device.write(w.offsetBytes, pattern(w.lengthBytes, i));
    const legs = (mirror.device as MirrorTarget).legs.map((l) => readAll(l.device).subarray(0, LV_BYTES));
    expect(legs).toHaveLength(3);
    expect(firstDifference(legs[1], legs[0])).toBe(-1);
    expect(firstDifference(legs[2], legs[0])).toBe(-1);
    expect(legs[0]!.some((b) => b !== 0)).toBe(true);

    const snap = buildLayout(configByName("origin-4snap-64k-first"), "nvme", {
      lvBytes: LV_BYTES,
      rng: Rng.fromSeed(3),
      prefill: true,
    });
    const before = readAll(snap.device);
    for (const [i, w] of WRITES.entries()) snap.device.write(w.offsetBytes, pattern(w.lengthBytes, i + 9));
    const origin = snap.device as SnapshotOriginTarget;
    expect(origin.snapshots).toHaveLength(4);
    for (const s of origin.snapshots) expect(firstDifference(readAll(s), before)).toBe(-1);
    expect(firstDifference(readAll(snap.device), before)).toBe(WRITES[0]!.offsetBytes);
  });

  it("finishes the pvmove copy in the background: the destination ends equal to the source", () => {
    const layout = buildLayout(configByName("pvmove"), "realdm-100mib-1kiops", {
      lvBytes: LV_BYTES,
      rng: Rng.fromSeed(4),
      prefill: true,
    });
    const move = layout.device as MirrorTarget;
    expect(move.inSync).toBe(false);
    const scheduler = new Scheduler();
    scheduler.advanceTo(layout.readyNs);
    layout.start(scheduler);
    scheduler.run();
    expect(move.inSync).toBe(true);
    const [source, destination] = move.legs.map((l) => readAll(l.device));
    expect(firstDifference(destination, source)).toBe(-1);
    // 6 MiB read from the source and written to the destination at 100 MiB/s takes at least 60 ms.
    expect(scheduler.nowNs - layout.readyNs).toBeGreaterThanOrEqual(60e6);
  });

  it("puts shared-bus legs behind one bus and every other PV on its own", () => {
    const shared = buildLayout(configByName("mirror-2leg-core-sharedbus"), "hdd", {
      lvBytes: LV_BYTES,
      rng: Rng.fromSeed(1),
      prefill: false,
    });
    const [a, b] = shared.pvs;
    expect(a?.queue.bus).toBeDefined();
    expect(a?.queue.bus).toBe(b?.queue.bus);
    const separate = buildLayout(configByName("mirror-2leg-disk"), "hdd", {
      lvBytes: LV_BYTES,
      rng: Rng.fromSeed(1),
      prefill: false,
    });
    expect(separate.pvs.map((p) => p.name)).toEqual(["leg0", "leg1", "mlog"]);
    expect(separate.pvs.every((p) => p.queue.bus === undefined)).toBe(true);
  });

  it("refuses an LV size the stripes, regions and chunks cannot divide", () => {
    expect(() =>
      buildLayout(configByName("linear"), "nvme", {
        lvBytes: 5 * 1024 * KiB,
        rng: Rng.fromSeed(1),
        prefill: false,
      }),
    ).toThrow(/not a positive multiple of 6291456/);
    expect(() => configByName("raid5")).toThrow(/Unknown overhead config "raid5"; use one of linear/);
    expect(() =>
      buildLayout(configByName("linear"), "floppy", {
        lvBytes: LV_BYTES,
        rng: Rng.fromSeed(1),
        prefill: false,
      }),
    ).toThrow(/Unknown device profile "floppy"/);
  });
});
