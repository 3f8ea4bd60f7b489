/**
 * Building raid1 LVs in the model the way LVM2's `lv_extend` does for raid (`_lv_insert_empty_sublvs`,
 * `alloc_and_split_meta`): one allocation of N parallel areas, one per PV (legs never share a PV
 * unless `--alloc anywhere`), each area's first extents becoming `_rmeta_i` and the rest
 * `_rimage_i`, so every rmeta sits on its image's PV just before it.
 */

import type { Mutations } from "../sim/mutations.js";
import { AllocationError, allocateExtents } from "./alloc.js";
import type { CreateLvSpec } from "./lv-alloc.js";
import { appendStripedRows } from "./lv-alloc.js";
import { type LogicalVolume, type LvStatusFlag, putLv, type VolumeGroup } from "./model.js";
import { assertNewLvName, nextLvName } from "./names.js";
import { type Raid1Leg, raid1Segment, raidRmetaExtents } from "./raid.js";

/** What `lvcreate --type raid1` asks for. */
export interface CreateRaid1Spec extends Omit<CreateLvSpec, "stripes" | "stripeSizeSectors" | "mirrorLog"> {
  /** Number of images (`-m N` gives N+1). */
  readonly images: number;
  readonly regionSizeSectors: number;
  readonly mutations?: Mutations;
}

function subLv(name: string, spec: CreateRaid1Spec): LogicalVolume {
  return {
    name,
    id: spec.makeId(name),
    status: ["READ", "WRITE"],
    flags: [],
    tags: [],
    ...(spec.creationTime !== undefined
      ? { creationTime: spec.creationTime, creationHost: spec.creationHost ?? "" }
      : {}),
    allocationPolicy: spec.policy ?? "inherit",
    segments: [],
    extra: [],
  };
}

/** Splits one leg's allocated runs: the first `metaExtents` go to rmeta, the rest to rimage. */
function splitRuns(
  runs: readonly { pv: string; pe: number; count: number }[],
  metaExtents: number,
): { meta: { pv: string; pe: number; count: number }[]; image: { pv: string; pe: number; count: number }[] } {
  const meta: { pv: string; pe: number; count: number }[] = [];
  const image: { pv: string; pe: number; count: number }[] = [];
  let metaLeft = metaExtents;
  for (const run of runs) {
    const take = Math.min(metaLeft, run.count);
    if (take > 0) meta.push({ pv: run.pv, pe: run.pe, count: take });
    if (run.count > take) image.push({ pv: run.pv, pe: run.pe + take, count: run.count - take });
    metaLeft -= take;
  }
  return { meta, image };
}

/**
 * Allocates `images` legs for `lvName`'s raid1 (rmeta + rimage pairs named by `legNames`) and adds
 * the sub-LVs to the VG. Returns the new VG; the caller builds the raid1 segment.
 */
export function allocateRaid1Legs(
  vg: VolumeGroup,
  options: {
    readonly legNames: readonly Raid1Leg[];
    readonly imageExtents: number;
    readonly metaExtents: number;
    readonly spec: CreateRaid1Spec;
    /** PVs the new legs must avoid (those of existing legs). */
    readonly avoidPvs?: readonly string[];
    readonly extraImageStatus?: readonly LvStatusFlag[];
  },
): VolumeGroup {
  const { legNames, imageExtents, metaExtents, spec } = options;
  const avoid = options.avoidPvs ?? [];
  const alloc = allocateExtents(vg, {
    extents: imageExtents + metaExtents,
    stripes: 1,
    mirrors: legNames.length,
    policy: spec.policy ?? "inherit",
    ...(spec.pvs ? { pvs: spec.pvs.filter((p) => !avoid.includes(p.pv)) } : {}),
    ...(avoid.length > 0 && !spec.pvs
      ? { parallelAreas: [{ le: 0, len: imageExtents + metaExtents, pvs: avoid }] }
      : {}),
    ...(spec.mutations ? { mutations: spec.mutations } : {}),
  });
  if (alloc.extents !== imageExtents + metaExtents) {
    throw new AllocationError(
      `Insufficient suitable allocatable extents for logical volume ${legNames[0]?.image ?? "raid1"}: ${
        imageExtents + metaExtents - alloc.extents
      } more required`,
    );
  }
  let next = vg;
  legNames.forEach((leg, i) => {
    const runs = alloc.rows.map((row) => row[i]!);
    const { meta, image } = splitRuns(runs, metaExtents);
    for (const name of [leg.image, leg.meta]) {
      // Sub-LV names carry reserved suffixes on purpose; only a clash is an error.
      if (next.lvs.some((lv) => lv.name === name)) {
        throw new AllocationError(`Logical volume ${name} already exists in volume group ${vg.name}`);
      }
    }
    const imageLv = appendStripedRows(
      next,
      { ...subLv(leg.image, spec), status: ["READ", "WRITE", ...(options.extraImageStatus ?? [])] },
      image.map((r) => [r]),
    );
    next = putLv(next, imageLv);
    const metaLv = appendStripedRows(
      next,
      { ...subLv(leg.meta, spec), status: ["READ", "WRITE", ...(options.extraImageStatus ?? [])] },
      meta.map((r) => [r]),
    );
    next = putLv(next, metaLv);
  });
  return next;
}

/** `lvcreate --type raid1 -m N-1`: a new raid1 LV with N rmeta/rimage pairs. */
export function createRaid1Lv(vg: VolumeGroup, spec: CreateRaid1Spec): { vg: VolumeGroup; name: string } {
  const name = spec.name ?? nextLvName(vg, "lvol");
  if (spec.name !== undefined) assertNewLvName(vg, name);
  if (spec.approx) {
    throw new AllocationError("Percent-of-free sizes are not modelled for raid1 yet; give -L or -l N");
  }
  const status: LvStatusFlag[] = ["READ", "WRITE", "VISIBLE", ...(spec.extraStatus ?? [])];
  const top: LogicalVolume = { ...subLv(name, spec), status };
  const legs: Raid1Leg[] = [];
  for (let i = 0; i < spec.images; i++)
    legs.push({ meta: `${name}_rmeta_${i}`, image: `${name}_rimage_${i}` });
  const metaExtents = raidRmetaExtents({
    extentSizeSectors: vg.extentSizeSectors,
    imageExtents: spec.extents,
    regionSizeSectors: spec.regionSizeSectors,
  });
  let next = putLv(vg, top);
  next = allocateRaid1Legs(next, { legNames: legs, imageExtents: spec.extents, metaExtents, spec });
  const seg = raid1Segment({ extentCount: spec.extents, regionSizeSectors: spec.regionSizeSectors, legs });
  // _lv_insert_empty_sublvs creates rimage_0, rmeta_0, rimage_1, … right after the top LV.
  const subs = legs.flatMap((leg) => [leg.image, leg.meta]);
  const ordered = [
    ...next.lvs.filter((lv) => lv.name !== name && !subs.includes(lv.name)),
    { ...top, segments: [seg] },
    ...subs.map((s) => next.lvs.find((lv) => lv.name === s)!),
  ];
  return { vg: { ...next, lvs: ordered }, name };
}
