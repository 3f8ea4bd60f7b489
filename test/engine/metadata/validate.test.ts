import { describe, expect, it } from "vitest";
import { importVg } from "../../../engine/metadata/import.js";
import type { LogicalVolume, Segment, VolumeGroup } from "../../../engine/metadata/model.js";
import { assertValidVg, MetadataValidationError, validateVg } from "../../../engine/metadata/validate.js";
import { MIXED, PVMOVE_ATOMIC, PVMOVE_FINISH_A, PVMOVE_RUNNING } from "../../fixtures/metadata/examples.js";
import { rawVgSection } from "../../fixtures/metadata/raw-text.js";

const load = (text: string): VolumeGroup => importVg(rawVgSection(text));

function editLv(vg: VolumeGroup, name: string, edit: (lv: LogicalVolume) => LogicalVolume): VolumeGroup {
  return { ...vg, lvs: vg.lvs.map((lv) => (lv.name === name ? edit(lv) : lv)) };
}

function editSeg(vg: VolumeGroup, name: string, index: number, edit: (seg: Segment) => Segment): VolumeGroup {
  return editLv(vg, name, (lv) => ({
    ...lv,
    segments: lv.segments.map((s, i) => (i === index ? edit(s) : s)),
  }));
}

function codes(vg: VolumeGroup): string[] {
  return validateVg(vg).map((i) => i.code);
}

describe("validateVg accepts what LVM2 wrote", () => {
  for (const [name, text] of Object.entries({ PVMOVE_RUNNING, PVMOVE_ATOMIC, PVMOVE_FINISH_A, MIXED })) {
    it(name, () => {
      expect(validateVg(load(text))).toEqual([]);
    });
  }
});

describe("validateVg catches each class of error", () => {
  const base = load(PVMOVE_FINISH_A);

  it("an extent used twice on one PV", () => {
    // lv0 holds pv1:0-3; make pvmove0 a linear LV on pv1:3 too.
    const vg = editSeg(base, "pvmove0", 0, (s) => ({
      ...s,
      type: "striped",
      extentCount: 1,
      stripeCount: 1,
      areas: [{ kind: "pv", pv: "pv1", pe: 3 }],
    }));
    const issues = validateVg(vg);
    expect(issues.map((i) => i.code)).toContain("extent-used-twice");
    const issue = issues.find((i) => i.code === "extent-used-twice");
    expect(issue?.path).toBe("vg0/physical_volumes/pv1");
    expect(issue?.message).toContain(
      "PE 3 of pv1 (/dev/loop1) is used by both lv0 segment1 and pvmove0 segment1",
    );
  });

  it("a gap between segments", () => {
    const vg = editLv(load(PVMOVE_RUNNING), "lv0", (lv) => ({
      ...lv,
      segments: [lv.segments[0] as Segment, { ...(lv.segments[1] as Segment), startExtent: 3 }],
    }));
    const issue = validateVg(vg).find((i) => i.code === "segment-gap");
    expect(issue?.path).toBe("vg0/logical_volumes/lv0/segment2");
    expect(issue?.message).toContain("extents 2..2 are unmapped");
  });

  it("overlapping segments", () => {
    const vg = editSeg(load(PVMOVE_RUNNING), "lv0", 1, (s) => ({ ...s, startExtent: 1 }));
    expect(codes(vg)).toContain("segment-overlap");
  });

  it("a first segment that does not start at extent 0", () => {
    const vg = editSeg(base, "lv0", 0, (s) => ({ ...s, startExtent: 1 }));
    expect(codes(vg)).toContain("segment-gap");
  });

  it("a PE range past pe_count", () => {
    const vg = editSeg(base, "lv0", 0, (s) =>
      s.type === "striped" ? { ...s, areas: [{ kind: "pv", pv: "pv1", pe: 12 }] } : s,
    );
    const issue = validateVg(vg).find((i) => i.code === "pe-out-of-range");
    expect(issue?.message).toContain("extents 12..15 but the PV has pe_count 15");
  });

  it("an LE range past the sub-LV's size", () => {
    const vg = editSeg(load(PVMOVE_RUNNING), "lv0", 1, (s) =>
      s.type === "striped" ? { ...s, areas: [{ kind: "lv", lv: "pvmove0", le: 3 }] } : s,
    );
    expect(codes(vg)).toContain("le-out-of-range");
  });

  it("extent_count not a multiple of stripe_count", () => {
    const vg = editSeg(load(MIXED), "str", 0, (s) => ({ ...s, extentCount: 3 }));
    expect(codes(vg)).toContain("area-count");
  });

  it("stripe_count disagreeing with the areas", () => {
    const vg = editSeg(load(MIXED), "str", 0, (s) => (s.type === "striped" ? { ...s, stripeCount: 3 } : s));
    expect(codes(vg)).toContain("area-count");
  });

  it("references to PVs and LVs that do not exist", () => {
    const vg = editSeg(base, "lv0", 0, (s) =>
      s.type === "striped" ? { ...s, areas: [{ kind: "pv", pv: "pv9", pe: 0 }] } : s,
    );
    expect(codes(vg)).toContain("unknown-pv");
    const vg2 = editSeg(load(MIXED), "snapshot0", 0, (s) =>
      s.type === "snapshot" ? { ...s, cowStore: "nope" } : s,
    );
    expect(codes(vg2)).toContain("unknown-lv");
  });

  it("a raid segment listing a missing sub-LV", () => {
    const vg = load(MIXED);
    const gone = { ...vg, lvs: vg.lvs.filter((lv) => lv.name !== "r1_rmeta_1") };
    const issue = validateVg(gone).find((i) => i.code === "unknown-lv");
    expect(issue?.message).toBe("raid1 segment lists LV r1_rmeta_1, which does not exist");
  });

  it("duplicate and invalid names, seqno 0", () => {
    const vg = { ...base, seqno: 0, lvs: [...base.lvs, { ...(base.lvs[0] as LogicalVolume), id: "other" }] };
    expect(codes(vg)).toEqual(expect.arrayContaining(["seqno", "duplicate-name", "extent-used-twice"]));
    const bad = editLv(base, "lv0", (lv) => ({ ...lv, name: "bad/name" }));
    expect(codes(bad)).toContain("invalid-name");
  });

  it("a visible mirror image", () => {
    const vg = editLv(load(MIXED), "mir_mimage_1", (lv) => ({ ...lv, status: ["READ", "WRITE", "VISIBLE"] }));
    const issue = validateVg(vg).find((i) => i.code === "mirror-structure");
    expect(issue?.message).toContain("mirror image mir_mimage_1 is VISIBLE");
  });

  it("an LV mapped through pvmove0 without LOCKED", () => {
    const vg = editLv(load(PVMOVE_RUNNING), "lv0", (lv) => ({ ...lv, status: ["READ", "WRITE", "VISIBLE"] }));
    expect(codes(vg)).toContain("pvmove-structure");
  });

  it("extents_moved beyond the segment", () => {
    const vg = editSeg(load(PVMOVE_RUNNING), "pvmove0", 1, (s) =>
      s.type === "mirror" ? { ...s, extentsMoved: 5 } : s,
    );
    expect(codes(vg)).toContain("pvmove-structure");
  });

  it("a PV whose extents do not fit its device", () => {
    const vg = { ...base, pvs: base.pvs.map((p, i) => (i === 0 ? { ...p, peCount: 16 } : p)) };
    expect(codes(vg)).toContain("pv-size");
  });

  it("assertValidVg throws with the path and message", () => {
    const vg = { ...base, seqno: 0 };
    expect(() => assertValidVg(vg)).toThrow(MetadataValidationError);
    expect(() => assertValidVg(vg)).toThrow(/vg0\/seqno: seqno is 0, must be >= 1/);
  });
});
