import { describe, expect, it } from "vitest";
import type { BlockDevice } from "../../../engine/block/device.js";
import { isBlockDeviceError } from "../../../engine/block/errors.js";
import { MemoryDevice } from "../../../engine/block/memory.js";
import { formatDmsetup } from "../../../engine/dm/dmsetup.js";
import { MirrorTarget } from "../../../engine/dm/mirror/mirror.js";
import { SNAPSHOT_MAGIC } from "../../../engine/dm/snapshot/exception-store.js";
import { SnapshotTarget } from "../../../engine/dm/snapshot/snapshot.js";
import { SnapshotOriginTarget } from "../../../engine/dm/snapshot/snapshot-origin.js";
import { Trace } from "../../../engine/sim/trace.js";
import { firstDifference, Machine, randInt, rng, TestDisk } from "./harness.js";

const KiB = 1024;
const MiB = 1024 * KiB;

function readAll(device: BlockDevice): Uint8Array {
  const all = new Uint8Array(device.sizeBytes);
  device.read(0, all);
  return all;
}

/** Random sector-aligned writes of up to 24 KiB through `device`, mirrored into `reference`. */
function randomWrites(device: BlockDevice, reference: Uint8Array, seed: string, ops: number): void {
  const random = rng(seed);
  const sectors = device.sizeBytes / 512;
  for (let i = 0; i < ops; i++) {
    const start = randInt(random, sectors);
    const len = 1 + randInt(random, Math.min(48, sectors - start));
    const data = new Uint8Array(len * 512);
    for (let b = 0; b < data.length; b += 128) data[b] = 1 + randInt(random, 255);
    device.write(start * 512, data);
    reference.set(data, start * 512);
  }
}

function setup(originBytes: number, cowBytes: number[], chunkSectors: number, trace?: Trace) {
  const machine = new Machine();
  const real = new TestDisk("vg-lv-real", originBytes, machine);
  // The origin starts with recognisable content.
  const random = rng("prefill");
  for (let i = 0; i < originBytes; i += 512) real.current[i] = 1 + randInt(random, 255);
  real.durable.set(real.current);
  const origin = new SnapshotOriginTarget("vg-lv", { origin: real });
  const cows = cowBytes.map((bytes, i) => new TestDisk(`vg-s${i}-cow`, bytes, machine));
  return { machine, real, origin, cows, trace, chunkSectors };
}

describe("snapshot: copy-on-write", () => {
  for (const chunkSectors of [8, 128, 1024]) {
    it(`keeps the origin's past for 1 and 3 snapshots taken at different times (chunk ${chunkSectors * 512} bytes)`, () => {
      const { real, origin, cows } = setup(4 * MiB, [6 * MiB, 6 * MiB, 6 * MiB], chunkSectors);
      const reference = readAll(real);
      const expected: Uint8Array[] = [];
      const snaps: SnapshotTarget[] = [];
      for (let s = 0; s < 3; s++) {
        const snap = new SnapshotTarget(`vg-s${s}`, {
          origin: real,
          cow: cows[s]!,
          chunkSizeSectors: chunkSectors,
        });
        origin.register(snap);
        snaps.push(snap);
        expected.push(reference.slice());
        randomWrites(origin, reference, `cow-${chunkSectors}-${s}`, 60);
        expect(firstDifference(readAll(origin), reference)).toBe(-1);
        snaps.forEach((sn, k) => {
          expect(firstDifference(readAll(sn), expected[k]!)).toBe(-1);
        });
      }
      for (const sn of snaps) expect(sn.valid).toBe(true);
      // The oldest snapshot has seen the most overwrites, so it holds the most exceptions.
      expect(snaps[0]!.store.exceptionCount).toBeGreaterThanOrEqual(snaps[2]!.store.exceptionCount);
      expect(snaps[2]!.store.exceptionCount).toBeGreaterThan(0);
    });
  }

  it("lays out header, areas and data chunks as dm-snap-persistent does, and reloads them", () => {
    const trace = new Trace();
    const { real, origin, cows } = setup(2 * MiB, [2 * MiB], 8, trace);
    const snap = new SnapshotTarget("vg-s0", { origin: real, cow: cows[0]!, chunkSizeSectors: 8, trace });
    origin.register(snap);
    expect(snap.snapPercent).toBe(0);
    const cow = cows[0]!;
    const header = new DataView(cow.current.buffer);
    expect(header.getUint32(0, true)).toBe(SNAPSHOT_MAGIC);
    expect(Array.from(cow.current.subarray(0, 4))).toEqual([0x53, 0x6e, 0x41, 0x70]);
    expect(header.getUint32(4, true)).toBe(1);
    expect(header.getUint32(8, true)).toBe(1);
    expect(header.getUint32(12, true)).toBe(8);
    // Overwrite origin chunks 0..299 in order: E = 4096/16 = 256 exceptions per area.
    for (let c = 0; c < 300; c++) origin.write(c * 4096, new Uint8Array(4096).fill(0xee));
    expect(trace.count("snapshot.exception.commit")).toBe(300);
    const entry = (area: number, i: number) => {
      const at = (1 + 257 * area) * 4096 + i * 16;
      return [Number(header.getBigUint64(at, true)), Number(header.getBigUint64(at + 8, true))];
    };
    expect(entry(0, 0)).toEqual([0, 2]);
    expect(entry(0, 255)).toEqual([255, 257]);
    // Chunk 258 is area 1, so the 257th data chunk goes to 259.
    expect(entry(1, 0)).toEqual([256, 259]);
    expect(entry(1, 43)).toEqual([299, 302]);
    expect(entry(1, 44)).toEqual([0, 0]);
    expect(snap.status()).toBe(`0 4096 snapshot ${303 * 8}/4096 ${3 * 8}`);
    expect(snap.table()).toBe("0 4096 snapshot vg-lv-real vg-s0-cow P 8");
    expect(snap.snapPercent).toBeCloseTo((100 * 303 * 8) / 4096, 9);
    // The commits were flushed: a reload from the durable image sees every exception.
    const again = new SnapshotTarget("vg-s0", {
      origin: real,
      cow: new TestDisk("cow2", cow.sizeBytes, new Machine(), cow.durable),
      chunkSizeSectors: 64, // the on-disk chunk size wins
    });
    expect(again.store.chunkSizeSectors).toBe(8);
    expect(again.store.exceptionCount).toBe(300);
    expect(again.store.lookup(299)).toBe(302);
    expect(again.store.prepare()).toBe(303);
  });

  it("an origin write completes only after the copy and the flushed commit", () => {
    const { real, origin, cows } = setup(1 * MiB, [2 * MiB], 8);
    const snap = new SnapshotTarget("vg-s0", { origin: real, cow: cows[0]!, chunkSizeSectors: 8 });
    origin.register(snap);
    real.latencyNs = 1_000;
    cows[0]!.latencyNs = 2_000;
    cows[0]!.flushLatencyNs = 10_000;
    // read old chunk 1 µs, write copy 2 µs, preflush 10 µs, area FUA write 2 µs, origin write 1 µs.
    expect(origin.write(0, new Uint8Array(4096), { issueNs: 0 })).toBe(16_000);
    // The chunk now has an exception: the next write goes straight to the origin.
    expect(origin.write(0, new Uint8Array(4096), { issueNs: 0 })).toBe(1_000);
  });

  it("writable snapshot: its writes land in the COW only, partial chunks copy the origin first", () => {
    const { real, origin, cows } = setup(1 * MiB, [2 * MiB], 128);
    const snap = new SnapshotTarget("vg-s0", { origin: real, cow: cows[0]!, chunkSizeSectors: 128 });
    origin.register(snap);
    const originRef = readAll(real);
    const snapRef = originRef.slice();
    for (let round = 0; round < 4; round++) {
      randomWrites(snap, snapRef, `snapw-${round}`, 30);
      randomWrites(origin, originRef, `origw-${round}`, 30);
    }
    expect(firstDifference(readAll(snap), snapRef)).toBe(-1);
    expect(firstDifference(readAll(origin), originRef)).toBe(-1);
  });

  it("overflow invalidates the snapshot (EIO, header valid = 0) and the origin keeps working", () => {
    const trace = new Trace();
    const { real, origin, cows } = setup(1 * MiB, [64 * KiB], 8, trace);
    const snap = new SnapshotTarget("vg-s0", { origin: real, cow: cows[0]!, chunkSizeSectors: 8, trace });
    origin.register(snap);
    const reference = readAll(real);
    randomWrites(origin, reference, "overflow", 200);
    expect(snap.valid).toBe(false);
    expect(trace.count("snapshot.invalidate")).toBe(1);
    expect(snap.status()).toBe("0 2048 snapshot Invalid");
    expect(snap.snapPercent).toBeUndefined();
    expect(new DataView(cows[0]!.current.buffer).getUint32(4, true)).toBe(0);
    let caught: unknown;
    try {
      snap.read(0, new Uint8Array(512));
    } catch (e) {
      caught = e;
    }
    expect(isBlockDeviceError(caught, "EIO")).toBe(true);
    // 64 KiB of COW is 16 chunks: the allocator handed out every one (2..15) before giving up.
    expect(snap.store.usage().sectorsAllocated).toBe(16 * 8);
    expect(snap.store.exceptionCount).toBeLessThanOrEqual(14);
    randomWrites(origin, reference, "after-overflow", 50);
    expect(firstDifference(readAll(origin), reference)).toBe(-1);
    // An invalid snapshot reloads as invalid.
    cows[0]!.flush();
    const again = new SnapshotTarget("vg-s0", { origin: real, cow: cows[0]!, chunkSizeSectors: 8 });
    expect(again.valid).toBe(false);
  });

  it("stacks on a mirrored origin", () => {
    const machine = new Machine();
    const legs = [new TestDisk("pv0", 512 * KiB, machine), new TestDisk("pv1", 512 * KiB, machine)];
    const mirror = new MirrorTarget("vg-lv-real", {
      lengthSectors: 1024,
      regionSizeSectors: 128,
      legs: legs.map((device) => ({ device, offsetSectors: 0 })),
      sync: "nosync",
    });
    const reference = new Uint8Array(mirror.sizeBytes);
    randomWrites(mirror, reference, "pre", 30);
    const before = reference.slice();
    const cow = new TestDisk("cow", 1 * MiB, machine);
    const snap = new SnapshotTarget("vg-s", { origin: mirror, cow, chunkSizeSectors: 16 });
    const origin = new SnapshotOriginTarget("vg-lv", { origin: mirror });
    origin.register(snap);
    randomWrites(origin, reference, "post", 60);
    expect(firstDifference(readAll(snap), before)).toBe(-1);
    for (const leg of legs) expect(firstDifference(leg.current, reference)).toBe(-1);
    expect(origin.table()).toBe("0 1024 snapshot-origin vg-lv-real");
    // What `dmsetup table` shows for the activated LVs (the kernel prints major:minor, we print names).
    expect(formatDmsetup([snap, origin, mirror], { report: "table" })).toBe(
      [
        "vg-lv: 0 1024 snapshot-origin vg-lv-real",
        "vg-lv-real: 0 1024 mirror core 2 128 nosync 2 pv0 0 pv1 0",
        "vg-s: 0 1024 snapshot vg-lv-real cow P 16",
      ].join("\n"),
    );
    expect(formatDmsetup([origin, snap], { report: "status" })).toBe(
      [
        "vg-lv: 0 1024 snapshot-origin",
        `vg-s: 0 1024 snapshot ${snap.store.usage().sectorsAllocated}/2048 32`,
      ].join("\n"),
    );
  });
});

describe("COW chunk limit (the hook cow-exhaustion's limit mode uses)", () => {
  it("refuses new exceptions past the cap and reports the chunks used", () => {
    const origin = new MemoryDevice("origin", 1 << 20);
    const cow = new MemoryDevice("cow", 1 << 20);
    const snapshot = new SnapshotTarget("snap", { origin, cow, chunkSizeSectors: 8 });
    const top = new SnapshotOriginTarget("top", { origin });
    top.register(snapshot);
    const used = snapshot.cowChunksUsed();
    snapshot.setCowChunkLimit(used + 2);
    const block = new Uint8Array(4096).fill(7);
    top.write(0, block);
    top.write(4096, block);
    expect(snapshot.valid).toBe(true);
    top.write(8192, block);
    expect(snapshot.valid).toBe(false);
    // The origin took every write even though the snapshot ran out.
    const back = new Uint8Array(4096);
    top.read(8192, back);
    expect(back).toEqual(block);
    expect(() => snapshot.setCowChunkLimit(-1)).toThrow(RangeError);
  });
});
