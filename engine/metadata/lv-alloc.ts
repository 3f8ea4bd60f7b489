/**
 * Applies {@link allocateExtents} to the model the way LVM2's `lv_extend`, `lv_add_segment`,
 * `_lv_insert_empty_sublvs`/`_lv_extend_layered_lv` (mirror images), `add_mirror_log` and
 * `lv_add_mirror_areas` (pvmove) do, returning a new VG each time. These are the building blocks
 * for `engine/lvm`'s lvcreate, lvextend, lvremove and pvmove.
 */

import type { Mutations } from "../sim/mutations.js";
import {
  type Allocation,
  AllocationError,
  type AllocRequest,
  allocateExtents,
  buildParallelAreas,
  type SegPvs,
} from "./alloc.js";
import { lvSizeExtents } from "./extent-map.js";
import { lvKinds } from "./lv-kind.js";
import {
  type AllocPolicy,
  findLv,
  type LogicalVolume,
  type LvStatusFlag,
  type MirrorSegment,
  putLv,
  type Segment,
  type StripedSegment,
  segmentAreaLen,
  type VolumeGroup,
} from "./model.js";
import { assertNewLvName, nextLvName } from "./names.js";
import type { PvSelection } from "./pv-list.js";
import { mergeSegments } from "./segment-merge.js";

/** Default mirror region size: `activation/raid_region_size` 2 MiB = 4096 sectors (`get_default_region_size`). */
export const DEFAULT_REGION_SIZE_SECTORS = 4096;
/** Default stripe size for `lvcreate -i N`: 64 KiB = 128 sectors. */
export const DEFAULT_STRIPE_SIZE_SECTORS = 128;

/** Identity and provenance of LVs a command creates; ids come from the caller so runs stay seeded. */
export interface LvIdentity {
  /** Returns the uuid for a new LV of this name (sub-LVs included). */
  readonly makeId: (lvName: string) => string;
  /** Unix seconds; omitted means the LV is written without creation_time/creation_host. */
  readonly creationTime?: number;
  readonly creationHost?: string;
}

/** What `lvcreate` asks for. */
export interface CreateLvSpec extends LvIdentity {
  /** The LV name; `lvolN` is chosen when absent. */
  readonly name?: string;
  readonly extents: number;
  readonly stripes?: number;
  readonly stripeSizeSectors?: number;
  /** `--type mirror -m N-1`: number of images (0/1 = not mirrored). */
  readonly mirrors?: number;
  /** Mirror log: "disk" (default for mirrors, one `_mlog` LV) or "core". */
  readonly mirrorLog?: "disk" | "core";
  readonly regionSizeSectors?: number;
  /** `--alloc`, stored on the LV and used for this allocation. */
  readonly policy?: AllocPolicy;
  readonly pvs?: readonly PvSelection[];
  readonly approx?: boolean;
  /** Extra status flags for the new LV (e.g. NOTSYNCED for `--nosync`). */
  readonly extraStatus?: readonly LvStatusFlag[];
  /**
   * A pool's metadata, allocated in the same request as the data the way `lv_extend` does for a
   * pool segtype (the metadata is the allocation's log area, `log_count = 1`), and put on a new
   * LV named `lvName`. `separatePvs` is `allocation/thin_pool_metadata_require_separate_pvs`.
   */
  readonly poolMetadata?: {
    readonly lvName: string;
    readonly extents: number;
    readonly separatePvs: boolean;
  };
  /** Deliberate bugs to build in (tests only). */
  readonly mutations?: Mutations;
}

function emptyLv(
  name: string,
  identity: LvIdentity,
  status: readonly LvStatusFlag[],
  policy: AllocPolicy,
): LogicalVolume {
  return {
    name,
    id: identity.makeId(name),
    status,
    flags: [],
    tags: [],
    ...(identity.creationTime !== undefined
      ? { creationTime: identity.creationTime, creationHost: identity.creationHost ?? "" }
      : {}),
    allocationPolicy: policy,
    segments: [],
    extra: [],
  };
}

/** `lv_add_segment` for striped/linear: one segment per allocated row, then `lv_merge_segments`. */
export function appendStripedRows(
  vg: VolumeGroup,
  lv: LogicalVolume,
  rows: readonly (readonly { pv: string; pe: number; count: number }[])[],
  options: { stripeSizeSectors?: number } = {},
): LogicalVolume {
  let le = lvSizeExtents(lv);
  const segments: Segment[] = [...lv.segments];
  for (const row of rows) {
    const areaLen = row[0]?.count ?? 0;
    const stripeCount = row.length;
    const seg: StripedSegment = {
      startExtent: le,
      extentCount: areaLen * stripeCount,
      typeFlags: [],
      tags: [],
      type: "striped",
      stripeCount,
      ...(stripeCount > 1
        ? { stripeSizeSectors: options.stripeSizeSectors ?? DEFAULT_STRIPE_SIZE_SECTORS }
        : {}),
      areas: row.map((a) => ({ kind: "pv" as const, pv: a.pv, pe: a.pe })),
    };
    segments.push(seg);
    le += seg.extentCount;
  }
  return mergeSegments(vg, { ...lv, segments });
}

/** `adjusted_mirror_region_size`: the region size shrinks to a power of 2 no larger than the LV. */
export function adjustedRegionSize(
  regionSizeSectors: number,
  extents: number,
  extentSizeSectors: number,
): number {
  const max = extents * extentSizeSectors;
  if (max < 0xffff_ffff && regionSizeSectors > max) return 2 ** Math.floor(Math.log2(Math.max(max, 1)));
  return regionSizeSectors;
}

function requireLv(vg: VolumeGroup, name: string): LogicalVolume {
  const lv = findLv(vg, name);
  if (!lv) throw new AllocationError(`Logical volume ${name} not found in volume group ${vg.name}`);
  return lv;
}

/** `add_mirror_log`: allocates the 1-extent disk log away from the legs where possible and attaches it. */
export function addMirrorLog(
  vg: VolumeGroup,
  lvName: string,
  options: LvIdentity & { pvs?: readonly PvSelection[]; policy?: AllocPolicy; mutations?: Mutations },
): VolumeGroup {
  const lv = requireLv(vg, lvName);
  const seg = lv.segments[0];
  if (lv.segments.length !== 1 || seg?.type !== "mirror") {
    throw new AllocationError(
      `Multiple-segment mirror is not supported (${lvName} has ${lv.segments.length} segments)`,
    );
  }
  const alloc = allocateExtents(vg, {
    extents: lvSizeExtents(lv),
    stripes: 0,
    mirrors: 0,
    logCount: 1,
    regionSizeSectors: seg.regionSizeSectors ?? DEFAULT_REGION_SIZE_SECTORS,
    policy: options.policy ?? "inherit",
    ...(options.pvs ? { pvs: options.pvs } : {}),
    parallelAreas: buildParallelAreas(vg, lvName),
    ...(options.mutations ? { mutations: options.mutations } : {}),
  });
  const logName = `${lvName}_mlog`;
  // `_create_mirror_log` stores the command's --alloc (usually inherit) on the log LV.
  let log = emptyLv(logName, options, ["READ", "WRITE"], options.policy ?? "inherit");
  log = appendStripedRows(vg, log, [alloc.logAreas.map((a) => ({ ...a }))]);
  const top: LogicalVolume = { ...lv, segments: [{ ...seg, mirrorLog: logName }] };
  return putLv(putLv(vg, top), log);
}

/** `lvcreate`: a new linear, striped or (`--type mirror`) mirrored LV. Returns the new VG and the LV's name. */
export function createLv(vg: VolumeGroup, spec: CreateLvSpec): { vg: VolumeGroup; name: string } {
  const name = spec.name ?? nextLvName(vg, "lvol");
  if (spec.name !== undefined) assertNewLvName(vg, name);
  const policy = spec.policy ?? "inherit";
  const mirrors = spec.mirrors ?? 0;
  const stripes = spec.stripes ?? 1;
  // _lv_create_an_lv: checked against the PV list as given (all VG PVs when none are named).
  const pvCount = spec.pvs ? spec.pvs.length : vg.pvs.length;
  if (policy !== "anywhere" && stripes > pvCount) {
    throw new AllocationError(
      `Number of stripes (${stripes}) must not exceed number of physical volumes (${pvCount})`,
    );
  }
  const status: LvStatusFlag[] = ["READ", "WRITE", "VISIBLE", ...(spec.extraStatus ?? [])];
  const base = emptyLv(name, spec, status, policy);
  let next = putLv(vg, base);
  const request: AllocRequest = {
    lv: name,
    extents: spec.extents,
    stripes,
    mirrors,
    policy,
    ...(spec.pvs ? { pvs: spec.pvs } : {}),
    ...(spec.approx ? { approx: true } : {}),
    ...(spec.poolMetadata
      ? {
          logCount: 1,
          logLenExtents: spec.poolMetadata.extents,
          mirrorLogsSeparate: spec.poolMetadata.separatePvs,
        }
      : {}),
    ...(spec.mutations ? { mutations: spec.mutations } : {}),
  };
  const alloc = allocateExtents(next, request);
  if (mirrors <= 1) {
    const lv = appendStripedRows(next, base, alloc.rows, {
      ...(spec.stripeSizeSectors !== undefined ? { stripeSizeSectors: spec.stripeSizeSectors } : {}),
    });
    next = putLv(next, lv);
    if (spec.poolMetadata) {
      const meta = emptyLv(spec.poolMetadata.lvName, spec, status, policy);
      next = putLv(next, appendStripedRows(next, meta, [alloc.logAreas.map((a) => ({ ...a }))]));
    }
    return { vg: next, name };
  }
  // _lv_insert_empty_sublvs + _lv_extend_layered_lv: image m takes areas [m*stripes, (m+1)*stripes).
  const imageNames: string[] = [];
  for (let m = 0; m < mirrors; m++) {
    // `_lv_insert_empty_sublvs` names images `%s_mimage_%u` by index and gives them the LV's policy.
    const imageName = `${name}_mimage_${m}`;
    if (findLv(next, imageName)) {
      throw new AllocationError(`Logical volume ${imageName} already exists in volume group ${vg.name}`);
    }
    imageNames.push(imageName);
    let image = emptyLv(imageName, spec, ["READ", "WRITE"], policy);
    const rows = alloc.rows.map((row) => row.slice(m * stripes, (m + 1) * stripes));
    image = appendStripedRows(next, image, rows, {
      ...(spec.stripeSizeSectors !== undefined ? { stripeSizeSectors: spec.stripeSizeSectors } : {}),
    });
    next = putLv(next, image);
  }
  const extents = alloc.extents;
  const mirrorSeg: MirrorSegment = {
    startExtent: 0,
    extentCount: extents,
    typeFlags: [],
    tags: [],
    type: "mirror",
    mirrorCount: mirrors,
    regionSizeSectors: adjustedRegionSize(
      spec.regionSizeSectors ?? DEFAULT_REGION_SIZE_SECTORS,
      extents,
      vg.extentSizeSectors,
    ),
    areas: imageNames.map((lv) => ({ kind: "lv" as const, lv, le: 0 })),
  };
  next = putLv(next, { ...base, segments: [mirrorSeg] });
  if ((spec.mirrorLog ?? "disk") === "disk") {
    next = addMirrorLog(next, name, {
      ...spec,
      policy,
      ...(spec.pvs ? { pvs: spec.pvs } : {}),
    });
  }
  return { vg: next, name };
}

/** `lvextend -l +N`: grows a linear/striped LV (keeping its stripes) or every image of a mirror. */
export function extendLv(
  vg: VolumeGroup,
  name: string,
  options: {
    /** Logical extents to add (`-l +N`). */
    extents: number;
    policy?: AllocPolicy;
    pvs?: readonly PvSelection[];
    approx?: boolean;
    mutations?: Mutations;
  },
): VolumeGroup {
  const extents = options.extents;
  const lv = requireLv(vg, name);
  const last = lv.segments[lv.segments.length - 1];
  if (!last) throw new AllocationError(`Cannot extend ${name}: it has no segments`);
  const policy = options.policy ?? lv.allocationPolicy;
  const common = {
    lv: name,
    extents,
    policy,
    ...(options.pvs ? { pvs: options.pvs } : {}),
    ...(options.approx ? { approx: true } : {}),
    ...(options.mutations ? { mutations: options.mutations } : {}),
  };
  if (last.type === "striped") {
    const alloc = allocateExtents(vg, { ...common, stripes: last.stripeCount });
    const grown = appendStripedRows(vg, lv, alloc.rows, {
      ...(last.stripeSizeSectors !== undefined ? { stripeSizeSectors: last.stripeSizeSectors } : {}),
    });
    return putLv(vg, grown);
  }
  if (last.type === "mirror" && lv.segments.length === 1 && last.areas.every((a) => a.kind === "lv")) {
    const alloc = allocateExtents(vg, { ...common, mirrors: last.mirrorCount, stripes: 1 });
    let next = vg;
    last.areas.forEach((area, m) => {
      if (area.kind !== "lv") return;
      const image = requireLv(next, area.lv);
      const rows = alloc.rows.map((row) => row.slice(m, m + 1));
      next = putLv(next, appendStripedRows(next, image, rows));
    });
    const seg: MirrorSegment = { ...last, extentCount: last.extentCount + alloc.extents };
    return putLv(next, { ...lv, segments: [seg] });
  }
  throw new AllocationError(`Cannot extend ${name}: segment type ${last.type} is not supported here`);
}

function truncateSegments(lv: LogicalVolume, newSize: number): LogicalVolume {
  const segments: Segment[] = [];
  for (const seg of lv.segments) {
    if (seg.startExtent >= newSize) break;
    const end = seg.startExtent + seg.extentCount;
    if (end <= newSize) {
      segments.push(seg);
      continue;
    }
    const keep = newSize - seg.startExtent;
    if (seg.type === "striped" && keep % seg.stripeCount !== 0) {
      throw new AllocationError(
        `Cannot reduce ${lv.name} to ${newSize} extents: segment at ${seg.startExtent} has ${seg.stripeCount} stripes; use a multiple of the stripes`,
      );
    }
    if (seg.type === "snapshot" || seg.type === "other") {
      throw new AllocationError(`Cannot reduce the ${seg.type} segment of ${lv.name}`);
    }
    segments.push(
      seg.type === "mirror" && seg.extentsMoved !== undefined
        ? { ...seg, extentCount: keep, extentsMoved: Math.min(seg.extentsMoved, keep) }
        : { ...seg, extentCount: keep },
    );
  }
  return { ...lv, segments };
}

/**
 * `lvreduce -l -N` (`lv_reduce`): drops the last `extents` logical extents, freeing their PEs; a
 * mirror's images shrink with it. Refuses to remove the whole LV (use {@link removeLvTree}).
 */
export function reduceLv(vg: VolumeGroup, name: string, options: { extents: number }): VolumeGroup {
  const extents = options.extents;
  const lv = requireLv(vg, name);
  const size = lvSizeExtents(lv);
  if (!Number.isInteger(extents) || extents <= 0 || extents >= size) {
    throw new AllocationError(
      `Cannot reduce ${name} by ${extents} extents: it has ${size}; give 1..${size - 1} or remove the LV`,
    );
  }
  if (lv.status.includes("LOCKED") || lv.status.includes("PVMOVE")) {
    throw new AllocationError(`Cannot resize ${name} while it is locked by pvmove`);
  }
  const newSize = size - extents;
  let next = putLv(vg, truncateSegments(lv, newSize));
  for (const seg of lv.segments) {
    if (seg.type !== "mirror") continue;
    for (const a of seg.areas) {
      if (a.kind !== "lv") continue;
      const image = requireLv(next, a.lv);
      next = putLv(next, truncateSegments(image, a.le + Math.min(newSize, seg.extentCount)));
    }
  }
  return next;
}

/** `lvremove`: drops the LV and the sub-LVs only it used (images, logs, a snapshot's internal LV). */
export function removeLvTree(vg: VolumeGroup, name: string): VolumeGroup {
  requireLv(vg, name);
  const doomed = new Set<string>([name]);
  for (let changed = true, guard = 0; changed; guard++) {
    if (guard > vg.lvs.length + 1) throw new Error(`removeLvTree did not converge for ${name}`);
    changed = false;
    const kinds = lvKinds(vg);
    for (const lv of vg.lvs) {
      if (doomed.has(lv.name)) continue;
      const users = kinds.get(lv.name)?.usedBy ?? [];
      // A component goes with its parents; an origin does not go with its snapshot.
      const component = users.length > 0 && users.every((u) => doomed.has(u)) && !kinds.get(lv.name)?.origin;
      const snapshotOfDoomedCow = lv.segments[0]?.type === "snapshot" && doomed.has(lv.segments[0].cowStore);
      if (component || snapshotOfDoomedCow) {
        doomed.add(lv.name);
        changed = true;
      }
    }
  }
  return { ...vg, lvs: vg.lvs.filter((lv) => !doomed.has(lv.name)) };
}

/**
 * `build_parallel_areas_from_lv(pvmove_lv, use_pvmove_parent_lv = 1)`: for each pvmove segment, the
 * PVs used by the parent LV segment it was taken from, so destinations avoid them.
 */
export function pvmoveParallelAreas(vg: VolumeGroup, pvmoveName: string): SegPvs[] {
  const pvmove = requireLv(vg, pvmoveName);
  const out: SegPvs[] = [];
  for (const seg of pvmove.segments) {
    const pvs: string[] = [];
    const add = (pv: string): void => {
      if (!pvs.includes(pv)) pvs.push(pv);
    };
    // The parent segment is the one whose area points at this pvmove segment.
    const parent = vg.lvs
      .flatMap((lv) => lv.segments)
      .find(
        (s) =>
          s.type === "striped" &&
          s.areas.some((a) => a.kind === "lv" && a.lv === pvmoveName && a.le === seg.startExtent),
      );
    const areas = parent?.type === "striped" ? parent.areas : seg.type === "striped" ? seg.areas : [];
    for (const a of areas) {
      if (a.kind === "pv") add(a.pv);
      else if (a.lv === pvmoveName) {
        const target = pvmove.segments.find(
          (s) => s.startExtent <= a.le && a.le < s.startExtent + s.extentCount,
        );
        if (target?.type === "striped" || target?.type === "mirror") {
          for (const t of target.areas) if (t.kind === "pv") add(t.pv);
        }
      }
    }
    out.push({ le: seg.startExtent, len: seg.extentCount, pvs });
  }
  return out;
}

/**
 * pvmove's `lv_add_mirrors(…, MIRROR_BY_SEG)`: allocates destinations for the whole pvmove LV in one
 * request (policy `--alloc`, else the VG's) and turns each linear pvmove segment into a 2-way mirror
 * `[source, destination]` with `extents_moved = 0`, splitting segments where a destination run ends.
 */
export function addPvmoveMirrors(
  vg: VolumeGroup,
  pvmoveName: string,
  options: { pvs: readonly PvSelection[]; policy?: AllocPolicy; regionSizeSectors?: number },
): { vg: VolumeGroup; allocation: Allocation } {
  const pvmove = requireLv(vg, pvmoveName);
  const total = lvSizeExtents(pvmove);
  const allocation = allocateExtents(vg, {
    extents: total,
    stripes: 1,
    mirrors: 1,
    policy: options.policy ?? "inherit",
    pvs: options.pvs,
    parallelAreas: pvmoveParallelAreas(vg, pvmoveName),
  });
  const region = adjustedRegionSize(
    options.regionSizeSectors ?? DEFAULT_REGION_SIZE_SECTORS,
    total,
    vg.extentSizeSectors,
  );
  let segments: Segment[] = [...pvmove.segments];
  let le = 0;
  for (const row of allocation.rows) {
    const dest = row[0];
    if (!dest) throw new Error("pvmove allocation returned an empty row");
    const index = segments.findIndex((s) => s.startExtent <= le && le < s.startExtent + s.extentCount);
    let seg = segments[index];
    if (seg?.type !== "striped" || seg.areas.length !== 1) {
      throw new AllocationError(`Failed to find linear segment for ${pvmoveName} extent ${le}`);
    }
    if (dest.count < segmentAreaLen(seg)) {
      // lv_split_segment: the tail keeps the rest of the source area.
      const src = seg.areas[0];
      if (src?.kind !== "pv") throw new AllocationError(`pvmove segment at extent ${le} is not on a PV`);
      const head: StripedSegment = { ...seg, extentCount: dest.count };
      const tail: StripedSegment = {
        ...seg,
        startExtent: seg.startExtent + dest.count,
        extentCount: seg.extentCount - dest.count,
        areas: [{ kind: "pv", pv: src.pv, pe: src.pe + dest.count }],
      };
      segments = [...segments.slice(0, index), head, tail, ...segments.slice(index + 1)];
      seg = head;
    }
    const mirror: MirrorSegment = {
      startExtent: seg.startExtent,
      extentCount: seg.extentCount,
      typeFlags: [],
      tags: seg.tags,
      type: "mirror",
      mirrorCount: 2,
      extentsMoved: 0,
      regionSizeSectors: region,
      areas: [...seg.areas, { kind: "pv", pv: dest.pv, pe: dest.pe }],
    };
    segments[index] = mirror;
    le += seg.extentCount;
  }
  return { vg: putLv(vg, { ...pvmove, segments }), allocation };
}
