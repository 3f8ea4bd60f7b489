/**
 * `lvconvert --repair VG/POOL` (`tools/lvconvert.c` `_lvconvert_thin_pool_repair`, LVM2 2.03.16):
 * make sure the VG has a pool metadata spare, refuse an active pool, run `thin_repair -i
 * /dev/mapper/VG-POOL_tmeta -o /dev/mapper/VG-lvolN_pmspare` (both sub-LVs activated for it),
 * compare the repaired transaction_id with the VG's, then swap: the spare becomes `POOL_tmeta`
 * (taking the old metadata LV's id, as `swap_lv_identifiers` does), the old metadata becomes the
 * visible `POOL_meta<N>` backup, and a new spare is allocated.
 */

import { lvSizeExtents } from "../../metadata/extent-map.js";
import { extendLv } from "../../metadata/lv-alloc.js";
import { findLv, type LogicalVolume, type OtherSegment, type VolumeGroup } from "../../metadata/model.js";
import { nextLvName } from "../../metadata/names.js";
import type { PvSelection } from "../../metadata/pv-list.js";
import {
  ensurePoolMetadataSpare,
  poolMetadataSpare,
  thinPoolInfo,
  thinPoolSegment,
} from "../../metadata/thin.js";
import { isPersistentDataError, repairPoolMetadata } from "../../persistent-data/mod.js";
import { activateLv } from "../activation/activate.js";
import { dmName } from "../activation/dm-name.js";
import { type CommandContext, LvmCommandError } from "../command.js";
import { deactivateTables } from "../commands/lv-tables.js";
import { newUuid } from "../ids.js";
import { activeSet } from "../runtime.js";
import type { HostScan } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { livePool } from "./status.js";

/** Largest pool metadata LV of the VG, in extents (what the spare must hold). */
function largestPoolMetadataExtents(vg: VolumeGroup): number {
  let extents = 0;
  for (const lv of vg.lvs) {
    const seg = thinPoolSegment(lv);
    if (seg === undefined) continue;
    const meta = findLv(vg, thinPoolInfo(seg).metadataLv);
    if (meta !== undefined) extents = Math.max(extents, lvSizeExtents(meta));
  }
  return extents;
}

/** `handle_pool_metadata_spare(vg, 0, pvh, 1)`: a spare as large as the largest pool metadata LV (≤ 16 GiB). */
function handlePoolMetadataSpare(
  context: CommandContext,
  vg: VolumeGroup,
  pvs?: readonly PvSelection[],
): VolumeGroup {
  const extents = Math.min(
    largestPoolMetadataExtents(vg),
    Math.ceil((2 * 16 * 1024 * 1024) / vg.extentSizeSectors),
  );
  if (extents === 0) return vg;
  const spare = poolMetadataSpare(vg);
  if (spare === undefined) {
    return ensurePoolMetadataSpare(vg, {
      makeId: () => newUuid(context.host),
      creationTime: context.host.nowSeconds(),
      creationHost: context.host.hostname,
      extents,
      ...(pvs ? { pvs } : {}),
    });
  }
  const have = lvSizeExtents(spare);
  if (have >= extents) return vg;
  return extendLv(vg, spare.name, {
    extents: extents - have,
    ...(pvs ? { pvs } : {}),
    mutations: context.host.mutations,
  });
}

/** Repairs the metadata of thin pool `vgName/poolName`, as described in the module comment. */
export function repairThinPool(
  context: CommandContext,
  options: {
    readonly scan: HostScan;
    readonly vg: VolumeGroup;
    readonly poolName: string;
    readonly pvs?: readonly PvSelection[];
  },
): void {
  const host = context.host;
  let vg = options.vg;
  const pool = findLv(vg, options.poolName) as LogicalVolume;
  const info = thinPoolInfo(thinPoolSegment(pool) as OtherSegment);
  const poolPath = `${vg.name}/${pool.name}`;
  if (context.driverLoaded === false) {
    throw new LvmCommandError(`Cannot repair thin pool ${poolPath} without the device-mapper kernel driver.`);
  }
  const withSpare = handlePoolMetadataSpare(context, vg, options.pvs);
  if (withSpare !== vg) vg = writeVg(context, options.scan, withSpare);
  const spare = poolMetadataSpare(vg);
  if (spare === undefined)
    throw new Error(`Invariant: ${vg.name} has no pool metadata spare after creating one`);
  if (livePool(host, vg.name, pool.name) !== undefined || activeSet(context).has(pool.id)) {
    throw new LvmCommandError("Active pools cannot be repaired.  Use lvchange -an first.");
  }
  const spareDevice = activateLv(host, vg, spare.name, { startResync: false }).device;
  const metaDevice = activateLv(host, vg, info.metadataLv, { startResync: false }).device;
  let repairedTid: number | undefined;
  try {
    const result = repairPoolMetadata(metaDevice, spareDevice, {
      mutations: host.mutations,
      issueNs: host.scheduler.nowNs,
    });
    repairedTid = result.salvaged.transactionId;
  } catch (error) {
    if (!isPersistentDataError(error)) throw error;
    context.out.error(error.message);
  } finally {
    deactivateTables(context, vg, info.metadataLv);
    deactivateTables(context, vg, spare.name);
  }
  if (repairedTid === undefined) {
    throw new LvmCommandError(
      `Repair of thin metadata volume of thin pool ${poolPath} failed (status:1). Manual repair required!`,
    );
  }
  const tid = info.transactionId;
  if (tid !== 0 && repairedTid !== tid && repairedTid - 1 !== tid) {
    // LVM2 logs this as an error but carries on with the swap.
    context.out.error(
      `Transaction id ${tid} from pool "${poolPath}" does not match repaired transaction id ${repairedTid} from /dev/mapper/${dmName(vg.name, spare.name)}.`,
    );
  }
  // The spare stops being the spare; a new one is allocated while the old names still stand.
  const oldMeta = findLv(vg, info.metadataLv) as LogicalVolume;
  // lv_set_visible(pmslv): a visible LV is no longer the spare, so a new spare is allocated.
  const formerSpare: LogicalVolume = { ...spare, status: ["READ", "WRITE", "VISIBLE"] };
  vg = { ...vg, lvs: vg.lvs.map((lv) => (lv.name === spare.name ? formerSpare : lv)) };
  vg = handlePoolMetadataSpare(context, vg, options.pvs);
  const backupName = nextLvName(vg, `${pool.name}_meta`);
  // swap_lv_identifiers: the repaired LV takes the metadata LV's name and id, the old one the spare's id.
  const newMeta: LogicalVolume = {
    ...formerSpare,
    name: oldMeta.name,
    id: oldMeta.id,
    status: ["READ", "WRITE"],
  };
  const backup: LogicalVolume = {
    ...oldMeta,
    name: backupName,
    id: spare.id,
    status: ["READ", "WRITE", "VISIBLE"],
  };
  vg = {
    ...vg,
    lvs: vg.lvs.map((lv) =>
      lv.name === formerSpare.name ? newMeta : lv.name === oldMeta.name ? backup : lv,
    ),
  };
  writeVg(context, options.scan, vg);
  context.out.warn(
    `LV ${vg.name}/${backupName} holds a backup of the unrepaired metadata. Use lvremove when no longer required.`,
  );
  if (vg.pvs.length > 1) {
    context.out.warn(
      `New metadata LV ${vg.name}/${oldMeta.name} might use different PVs.  Move it with pvmove if required.`,
    );
  }
}
