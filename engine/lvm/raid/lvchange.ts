/**
 * lvchange's raid1 actions: `--refresh` (a second resume that revives legs whose rmeta reads again,
 * clearing "refresh needed") and `--syncaction check|repair` (a dm message; returns at once while the
 * kernel scrubs in the background). Messages are LVM2 2.03.16's (`tools/lvchange.c`).
 */
import { findLv, type VolumeGroup } from "../../metadata/model.js";
import { type CommandContext, LvmCommandError } from "../command.js";
import { liveRaidOf, startRaidLvSync } from "./kernel.js";
import { raid1Of } from "./roles.js";

function displayName(vg: VolumeGroup, lvName: string): string {
  return `${vg.name}/${lvName}`;
}

/** `lvchange --refresh VG/LV` for a raid1 LV (other LVs: nothing to do in lvmlab). */
export function refreshRaidLv(context: CommandContext, vg: VolumeGroup, lvName: string): void {
  const view = raid1Of(findLv(vg, lvName));
  if (view === undefined || context.driverLoaded === false) return;
  const raid = liveRaidOf(context.host, vg.name, lvName);
  if (raid === undefined) return;
  // The kernel logs "Faulty raid1 device #N has readable super block.  Attempting to revive it."
  raid.refresh(context.host.scheduler.nowNs);
  startRaidLvSync(context.host, vg, lvName);
}

/** `lvchange --syncaction check|repair VG/LV`. */
export function raidSyncAction(
  context: CommandContext,
  vg: VolumeGroup,
  lvName: string,
  action: string,
): void {
  if (action !== "check" && action !== "repair") {
    throw new LvmCommandError(`"${action}" is not a supported sync operation.`);
  }
  const view = raid1Of(findLv(vg, lvName));
  if (view === undefined) {
    throw new LvmCommandError(`Command on LV ${displayName(vg, lvName)} does not accept LV type linear.`);
  }
  const raid = liveRaidOf(context.host, vg.name, lvName);
  if (raid === undefined) {
    throw new LvmCommandError(`${displayName(vg, lvName)} must be active to perform this operation.`);
  }
  if (raid.syncAction !== "idle") {
    throw new LvmCommandError(
      `${displayName(vg, lvName)} state is currently "${raid.syncAction}".  Unable to switch to "${action}".`,
    );
  }
  raid.message(action);
  startRaidLvSync(context.host, vg, lvName);
}
