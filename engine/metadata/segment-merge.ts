/**
 * `lv_merge_segments` (`lib/metadata/merge.c`, `_striped_merge_segments` in `lib/striped/striped.c`):
 * adjacent striped segments whose every area continues on the same PV right where the previous
 * one ended become one segment. LVM2 runs it after each extension and on import; it leaves LOCKED
 * and pvmove LVs (and mirror images of those) alone because pvmove relies on matching segment
 * structure between the LV and pvmove0.
 */

import type { LogicalVolume, Segment, StripedSegment, VolumeGroup } from "./model.js";

function sameTags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t) => b.includes(t));
}

/** True when `second` continues `first` on the same PVs (`_striped_segments_compatible`). */
export function stripedSegmentsCompatible(first: StripedSegment, second: StripedSegment): boolean {
  if (first.areas.length !== second.areas.length || first.stripeSizeSectors !== second.stripeSizeSectors)
    return false;
  if (first.typeFlags.length > 0 || second.typeFlags.length > 0) return false;
  const width = first.stripeCount > 0 ? first.extentCount / first.stripeCount : 0;
  for (let s = 0; s < first.areas.length; s++) {
    const a = first.areas[s];
    const b = second.areas[s];
    if (a?.kind !== "pv" || b?.kind !== "pv") return false;
    if (a.pv !== b.pv || a.pe + width !== b.pe) return false;
  }
  return sameTags(first.tags, second.tags);
}

/** The LV with mergeable neighbouring segments merged, or the same LV when nothing changes. */
export function mergeSegments(vg: VolumeGroup, lv: LogicalVolume): LogicalVolume {
  if (lv.status.includes("LOCKED") || lv.status.includes("PVMOVE")) return lv;
  const parent = vg.lvs.find((p) =>
    p.segments.some((s) => s.type === "mirror" && s.areas.some((a) => a.kind === "lv" && a.lv === lv.name)),
  );
  if (parent && (parent.status.includes("LOCKED") || parent.status.includes("PVMOVE"))) return lv;
  const out: Segment[] = [];
  let changed = false;
  for (const seg of lv.segments) {
    const prev = out[out.length - 1];
    if (prev?.type === "striped" && seg.type === "striped" && stripedSegmentsCompatible(prev, seg)) {
      out[out.length - 1] = { ...prev, extentCount: prev.extentCount + seg.extentCount };
      changed = true;
    } else out.push(seg);
  }
  return changed ? { ...lv, segments: out } : lv;
}

/**
 * `lv_split_segment`: splits the segment of `lv` that contains `le` so that a segment starts at
 * `le`; area offsets of the tail advance by the split point divided by the segment's area multiple.
 * Returns the LV unchanged when a segment already starts there.
 */
export function splitSegmentAt(lv: LogicalVolume, le: number): LogicalVolume {
  const index = lv.segments.findIndex((s) => s.startExtent <= le && le < s.startExtent + s.extentCount);
  const seg = lv.segments[index];
  if (!seg) throw new Error(`Segment with extent ${le} in LV ${lv.name} not found; cannot split there`);
  if (seg.startExtent === le) return lv;
  if (seg.type !== "striped" && seg.type !== "mirror") {
    throw new Error(`Cannot split ${seg.type === "other" ? seg.segType : seg.type} segment of LV ${lv.name}`);
  }
  const offset = le - seg.startExtent;
  const multiple = seg.type === "striped" ? seg.stripeCount : 1;
  if (offset % multiple !== 0) {
    throw new Error(`Cannot split LV ${lv.name} at extent ${le}: not a multiple of its ${multiple} stripes`);
  }
  const areaOffset = offset / multiple;
  const head: Segment = { ...seg, extentCount: offset };
  const tailAreas = seg.areas.map((a) =>
    a.kind === "pv" ? { ...a, pe: a.pe + areaOffset } : { ...a, le: a.le + areaOffset },
  );
  const tail: Segment =
    seg.type === "mirror"
      ? {
          ...seg,
          startExtent: le,
          extentCount: seg.extentCount - offset,
          areas: tailAreas,
          ...(seg.extentsMoved !== undefined
            ? { extentsMoved: Math.max(0, Math.min(seg.extentsMoved - offset, seg.extentCount - offset)) }
            : {}),
        }
      : { ...seg, startExtent: le, extentCount: seg.extentCount - offset, areas: tailAreas };
  const headFixed: Segment =
    head.type === "mirror" && head.extentsMoved !== undefined
      ? { ...head, extentsMoved: Math.min(head.extentsMoved, offset) }
      : head;
  return {
    ...lv,
    segments: [...lv.segments.slice(0, index), headFixed, tail, ...lv.segments.slice(index + 1)],
  };
}
