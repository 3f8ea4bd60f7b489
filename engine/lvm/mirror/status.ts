/** Runtime report values of old-style mirrors, read from their live dm tables. */
import type { LogicalVolume, VolumeGroup } from "../../metadata/model.js";
import { deviceMapperOf } from "../activation/activate.js";
import type { Host } from "../host.js";
import { mirrorSegmentOf } from "./convert.js";
import { liveMirrorsOf } from "./kernel.js";

/**
 * `copy_percent`/`sync_percent` of an active mirror LV: regions in sync over all regions of its
 * live mirror targets; undefined when the LV is not a mirror or has no live table.
 */
export function mirrorCopyPercent(host: Host, vg: VolumeGroup, lv: LogicalVolume): number | undefined {
  if (mirrorSegmentOf(lv) === undefined || deviceMapperOf(host).lv(lv.id) === undefined) return undefined;
  const regions = mirrorSyncRegions(host, vg.name, lv.name);
  if (regions.mirrors === 0) return undefined;
  return regions.total === 0 ? 100 : (100 * regions.synced) / regions.total;
}

/** Regions in sync and in all, summed over the live mirror targets of `vg/lv` (its segments). */
export function mirrorSyncRegions(
  host: Host,
  vgName: string,
  lvName: string,
): { readonly synced: number; readonly total: number; readonly mirrors: number } {
  const mirrors = liveMirrorsOf(host, vgName, lvName);
  let synced = 0;
  let total = 0;
  for (const mirror of mirrors) {
    synced += mirror.log.syncCount;
    total += mirror.regionCount;
  }
  return { synced, total, mirrors: mirrors.length };
}
