/**
 * Allocation cases with the PV/PE choices LVM2 makes. Each expectation names where it comes from:
 * [R§x] the research notes (/work/shared/research/lvm2-internals.md, verified on lvm2 2.03.16), or
 * [S: fn] a trace of the named function in lvm2 lib/metadata/lv_manip.c / pv_map.c by hand.
 */
import { describe, expect, it } from "vitest";
import { AllocationError, allocateExtents, mirrorLogExtents } from "../../../engine/metadata/alloc.js";
import { exportVg } from "../../../engine/metadata/export.js";
import { importVg } from "../../../engine/metadata/import.js";
import { addPvmoveMirrors, createLv, extendLv, reduceLv } from "../../../engine/metadata/lv-alloc.js";
import type { LogicalVolume, Segment, VolumeGroup } from "../../../engine/metadata/model.js";
import { createPvList } from "../../../engine/metadata/pv-list.js";
import { validateVg } from "../../../engine/metadata/validate.js";
import { makeVg, placeLinear, placesOf, testIds } from "../../fixtures/metadata/build.js";
import { PVMOVE_RUNNING } from "../../fixtures/metadata/examples.js";
import { rawVgSection } from "../../fixtures/metadata/raw-text.js";

function create(
  vg: VolumeGroup,
  name: string,
  extents: number,
  opts: Partial<Parameters<typeof createLv>[1]> = {},
) {
  const out = createLv(vg, { ...testIds, name, extents, ...opts }).vg;
  expect(validateVg(out)).toEqual([]);
  return out;
}

describe("linear allocation", () => {
  it("takes the first PV in VG order when several can hold it [S: _comp_area ties keep PV order]", () => {
    const vg = create(makeVg([15, 15]), "lv", 10);
    expect(placesOf(vg, "lv")).toEqual([["pv0", 0, 10]]);
  });

  it("spills onto the next PV when the first is too small [S: _allocate contiguous pass, then normal]", () => {
    const vg = create(makeVg([15, 15]), "lv", 20);
    expect(placesOf(vg, "lv")).toEqual([
      ["pv0", 0, 15],
      ["pv1", 0, 5],
    ]);
  });

  it("prefers one PV that holds everything over a PV listed first that does not [S: _comp_area sorts by used]", () => {
    // pv0 has 10 free (5-14) and 3 free (0-2); pv1 has 15: 12 extents fit only on pv1.
    const vg0 = placeLinear(makeVg([15, 15]), "a", [["pv0", 3, 2]]);
    const vg = create(vg0, "lv", 12);
    expect(placesOf(vg, "lv")).toEqual([["pv1", 0, 12]]);
  });

  it("uses the smallest free area of a PV that is big enough [S: _find_some_parallel_space replaces with smaller]", () => {
    const vg0 = placeLinear(makeVg([15]), "a", [["pv0", 3, 2]]);
    const vg = create(vg0, "lv", 3);
    expect(placesOf(vg, "lv")).toEqual([["pv0", 0, 3]]);
  });

  it("fails with LVM2's message when the VG is too small [S: _sufficient_pes_free]", () => {
    expect(() => create(makeVg([15, 15]), "lv", 40)).toThrow(
      new AllocationError("Insufficient free space: 40 extents needed, but only 30 available"),
    );
  });

  it("allocates from a restricted PV list and PE range [S: create_pv_list, _create_alloc_areas_for_pv]", () => {
    const vg0 = makeVg([15, 15]);
    const vg = create(vg0, "lv", 3, { pvs: createPvList(vg0, ["/dev/loop1:5-9"]) });
    expect(placesOf(vg, "lv")).toEqual([["pv1", 5, 3]]);
    const two = create(vg0, "lv", 4, { pvs: createPvList(vg0, ["/dev/loop1:2-3:10-11"]) });
    // Equal areas of one PV: the first in PE order is the smallest that fits; both are needed.
    expect(placesOf(two, "lv")).toEqual([
      ["pv1", 2, 2],
      ["pv1", 10, 2],
    ]);
    expect(() => create(vg0, "lv", 6, { pvs: createPvList(vg0, ["/dev/loop1:2-3"]) })).toThrow(
      "Insufficient free space: 6 extents needed, but only 2 available",
    );
  });

  it("names an LV lvolN when no name is given [S: generate_lv_name]", () => {
    let vg = makeVg([15]);
    vg = createLv(vg, { ...testIds, extents: 1 }).vg;
    vg = placeLinear(vg, "lvol7", [["pv0", 10, 1]]);
    const out = createLv(vg, { ...testIds, extents: 1 });
    expect(out.name).toBe("lvol8");
  });
});

describe("extending: contiguous, cling, normal, anywhere", () => {
  it("continues right after the last extent and merges the segment [S: _check_contiguous, lv_merge_segments]", () => {
    const vg = extendLv(placeLinear(makeVg([15, 15]), "lv", [["pv0", 0, 5]]), "lv", { extents: 3 });
    const lv = vg.lvs[0] as LogicalVolume;
    expect(lv.segments).toHaveLength(1);
    expect(placesOf(vg, "lv")).toEqual([["pv0", 0, 8]]);
  });

  it("normal policy clings to the LV's PV before using an empty one [S: _allocate cling pass, maximise_cling]", () => {
    let vg = placeLinear(makeVg([15, 15]), "lv", [["pv0", 0, 5]]);
    vg = placeLinear(vg, "other", [["pv0", 5, 2]]);
    vg = extendLv(vg, "lv", { extents: 2 });
    expect(placesOf(vg, "lv")).toEqual([
      ["pv0", 0, 5],
      ["pv0", 7, 2],
    ]);
  });

  it("contiguous fails when the next extent is taken [S: A_CONTIGUOUS_TO_LVSEG, _allocate error]", () => {
    let vg = placeLinear(makeVg([15, 15]), "lv", [["pv0", 0, 5]], { policy: "contiguous" });
    vg = placeLinear(vg, "other", [["pv0", 5, 2]]);
    expect(() => extendLv(vg, "lv", { extents: 2 })).toThrow(
      "Insufficient suitable contiguous allocatable extents for logical volume lv: 2 more required",
    );
  });

  it("cling fails when its PV is full, normal moves on [S: A_CLING_TO_LVSEG vs normal pass]", () => {
    let vg = placeLinear(makeVg([10, 15]), "lv", [["pv0", 0, 5]]);
    vg = placeLinear(vg, "other", [["pv0", 5, 5]]);
    expect(() => extendLv(vg, "lv", { extents: 2, policy: "cling" })).toThrow(
      "Insufficient suitable allocatable extents for logical volume lv: 2 more required",
    );
    expect(placesOf(extendLv(vg, "lv", { extents: 2 }), "lv")).toEqual([
      ["pv0", 0, 5],
      ["pv1", 0, 2],
    ]);
  });

  it("inherit resolves to the VG's policy [S: allocate_extents]", () => {
    let vg = placeLinear(makeVg([10, 15]), "lv", [["pv0", 0, 5]]);
    vg = placeLinear(vg, "other", [["pv0", 5, 5]]);
    vg = { ...vg, allocationPolicy: "cling" };
    expect(() => extendLv(vg, "lv", { extents: 2 })).toThrow(AllocationError);
  });
});

describe("striped allocation", () => {
  it("puts each stripe on a different PV, in PV order when all fit [R§2.6, S: _comp_area]", () => {
    const vg = create(makeVg([15, 15, 15]), "str", 4, { stripes: 2, stripeSizeSectors: 128 });
    const seg = vg.lvs[0]?.segments[0] as Segment;
    expect(seg).toMatchObject({ type: "striped", stripeCount: 2, stripeSizeSectors: 128, extentCount: 4 });
    expect(placesOf(vg, "str")).toEqual([
      ["pv0", 0, 2],
      ["pv1", 0, 2],
    ]);
  });

  it("skips a PV that cannot hold a whole stripe when others can [S: _comp_area]", () => {
    const vg0 = placeLinear(makeVg([15, 15, 15]), "a", [["pv0", 5, 10]]);
    const vg = create(vg0, "str", 20, { stripes: 2 });
    expect(placesOf(vg, "str")).toEqual([
      ["pv1", 0, 10],
      ["pv2", 0, 10],
    ]);
  });

  it("needs as many PVs as stripes unless --alloc anywhere [S: _lv_create_an_lv, normal never doubles up a PV]", () => {
    expect(() => create(makeVg([15]), "str", 4, { stripes: 2 })).toThrow(
      "Number of stripes (2) must not exceed number of physical volumes (1)",
    );
    // The allocator itself refuses too, with its own message, when asked directly.
    expect(() => allocateExtents(makeVg([15]), { extents: 4, stripes: 2 })).toThrow(
      "Insufficient suitable allocatable extents for logical volume : 4 more required",
    );
    const vg = create(makeVg([15]), "str", 4, { stripes: 2, policy: "anywhere" });
    expect(placesOf(vg, "str")).toEqual([
      ["pv0", 0, 2],
      ["pv0", 2, 2],
    ]);
  });

  it("rejects extents not divisible by the stripes [S: _allocate]", () => {
    expect(() => create(makeVg([15, 15]), "str", 3, { stripes: 2 })).toThrow(
      "Number of extents requested (3) needs to be divisible by 2",
    );
  });
});

describe("mirror allocation", () => {
  it("puts images on different PVs and the disk log on a third [R§2.6, S: add_mirror_log parallel areas]", () => {
    const vg = create(makeVg([15, 15, 15]), "mir", 2, { mirrors: 2, regionSizeSectors: 1024 });
    expect(placesOf(vg, "mir_mimage_0")).toEqual([["pv0", 0, 2]]);
    expect(placesOf(vg, "mir_mimage_1")).toEqual([["pv1", 0, 2]]);
    expect(placesOf(vg, "mir_mlog")).toEqual([["pv2", 0, 1]]);
    const mir = vg.lvs.find((l) => l.name === "mir");
    expect(mir?.segments[0]).toMatchObject({
      type: "mirror",
      mirrorCount: 2,
      mirrorLog: "mir_mlog",
      regionSizeSectors: 1024,
      areas: [
        { kind: "lv", lv: "mir_mimage_0", le: 0 },
        { kind: "lv", lv: "mir_mimage_1", le: 0 },
      ],
    });
    // Written like the verified §2.6 example: mir visible, images and log hidden after it.
    const lvs = exportVg(vg).items.find((n) => n.key === "logical_volumes");
    expect(lvs?.kind === "section" && lvs.items.map((n) => n.key)).toEqual([
      "mir",
      "mir_mimage_0",
      "mir_mimage_1",
      "mir_mlog",
    ]);
  });

  it("with only two PVs puts the log on the last candidate leg PV [S: log iteration, ix_log_offset]", () => {
    const vg = create(makeVg([15, 15]), "mir", 10, { mirrors: 2 });
    expect(placesOf(vg, "mir_mimage_0")).toEqual([["pv0", 0, 10]]);
    expect(placesOf(vg, "mir_mimage_1")).toEqual([["pv1", 0, 10]]);
    expect(placesOf(vg, "mir_mlog")).toEqual([["pv1", 10, 1]]);
  });

  it("sizes the log like the kernel's dm-log [R§4.1 _mirror_log_extents]", () => {
    expect(mirrorLogExtents(100, { regionSizeSectors: 4096, extentSizeSectors: 8192 })).toBe(1);
    // 65536 extents x 128 sectors / 8-sector regions = 2^20 regions: a 131072-byte bitset plus the
    // 1024-byte header = 258 sectors, which needs 3 extents of 128 sectors.
    expect(mirrorLogExtents(65536, { regionSizeSectors: 8, extentSizeSectors: 128 })).toBe(3);
  });

  it("extends every image [S: _lv_extend_layered_lv]", () => {
    let vg = create(makeVg([15, 15, 15]), "mir", 2, { mirrors: 2, mirrorLog: "core" });
    vg = extendLv(vg, "mir", { extents: 3 });
    expect(validateVg(vg)).toEqual([]);
    expect(placesOf(vg, "mir_mimage_0")).toEqual([["pv0", 0, 5]]);
    expect(placesOf(vg, "mir_mimage_1")).toEqual([["pv1", 0, 5]]);
    expect(vg.lvs.find((l) => l.name === "mir")?.segments[0]?.extentCount).toBe(5);
  });
});

describe("pvmove destinations", () => {
  it("reproduces the verified §2.5 layout: segment by segment onto pv1 0 and 2 [R§2.5]", () => {
    const final = importVg(rawVgSection(PVMOVE_RUNNING));
    // The state just before lv_add_mirrors: pvmove0 holds the source areas as linear segments.
    const linear = (pe: number, start: number): Segment => ({
      startExtent: start,
      extentCount: 2,
      typeFlags: [],
      tags: [],
      type: "striped",
      stripeCount: 1,
      areas: [{ kind: "pv", pv: "pv0", pe }],
    });
    const before: VolumeGroup = {
      ...final,
      lvs: final.lvs.map((lv) =>
        lv.name === "pvmove0" ? { ...lv, segments: [linear(0, 0), linear(3, 2)] } : lv,
      ),
    };
    const pvs = createPvList(before, ["/dev/loop1"]);
    const { vg } = addPvmoveMirrors(before, "pvmove0", { pvs });
    const got = vg.lvs.find((l) => l.name === "pvmove0")?.segments;
    const want = final.lvs.find((l) => l.name === "pvmove0")?.segments;
    // The research state is after the first checkpoint: extents_moved 2 on segment 1.
    expect(got?.map((s, i) => (i === 0 && s.type === "mirror" ? { ...s, extentsMoved: 2 } : s))).toEqual(
      want,
    );
  });

  it("splits a pvmove segment when the destination is fragmented [S: lv_add_mirror_areas]", () => {
    let vg = placeLinear(makeVg([15, 15]), "lv0", [["pv0", 0, 4]]);
    vg = placeLinear(vg, "hole", [["pv1", 2, 1]]);
    const pvmove: LogicalVolume = {
      name: "pvmove0",
      id: "pvmove-id",
      status: ["READ", "WRITE", "PVMOVE", "LOCKED"],
      flags: [],
      tags: [],
      allocationPolicy: "contiguous",
      segments: [
        {
          startExtent: 0,
          extentCount: 4,
          typeFlags: [],
          tags: [],
          type: "striped",
          stripeCount: 1,
          areas: [{ kind: "pv", pv: "pv0", pe: 0 }],
        },
      ],
      extra: [],
    };
    vg = {
      ...vg,
      lvs: [
        {
          ...(vg.lvs[0] as LogicalVolume),
          status: ["READ", "WRITE", "VISIBLE", "LOCKED"],
          segments: [
            {
              ...(vg.lvs[0]?.segments[0] as Segment & { type: "striped" }),
              areas: [{ kind: "lv", lv: "pvmove0", le: 0 }],
            },
          ],
        },
        vg.lvs[1] as LogicalVolume,
        pvmove,
      ],
    };
    const out = addPvmoveMirrors(vg, "pvmove0", { pvs: createPvList(vg, ["/dev/loop1"]) }).vg;
    expect(validateVg(out)).toEqual([]);
    // pv1 free areas: 3-14 (12) and 0-1 (2); the 4 extents fit in the larger one in one piece.
    const segs = out.lvs.find((l) => l.name === "pvmove0")?.segments;
    expect(segs?.map((s) => (s.type === "mirror" ? s.areas : []))).toEqual([
      [
        { kind: "pv", pv: "pv0", pe: 0 },
        { kind: "pv", pv: "pv1", pe: 3 },
      ],
    ]);
  });
});

describe("reduceLv", () => {
  it("drops extents from the end, splitting the last segment, and shrinks mirror images [S: lv_reduce]", () => {
    let vg = placeLinear(makeVg([15, 15]), "lv", [
      ["pv0", 0, 4],
      ["pv1", 0, 4],
    ]);
    vg = reduceLv(vg, "lv", { extents: 6 });
    expect(placesOf(vg, "lv")).toEqual([["pv0", 0, 2]]);
    let mir = create(makeVg([15, 15, 15]), "mir", 5, { mirrors: 2 });
    mir = reduceLv(mir, "mir", { extents: 2 });
    expect(validateVg(mir)).toEqual([]);
    expect(placesOf(mir, "mir_mimage_0")).toEqual([["pv0", 0, 3]]);
    expect(placesOf(mir, "mir_mimage_1")).toEqual([["pv1", 0, 3]]);
    expect(() => reduceLv(mir, "mir", { extents: 3 })).toThrow(/give 1\.\.2 or remove the LV/);
    const str = create(makeVg([15, 15]), "str", 4, { stripes: 2 });
    expect(() => reduceLv(str, "str", { extents: 1 })).toThrow(/use a multiple of the stripes/);
  });
});

describe("allocateExtents leaves the VG alone", () => {
  it("returns rows without changing the model", () => {
    const vg = makeVg([15, 15]);
    const before = JSON.stringify(vg);
    const a = allocateExtents(vg, { extents: 4, stripes: 2 });
    expect(a.rows).toEqual([
      [
        { pv: "pv0", pe: 0, count: 2 },
        { pv: "pv1", pe: 0, count: 2 },
      ],
    ]);
    expect(JSON.stringify(vg)).toBe(before);
  });
});
