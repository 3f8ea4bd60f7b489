/** Runtime report values of raid1 LVs, read from their live dm-raid targets. */
import type { LogicalVolume, VolumeGroup } from "../../metadata/model.js";
import type { Host } from "../host.js";
import { liveRaidOf } from "./kernel.js";
import { type RaidRuntimeStatus, raidSyncPercent } from "./report.js";

/** The status of LV `lv`'s live raid1 target, or undefined when it has none. */
export function raidStatusOf(host: Host, vg: VolumeGroup, lv: LogicalVolume): RaidRuntimeStatus | undefined {
  if (!host.activeLvs.has(lv.id)) return undefined;
  const raid = liveRaidOf(host, vg.name, lv.name);
  if (raid === undefined) return undefined;
  const progress = raid.syncProgress();
  let insync = Math.floor(progress.doneSectors / raid.regionSizeSectors);
  const total = Math.ceil(progress.totalSectors / raid.regionSizeSectors);
  if (progress.doneSectors >= progress.totalSectors) insync = total;
  // libdm: all regions "in sync" while some (not all) legs still show `a` means one is left.
  const health = raid.legHealth();
  const action = raid.syncAction;
  if (
    insync === total &&
    health.includes("a") &&
    !/^a+$/.test(health) &&
    (action === "recover" || action === "idle")
  ) {
    insync -= 1;
  }
  return {
    health,
    syncAction: action,
    mismatchCount: raid.mismatchCount,
    insyncRegions: insync,
    totalRegions: total,
  };
}

/** Cpy%Sync of a raid1 LV, or undefined when it is not a live raid1 LV. */
export function raidCopyPercent(host: Host, vg: VolumeGroup, lv: LogicalVolume): number | undefined {
  const status = raidStatusOf(host, vg, lv);
  return status === undefined ? undefined : raidSyncPercent(status);
}
