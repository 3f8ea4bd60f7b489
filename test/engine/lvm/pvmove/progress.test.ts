/** copy_percent and the `Moved:` figures as LVM2 computes and prints them. */
import { describe, expect, it } from "vitest";
import { MemoryDevice } from "../../../../engine/block/memory.js";
import { MirrorTarget } from "../../../../engine/dm/mirror/mirror.js";
import { Host } from "../../../../engine/lvm/host.js";
import { configurePvmove } from "../../../../engine/lvm/pvmove/kernel.js";
import type { PvmoveProgressSample } from "../../../../engine/lvm/pvmove/poll.js";
import {
  DM_PERCENT_100,
  dmMakePercent,
  formatDmPercent,
  pvmoveProgressOf,
} from "../../../../engine/lvm/pvmove/progress.js";
import { runLvm } from "../../../../engine/lvm/run.js";
import type { LogicalVolume, Segment } from "../../../../engine/metadata/model.js";

const MiB = 1024 * 1024;

function mirrorSeg(start: number, count: number, moved: number): Segment {
  return {
    startExtent: start,
    extentCount: count,
    typeFlags: [],
    tags: [],
    type: "mirror",
    mirrorCount: 2,
    extentsMoved: moved,
    regionSizeSectors: 1024,
    areas: [
      { kind: "pv", pv: "pv0", pe: start },
      { kind: "pv", pv: "pv1", pe: start },
    ],
  };
}

function pvmoveLv(segments: Segment[]): LogicalVolume {
  return {
    name: "pvmove0",
    id: "x",
    status: ["READ", "WRITE", "PVMOVE", "LOCKED"],
    flags: [],
    tags: [],
    allocationPolicy: "contiguous",
    segments,
    extra: [],
  };
}

describe("dm percent", () => {
  it("never shows a partial ratio as 0 or 100", () => {
    expect(dmMakePercent(0, 10)).toBe(0);
    expect(dmMakePercent(10, 10)).toBe(DM_PERCENT_100);
    expect(dmMakePercent(1, 1e9)).toBe(1);
    expect(dmMakePercent(1e9 - 1, 1e9)).toBe(DM_PERCENT_100 - 1);
    expect(formatDmPercent(dmMakePercent(1, 1e9))).toBe("0.01");
    expect(formatDmPercent(dmMakePercent(1e9 - 1, 1e9))).toBe("99.99");
    expect(formatDmPercent(dmMakePercent(1, 8))).toBe("12.50");
    expect(formatDmPercent(dmMakePercent(1, 3))).toBe("33.33");
  });
});

describe("pvmoveProgressOf", () => {
  it("counts recorded segments, the running one's in-sync share (rounded down) and nothing after", () => {
    const leg = (name: string) => ({ device: new MemoryDevice(name, 8 * MiB), offsetSectors: 0 });
    // 4 regions of 1024 sectors over a 4-extent segment of 1024 sectors each.
    const mirror = new MirrorTarget("m", {
      lengthSectors: 4096,
      regionSizeSectors: 1024,
      legs: [leg("a"), leg("b")],
    });
    const lv = pvmoveLv([mirrorSeg(0, 2, 2), mirrorSeg(2, 4, 0), mirrorSeg(6, 2, 0)]);
    expect(pvmoveProgressOf(lv, mirror)).toMatchObject({
      copiedExtents: 2,
      totalExtents: 8,
      runningSegment: 1,
    });
    mirror.resyncStep();
    const one = pvmoveProgressOf(lv, mirror);
    expect(one.copiedExtents).toBe(3);
    expect(one.segmentPercent).toBe(DM_PERCENT_100 / 4);
    mirror.resyncStep();
    mirror.resyncStep();
    mirror.resyncStep();
    mirror.resyncStep();
    const all = pvmoveProgressOf(lv, mirror);
    expect(all.segmentPercent).toBe(DM_PERCENT_100);
    expect(formatDmPercent(all.overallPercent)).toBe("75.00");
  });

  it("counts only committed checkpoints when the LV is not active", () => {
    const lv = pvmoveLv([mirrorSeg(0, 2, 2), mirrorSeg(2, 2, 0)]);
    expect(pvmoveProgressOf(lv)).toMatchObject({ copiedExtents: 2, totalExtents: 4, segmentPercent: 0 });
  });
});

describe("progress samples", () => {
  it("reaches the machine-wide listener from a background move, ending at 100", () => {
    const host = new Host({
      devices: ["pv0", "pv1"].map((n) => [n, new MemoryDevice(n, 64 * MiB)] as const),
      seed: "progress",
    });
    const samples: PvmoveProgressSample[] = [];
    configurePvmove(host, {
      syncSpeedBytesPerSecond: 4 * MiB,
      pollingIntervalSeconds: 1,
      onProgress: (s) => samples.push(s),
    });
    for (const line of [
      "pvcreate pv0 pv1",
      "vgcreate -s 1M vg0 pv0 pv1",
      "lvcreate -an -Zn -l 8 -n lv0 vg0 pv0",
    ]) {
      expect(runLvm(host, line.split(" ")).exitCode).toBe(0);
    }
    expect(runLvm(host, ["pvmove", "-b", "pv0"]).exitCode).toBe(0);
    host.scheduler.run();
    expect(samples.length).toBeGreaterThan(2);
    expect(samples[0]).toMatchObject({ kind: "pvmove", vg: "vg0", lv: "pvmove0", source: "pv0", percent: 0 });
    expect(samples.at(-1)!.percent).toBe(100);
    for (let i = 1; i < samples.length; i++) {
      expect(samples[i]!.tNs).toBeGreaterThan(samples[i - 1]!.tNs);
      expect(samples[i]!.percent).toBeGreaterThanOrEqual(samples[i - 1]!.percent);
    }
  });
});
