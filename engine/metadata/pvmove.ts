/**
 * pvmove's metadata transformations, as LVM2 2.03.16 writes them (`tools/pvmove.c`
 * `_set_up_pvmove_lv`, `insert_layer_for_segments_on_pv`, `lv_add_mirrors`,
 * `split_parent_segments_for_layer`; `tools/pvmove_poll.c` and `lib/metadata/mirror.c`
 * `_remove_mirrors_from_segments`, `remove_layers_for_segments` for finish and abort):
 *
 * - setup: a hidden `pvmoveN` LV (READ, WRITE, PVMOVE, LOCKED; policy contiguous) takes over every
 *   PV area on the source (restricted to PE ranges and `-n LV`), one linear segment per area; each
 *   moved LV points at it and becomes LOCKED; then destinations are allocated and each segment
 *   becomes a mirror `[source, destination]` with `extents_moved = 0` (or, with `--atomic`, one
 *   mirror segment over `_mimage_0` (source) and `_mimage_1` (destination) sub-LVs).
 * - checkpoint: the running segment's `extents_moved` becomes its length.
 * - finish/abort ("write A"): each segment keeps its destination if checkpointed complete, else its
 *   source (abort of an atomic move always keeps the source); the parents point straight at PVs
 *   again and lose LOCKED; the pvmove LV becomes one hidden `error` segment (2.03.16; HEAD also
 *   makes it visible). "Write B" is simply removing that LV.
 */

import { AllocationError, type AllocRequest, allocateExtents, buildParallelAreas } from "./alloc.js";
import { lvSizeExtents } from "./extent-map.js";
import {
  addPvmoveMirrors,
  adjustedRegionSize,
  DEFAULT_REGION_SIZE_SECTORS,
  type LvIdentity,
  pvmoveParallelAreas,
} from "./lv-alloc.js";
import {
  type AllocPolicy,
  findLv,
  type LogicalVolume,
  type MirrorSegment,
  putLv,
  type Segment,
  type SegmentArea,
  type StripedSegment,
  segmentAreaLen,
  type VolumeGroup,
} from "./model.js";
import { nextLvName } from "./names.js";
import type { PvSelection } from "./pv-list.js";
import { mergeSegments, splitSegmentAt } from "./segment-merge.js";

/** What `pvmove [--atomic] [--alloc P] [-n LV] SOURCE[:ranges] [DEST…]` asks for. */
export interface PvmoveSpec extends LvIdentity {
  /** The source PV, optionally restricted to PE ranges (from `createPvList`). */
  readonly source: PvSelection;
  /** `-n`: move only this LV (and its sub-LVs). */
  readonly lvName?: string;
  /** PVs the destination may use, in order; the caller drops the source unless `--alloc anywhere`. */
  readonly destinations: readonly PvSelection[];
  readonly policy?: AllocPolicy;
  readonly atomic?: boolean;
  readonly regionSizeSectors?: number;
}

/** The VG with the pvmove LV in place, its name, and the LVs that now map through it. */
export interface PvmoveSetup {
  readonly vg: VolumeGroup;
  readonly pvmoveName: string;
  readonly lvsChanged: readonly string[];
}

function linearSeg(startExtent: number, extentCount: number, area: SegmentArea): StripedSegment {
  return {
    startExtent,
    extentCount,
    typeFlags: [],
    tags: [],
    type: "striped",
    stripeCount: 1,
    areas: [area],
  };
}

function inRanges(source: PvSelection, pv: string, pe: number): boolean {
  if (pv !== source.pv) return false;
  if (!source.ranges) return true;
  return source.ranges.some((r) => r.pe <= pe && pe <= r.pe + r.count - 1);
}

/** `_align_segment_boundary_to_pe_range`: split segments so PE range edges fall on segment edges. */
function alignToRanges(lv: LogicalVolume, source: PvSelection): LogicalVolume {
  if (!source.ranges) return lv;
  let out = lv;
  for (const range of source.ranges) {
    const rangeEnd = range.pe + range.count - 1;
    for (const seg of [...out.segments]) {
      if (seg.type !== "striped") continue;
      const areaLen = segmentAreaLen(seg);
      for (const a of seg.areas) {
        if (a.kind !== "pv" || a.pv !== source.pv) continue;
        const peEnd = a.pe + areaLen - 1;
        if (peEnd < range.pe || a.pe > rangeEnd) continue;
        if (range.pe > a.pe) out = splitSegmentAt(out, seg.startExtent + (range.pe - a.pe) * seg.stripeCount);
        if (rangeEnd < peEnd)
          out = splitSegmentAt(out, seg.startExtent + (rangeEnd - a.pe + 1) * seg.stripeCount);
      }
    }
  }
  return out;
}

function isSubLvOf(vg: VolumeGroup, lv: LogicalVolume, top: string, depth = 0): boolean {
  if (depth > vg.lvs.length) return false;
  const users = vg.lvs.filter((p) =>
    p.segments.some(
      (s) =>
        ((s.type === "striped" || s.type === "mirror") &&
          s.areas.some((a) => a.kind === "lv" && a.lv === lv.name)) ||
        (s.type === "mirror" && s.mirrorLog === lv.name),
    ),
  );
  if (users.length !== 1) return false;
  const parent = users[0] as LogicalVolume;
  return parent.name === top || isSubLvOf(vg, parent, top, depth + 1);
}

function onSource(lv: LogicalVolume, source: PvSelection): boolean {
  return lv.segments.some(
    (s) =>
      (s.type === "striped" || s.type === "mirror") &&
      s.areas.some((a) => a.kind === "pv" && a.pv === source.pv),
  );
}

/** `split_parent_segments_for_layer`: parents' segments split where the layer's segments end. */
function splitParents(vg: VolumeGroup, layerName: string): VolumeGroup {
  // The layer's boundaries as `build_parallel_areas_from_lv` sees them (through `_mimage_N` when atomic).
  const pieces = buildParallelAreas(vg, layerName);
  let out = vg;
  for (const parent of vg.lvs) {
    if (parent.name === layerName) continue;
    let lv = parent;
    for (const seg of parent.segments) {
      if (seg.type !== "striped") continue;
      for (const a of seg.areas) {
        if (a.kind !== "lv" || a.lv !== layerName) continue;
        let parentLe = seg.startExtent;
        let remaining = segmentAreaLen(seg);
        let layerLe = a.le;
        for (let guard = 0; remaining > 0; guard++) {
          if (guard > pieces.length) throw new Error(`Layer ${layerName} does not cover ${parent.name}`);
          const ls = pieces.find((p) => p.le === layerLe);
          if (!ls) {
            throw new AllocationError(
              `Incompatible layer boundary: ${parent.name}:${parentLe} on ${layerName}:${layerLe}`,
            );
          }
          if (ls.len < remaining) {
            parentLe += ls.len * seg.stripeCount;
            lv = splitSegmentAt(lv, parentLe);
          }
          remaining -= ls.len;
          layerLe += ls.len;
        }
      }
    }
    if (lv !== parent) out = putLv(out, lv);
  }
  return out;
}

/** Sets up a pvmove: builds the pvmove LV, redirects the moved LVs through it, allocates destinations. */
export function setUpPvmove(vg: VolumeGroup, spec: PvmoveSpec): PvmoveSetup {
  if (!vg.pvs.some((p) => p.name === spec.source.pv)) {
    throw new AllocationError(`Physical volume ${spec.source.pv} is not in volume group ${vg.name}`);
  }
  if (spec.lvName !== undefined && !findLv(vg, spec.lvName)) {
    throw new AllocationError(`Logical volume ${spec.lvName} not found`);
  }
  const pvmoveName = nextLvName(vg, "pvmove");
  let pvmove: LogicalVolume = {
    name: pvmoveName,
    id: spec.makeId(pvmoveName),
    status: ["READ", "WRITE", "PVMOVE", "LOCKED"],
    flags: [],
    tags: [],
    ...(spec.creationTime !== undefined
      ? { creationTime: spec.creationTime, creationHost: spec.creationHost ?? "" }
      : {}),
    allocationPolicy: "contiguous",
    segments: [],
    extra: [],
  };
  // Top-level mirrors on the source keep their redundancy: their PVs are not destinations.
  let destinations = spec.destinations;
  if ((spec.policy ?? "inherit") !== "anywhere") {
    for (const lv of vg.lvs) {
      if (spec.lvName !== undefined && lv.name !== spec.lvName) continue;
      if (lv.segments[0]?.type !== "mirror" || !onSourceDeep(vg, lv, spec.source)) continue;
      const used = pvsOfLv(vg, lv);
      destinations = destinations.filter((d) => !used.has(d.pv));
    }
  }
  let next = vg;
  const lvsChanged: string[] = [];
  let layerLe = 0;
  let skipped = false;
  for (const original of vg.lvs) {
    if (spec.lvName !== undefined && original.name !== spec.lvName && !isSubLvOf(vg, original, spec.lvName))
      continue;
    if (original.segments[0]?.type !== "striped") continue;
    if (!onSource(original, spec.source)) continue;
    if (original.status.includes("LOCKED")) {
      skipped = true;
      continue;
    }
    let lv = alignToRanges(original, spec.source);
    const segments: Segment[] = [];
    let inserted = false;
    for (const seg of lv.segments) {
      if (seg.type !== "striped") {
        segments.push(seg);
        continue;
      }
      const areaLen = segmentAreaLen(seg);
      const areas = seg.areas.map((a) => {
        if (a.kind !== "pv" || !inRanges(spec.source, a.pv, a.pe)) return a;
        pvmove = { ...pvmove, segments: [...pvmove.segments, linearSeg(layerLe, areaLen, a)] };
        const redirected: SegmentArea = { kind: "lv", lv: pvmoveName, le: layerLe };
        layerLe += areaLen;
        inserted = true;
        return redirected;
      });
      segments.push({ ...seg, areas });
    }
    if (!inserted) continue;
    lv = { ...lv, segments, status: lv.status.includes("LOCKED") ? lv.status : withLocked(lv.status) };
    next = putLv(next, lv);
    lvsChanged.push(lv.name);
  }
  if (layerLe === 0) {
    const why = skipped
      ? "All data on source PV skipped. It contains locked, hidden or non-top level LVs only. "
      : "";
    throw new AllocationError(`${why}No data to move for ${vg.name}.`);
  }
  next = putLv(next, pvmove);
  const region = spec.regionSizeSectors ?? DEFAULT_REGION_SIZE_SECTORS;
  if (spec.atomic) {
    next = addSegmentedMirrorImage(next, pvmoveName, spec, destinations, region);
  } else {
    next = addPvmoveMirrors(next, pvmoveName, {
      pvs: destinations,
      ...(spec.policy ? { policy: spec.policy } : {}),
      regionSizeSectors: region,
    }).vg;
  }
  next = splitParents(next, pvmoveName);
  return { vg: next, pvmoveName, lvsChanged };
}

function withLocked(status: LogicalVolume["status"]): LogicalVolume["status"] {
  const order = [
    "READ",
    "WRITE",
    "FIXED_MINOR",
    "VISIBLE",
    "PVMOVE",
    "LOCKED",
    "NOTSYNCED",
    "REBUILD",
    "WRITEMOSTLY",
  ];
  return order.filter((f) => f === "LOCKED" || status.includes(f as never)) as LogicalVolume["status"];
}

function pvsOfLv(vg: VolumeGroup, lv: LogicalVolume, depth = 0): Set<string> {
  const out = new Set<string>();
  if (depth > vg.lvs.length) return out;
  for (const seg of lv.segments) {
    if (seg.type !== "striped" && seg.type !== "mirror") continue;
    for (const a of seg.areas) {
      if (a.kind === "pv") out.add(a.pv);
      else {
        const sub = findLv(vg, a.lv);
        if (sub) for (const pv of pvsOfLv(vg, sub, depth + 1)) out.add(pv);
      }
    }
    if (seg.type === "mirror" && seg.mirrorLog !== undefined) {
      const log = findLv(vg, seg.mirrorLog);
      if (log) for (const pv of pvsOfLv(vg, log, depth + 1)) out.add(pv);
    }
  }
  return out;
}

function onSourceDeep(vg: VolumeGroup, lv: LogicalVolume, source: PvSelection): boolean {
  return pvsOfLv(vg, lv).has(source.pv);
}

/** `lv_add_segmented_mirror_image` (`--atomic`): source segments move into `_mimage_0`, destinations form `_mimage_1`. */
function addSegmentedMirrorImage(
  vg: VolumeGroup,
  pvmoveName: string,
  spec: PvmoveSpec,
  destinations: readonly PvSelection[],
  regionSizeSectors: number,
): VolumeGroup {
  let pvmove = findLv(vg, pvmoveName) as LogicalVolume;
  const total = lvSizeExtents(pvmove);
  const request: AllocRequest = {
    extents: total,
    stripes: 1,
    mirrors: 1,
    policy: spec.policy ?? "inherit",
    pvs: destinations,
    parallelAreas: pvmoveParallelAreas(vg, pvmoveName),
  };
  const allocation = allocateExtents(vg, request);
  // Split the source segments where a destination run ends.
  let le = 0;
  for (const row of allocation.rows) {
    const dest = row[0];
    if (!dest) continue;
    const seg = pvmove.segments.find((s) => s.startExtent <= le && le < s.startExtent + s.extentCount);
    if (seg && dest.count < seg.extentCount - (le - seg.startExtent))
      pvmove = splitSegmentAt(pvmove, le + dest.count);
    le += dest.count;
  }
  const image0Name = `${pvmoveName}_mimage_0`;
  const image1Name = `${pvmoveName}_mimage_1`;
  const sub = (name: string, segments: Segment[]): LogicalVolume => ({
    name,
    id: spec.makeId(name),
    status: ["READ", "WRITE"],
    flags: [],
    tags: [],
    ...(spec.creationTime !== undefined
      ? { creationTime: spec.creationTime, creationHost: spec.creationHost ?? "" }
      : {}),
    allocationPolicy: "inherit",
    segments,
    extra: [],
  });
  const image0 = sub(image0Name, [...pvmove.segments]);
  let destLe = 0;
  const destSegments: Segment[] = allocation.rows.map((row) => {
    const dest = row[0] as { pv: string; pe: number; count: number };
    const seg = linearSeg(destLe, dest.count, { kind: "pv", pv: dest.pv, pe: dest.pe });
    destLe += dest.count;
    return seg;
  });
  const image1 = sub(image1Name, destSegments);
  const mirror: MirrorSegment = {
    startExtent: 0,
    extentCount: total,
    typeFlags: [],
    tags: [],
    type: "mirror",
    mirrorCount: 2,
    extentsMoved: 0,
    regionSizeSectors: adjustedRegionSize(regionSizeSectors, total, vg.extentSizeSectors),
    areas: [
      { kind: "lv", lv: image0Name, le: 0 },
      { kind: "lv", lv: image1Name, le: 0 },
    ],
  };
  return putLv(putLv(putLv(vg, { ...pvmove, segments: [mirror] }), image0), image1);
}

/** Progress as `copy_percent` computes it: extents copied (committed checkpoints) over the total. */
export function pvmoveProgress(
  vg: VolumeGroup,
  pvmoveName: string,
): { copiedExtents: number; totalExtents: number } {
  const lv = findLv(vg, pvmoveName);
  if (!lv) throw new AllocationError(`Logical volume ${pvmoveName} not found in volume group ${vg.name}`);
  let copied = 0;
  let total = 0;
  for (const seg of lv.segments) {
    if (seg.type !== "mirror") continue;
    copied += seg.extentsMoved ?? 0;
    total += seg.extentCount;
  }
  return { copiedExtents: copied, totalExtents: total };
}

/**
 * `pvmove_update_metadata` checkpoint: marks the first incomplete segment complete
 * (`extents_moved = extent_count`). Returns the VG unchanged when every segment is complete.
 */
export function checkpointPvmove(vg: VolumeGroup, pvmoveName: string): VolumeGroup {
  const lv = findLv(vg, pvmoveName);
  if (!lv) throw new AllocationError(`Logical volume ${pvmoveName} not found in volume group ${vg.name}`);
  const index = lv.segments.findIndex((s) => s.type === "mirror" && (s.extentsMoved ?? 0) < s.extentCount);
  if (index < 0) return vg;
  const seg = lv.segments[index] as MirrorSegment;
  const segments = lv.segments.map((s, i) => (i === index ? { ...seg, extentsMoved: seg.extentCount } : s));
  return putLv(vg, { ...lv, segments });
}

/** Finish or abort ("write A"): LVs back on PVs (destination where checkpointed), pvmove LV → hidden error LV. */
export function finishPvmove(
  vg: VolumeGroup,
  pvmoveName: string,
  options: { abort?: boolean } = {},
): VolumeGroup {
  const pvmove = findLv(vg, pvmoveName);
  if (!pvmove?.status.includes("PVMOVE")) {
    throw new AllocationError(`Logical volume ${pvmoveName} is not a pvmove LV in volume group ${vg.name}`);
  }
  // Where each pvmove LE ends up: a PV area per linear piece.
  const pieces: { le: number; count: number; area: SegmentArea }[] = [];
  const atomic = pvmove.segments[0]?.type === "mirror" && pvmove.segments[0].areas[0]?.kind === "lv";
  const removed = new Set<string>();
  if (atomic) {
    const seg = pvmove.segments[0] as MirrorSegment;
    const complete = !options.abort && (seg.extentsMoved ?? 0) === seg.extentCount;
    const keep = seg.areas[complete ? 1 : 0];
    for (const a of seg.areas) if (a.kind === "lv") removed.add(a.lv);
    const image = keep?.kind === "lv" ? findLv(vg, keep.lv) : undefined;
    for (const s of image?.segments ?? []) {
      if (s.type === "striped" && s.areas[0])
        pieces.push({ le: s.startExtent, count: s.extentCount, area: s.areas[0] });
    }
  } else {
    for (const seg of pvmove.segments) {
      if (seg.type !== "mirror" && seg.type !== "striped") continue;
      const complete = seg.type === "mirror" && (seg.extentsMoved ?? 0) === seg.extentCount;
      const area = seg.areas[complete ? 1 : 0];
      if (area) pieces.push({ le: seg.startExtent, count: seg.extentCount, area });
    }
  }
  const lookup = (le: number): { le: number; count: number; area: SegmentArea } => {
    const p = pieces.find((x) => x.le <= le && le < x.le + x.count);
    if (!p) throw new AllocationError(`Layer segment for ${pvmoveName}:${le} not found`);
    return p;
  };
  let next = vg;
  for (const parent of vg.lvs) {
    if (parent.name === pvmoveName || removed.has(parent.name)) continue;
    let changed = false;
    const segments = parent.segments.map((seg) => {
      if (seg.type !== "striped") return seg;
      const areas = seg.areas.map((a) => {
        if (a.kind !== "lv" || a.lv !== pvmoveName) return a;
        const piece = lookup(a.le);
        changed = true;
        const offset = a.le - piece.le;
        return piece.area.kind === "pv"
          ? { kind: "pv" as const, pv: piece.area.pv, pe: piece.area.pe + offset }
          : { kind: "lv" as const, lv: piece.area.lv, le: piece.area.le + offset };
      });
      return { ...seg, areas };
    });
    if (!changed) continue;
    const unlocked: LogicalVolume = {
      ...parent,
      segments,
      status: parent.status.filter((f) => f !== "LOCKED"),
    };
    next = putLv(next, mergeSegments(next, unlocked));
  }
  const total = lvSizeExtents(pvmove);
  const errorLv: LogicalVolume = {
    ...pvmove,
    status: pvmove.status.filter((f) => f !== "PVMOVE" && f !== "LOCKED"),
    segments: [{ startExtent: 0, extentCount: total, typeFlags: [], tags: [], type: "error" }],
  };
  next = putLv(next, errorLv);
  return { ...next, lvs: next.lvs.filter((lv) => !removed.has(lv.name)) };
}
