import { describe, expect, it } from "vitest";
import { exportVg } from "../../../engine/metadata/export.js";
import { importVg } from "../../../engine/metadata/import.js";
import { removeLvTree } from "../../../engine/metadata/lv-alloc.js";
import { lvKinds } from "../../../engine/metadata/lv-kind.js";
import { createSnapshot, startSnapshotMerge } from "../../../engine/metadata/snapshot.js";
import { validateVg } from "../../../engine/metadata/validate.js";
import { makeVg, placeLinear, placesOf, testIds } from "../../fixtures/metadata/build.js";
import { MIXED } from "../../fixtures/metadata/examples.js";
import { rawVgSection } from "../../fixtures/metadata/raw-text.js";

describe("createSnapshot", () => {
  it("adds a hidden COW LV and a snapshotN LV as long as the origin [R§2.4, §2.6]", () => {
    const vg0 = placeLinear(makeVg([15, 15]), "lv1", [["pv0", 0, 3]]);
    const { vg, name, snapshotLv } = createSnapshot(vg0, {
      ...testIds,
      origin: "lv1",
      name: "snap",
      extents: 1,
    });
    expect([name, snapshotLv]).toEqual(["snap", "snapshot0"]);
    expect(validateVg(vg)).toEqual([]);
    expect(placesOf(vg, "snap")).toEqual([["pv0", 3, 1]]);
    expect(vg.lvs.find((l) => l.name === "snap")?.status).toEqual(["READ", "WRITE"]);
    const snap0 = vg.lvs.find((l) => l.name === "snapshot0");
    expect(snap0?.status).toEqual(["READ", "WRITE", "VISIBLE"]);
    expect(snap0?.segments).toEqual([
      {
        startExtent: 0,
        extentCount: 3,
        typeFlags: [],
        tags: [],
        type: "snapshot",
        chunkSizeSectors: 8,
        origin: "lv1",
        cowStore: "snap",
        merging: false,
      },
    ]);
    const kinds = lvKinds(vg);
    expect(kinds.get("snap")).toMatchObject({ cow: true, visible: true });
    expect(kinds.get("snapshot0")).toMatchObject({ snapshot: true, visible: false });
    expect(kinds.get("lv1")).toMatchObject({ origin: true, visible: true });
    // Written as the verified example: snapshot0 after the visible LVs, snap without VISIBLE.
    const lvs = exportVg(vg).items.find((n) => n.key === "logical_volumes");
    expect(lvs?.kind === "section" && lvs.items.map((n) => n.key)).toEqual(["lv1", "snap", "snapshot0"]);
  });

  it("rejects bad chunk sizes and snapshots of snapshots", () => {
    const vg0 = placeLinear(makeVg([15]), "lv1", [["pv0", 0, 3]]);
    expect(() =>
      createSnapshot(vg0, { ...testIds, origin: "lv1", extents: 1, chunkSizeSectors: 12 }),
    ).toThrow(/Chunk size must be a power of 2 in the range 4K to 512K/);
    const { vg } = createSnapshot(vg0, { ...testIds, origin: "lv1", name: "s", extents: 1 });
    expect(() => createSnapshot(vg, { ...testIds, origin: "s", extents: 1 })).toThrow(
      /Snapshots of snapshots/,
    );
  });

  it("merging writes merging_store and hides the COW; removing the COW removes snapshotN", () => {
    const vg = importVg(rawVgSection(MIXED));
    const merging = startSnapshotMerge(vg, "snap");
    const seg = merging.lvs.find((l) => l.name === "snapshot0")?.segments[0];
    expect(seg).toMatchObject({ type: "snapshot", merging: true });
    expect(lvKinds(merging).get("snap")).toMatchObject({ mergingCow: true, visible: false });
    const round = importVg(exportVg(merging));
    expect(round.lvs.find((l) => l.name === "snapshot0")?.segments[0]).toEqual(seg);
    expect(() => startSnapshotMerge(merging, "snap")).toThrow(/already merging/);
    const removed = removeLvTree(vg, "snap");
    expect(removed.lvs.map((l) => l.name)).not.toContain("snapshot0");
    expect(removed.lvs.map((l) => l.name)).toContain("lv1");
    expect(validateVg(removed)).toEqual([]);
  });
});
