/**
 * The flushes and FUA writes that order data before metadata in the mirror and snapshot targets,
 * seen in the disks' operation log: each mutation that drops one must change exactly that order.
 * (The nightly scenarios in scenarios/library/*-ordering.scenario.ts show the damage after a cut.)
 */

import { describe, expect, it } from "vitest";
import {
  MIRROR_CLEAR_BEFORE_LEG_FLUSH,
  MIRROR_FAILED_WRITE_STAYS_IN_SYNC,
  MIRROR_MARK_NEXT_REGION,
  MIRROR_RESYNC_FROM_WRONG_LEG,
  MirrorTarget,
} from "../../../engine/dm/mirror/mirror.js";
import { MIRROR_MARK_NOT_FLUSHED } from "../../../engine/dm/mirror/region-log.js";
import { SNAPSHOT_EXCEPTION_COMMIT_NO_FUA } from "../../../engine/dm/snapshot/exception-store.js";
import { SNAPSHOT_MERGE_SKIP_ORIGIN_FLUSH, SnapshotMergeTarget } from "../../../engine/dm/snapshot/merge.js";
import { SnapshotTarget } from "../../../engine/dm/snapshot/snapshot.js";
import { SnapshotOriginTarget } from "../../../engine/dm/snapshot/snapshot-origin.js";
import { Machine, type OpRecord, patternBlock, TestDisk } from "./harness.js";

const KiB = 1024;
const LEG_BYTES = 128 * KiB;
const REGION_SECTORS = 32; // 16 KiB regions
const REGION_BYTES = REGION_SECTORS * 512;
const BLOCK = 4 * KiB;

function mirrorOn(mutations: ReadonlySet<string>) {
  const machine = new Machine();
  const disks = [
    new TestDisk("leg0", LEG_BYTES, machine),
    new TestDisk("leg1", LEG_BYTES, machine),
    new TestDisk("mlog", 4 * KiB, machine),
  ];
  const mirror = new MirrorTarget("vg-m", {
    lengthSectors: LEG_BYTES / 512,
    regionSizeSectors: REGION_SECTORS,
    legs: [disks[0]!, disks[1]!].map((device) => ({ device, offsetSectors: 0 })),
    logDevice: disks[2]!,
    sync: "nosync",
    mutations,
  });
  machine.ops.length = 0;
  return { machine, disks, mirror };
}

/** Operations issued after `from`, as "device:op" strings. */
function opsAfter(ops: readonly OpRecord[], from: number): string[] {
  return ops.slice(from).map((o) => `${o.device}:${o.op}${o.fua ? "+fua" : ""}`);
}

describe("mirror: data before the log says clean, dirty mark before the data", () => {
  it("flushes both legs before the log write that records a region clean", () => {
    const { machine, mirror } = mirrorOn(new Set());
    mirror.write(0, patternBlock(BLOCK, 1));
    const from = machine.ops.length;
    // The next write's pass clears region 0 first.
    mirror.write(REGION_BYTES, patternBlock(BLOCK, 2));
    expect(opsAfter(machine.ops, from).slice(0, 3)).toEqual(["leg0:F", "leg1:F", "mlog:W"]);
  });

  it("mirror-clear-before-leg-flush writes the clean bit with the data still in the legs' caches", () => {
    const { machine, mirror } = mirrorOn(new Set([MIRROR_CLEAR_BEFORE_LEG_FLUSH]));
    mirror.write(0, patternBlock(BLOCK, 1));
    const from = machine.ops.length;
    mirror.write(REGION_BYTES, patternBlock(BLOCK, 2));
    expect(opsAfter(machine.ops, from)[0]).toBe("mlog:W");
    expect(opsAfter(machine.ops, from)).not.toContain("leg1:F");
  });

  it("flushes the log device after a mark, before any leg write", () => {
    const { machine, mirror } = mirrorOn(new Set());
    mirror.write(0, patternBlock(BLOCK, 1));
    expect(opsAfter(machine.ops, 0)).toEqual(["mlog:W", "mlog:F", "leg0:W", "leg1:W"]);
  });

  it("mirror-mark-not-flushed lets the leg writes go out with the mark still volatile", () => {
    const { machine, mirror } = mirrorOn(new Set([MIRROR_MARK_NOT_FLUSHED.name]));
    mirror.write(0, patternBlock(BLOCK, 1));
    expect(opsAfter(machine.ops, 0)).toEqual(["mlog:W", "leg0:W", "leg1:W"]);
  });
});

describe("mirror: region arithmetic and the resync source", () => {
  it("a write marks its own region dirty in the log", () => {
    const { mirror } = mirrorOn(new Set());
    mirror.write(REGION_BYTES, patternBlock(BLOCK, 1));
    expect(mirror.log.isClean(1)).toBe(false);
    expect(mirror.log.isClean(2)).toBe(true);
  });

  it("mirror-mark-next-region marks the region after it instead", () => {
    const { mirror } = mirrorOn(new Set([MIRROR_MARK_NEXT_REGION]));
    mirror.write(REGION_BYTES, patternBlock(BLOCK, 1));
    expect(mirror.log.isClean(1)).toBe(true);
    expect(mirror.log.isClean(2)).toBe(false);
  });

  function resyncAfterLeg1MissedAWrite(mutations: ReadonlySet<string>): { leg0: number; leg1: number } {
    const machine = new Machine();
    const legs = [new TestDisk("leg0", LEG_BYTES, machine), new TestDisk("leg1", LEG_BYTES, machine)];
    legs[0]!.current.set(patternBlock(BLOCK, 7), 0);
    const mirror = new MirrorTarget("vg-m", {
      lengthSectors: LEG_BYTES / 512,
      regionSizeSectors: REGION_SECTORS,
      legs: legs.map((device) => ({ device, offsetSectors: 0 })),
      mutations,
    });
    for (let i = 0; i < 16 && !mirror.resyncStep().done; i++);
    const first = (disk: TestDisk) => new DataView(disk.current.buffer).getUint32(0, true);
    return { leg0: first(legs[0]!), leg1: first(legs[1]!) };
  }

  it("resyncs from the default leg", () => {
    const { leg0, leg1 } = resyncAfterLeg1MissedAWrite(new Set());
    expect(leg0).not.toBe(0);
    expect(leg1).toBe(leg0);
  });

  it("mirror-resync-from-wrong-leg copies the stale leg over the default one", () => {
    const { leg0, leg1 } = resyncAfterLeg1MissedAWrite(new Set([MIRROR_RESYNC_FROM_WRONG_LEG]));
    expect(leg0).toBe(0);
    expect(leg1).toBe(0);
  });
});

describe("mirror: a write that failed on one leg", () => {
  function transientFailure(mutations: ReadonlySet<string>) {
    const { disks, mirror } = mirrorOn(mutations);
    disks[1]!.failWrites = true;
    mirror.write(0, patternBlock(BLOCK, 1));
    disks[1]!.failWrites = false;
    mirror.write(REGION_BYTES, patternBlock(BLOCK, 2));
    mirror.suspend();
    return mirror;
  }

  it("leaves its region out of sync, so the next activation resyncs it", () => {
    const mirror = transientFailure(new Set());
    expect(mirror.inSync).toBe(false);
    expect(mirror.log.inSync(0)).toBe(false);
  });

  it("mirror-failed-write-stays-in-sync keeps the region in sync although the legs differ", () => {
    const mirror = transientFailure(new Set([MIRROR_FAILED_WRITE_STAYS_IN_SYNC]));
    expect(mirror.log.inSync(0)).toBe(true);
  });
});

const ORIGIN_BYTES = 64 * KiB;
const CHUNK_SECTORS = 8; // 4 KiB chunks

function snapshotOn(mutations: ReadonlySet<string>) {
  const machine = new Machine();
  const real = new TestDisk("real", ORIGIN_BYTES, machine);
  const cow = new TestDisk("cow", 256 * KiB, machine);
  const snapshot = new SnapshotTarget("vg-snap", {
    origin: real,
    cow,
    chunkSizeSectors: CHUNK_SECTORS,
    mutations,
  });
  const origin = new SnapshotOriginTarget("vg-lv", { origin: real, mutations });
  origin.register(snapshot);
  machine.ops.length = 0;
  return { machine, real, cow, origin };
}

describe("snapshot: the exception commit", () => {
  it("flushes the copied chunk, then writes the exception area with FUA, then overwrites the origin", () => {
    const { machine, origin } = snapshotOn(new Set());
    origin.write(0, patternBlock(BLOCK, 1));
    expect(opsAfter(machine.ops, 0)).toEqual(["cow:W", "cow:F", "cow:W+fua", "real:W"]);
  });

  it("snapshot-exception-commit-no-fua leaves the exception area in the COW disk's cache", () => {
    const { machine, origin } = snapshotOn(new Set([SNAPSHOT_EXCEPTION_COMMIT_NO_FUA]));
    origin.write(0, patternBlock(BLOCK, 1));
    expect(opsAfter(machine.ops, 0)).toEqual(["cow:W", "cow:F", "cow:W", "real:W"]);
  });
});

describe("snapshot: a merge step", () => {
  function mergeStepOps(mutations: ReadonlySet<string>): string[] {
    const { machine, real, cow, origin } = snapshotOn(new Set());
    origin.write(0, patternBlock(BLOCK, 1));
    const merge = new SnapshotMergeTarget("vg-lv", {
      origin: real,
      cow,
      chunkSizeSectors: CHUNK_SECTORS,
      mutations,
    });
    const from = machine.ops.length;
    const step = merge.mergeStep();
    expect(step.mergedChunks).toBe(1);
    return opsAfter(machine.ops, from);
  }

  it("flushes the origin before the exceptions it merged are dropped from the COW", () => {
    expect(mergeStepOps(new Set())).toEqual(["real:W", "real:F", "cow:F", "cow:W+fua"]);
  });

  it("snapshot-merge-skip-origin-flush drops the exceptions with the merged chunk still volatile", () => {
    expect(mergeStepOps(new Set([SNAPSHOT_MERGE_SKIP_ORIGIN_FLUSH.name]))).toEqual([
      "real:W",
      "cow:F",
      "cow:W+fua",
    ]);
  });
});
