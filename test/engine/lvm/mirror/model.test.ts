import { describe, expect, it } from "vitest";
import {
  addMirrorImages,
  DEFAULT_FAULT_POLICIES,
  faultPoliciesFromConfig,
  imagesToDrop,
  mirrorImages,
  removeMirrorImages,
  repairMirror,
} from "../../../../engine/lvm/mirror/mod.js";
import { cowMaxSectors } from "../../../../engine/lvm/snapshot/mod.js";
import { findLv } from "../../../../engine/metadata/model.js";
import { ok, pullableHost, vgModel } from "./helpers.js";

let ids = 0;
const identity = { makeId: () => `id-${(ids++).toString().padStart(34, "0")}` };

function vgWithMirror(disks: number, lvcreate: string) {
  const { host } = pullableHost(disks);
  const names = Array.from({ length: disks }, (_, i) => `/dev/loop${i}`).join(" ");
  ok(host, `pvcreate ${names}`);
  ok(host, `vgcreate vg0 ${names}`);
  ok(host, lvcreate);
  return vgModel(host);
}

describe("fault policies", () => {
  it("default to LVM2's image remove / log allocate", () => {
    expect(faultPoliciesFromConfig(undefined)).toEqual({ image: "remove", log: "allocate" });
    expect(faultPoliciesFromConfig("")).toBe(DEFAULT_FAULT_POLICIES);
  });

  it("read the section and the path forms of --config; anything but remove means allocate", () => {
    expect(faultPoliciesFromConfig('activation { mirror_image_fault_policy = "allocate" }')).toEqual({
      image: "allocate",
      log: "allocate",
    });
    expect(faultPoliciesFromConfig("activation/mirror_log_fault_policy=remove")).toEqual({
      image: "remove",
      log: "remove",
    });
    expect(faultPoliciesFromConfig('activation { mirror_image_fault_policy = "replace" }').image).toBe(
      "allocate",
    );
    expect(faultPoliciesFromConfig('activation { mirror_device_fault_policy = "allocate" }').image).toBe(
      "allocate",
    );
  });
});

describe("mirror image conversions on the model", () => {
  it("drops images on the named PVs first, then from the end", () => {
    const vg = vgWithMirror(4, "lvcreate --type mirror -m2 --mirrorlog core -L 4M -n mir vg0");
    expect(mirrorImages(vg, "mir")).toEqual(["mir_mimage_0", "mir_mimage_1", "mir_mimage_2"]);
    expect(imagesToDrop(vg, "mir", { images: 2 })).toEqual(["mir_mimage_2"]);
    const pvOfImage0 = findLv(vg, "mir_mimage_0")!.segments[0]!;
    const pv =
      pvOfImage0.type === "striped" && pvOfImage0.areas[0]?.kind === "pv" ? pvOfImage0.areas[0].pv : "";
    expect(imagesToDrop(vg, "mir", { images: 1, preferPvs: [pv] })).toEqual(["mir_mimage_0", "mir_mimage_2"]);
  });

  it("collapses a mirror left with one image into a linear LV on that image's extents", () => {
    const vg = vgWithMirror(3, "lvcreate --type mirror -m1 -L 4M -n mir vg0");
    const image1 = findLv(vg, "mir_mimage_1")!;
    const linear = removeMirrorImages(vg, "mir", ["mir_mimage_0"]);
    expect(linear.lvs.map((l) => l.name)).toEqual(["mir"]);
    expect(findLv(linear, "mir")!.segments).toEqual(image1.segments);
    expect(() => removeMirrorImages(vg, "mir", ["mir_mimage_0", "mir_mimage_1"])).toThrow(/every image/);
  });

  it("refuses an image on a PV the mirror already uses when no other PV has room", () => {
    const vg = vgWithMirror(2, "lvcreate --type mirror -m1 --mirrorlog core -L 4M -n mir vg0");
    expect(() => addMirrorImages(vg, "mir", { ...identity, images: 3 })).toThrow();
  });

  it("repair under allocate degrades to what fits: no free PV turns a 2-leg mirror linear", () => {
    const vg = vgWithMirror(2, "lvcreate --type mirror -m1 --mirrorlog core -L 4M -n mir vg0");
    const seg = findLv(vg, "mir_mimage_1")!.segments[0]!;
    const failed = seg.type === "striped" && seg.areas[0]?.kind === "pv" ? seg.areas[0].pv : "";
    const repaired = repairMirror(vg, "mir", {
      ...identity,
      failedPvs: new Set([failed]),
      policies: { image: "allocate", log: "allocate" },
    });
    expect(repaired.images).toBe(1);
    expect(repaired.log).toBe("none");
    expect(repaired.removedImages).toEqual(["mir_mimage_1"]);
  });
});

describe("snapshot COW limits", () => {
  it("computes _cow_max_size: header, data chunks and one area per 256 chunks (plus a terminator)", () => {
    // 8 MiB origin in 4 KiB chunks: 1 + 2048 + floor((2048 + 256) / 256) = 2058 chunks.
    expect(cowMaxSectors(16384, 8)).toBe(2058 * 8);
    // 64 KiB chunks, 128 origin chunks, 4096 exceptions per area: one area.
    expect(cowMaxSectors(16384, 128)).toBe((1 + 128 + 1) * 128);
  });
});
