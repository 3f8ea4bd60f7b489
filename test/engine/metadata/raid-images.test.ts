/** Changing a raid1 LV's legs in the model: which legs go, how the rest are renamed, splits, growth. */
import { describe, expect, it } from "vitest";
import type { VolumeGroup } from "../../../engine/metadata/model.js";
import { findLv } from "../../../engine/metadata/model.js";
import { raid1View } from "../../../engine/metadata/raid.js";
import { createRaid1Lv } from "../../../engine/metadata/raid-alloc.js";
import {
  addRaid1Images,
  extendRaid1,
  extractRaid1Legs,
  raid1LegsToExtract,
} from "../../../engine/metadata/raid-images.js";

function vg(): VolumeGroup {
  const pv = (i: number) => ({
    name: `pv${i}`,
    id: `pv${i}-id`,
    deviceHint: `/dev/loop${i}`,
    status: ["ALLOCATABLE"] as const,
    flags: [],
    tags: [],
    devSizeSectors: 131072,
    peStartSectors: 2048,
    peCount: 15,
    extra: [],
  });
  return {
    name: "vg0",
    id: "vg-id",
    seqno: 1,
    format: "lvm2",
    status: ["RESIZEABLE", "READ", "WRITE"],
    flags: [],
    tags: [],
    extentSizeSectors: 8192,
    maxLv: 0,
    maxPv: 0,
    allocationPolicy: "normal",
    metadataCopies: 0,
    pvs: [pv(0), pv(1), pv(2), pv(3)],
    lvs: [],
    extra: [],
  };
}

const identity = { makeId: (n?: string) => `${n ?? "x"}-id` };

function threeWay(): VolumeGroup {
  return createRaid1Lv(vg(), { ...identity, name: "r", extents: 2, images: 3, regionSizeSectors: 4096 }).vg;
}

function legs(v: VolumeGroup): string[] {
  return raid1View(findLv(v, "r")!.segments[0])!.legs.flatMap((l) => [l.meta, l.image]);
}

describe("raid1 legs in the model", () => {
  it("extracts the highest legs first, or the highest on the PVs given", () => {
    const v = threeWay();
    expect(raid1LegsToExtract(v, "r", { count: 2 })).toEqual([2, 1]);
    expect(raid1LegsToExtract(v, "r", { count: 1, pvs: ["pv0"] })).toEqual([0]);
    expect(() => raid1LegsToExtract(v, "r", { count: 2, pvs: ["pv1"] })).toThrow(
      "Unable to extract enough images to satisfy request.",
    );
  });

  it("shifts and renames the legs above a removed one, keeping their ids and PVs", () => {
    const v = threeWay();
    const leg2 = findLv(v, "r_rimage_2")!;
    const { vg: next, removed, renamed, linear } = extractRaid1Legs(v, "r", { indices: [1] });
    expect(linear).toBe(false);
    expect(removed).toEqual(["r_rmeta_1", "r_rimage_1"]);
    expect([...renamed]).toEqual([
      ["r_rmeta_2", "r_rmeta_1"],
      ["r_rimage_2", "r_rimage_1"],
    ]);
    expect(legs(next)).toEqual(["r_rmeta_0", "r_rimage_0", "r_rmeta_1", "r_rimage_1"]);
    expect(findLv(next, "r_rimage_1")).toEqual({ ...leg2, name: "r_rimage_1" });
  });

  it("goes linear over rimage_0's segments when one leg is left, and splits an image off as an LV", () => {
    const v = threeWay();
    const image0 = findLv(v, "r_rimage_0")!;
    const linear = extractRaid1Legs(v, "r", { indices: [2, 1] });
    expect(linear.linear).toBe(true);
    expect(findLv(linear.vg, "r")!.segments).toEqual(image0.segments);
    expect(linear.vg.lvs.map((l) => l.name)).toEqual(["r"]);
    const split = extractRaid1Legs(v, "r", { indices: [2], keep: { index: 2, name: "copy" } });
    expect(findLv(split.vg, "copy")!.status).toEqual(["READ", "WRITE", "VISIBLE"]);
    expect(findLv(split.vg, "r_rmeta_2")).toBeUndefined();
  });

  it("adds legs with REBUILD on unused PVs, and grows every image on its own PV", () => {
    const two = createRaid1Lv(vg(), {
      ...identity,
      name: "r",
      extents: 2,
      images: 2,
      regionSizeSectors: 4096,
    }).vg;
    const three = addRaid1Images(two, "r", { images: 3, identity });
    expect(findLv(three, "r_rimage_2")!.status).toEqual(["READ", "WRITE", "REBUILD"]);
    expect(findLv(three, "r_rmeta_2")!.segments[0]).toMatchObject({ areas: [{ pv: "pv2", pe: 0 }] });
    expect(three.lvs.slice(-2).map((l) => l.name)).toEqual(["r_rmeta_2", "r_rimage_2"]);
    const grown = extendRaid1(two, "r", { extents: 1 });
    expect(findLv(grown, "r")!.segments[0]!.extentCount).toBe(3);
    for (const [name, pv] of [
      ["r_rimage_0", "pv0"],
      ["r_rimage_1", "pv1"],
    ] as const) {
      const segs = findLv(grown, name)!.segments;
      expect(segs.reduce((n, s) => n + s.extentCount, 0)).toBe(3);
      expect(
        segs.every((s) => s.type === "striped" && s.areas[0]?.kind === "pv" && s.areas[0].pv === pv),
      ).toBe(true);
    }
  });
});
