/**
 * Changing the legs of an existing raid1 LV in the model, as LVM2 2.03.16's `raid_manip.c` does:
 *
 * - `lvconvert -m +N` (`_raid_add_images`): new `_rmeta_i`/`_rimage_i` pairs at the next indices,
 *   on PVs no existing leg uses, flagged REBUILD so the next table load recovers them.
 * - `lvconvert -m -N` (`_raid_extract_images` + `_shift_and_rename_image_components`): the legs
 *   removed are the highest-indexed ones on the given PVs (every PV when none is given); the legs
 *   above a gap shift down and are renamed to their new index; down to one leg the raid layer goes
 *   (`_raid_remove_top_layer`) and the LV is linear again over what was `_rimage_0`.
 * - `lvconvert --splitmirrors 1 --name NEW` (`lv_raid_split`): the same extraction, but the data
 *   image is kept as the visible linear LV NEW (its rmeta goes).
 * - `lvextend` (`_lv_extend_layered_lv`): every rimage grows by the same extents on its own leg's PVs
 *   when it can; the raid1 segment grows with them and the rmetas stay as they are.
 * - mirror → raid1 (`_convert_mirror_to_raid1`): an rmeta per image on that image's PVs, the mirror
 *   log removed, `_mimage_N` renamed `_rimage_N`, the mirror's region size kept.
 */

import type { Mutations } from "../sim/mutations.js";
import { AllocationError, allocateExtents } from "./alloc.js";
import { lvSizeExtents } from "./extent-map.js";
import { appendStripedRows } from "./lv-alloc.js";
import {
  type AllocPolicy,
  findLv,
  type LogicalVolume,
  type LvStatusFlag,
  type MirrorSegment,
  putLv,
  removeLv,
  type VolumeGroup,
} from "./model.js";
import type { PvSelection } from "./pv-list.js";
import { type Raid1Leg, raid1Segment, raid1View, raidRmetaExtents, withRaid1Legs } from "./raid.js";
import { allocateRaid1Legs, type CreateRaid1Spec } from "./raid-alloc.js";

/** How new sub-LVs get their ids and creation stamps. */
export interface RaidIdentity {
  readonly makeId: (name?: string) => string;
  readonly creationTime?: number;
  readonly creationHost?: string;
}

/** The PVs an LV's linear segments sit on, in order of first use. */
function lvPvNames(lv: LogicalVolume | undefined): string[] {
  const out: string[] = [];
  for (const seg of lv?.segments ?? []) {
    if (seg.type !== "striped") continue;
    for (const a of seg.areas) if (a.kind === "pv" && !out.includes(a.pv)) out.push(a.pv);
  }
  return out;
}

function requireRaid1(vg: VolumeGroup, lvName: string) {
  const lv = findLv(vg, lvName);
  const seg = lv?.segments.length === 1 ? lv.segments[0] : undefined;
  const view = raid1View(seg);
  if (lv === undefined || view === undefined || seg?.type !== "other") {
    throw new AllocationError(`${vg.name}/${lvName} is not a raid1 LV`);
  }
  return { lv, seg, view };
}

/** The PVs of leg `leg` (its rimage and rmeta). */
export function raid1LegPvs(vg: VolumeGroup, leg: Raid1Leg): string[] {
  const out = lvPvNames(findLv(vg, leg.image));
  for (const pv of lvPvNames(findLv(vg, leg.meta))) if (!out.includes(pv)) out.push(pv);
  return out;
}

function withStatus(
  lv: LogicalVolume,
  add: readonly LvStatusFlag[],
  drop: readonly LvStatusFlag[],
): LogicalVolume {
  const status = lv.status.filter((s) => !drop.includes(s) && !add.includes(s));
  return { ...lv, status: [...status, ...add] };
}

/**
 * `_raid_add_images` on a raid1 LV: `images` legs in all, the new ones (REBUILD) allocated on PVs no
 * existing leg uses. The caller clears REBUILD once the table carrying `rebuild i` was loaded.
 */
export function addRaid1Images(
  vg: VolumeGroup,
  lvName: string,
  options: {
    readonly images: number;
    readonly identity: RaidIdentity;
    readonly pvs?: readonly PvSelection[];
    readonly mutations?: Mutations;
  },
): VolumeGroup {
  const { lv, seg, view } = requireRaid1(vg, lvName);
  const old = view.legs.length;
  if (options.images <= old) throw new AllocationError(`${lvName} already has ${old} images`);
  const imageExtents = lvSizeExtents(findLv(vg, view.legs[0]!.image)!);
  const metaExtents = raidRmetaExtents({
    extentSizeSectors: vg.extentSizeSectors,
    imageExtents,
    regionSizeSectors: view.regionSizeSectors,
  });
  const added = Array.from({ length: options.images - old }, (_, i) => ({
    meta: `${lvName}_rmeta_${old + i}`,
    image: `${lvName}_rimage_${old + i}`,
  }));
  const spec: CreateRaid1Spec = {
    makeId: options.identity.makeId,
    ...(options.identity.creationTime !== undefined
      ? { creationTime: options.identity.creationTime, creationHost: options.identity.creationHost ?? "" }
      : {}),
    extents: imageExtents,
    images: added.length,
    regionSizeSectors: view.regionSizeSectors,
    policy: lv.allocationPolicy,
    ...(options.pvs ? { pvs: options.pvs } : {}),
    ...(options.mutations ? { mutations: options.mutations } : {}),
  };
  let next = allocateRaid1Legs(vg, {
    legNames: added,
    imageExtents,
    metaExtents,
    spec,
    avoidPvs: view.legs.flatMap((leg) => raid1LegPvs(vg, leg)),
    extraImageStatus: ["REBUILD"],
  });
  // _alloc_image_components appends each new pair as rmeta, then rimage.
  const newNames = added.flatMap((leg) => [leg.meta, leg.image]);
  next = {
    ...next,
    lvs: [...next.lvs.filter((l) => !newNames.includes(l.name)), ...newNames.map((n) => findLv(next, n)!)],
  };
  return putLv(next, { ...lv, segments: [withRaid1Legs(seg, [...view.legs, ...added])] });
}

/** Clears REBUILD on every sub-LV of raid1 `lvName` (after the first reload, as LVM2 commits it). */
export function clearRaid1Rebuild(vg: VolumeGroup, lvName: string): VolumeGroup {
  const { view } = requireRaid1(vg, lvName);
  let next = vg;
  for (const leg of view.legs) {
    for (const name of [leg.meta, leg.image]) {
      const sub = findLv(next, name);
      if (sub?.status.includes("REBUILD")) next = putLv(next, withStatus(sub, [], ["REBUILD"]));
    }
  }
  return next;
}

/**
 * `_raid_extract_images`'s choice: the indices of the `count` legs to remove, highest index first,
 * among the legs with a component on `pvs` (every leg when `pvs` is undefined). Throws LVM2's error
 * when not enough legs qualify.
 */
export function raid1LegsToExtract(
  vg: VolumeGroup,
  lvName: string,
  options: { readonly count: number; readonly pvs?: readonly string[] },
): number[] {
  const { view } = requireRaid1(vg, lvName);
  const out: number[] = [];
  for (let s = view.legs.length - 1; s >= 0 && out.length < options.count; s--) {
    const pvs = raid1LegPvs(vg, view.legs[s]!);
    if (options.pvs === undefined || pvs.some((pv) => options.pvs!.includes(pv))) out.push(s);
  }
  if (out.length < options.count) {
    throw new AllocationError("Unable to extract enough images to satisfy request.");
  }
  return out;
}

/** What extracting legs left: the new VG and the names (before renaming) of the sub-LVs removed. */
export interface Raid1Extraction {
  readonly vg: VolumeGroup;
  /** Sub-LVs that left the VG (old names). */
  readonly removed: readonly string[];
  /** Sub-LVs renamed by the shift: old name → new name. */
  readonly renamed: ReadonlyMap<string, string>;
  /** True when one leg was left and the LV became linear. */
  readonly linear: boolean;
}

/**
 * Removes legs `indices` of raid1 `lvName` (`_raid_remove_images`): the remaining legs shift down
 * and are renamed to their new index; with one leg left the raid layer goes and the LV becomes
 * linear over the old `_rimage_0`'s segments, dropping NOTSYNCED. `keep` names a removed image to
 * keep as a visible linear LV instead (`--splitmirrors`).
 */
export function extractRaid1Legs(
  vg: VolumeGroup,
  lvName: string,
  options: { readonly indices: readonly number[]; readonly keep?: { index: number; name: string } },
): Raid1Extraction {
  const { lv, seg, view } = requireRaid1(vg, lvName);
  const removed: string[] = [];
  const renamed = new Map<string, string>();
  let next = vg;
  for (const index of options.indices) {
    const leg = view.legs[index]!;
    removed.push(leg.meta);
    next = removeLv(next, leg.meta);
    if (options.keep?.index === index) {
      // The split image: visible, renamed, its own status kept (READ, WRITE).
      const keep = options.keep;
      next = {
        ...next,
        lvs: next.lvs.map((l) =>
          l.name === leg.image ? { ...l, name: keep.name, status: [...l.status, "VISIBLE"] } : l,
        ),
      };
      renamed.set(leg.image, options.keep.name);
    } else {
      removed.push(leg.image);
      next = removeLv(next, leg.image);
    }
  }
  const remaining = view.legs.filter((_, i) => !options.indices.includes(i));
  const legs: Raid1Leg[] = remaining.map((leg, i) => {
    const want = { meta: `${lvName}_rmeta_${i}`, image: `${lvName}_rimage_${i}` };
    for (const part of ["meta", "image"] as const) {
      if (leg[part] === want[part]) continue;
      next = { ...next, lvs: next.lvs.map((l) => (l.name === leg[part] ? { ...l, name: want[part] } : l)) };
      renamed.set(leg[part], want[part]);
    }
    return want;
  });
  if (legs.length === 1) {
    // _raid_remove_top_layer: the LV takes over rimage_0's segments; rmeta_0 and rimage_0 go.
    const image = findLv(next, legs[0]!.image)!;
    removed.push(legs[0]!.meta, legs[0]!.image);
    for (const part of [legs[0]!.meta, legs[0]!.image]) {
      const original = [...renamed].find(([, now]) => now === part)?.[0] ?? part;
      if (original !== part) removed.splice(removed.indexOf(part), 1, original);
      renamed.delete(original);
    }
    next = removeLv(removeLv(next, legs[0]!.meta), legs[0]!.image);
    const top = withStatus(findLv(next, lvName) ?? lv, [], ["NOTSYNCED", "WRITEMOSTLY"]);
    next = putLv(next, { ...top, segments: image.segments });
    return { vg: next, removed, renamed, linear: true };
  }
  next = putLv(next, { ...(findLv(next, lvName) ?? lv), segments: [withRaid1Legs(seg, legs)] });
  return { vg: next, removed, renamed, linear: false };
}

/**
 * `lvextend` of a raid1 LV: every rimage grows by `extents` (`_lv_extend_layered_lv`, one parallel
 * area per image, never on another leg's PVs) and the raid1 segment with them. The rmetas keep
 * their size while the bitmap still fits (always, below 2^21 regions per rmeta extent's worth).
 */
export function extendRaid1(
  vg: VolumeGroup,
  lvName: string,
  options: {
    readonly extents: number;
    readonly policy?: AllocPolicy;
    readonly pvs?: readonly PvSelection[];
    readonly mutations?: Mutations;
  },
): VolumeGroup {
  const { lv, seg, view } = requireRaid1(vg, lvName);
  const imageExtents = lvSizeExtents(findLv(vg, view.legs[0]!.image)!);
  const grownExtents = imageExtents + options.extents;
  const metaNeeded = raidRmetaExtents({
    extentSizeSectors: vg.extentSizeSectors,
    imageExtents: grownExtents,
    regionSizeSectors: view.regionSizeSectors,
  });
  const metaHas = lvSizeExtents(findLv(vg, view.legs[0]!.meta)!);
  if (metaNeeded > metaHas) {
    throw new AllocationError(
      `Extending ${vg.name}/${lvName} to ${grownExtents} extents needs larger rmeta LVs (${metaNeeded} extents); lvmlab does not grow rmeta yet`,
    );
  }
  // The allocator follows an LV's last segment through its LV areas (contiguous, cling); the raid1
  // segment's images are those areas, exactly as for a mirror's images.
  const asLayered: MirrorSegment = {
    startExtent: seg.startExtent,
    extentCount: seg.extentCount,
    typeFlags: [],
    tags: [],
    type: "mirror",
    mirrorCount: view.legs.length,
    areas: view.legs.map((leg) => ({ kind: "lv" as const, lv: leg.image, le: 0 })),
  };
  const alloc = allocateExtents(putLv(vg, { ...lv, segments: [asLayered] }), {
    lv: lvName,
    extents: options.extents,
    stripes: 1,
    mirrors: view.legs.length,
    policy: options.policy ?? lv.allocationPolicy,
    ...(options.pvs ? { pvs: options.pvs } : {}),
    ...(options.mutations ? { mutations: options.mutations } : {}),
  });
  let next = vg;
  view.legs.forEach((leg, m) => {
    const image = findLv(next, leg.image)!;
    next = putLv(
      next,
      appendStripedRows(
        next,
        image,
        alloc.rows.map((row) => row.slice(m, m + 1)),
      ),
    );
  });
  return putLv(next, { ...lv, segments: [{ ...seg, extentCount: seg.extentCount + alloc.extents }] });
}

/**
 * `_convert_mirror_to_raid1`: a new rmeta on each image's own PVs, the mirror log removed, the
 * images renamed `_rimage_N` in place and the segment turned raid1 with the mirror's region size.
 * Returns the new VG and the removed log's name.
 */
export function mirrorToRaid1(
  vg: VolumeGroup,
  lvName: string,
  options: { readonly identity: RaidIdentity; readonly mutations?: Mutations },
): { vg: VolumeGroup; removedLog: string | undefined } {
  const lv = findLv(vg, lvName);
  const seg = lv?.segments.length === 1 ? lv.segments[0] : undefined;
  if (lv === undefined || seg?.type !== "mirror" || seg.areas.some((a) => a.kind !== "lv")) {
    throw new AllocationError(`${vg.name}/${lvName} is not a mirror LV`);
  }
  const mirror: MirrorSegment = seg;
  const region = mirror.regionSizeSectors ?? 4096;
  let next = vg;
  const legs: Raid1Leg[] = [];
  mirror.areas.forEach((area, s) => {
    if (area.kind !== "lv") return;
    const image = findLv(vg, area.lv)!;
    const metaName = `${lvName}_rmeta_${s}`;
    if (findLv(next, metaName)) {
      throw new AllocationError(`Logical Volume ${metaName} already exists in volume group ${vg.name}.`);
    }
    // _alloc_rmeta_for_lv: on the PVs of the image it belongs to.
    const alloc = allocateExtents(next, {
      extents: raidRmetaExtents({
        extentSizeSectors: vg.extentSizeSectors,
        imageExtents: lvSizeExtents(image),
        regionSizeSectors: region,
      }),
      stripes: 1,
      policy: image.allocationPolicy,
      pvs: lvPvNames(image).map((pv) => ({ pv })),
      ...(options.mutations ? { mutations: options.mutations } : {}),
    });
    const meta: LogicalVolume = {
      name: metaName,
      id: options.identity.makeId(metaName),
      status: ["READ", "WRITE"],
      flags: [],
      tags: [],
      ...(options.identity.creationTime !== undefined
        ? { creationTime: options.identity.creationTime, creationHost: options.identity.creationHost ?? "" }
        : {}),
      allocationPolicy: image.allocationPolicy,
      segments: [],
      extra: [],
    };
    next = putLv(next, appendStripedRows(next, meta, alloc.rows));
    legs.push({ meta: metaName, image: `${lvName}_rimage_${s}` });
  });
  const log = mirror.mirrorLog;
  if (log !== undefined) next = removeLv(next, log);
  // Rename the images in place (the rmetas were appended after them).
  mirror.areas.forEach((area, s) => {
    if (area.kind !== "lv") return;
    next = {
      ...next,
      lvs: next.lvs.map((l) => (l.name === area.lv ? { ...l, name: legs[s]!.image } : l)),
    };
  });
  const top = findLv(next, lvName)!;
  next = putLv(next, {
    ...top,
    segments: [
      {
        ...raid1Segment({ extentCount: mirror.extentCount, regionSizeSectors: region, legs }),
        tags: mirror.tags,
      },
    ],
  });
  return { vg: next, removedLog: log };
}
