/**
 * Where `createThinPool` puts a pool's `_tdata` and `_tmeta`. Real LVM2 cannot create a thin pool
 * metadata-only ("Can't create thin-pool without using device-mapper kernel driver", checked
 * before allocation in `_lv_create_an_lv`), so the oracle is LVM2 2.03.16's source: `lv_extend`
 * allocates data and metadata in one `allocate_extents` call with `log_count = 1` and the metadata
 * size as `log_len`; `_find_some_parallel_space` sorts the PVs' areas largest first (ties keep PV
 * order), gives the data the first and the metadata the last area that still fits it, and puts the
 * metadata beside the data on the same PV only on the second ("log iteration") pass, when no
 * other PV can hold it and `thin_pool_metadata_require_separate_pvs` is 0. The first layout is
 * the one real LVM2 made in the VM for `thin-data-full` (issue 20).
 */
import { describe, expect, it } from "vitest";
import { createThinPool } from "../../../engine/metadata/thin.js";
import { validateVg } from "../../../engine/metadata/validate.js";
import { makeVg, placesOf, testIds } from "../../fixtures/metadata/build.js";

function pool(
  peCounts: readonly number[],
  dataExtents: number,
  metadataSeparatePvs = false,
  metadataExtents = 1,
) {
  const { vg } = createThinPool(makeVg(peCounts), {
    ...testIds,
    name: "pool",
    dataExtents,
    metadataExtents,
    chunkSizeSectors: 128,
    discards: "passdown",
    zeroNewBlocks: true,
    spare: true,
    errorWhenFull: false,
    metadataSeparatePvs,
  });
  expect(validateVg(vg)).toEqual([]);
  return {
    spare: placesOf(vg, "lvol0_pmspare"),
    tdata: placesOf(vg, "pool_tdata"),
    tmeta: placesOf(vg, "pool_tmeta"),
  };
}

describe("createThinPool placement", () => {
  it("puts _tmeta on the other PV when the data takes the first (thin-data-full: 5 + 15 extents)", () => {
    expect(pool([5, 15], 1)).toEqual({
      spare: [["pv0", 0, 1]],
      tdata: [["pv0", 1, 1]],
      tmeta: [["pv1", 0, 1]],
    });
  });

  it("puts _tmeta on the last PV that fits it, not the next one", () => {
    expect(pool([5, 15, 10], 2)).toEqual({
      spare: [["pv0", 0, 1]],
      tdata: [["pv0", 1, 2]],
      tmeta: [["pv2", 0, 1]],
    });
  });

  it("skips PVs too small for the metadata", () => {
    // One free extent on pv2 holds a 1-extent _tmeta but not a 2-extent one (pv0 keeps the spare).
    expect(pool([5, 15, 1], 2).tmeta).toEqual([["pv2", 0, 1]]);
    expect(pool([6, 15, 1], 2, false, 2).tmeta).toEqual([["pv1", 0, 2]]);
  });

  it("shares the data's PV only when it is the only one, and never with require_separate_pvs", () => {
    expect(pool([15], 2)).toEqual({
      spare: [["pv0", 0, 1]],
      tdata: [["pv0", 1, 2]],
      tmeta: [["pv0", 3, 1]],
    });
    expect(() => pool([15], 2, true)).toThrow();
    expect(pool([15, 15], 2, true).tmeta).toEqual([["pv1", 0, 1]]);
  });
});
