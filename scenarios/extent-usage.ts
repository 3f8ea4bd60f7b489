import { segmentAreaLen, type VolumeGroup } from "../engine/metadata/model.js";

/** Extents of PV `pvName` that any LV segment maps (a simple count from the metadata). */
export function usedExtentsOnPv(vg: VolumeGroup, pvName: string): number {
  let used = 0;
  for (const lv of vg.lvs) {
    for (const seg of lv.segments) {
      if (seg.type !== "striped" && seg.type !== "mirror") continue;
      const len = segmentAreaLen(seg);
      for (const area of seg.areas) if (area.kind === "pv" && area.pv === pvName) used += len;
    }
  }
  return used;
}
