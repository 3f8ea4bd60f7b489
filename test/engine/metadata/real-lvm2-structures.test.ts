/**
 * Real LVM2 accepts and re-exports exactly what our builders produce. From a VG made by lvm2
 * 2.03.16 (real-lvm2/base.vg: three 15-extent PVs), we built with our API (A) a linear origin, a
 * mirror with disk log, a striped LV and a snapshot; (B) a running pvmove of three LVs after one
 * checkpoint; (C) an --atomic pvmove of one LV. Each was printed as a backup file and loaded into
 * the real PVs with `vgcfgrestore --driverloaded n -f`, then read back with `vgcfgbackup`
 * (real-lvm2/restored-*.vg; `lvs` showed the expected attributes: m/I/l for the mirror, o/s for the
 * snapshot, p-C for pvmove0, I for locked LVs). This test rebuilds the same VGs and requires the
 * tree LVM2 wrote back to equal our export node for node (vgcfgrestore bumps seqno 10 → 11).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../engine/format/config-parse.js";
import type { ConfigNode, ConfigSection } from "../../../engine/format/config-tree.js";
import { exportVg } from "../../../engine/metadata/export.js";
import { findVgSection, importVg } from "../../../engine/metadata/import.js";
import { createLv } from "../../../engine/metadata/lv-alloc.js";
import type { VolumeGroup } from "../../../engine/metadata/model.js";
import { createPvList, type PvSelection } from "../../../engine/metadata/pv-list.js";
import { checkpointPvmove, setUpPvmove } from "../../../engine/metadata/pvmove.js";
import { createSnapshot } from "../../../engine/metadata/snapshot.js";
import { validateVg } from "../../../engine/metadata/validate.js";

const fixture = (name: string): ConfigSection =>
  findVgSection(
    parseConfig(readFileSync(new URL(`../../fixtures/metadata/real-lvm2/${name}`, import.meta.url), "utf8")),
  );

/** Deterministic, LVM2-valid uuids derived from a tag and the LV name. */
const ids =
  (tag: string) =>
  (name: string): string => {
    const b = `${tag}${name}`
      .replace(/[^A-Za-z0-9]/g, "x")
      .padEnd(32, "0")
      .slice(0, 32);
    return [
      b.slice(0, 6),
      b.slice(6, 10),
      b.slice(10, 14),
      b.slice(14, 18),
      b.slice(18, 22),
      b.slice(22, 26),
      b.slice(26),
    ].join("-");
  };
const who = { creationTime: 1795240000, creationHost: "vm" };

function strip(node: ConfigNode): unknown {
  // Positions, size comments and the blank line before the VG in a backup file carry no content.
  return JSON.parse(
    JSON.stringify({ ...node, blankLineBefore: undefined }, (k, v) =>
      k === "at" || k === "comment" ? undefined : v,
    ),
  );
}

function built(): Record<"A" | "B" | "C", VolumeGroup> {
  const base = importVg(fixture("base.vg"));
  let a = createLv(base, { makeId: ids("A"), ...who, name: "lin", extents: 4 }).vg;
  a = createLv(a, {
    makeId: ids("A"),
    ...who,
    name: "mir",
    extents: 3,
    mirrors: 2,
    regionSizeSectors: 1024,
  }).vg;
  a = createLv(a, {
    makeId: ids("A"),
    ...who,
    name: "str",
    extents: 4,
    stripes: 2,
    stripeSizeSectors: 128,
  }).vg;
  a = createSnapshot(a, { makeId: ids("A"), ...who, origin: "lin", name: "snap", extents: 2 }).vg;
  let b = createLv(base, { makeId: ids("B"), ...who, name: "lv0", extents: 2 }).vg;
  b = createLv(b, { makeId: ids("B"), ...who, name: "lv1", extents: 1 }).vg;
  b = createLv(b, { makeId: ids("B"), ...who, name: "lv2", extents: 3 }).vg;
  const source = createPvList(b, [b.pvs[0]?.deviceHint ?? ""])[0] as PvSelection;
  const destinations = createPvList(b, [b.pvs[1]?.deviceHint ?? "", b.pvs[2]?.deviceHint ?? ""]);
  const running = setUpPvmove(b, { makeId: ids("B"), ...who, source, destinations }).vg;
  const atomic = setUpPvmove(b, {
    makeId: ids("C"),
    ...who,
    source,
    destinations,
    atomic: true,
    lvName: "lv2",
  }).vg;
  return { A: a, B: checkpointPvmove(running, "pvmove0"), C: atomic };
}

describe("structures built by our API, as real LVM2 re-exports them", () => {
  const vgs = built();
  for (const key of ["A", "B", "C"] as const) {
    it(`restored-${key}.vg`, () => {
      const vg = { ...vgs[key], seqno: 11 };
      expect(validateVg(vg)).toEqual([]);
      const lvm2 = fixture(`restored-${key}.vg`);
      expect(strip(exportVg(vg))).toEqual(strip(lvm2));
      expect(strip(exportVg(importVg(lvm2)))).toEqual(strip(lvm2));
    });
  }
});
