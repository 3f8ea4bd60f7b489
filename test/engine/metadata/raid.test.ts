/** raid1 segments in the model: LVM2's field layout, the rmeta size and the region size rules. */
import { describe, expect, it } from "vitest";
import { printConfig } from "../../../engine/format/config-print.js";
import { exportVg } from "../../../engine/metadata/export.js";
import { importVg } from "../../../engine/metadata/import.js";
import type { VolumeGroup } from "../../../engine/metadata/model.js";
import { raid1View, raidRegionSize, raidRmetaExtents } from "../../../engine/metadata/raid.js";
import { createRaid1Lv } from "../../../engine/metadata/raid-alloc.js";

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
    pvs: [pv(0), pv(1), pv(2)],
    lvs: [],
    extra: [],
  };
}

describe("raid1 in the model", () => {
  it("puts rmeta_i first on each leg's PV and writes the segment as LVM2 does", () => {
    const { vg: next, name } = createRaid1Lv(vg(), {
      makeId: (n) => `${n}-id`,
      name: "r",
      extents: 2,
      images: 2,
      regionSizeSectors: 4096,
    });
    expect(name).toBe("r");
    expect(next.lvs.map((l) => l.name)).toEqual(["r", "r_rimage_0", "r_rmeta_0", "r_rimage_1", "r_rmeta_1"]);
    const area = (lv: string) => {
      const seg = next.lvs.find((l) => l.name === lv)!.segments[0]!;
      return seg.type === "striped" ? seg.areas[0] : undefined;
    };
    expect(area("r_rmeta_0")).toEqual({ kind: "pv", pv: "pv0", pe: 0 });
    expect(area("r_rimage_0")).toEqual({ kind: "pv", pv: "pv0", pe: 1 });
    expect(area("r_rmeta_1")).toEqual({ kind: "pv", pv: "pv1", pe: 0 });
    const text = printConfig({ items: [exportVg(next)] });
    expect(text).toMatch(
      /type = "raid1"\n\s*device_count = 2\n\s*region_size = 4096\n\n\s*raids = \[\n\s*"r_rmeta_0", "r_rimage_0",\n\s*"r_rmeta_1", "r_rimage_1"\n\s*\]/,
    );
    const back = importVg(exportVg(next));
    expect(raid1View(back.lvs.find((l) => l.name === "r")!.segments[0])).toEqual({
      deviceCount: 2,
      regionSizeSectors: 4096,
      legs: [
        { meta: "r_rmeta_0", image: "r_rimage_0" },
        { meta: "r_rmeta_1", image: "r_rimage_1" },
      ],
    });
  });

  it("sizes rmeta as _raid_rmeta_extents does and reduces the region to fit the LV", () => {
    expect(raidRmetaExtents({ extentSizeSectors: 8192, imageExtents: 2, regionSizeSectors: 4096 })).toBe(1);
    // 512 KiB extents, 1 TiB image of 512 KiB regions: 8 KiB + 256 KiB of bits = 1 extent.
    expect(
      raidRmetaExtents({ extentSizeSectors: 1024, imageExtents: 2_097_152, regionSizeSectors: 1024 }),
    ).toBe(1);
    expect(raidRmetaExtents({ extentSizeSectors: 8, imageExtents: 1000, regionSizeSectors: 8 })).toBe(3);
    expect(raidRegionSize(4096, 2048)).toEqual({ regionSizeSectors: 2048, reduced: true });
    expect(raidRegionSize(1024, 2 ** 32)).toEqual({ regionSizeSectors: 2048, reduced: false });
  });
});
