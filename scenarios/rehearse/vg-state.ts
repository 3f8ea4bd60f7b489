/**
 * A comparable summary of a VG: which PVs it has, which visible LVs, and where each logical extent
 * of each LV lives (PV and physical extent, through mirror images and pvmove's temporary mirror).
 * The classification compares the summary before a recovery command with the one after it.
 */
import type { LogicalVolume, VolumeGroup } from "../../engine/metadata/mod.js";
import { lvKinds } from "../../engine/metadata/mod.js";

/** One visible LV. */
export interface LvState {
  readonly extents: number;
  /** Per logical extent, where its data lives: "dev:pe" entries joined by "|" ("error", "missing:…"). */
  readonly places: readonly string[];
}

/** The summary. */
export interface VgState {
  readonly seqno: number;
  /** PV devices in the VG; a PV whose device is missing is "missing:<uuid>". */
  readonly pvs: readonly string[];
  readonly lvs: ReadonlyMap<string, LvState>;
  /** True while a pvmove LV is in the metadata. */
  readonly pvmove: boolean;
}

/** LVs bigger than this are summarised by segment, not by extent. */
const EXTENTS_PER_LV_MAX = 1 << 20;
const DEPTH_MAX = 8;

/** Summarises `vg`. */
export function vgState(vg: VolumeGroup): VgState {
  const pvPlace = new Map(
    vg.pvs.map((pv) => [pv.name, pv.status.includes("MISSING") ? `missing:${pv.id}` : pv.deviceHint]),
  );
  const byName = new Map(vg.lvs.map((lv) => [lv.name, lv]));
  const placesOf = (lv: LogicalVolume, le: number, depth: number): string[] => {
    if (depth > DEPTH_MAX) return ["(too deep)"];
    const seg = lv.segments.find((s) => le >= s.startExtent && le < s.startExtent + s.extentCount);
    if (seg === undefined) return ["(unmapped)"];
    const offset = le - seg.startExtent;
    if (seg.type === "error" || seg.type === "zero") return [seg.type];
    if (seg.type === "snapshot" || seg.type === "other")
      return [`${seg.type === "other" ? seg.segType : "snapshot"}`];
    let areas = seg.areas;
    let areaOffset = offset;
    if (seg.type === "striped" && seg.stripeCount > 1) {
      // Which stripe holds this extent is a detail; the set of areas is what moves.
      areaOffset = Math.floor(offset / seg.stripeCount);
    } else if (seg.type === "striped") {
      areas = seg.areas.slice(0, 1);
    }
    const out: string[] = [];
    for (const area of areas) {
      if (area.kind === "pv") out.push(`${pvPlace.get(area.pv) ?? area.pv}:${area.pe + areaOffset}`);
      else {
        const sub = byName.get(area.lv);
        out.push(
          ...(sub === undefined ? [`(no ${area.lv})`] : placesOf(sub, area.le + areaOffset, depth + 1)),
        );
      }
    }
    return out;
  };
  const kinds = lvKinds(vg);
  const lvs = new Map<string, LvState>();
  for (const lv of vg.lvs) {
    if (kinds.get(lv.name)?.visible !== true || lv.status.includes("PVMOVE")) continue;
    const extents = lv.segments.reduce((n, s) => n + s.extentCount, 0);
    const places: string[] = [];
    if (extents <= EXTENTS_PER_LV_MAX) {
      for (let le = 0; le < extents; le++) places.push([...new Set(placesOf(lv, le, 0))].sort().join("|"));
    }
    lvs.set(lv.name, { extents, places });
  }
  return {
    seqno: vg.seqno,
    pvs: [...pvPlace.values()].sort(),
    lvs,
    pvmove: vg.lvs.some((lv) => lv.status.includes("PVMOVE")),
  };
}

/** Logical extents of `lv` whose place differs between two summaries (0 when only one has it). */
export function remappedExtents(before: LvState, after: LvState): number {
  const n = Math.min(before.places.length, after.places.length);
  let changed = 0;
  for (let le = 0; le < n; le++) if (before.places[le] !== after.places[le]) changed++;
  return changed;
}

/** Differences that keep a VG from matching the plan's intended end state, in words (empty: matches). */
export function endStateDifferences(actual: VgState | undefined, intended: VgState): string[] {
  if (actual === undefined) return ["the VG cannot be read"];
  const problems: string[] = [];
  if (actual.pvmove) problems.push("a pvmove is still in the metadata");
  const pvs = (s: VgState) => s.pvs.join(", ");
  if (pvs(actual) !== pvs(intended)) problems.push(`PVs are ${pvs(actual) || "none"}, not ${pvs(intended)}`);
  for (const [name, lv] of intended.lvs) {
    const got = actual.lvs.get(name);
    if (got === undefined) problems.push(`LV ${name} is gone`);
    else if (got.extents !== lv.extents)
      problems.push(`LV ${name} has ${got.extents} extents, not ${lv.extents}`);
  }
  for (const name of actual.lvs.keys())
    if (!intended.lvs.has(name)) problems.push(`LV ${name} is unexpected`);
  return problems;
}
