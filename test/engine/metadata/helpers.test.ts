/** Names, derived LV kinds, extent maps and lvs strings, PV argument parsing, segment split/merge. */
import { describe, expect, it } from "vitest";
import {
  lvSizeExtents,
  pvFreeExtents,
  pvFreeRanges,
  segDevices,
  segPeRanges,
  vgFreeExtents,
} from "../../../engine/metadata/extent-map.js";
import { importVg } from "../../../engine/metadata/import.js";
import { findPvmoveLv, lvKinds } from "../../../engine/metadata/lv-kind.js";
import type { LogicalVolume, Segment, VolumeGroup } from "../../../engine/metadata/model.js";
import {
  assertNewLvName,
  nameProblem,
  nextLvName,
  reservedLvNameProblem,
} from "../../../engine/metadata/names.js";
import { createPvList } from "../../../engine/metadata/pv-list.js";
import { mergeSegments, splitSegmentAt } from "../../../engine/metadata/segment-merge.js";
import { makeVg, placeLinear } from "../../fixtures/metadata/build.js";
import { MIXED, PVMOVE_ATOMIC, PVMOVE_RUNNING } from "../../fixtures/metadata/examples.js";
import { rawVgSection } from "../../fixtures/metadata/raw-text.js";

const load = (text: string): VolumeGroup => importVg(rawVgSection(text));

describe("names", () => {
  it("applies _validate_name", () => {
    expect(nameProblem("lv_data-1.x+y")).toBeUndefined();
    expect(nameProblem("")).toMatch(/empty/);
    expect(nameProblem("-lv")).toMatch(/hyphen/);
    expect(nameProblem("..")).toMatch(/".."/);
    expect(nameProblem("a/b")).toMatch(/"\/"/);
    expect(nameProblem("x".repeat(127))).toBeUndefined();
    expect(nameProblem("x".repeat(128))).toMatch(/longer than 127/);
  });

  it("applies apply_lvname_restrictions", () => {
    expect(reservedLvNameProblem("pvmove1")).toBe('names starting "pvmove" are reserved');
    expect(reservedLvNameProblem("snapshotty")).toBe('names starting "snapshot" are reserved');
    expect(reservedLvNameProblem("data_mimage_0")).toBe('names including "_mimage" are reserved');
    expect(reservedLvNameProblem("a_b_mlog")).toBe('names including "_mlog" are reserved');
    // The reserved strings only count after the first underscore.
    expect(reservedLvNameProblem("mlog")).toBeUndefined();
    expect(reservedLvNameProblem("my_volume")).toBeUndefined();
  });

  it("rejects duplicates and picks one above the highest number (generate_lv_name)", () => {
    const vg = load(PVMOVE_RUNNING);
    expect(() => assertNewLvName(vg, "lv1")).toThrow(
      'Logical Volume "lv1" already exists in volume group "vg0"',
    );
    expect(() => assertNewLvName(vg, "bad name")).toThrow(/Invalid LV name "bad name"/);
    expect(nextLvName(vg, "pvmove")).toBe("pvmove1");
    expect(nextLvName(vg, "lvol")).toBe("lvol0");
    const gap = placeLinear(placeLinear(makeVg([4]), "lvol0", [["pv0", 0, 1]]), "lvol5", [["pv0", 1, 1]]);
    expect(nextLvName(gap, "lvol")).toBe("lvol6");
  });
});

describe("lvKinds", () => {
  it("derives mirror, log, pvmove and lock facts from the metadata alone", () => {
    const mixed = lvKinds(load(MIXED));
    expect(mixed.get("mir")).toMatchObject({ mirrored: true, visible: true });
    expect(mixed.get("mir_mimage_0")).toMatchObject({ mirrorImage: true, visible: false, usedBy: ["mir"] });
    expect(mixed.get("mir_mlog")).toMatchObject({ mirrorLog: true, visible: false, usedBy: ["mir"] });
    expect(mixed.get("str")).toMatchObject({
      mirrored: false,
      mirrorImage: false,
      visible: true,
      usedBy: [],
    });
    const running = lvKinds(load(PVMOVE_RUNNING));
    expect(running.get("pvmove0")).toMatchObject({
      pvmove: true,
      locked: true,
      mirrored: true,
      visible: false,
    });
    expect(running.get("lv0")).toMatchObject({ locked: true, visible: true });
    expect(mixed.get("r1_rimage_1")).toMatchObject({ usedBy: ["r1"], visible: false });
    const atomic = lvKinds(load(PVMOVE_ATOMIC));
    expect(atomic.get("pvmove0_mimage_1")).toMatchObject({ mirrorImage: true, usedBy: ["pvmove0"] });
  });

  it("finds the pvmove LV using a PV (find_pvmove_lv), also through --atomic images", () => {
    expect(findPvmoveLv(load(PVMOVE_RUNNING), "pv1")?.name).toBe("pvmove0");
    expect(findPvmoveLv(load(PVMOVE_ATOMIC), "pv0")?.name).toBe("pvmove0");
    expect(findPvmoveLv(load(MIXED), "pv0")).toBeUndefined();
  });
});

describe("extent maps and lvs strings", () => {
  it("derives free ranges and counts from the segments", () => {
    const vg = load(PVMOVE_RUNNING);
    // pv0: 0-1 and 3-4 (pvmove0), 2 (lv1) used; pv1: 0-1 and 2-3 (pvmove0 destinations).
    expect(pvFreeRanges(vg, "pv0")).toEqual([{ pe: 5, count: 10 }]);
    expect(pvFreeRanges(vg, "pv1")).toEqual([{ pe: 4, count: 11 }]);
    expect(pvFreeExtents(vg, "pv0")).toBe(10);
    expect(vgFreeExtents(vg)).toBe(21);
    expect(lvSizeExtents(vg.lvs.find((l) => l.name === "lv0") as LogicalVolume)).toBe(4);
  });

  it("prints devices and seg_pe_ranges as lvs does (_format_pvsegs)", () => {
    const vg = load(MIXED);
    const seg = (name: string) => vg.lvs.find((l) => l.name === name)?.segments[0];
    const str = seg("str");
    const mir = seg("mir");
    if (!str || !mir) throw new Error("fixture changed");
    expect(segDevices(vg, str)).toBe("/dev/sda(9),/dev/sdb(4)");
    expect(segPeRanges(vg, str)).toBe("/dev/sda:9-9 /dev/sdb:4-4");
    expect(segDevices(vg, mir)).toBe("mir_mimage_0(0),mir_mimage_1(0)");
    expect(segPeRanges(vg, mir)).toBe("mir_mimage_0:0-1 mir_mimage_1:0-1");
    // pv2 is MISSING: LVM2 shows [unknown].
    const log = seg("mir_mlog");
    if (!log) throw new Error("fixture changed");
    expect(segDevices(vg, log)).toBe("[unknown](0)");
  });
});

describe("createPvList", () => {
  const vg = makeVg([15, 15]);

  it("parses ranges like _parse_pes: a-b, a+n, a, a-, and several", () => {
    expect(createPvList(vg, ["/dev/loop1:2-4:7+2:10:12-"])).toEqual([
      {
        pv: "pv1",
        ranges: [
          { pe: 2, count: 3 },
          { pe: 7, count: 2 },
          { pe: 10, count: 1 },
          { pe: 12, count: 3 },
        ],
      },
    ]);
    expect(createPvList(vg, ["/dev/loop0", "/dev/loop1:0-1", "/dev/loop1:5-5"])).toEqual([
      { pv: "pv0", ranges: [{ pe: 0, count: 15 }] },
      {
        pv: "pv1",
        ranges: [
          { pe: 0, count: 2 },
          { pe: 5, count: 1 },
        ],
      },
    ]);
  });

  it("reports bad input with LVM2's wording", () => {
    expect(() => createPvList(vg, ["/dev/loop9"])).toThrow(
      'Physical Volume "/dev/loop9" not found in Volume Group "vg0"',
    );
    expect(() => createPvList(vg, ["/dev/loop0:3-20"])).toThrow(
      /PE range error .*start extent 3 to end extent 20/,
    );
    expect(() => createPvList(vg, ["/dev/loop0:3-5:4-6"])).toThrow(
      /Overlapping PE ranges specified \(4-6, 3-5\)/,
    );
    expect(() => createPvList(vg, ["/dev/loop0::1"])).toThrow(/Physical extent parsing error/);
    expect(() => createPvList(vg, ["/dev/loop0:x"])).toThrow(/Physical extent parsing error/);
  });

  it("skips full and non-allocatable PVs when asked, as LVM2 warns and skips", () => {
    const full = placeLinear(vg, "a", [["pv0", 0, 15]]);
    expect(
      createPvList(full, ["/dev/loop0", "/dev/loop1"], { allocatableOnly: true }).map((s) => s.pv),
    ).toEqual(["pv1"]);
  });
});

describe("segment split and merge", () => {
  it("splits a striped segment and merges it back", () => {
    const vg = load(MIXED);
    const str = vg.lvs.find((l) => l.name === "str") as LogicalVolume;
    const grown: LogicalVolume = {
      ...str,
      segments: [{ ...(str.segments[0] as Segment), extentCount: 6 }],
    };
    const split = splitSegmentAt(grown, 2);
    expect(split.segments.map((s) => [s.startExtent, s.extentCount])).toEqual([
      [0, 2],
      [2, 4],
    ]);
    expect(split.segments[1]).toMatchObject({
      areas: [
        { kind: "pv", pv: "pv0", pe: 10 },
        { kind: "pv", pv: "pv1", pe: 5 },
      ],
    });
    expect(() => splitSegmentAt(grown, 3)).toThrow(/not a multiple of its 2 stripes/);
    expect(mergeSegments(vg, split)).toEqual(grown);
  });

  it("does not merge segments of LOCKED or pvmove LVs", () => {
    const vg = load(PVMOVE_RUNNING);
    const pvmove = vg.lvs.find((l) => l.name === "pvmove0") as LogicalVolume;
    expect(mergeSegments(vg, pvmove)).toBe(pvmove);
    const base = placeLinear(makeVg([15]), "a", [
      ["pv0", 0, 2],
      ["pv0", 2, 2],
    ]);
    const a = base.lvs[0] as LogicalVolume;
    expect(mergeSegments(base, a).segments).toHaveLength(1);
    expect(mergeSegments(base, { ...a, status: [...a.status, "LOCKED"] }).segments).toHaveLength(2);
  });
});
