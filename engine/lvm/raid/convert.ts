/**
 * `lvconvert --type raid1 [-m N] VG/LV` and a plain `lvconvert -m N VG/LV` (while
 * `global/mirror_segtype_default` is "raid1") on a linear LV (`_convert_linear_to_raid`,
 * `lv_raid_change_image_count`): the LV's segments move to `_rimage_0`, `_rmeta_0` is allocated on
 * the LV's own PVs, the new legs (rmeta + rimage, flagged REBUILD) on other PVs; the table is
 * loaded with `rebuild i` so the kernel recovers the new legs from leg 0 ("Aa", recover), and the
 * flag is cleared and committed after that first reload. Returns at once; the recovery runs on.
 */
import { AllocationError, allocateExtents } from "../../metadata/alloc.js";
import { lvSizeExtents } from "../../metadata/extent-map.js";
import { appendStripedRows } from "../../metadata/lv-alloc.js";
import { findLv, type LogicalVolume, putLv, type VolumeGroup } from "../../metadata/model.js";
import type { PvSelection } from "../../metadata/pv-list.js";
import {
  DEFAULT_RAID_REGION_SIZE_SECTORS,
  raid1Segment,
  raidRegionSize,
  raidRmetaExtents,
} from "../../metadata/raid.js";
import { allocateRaid1Legs } from "../../metadata/raid-alloc.js";
import { deviceMapperOf, reloadLv } from "../activation/activate.js";
import { hasOption, type ParsedArgs } from "../args.js";
import { type CommandContext, LvmCommandError } from "../command.js";
import { newUuid } from "../ids.js";
import type { HostScan } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { startRaidLvSync, stopRaidLv } from "./kernel.js";
import { wipeRaidMetas } from "./wipe.js";

function pvsOf(lv: LogicalVolume): string[] {
  const out: string[] = [];
  for (const seg of lv.segments) {
    if (seg.type !== "striped") continue;
    for (const a of seg.areas) if (a.kind === "pv" && !out.includes(a.pv)) out.push(a.pv);
  }
  return out;
}

/** True when `lv` is linear (every segment a one-stripe striped segment on a PV). */
export function isLinearLv(lv: LogicalVolume): boolean {
  return (
    lv.segments.length > 0 &&
    lv.segments.every((s) => s.type === "striped" && s.stripeCount === 1 && s.areas[0]?.kind === "pv")
  );
}

/** Converts linear `lvName` to raid1 with `images` images (2 for `--type raid1` without `-m`). */
export function convertLinearToRaid1(
  context: CommandContext,
  args: ParsedArgs,
  options: {
    readonly scan: HostScan;
    readonly vg: VolumeGroup;
    readonly lvName: string;
    readonly images: number;
    readonly pvs?: readonly PvSelection[];
  },
): void {
  const { scan, vg, lvName, images } = options;
  const display = `${vg.name}/${lvName}`;
  const lv = findLv(vg, lvName);
  if (lv === undefined || !isLinearLv(lv)) throw new LvmCommandError(`${display} is not a linear LV`);
  if (images < 2) throw new LvmCommandError(`--mirrors must be at least 1 with segment type raid1.`, 3);
  if (!hasOption(args, "yes")) {
    context.out.print(
      `Are you sure you want to convert linear LV ${display} to raid1 with ${images} images enhancing resilience? [y/n]: [n]`,
    );
    throw new LvmCommandError(`Logical volume ${display} NOT converted.`);
  }
  const extents = lvSizeExtents(lv);
  const region = raidRegionSize(
    DEFAULT_RAID_REGION_SIZE_SECTORS,
    extents * vg.extentSizeSectors,
  ).regionSizeSectors;
  const metaExtents = raidRmetaExtents({
    extentSizeSectors: vg.extentSizeSectors,
    imageExtents: extents,
    regionSizeSectors: region,
  });
  const identity = {
    makeId: () => newUuid(context.host),
    creationTime: context.host.nowSeconds(),
    creationHost: context.host.hostname,
  };
  const ownPvs = pvsOf(lv);
  const leg0 = { meta: `${lvName}_rmeta_0`, image: `${lvName}_rimage_0` };
  let next: VolumeGroup = vg;
  try {
    for (const name of [leg0.meta, leg0.image]) {
      if (findLv(vg, name))
        throw new AllocationError(`Logical volume ${name} already exists in volume group ${vg.name}`);
    }
    // _alloc_rmeta_for_lv: rmeta_0 on the PVs the data already uses.
    const metaAlloc = allocateExtents(vg, {
      extents: metaExtents,
      stripes: 1,
      policy: lv.allocationPolicy,
      pvs: ownPvs.map((pv) => ({ pv })),
    });
    const image0: LogicalVolume = {
      ...lv,
      name: leg0.image,
      id: identity.makeId(),
      status: ["READ", "WRITE"],
      flags: [],
      tags: [],
    };
    let meta0: LogicalVolume = { ...image0, name: leg0.meta, id: identity.makeId(), segments: [] };
    meta0 = appendStripedRows(vg, meta0, metaAlloc.rows);
    next = putLv(putLv(next, image0), meta0);
    const newLegs = Array.from({ length: images - 1 }, (_, i) => ({
      meta: `${lvName}_rmeta_${i + 1}`,
      image: `${lvName}_rimage_${i + 1}`,
    }));
    next = allocateRaid1Legs(next, {
      legNames: newLegs,
      imageExtents: extents,
      metaExtents,
      spec: {
        ...identity,
        extents,
        images: newLegs.length,
        regionSizeSectors: region,
        policy: lv.allocationPolicy,
        ...(options.pvs ? { pvs: options.pvs } : {}),
        mutations: context.host.mutations,
      },
      avoidPvs: ownPvs,
      extraImageStatus: ["REBUILD"],
    });
    const seg = raid1Segment({ extentCount: extents, regionSizeSectors: region, legs: [leg0, ...newLegs] });
    next = putLv(next, { ...lv, segments: [seg] });
  } catch (error) {
    if (error instanceof AllocationError) throw new LvmCommandError(error.message);
    throw error;
  }
  const live = context.driverLoaded !== false && deviceMapperOf(context.host).lv(lv.id) !== undefined;
  // Every rmeta starts blank (wipe_lv), before the commit that names them.
  if (live) wipeRaidMetas(context.host, next, lvName);
  const written = writeVg(context, scan, next);
  if (live) reload(context, written, lvName);
  let cleared = written;
  for (const sub of written.lvs) {
    if (sub.status.includes("REBUILD"))
      cleared = putLv(cleared, { ...sub, status: sub.status.filter((s) => s !== "REBUILD") });
  }
  const final = writeVg(context, scan, cleared);
  if (live) reload(context, final, lvName);
  context.out.message(`Logical volume ${display} successfully converted.`);
}

function reload(context: CommandContext, vg: VolumeGroup, lvName: string): void {
  stopRaidLv(context.host, vg, lvName, { clean: false });
  reloadLv(context.host, vg, lvName, { startResync: false });
  const lv = findLv(vg, lvName);
  for (const sub of vg.lvs) {
    if (sub.name.startsWith(`${lvName}_r`)) context.host.activeLvs.add(sub.id);
  }
  if (lv !== undefined) context.host.activeLvs.add(lv.id);
  startRaidLvSync(context.host, vg, lvName);
}
