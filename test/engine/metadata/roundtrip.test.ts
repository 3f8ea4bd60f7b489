import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../engine/format/config-parse.js";
import { printConfig } from "../../../engine/format/config-print.js";
import type { ConfigNode, ConfigSection } from "../../../engine/format/config-tree.js";
import { exportVg } from "../../../engine/metadata/export.js";
import { importVg } from "../../../engine/metadata/import.js";
import {
  EMPTY_VG,
  MIXED,
  PVMOVE_ATOMIC,
  PVMOVE_FINISH_A,
  PVMOVE_RUNNING,
} from "../../fixtures/metadata/examples.js";
import { rawVgSection } from "../../fixtures/metadata/raw-text.js";

/** Drops source positions, which carry no content; keeps every blank line. */
function normalise(node: ConfigNode): unknown {
  const common = {
    key: node.key,
    blank: node.blankLineBefore === true,
    before: node.commentsBefore ?? [],
  };
  if (node.kind === "section") {
    return { kind: "section", ...common, atEnd: node.linesAtEnd ?? [], items: node.items.map(normalise) };
  }
  return { kind: "assign", ...common, value: node.value };
}

const FIXTURES: Record<string, string> = { PVMOVE_RUNNING, PVMOVE_ATOMIC, PVMOVE_FINISH_A, MIXED, EMPTY_VG };

describe("export(import(tree)) equals the tree LVM2 wrote", () => {
  for (const [name, text] of Object.entries(FIXTURES)) {
    it(name, () => {
      const tree = rawVgSection(text);
      const back = exportVg(importVg(tree));
      expect(normalise(back)).toEqual(normalise(tree));
    });
  }
});

describe("text → parseConfig → import → export → printConfig gives LVM2's bytes back", () => {
  for (const [name, text] of Object.entries(FIXTURES)) {
    it(name, () => {
      const file = parseConfig(text);
      const vgIndex = file.items.findIndex((n) => n.kind === "section");
      const vg = importVg(file.items[vgIndex] as ConfigSection);
      const items = file.items.map((n, i) => (i === vgIndex ? exportVg(vg) : n));
      expect(printConfig({ ...file, items }, { style: "raw" })).toBe(text);
    });
  }
});

describe("import reads the fields", () => {
  it("reads the pvmove example into typed segments", () => {
    const vg = importVg(rawVgSection(PVMOVE_RUNNING));
    expect(vg.name).toBe("vg0");
    expect(vg.seqno).toBe(6);
    expect(vg.extentSizeSectors).toBe(8192);
    expect(vg.status).toEqual(["RESIZEABLE", "READ", "WRITE"]);
    expect(vg.pvs.map((p) => [p.name, p.deviceHint, p.peCount, p.peStartSectors])).toEqual([
      ["pv0", "/dev/loop0", 15, 2048],
      ["pv1", "/dev/loop1", 15, 2048],
    ]);
    const pvmove = vg.lvs.find((l) => l.name === "pvmove0");
    expect(pvmove?.status).toEqual(["READ", "WRITE", "PVMOVE", "LOCKED"]);
    expect(pvmove?.allocationPolicy).toBe("contiguous");
    expect(pvmove?.segments[1]).toEqual({
      startExtent: 2,
      extentCount: 2,
      typeFlags: [],
      tags: [],
      type: "mirror",
      mirrorCount: 2,
      extentsMoved: 0,
      regionSizeSectors: 4096,
      areas: [
        { kind: "pv", pv: "pv0", pe: 3 },
        { kind: "pv", pv: "pv1", pe: 2 },
      ],
    });
    const lv0 = vg.lvs.find((l) => l.name === "lv0");
    expect(lv0?.segments[0]).toMatchObject({
      type: "striped",
      areas: [{ kind: "lv", lv: "pvmove0", le: 0 }],
    });
  });

  it("keeps a PV's MISSING flag as status and writes it back among the flags", () => {
    const vg = importVg(rawVgSection(MIXED));
    expect(vg.pvs[2]?.status).toEqual(["ALLOCATABLE", "MISSING"]);
    expect(vg.pvs[2]?.flags).toEqual([]);
    expect(vg.allocationPolicy).toBe("cling");
    expect(vg.tags).toEqual(["prod", "db"]);
  });

  it("keeps unknown segment types verbatim", () => {
    const vg = importVg(rawVgSection(MIXED));
    const seg = vg.lvs.find((l) => l.name === "r1")?.segments[0];
    expect(seg?.type).toBe("other");
    if (seg?.type !== "other") throw new Error("unreachable");
    expect(seg.segType).toBe("raid1");
    expect(seg.items.map((n) => n.key)).toEqual(["device_count", "region_size", "raids"]);
  });

  it("writes visible LVs first whatever the model's order", () => {
    const vg = importVg(rawVgSection(MIXED));
    const shuffled = { ...vg, lvs: [...vg.lvs].reverse() };
    const lvs = exportVg(shuffled).items.find((n) => n.key === "logical_volumes") as ConfigSection;
    const names = lvs.items.map((n) => n.key);
    // The cow "snap" has no VISIBLE flag but is visible because its origin is (lv_is_visible).
    expect(names.slice(0, 5).sort()).toEqual(["lv1", "mir", "r1", "snap", "str"]);
    expect(names.slice(5)).toContain("snapshot0");
  });

  it("renumbers PV references by position when a PV is removed from the model", () => {
    const vg = importVg(rawVgSection(PVMOVE_FINISH_A));
    const smaller = { ...vg, pvs: vg.pvs.slice(1) };
    const out = exportVg(smaller);
    const pvs = out.items.find((n) => n.key === "physical_volumes") as ConfigSection;
    expect(pvs.items.map((n) => n.key)).toEqual(["pv0"]);
    const lvs = out.items.find((n) => n.key === "logical_volumes") as ConfigSection;
    const seg = ((lvs.items[0] as ConfigSection).items.find((n) => n.key === "segment1") as ConfigSection)
      .items;
    const stripes = seg.find((n) => n.key === "stripes");
    expect(stripes?.kind === "assign" && stripes.value).toEqual({
      kind: "array",
      items: [
        { kind: "string", value: "pv0" },
        { kind: "int", value: 0 },
      ],
    });
  });
});

describe("a VG exported again (export reuses the sections of unchanged PVs and LVs)", () => {
  const print = (vg: ReturnType<typeof importVg>): string =>
    printConfig({ items: [exportVg(vg)] }, { style: "raw" });
  // structuredClone gives objects export has never seen, so this is what a first export prints.
  const fresh = (vg: ReturnType<typeof importVg>): string => print(structuredClone(vg));

  it("prints what a first export prints, after a new seqno, a changed LV and a PV moved or removed", () => {
    const vg = importVg(rawVgSection(MIXED));
    const first = print(vg);
    expect(first).toBe(fresh(vg));
    const bumped = { ...vg, seqno: vg.seqno + 1 };
    expect(print(bumped)).toBe(fresh(bumped));
    expect(print(bumped)).not.toBe(first);
    const renamed = { ...vg, lvs: vg.lvs.map((lv, i) => (i === 0 ? { ...lv, tags: ["changed"] } : lv)) };
    expect(print(renamed)).toContain('tags = ["changed"]');
    expect(print(renamed)).toBe(fresh(renamed));
    // The same LV objects against other PV positions: every `pvN` reference is renumbered.
    const reordered = { ...vg, pvs: [...vg.pvs].reverse() };
    expect(print(reordered)).toBe(fresh(reordered));
    expect(print(reordered)).not.toBe(first);
    const pvmove = importVg(rawVgSection(PVMOVE_FINISH_A));
    print(pvmove);
    const smaller = { ...pvmove, pvs: pvmove.pvs.slice(1) };
    expect(print(smaller)).toBe(fresh(smaller));
    // A pvmove checkpoint: one segment of the pvmove LV changes, the others stay the same objects.
    const running = importVg(rawVgSection(PVMOVE_RUNNING));
    print(running);
    const moved = {
      ...running,
      lvs: running.lvs.map((lv) =>
        lv.name === "pvmove0"
          ? { ...lv, segments: lv.segments.map((seg, i) => (i === 1 ? { ...seg, extentsMoved: 2 } : seg)) }
          : lv,
      ),
    };
    expect(print(moved)).toContain("extents_moved = 2");
    expect(print(moved)).toBe(fresh(moved));
    // And back: the first VG prints as it did.
    expect(print(vg)).toBe(first);
  });
});
