/**
 * Per-PV extent usage derived from the model on demand (LVM2 builds the same `pv_segment` lists
 * from the LV segments on import, `lib/metadata/pv_manip.c`). Nothing here is stored, so it can
 * never drift from the segments. Also the `lvs` strings `devices` and `seg_pe_ranges`
 * (`_format_pvsegs`, `lib/metadata/lv.c`).
 */

import { type LogicalVolume, type Segment, segmentAreaLen, type VolumeGroup } from "./model.js";
import { raid1View } from "./raid.js";

/** A run of physical extents `[pe, pe + count)` on one PV. */
export interface PeRange {
  readonly pe: number;
  readonly count: number;
}

/** One use of a PV extent run by an LV segment area. */
export interface ExtentUse extends PeRange {
  readonly lv: string;
  /** Index of the segment in the LV (0-based). */
  readonly segment: number;
  /** Index of the area in the segment (0-based). */
  readonly area: number;
}

/**
 * Every PV area use of every LV, grouped by PV name and sorted by PE (ties by LV order). Overlaps
 * are reported as they are, for {@link import("./validate.js").validateVg} to flag.
 */
export function pvUsage(vg: VolumeGroup): ReadonlyMap<string, readonly ExtentUse[]> {
  const byPv = new Map<string, ExtentUse[]>(vg.pvs.map((pv) => [pv.name, []]));
  for (const lv of vg.lvs) {
    lv.segments.forEach((seg, segment) => {
      if (seg.type !== "striped" && seg.type !== "mirror") return;
      const count = segmentAreaLen(seg);
      seg.areas.forEach((a, area) => {
        if (a.kind !== "pv") return;
        let list = byPv.get(a.pv);
        if (!list) {
          list = [];
          byPv.set(a.pv, list);
        }
        list.push({ pe: a.pe, count, lv: lv.name, segment, area });
      });
    });
  }
  for (const list of byPv.values()) list.sort((x, y) => x.pe - y.pe);
  return byPv;
}

/** Free extent runs of PV `pvName` in PE order, given the uses from {@link pvUsage} (computed if omitted). */
export function pvFreeRanges(
  vg: VolumeGroup,
  pvName: string,
  options: { usage?: ReadonlyMap<string, readonly ExtentUse[]> } = {},
): PeRange[] {
  const pv = vg.pvs.find((p) => p.name === pvName);
  if (!pv) throw new Error(`No PV ${pvName} in VG ${vg.name}; use a name from its physical_volumes`);
  const uses = (options.usage ?? pvUsage(vg)).get(pvName) ?? [];
  const free: PeRange[] = [];
  let next = 0;
  for (const use of uses) {
    if (use.pe > next) free.push({ pe: next, count: Math.min(use.pe, pv.peCount) - next });
    next = Math.max(next, use.pe + use.count);
    if (next >= pv.peCount) break;
  }
  if (next < pv.peCount) free.push({ pe: next, count: pv.peCount - next });
  return free.filter((r) => r.count > 0);
}

/** Number of free extents on PV `pvName` (`pv_free`). */
export function pvFreeExtents(vg: VolumeGroup, pvName: string): number {
  return pvFreeRanges(vg, pvName).reduce((sum, r) => sum + r.count, 0);
}

/** Free extents of the whole VG (`vg_free_count`), over every PV, allocatable or not. */
export function vgFreeExtents(vg: VolumeGroup): number {
  const usage = pvUsage(vg);
  let total = 0;
  for (const pv of vg.pvs) {
    for (const r of pvFreeRanges(vg, pv.name, { usage })) total += r.count;
  }
  return total;
}

/** Logical size of an LV in extents (`le_count`): the sum of its segments. */
export function lvSizeExtents(lv: LogicalVolume): number {
  return lv.segments.reduce((sum, seg) => sum + seg.extentCount, 0);
}

function deviceName(vg: VolumeGroup, pvName: string): string {
  const pv = vg.pvs.find((p) => p.name === pvName);
  // LVM2 prints "[unknown]" for a PV whose device is missing.
  if (!pv || pv.status.includes("MISSING") || pv.deviceHint === "") return "[unknown]";
  return pv.deviceHint;
}

function areaStrings(vg: VolumeGroup, seg: Segment, range: boolean): string[] {
  const raid = raid1View(seg);
  if (raid !== undefined) {
    // raid segments list their data images only (`_segdevices_disp` skips the meta areas).
    return raid.legs.map((leg) => {
      const sub = vg.lvs.find((l) => l.name === leg.image);
      return range ? `${leg.image}:0-${(sub ? lvSizeExtents(sub) : 0) - 1}` : `${leg.image}(0)`;
    });
  }
  if (seg.type !== "striped" && seg.type !== "mirror") return [];
  const areaLen = segmentAreaLen(seg);
  return seg.areas.map((a) => {
    if (a.kind === "pv") {
      const name = deviceName(vg, a.pv);
      return range ? `${name}:${a.pe}-${a.pe + areaLen - 1}` : `${name}(${a.pe})`;
    }
    // For an LV area LVM2 prints extent 0 and the sub-LV's whole length, not the area's own range.
    const sub = vg.lvs.find((l) => l.name === a.lv);
    const len = sub ? lvSizeExtents(sub) : 0;
    return range ? `${a.lv}:0-${len - 1}` : `${a.lv}(0)`;
  });
}

/** The `devices` field of `lvs --segments` for one segment: `/dev/loop0(0),/dev/loop1(4)`. */
export function segDevices(vg: VolumeGroup, seg: Segment): string {
  return areaStrings(vg, seg, false).join(",");
}

/** The `seg_pe_ranges` field of `lvs --segments`: `/dev/loop0:0-9 /dev/loop1:0-9`. */
export function segPeRanges(vg: VolumeGroup, seg: Segment): string {
  return areaStrings(vg, seg, true).join(" ");
}
