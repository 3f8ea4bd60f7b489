/**
 * Reloading a raid1 LV's table after its legs changed (`lv_update_and_reload`): the old target stops
 * (its sync driver and bitmap daemon), the devices of every sub-LV before and after the change are
 * dropped — a sub-LV may have left, been renamed onto another's name, or grown — and the top device
 * gets its new table in place, so LVs stacked on it keep working. The sub-LVs come back with the
 * new table; the background work (resync, recovery) starts again from the superblocks.
 */
import { findLv, type VolumeGroup } from "../../metadata/model.js";
import { type ActivateOptions, deviceMapperOf, reloadLv } from "../activation/activate.js";
import { dmName } from "../activation/dm-name.js";
import type { Host } from "../host.js";
import { startRaidLvSync, stopRaidLv } from "./kernel.js";
import { raid1Of } from "./roles.js";

function subLvNames(vg: VolumeGroup, lvName: string): string[] {
  return (raid1Of(findLv(vg, lvName))?.legs ?? []).flatMap((leg) => [leg.meta, leg.image]);
}

/** True when raid1 (or linear) LV `lvName` has a live table on the host. */
export function raidLvLive(host: Host, vg: VolumeGroup, lvName: string): boolean {
  const lv = findLv(vg, lvName);
  return lv !== undefined && deviceMapperOf(host).lv(lv.id) !== undefined;
}

/**
 * Reloads `lvName` from `after` (its metadata before the change is `before`). `extraGone` names
 * further LVs of `before` whose devices must go (a removed mirror log, say).
 */
export function reloadRaidLv(
  host: Host,
  change: { readonly before: VolumeGroup; readonly after: VolumeGroup },
  lvName: string,
  options: ActivateOptions & { readonly extraGone?: readonly string[] } = {},
): void {
  const { before, after } = change;
  const dm = deviceMapperOf(host);
  stopRaidLv(host, before, lvName, { clean: false });
  const names = new Set([
    ...subLvNames(before, lvName),
    ...subLvNames(after, lvName),
    ...(options.extraGone ?? []),
  ]);
  for (const name of names) {
    dm.remove(dmName(before.name, name));
    const old = findLv(before, name);
    if (old !== undefined) {
      dm.dropLv(old.id);
      host.activeLvs.delete(old.id);
    }
  }
  const { extraGone: _unused, ...activate } = options;
  reloadLv(host, after, lvName, { ...activate, startResync: false });
  for (const name of subLvNames(after, lvName)) {
    const sub = findLv(after, name);
    if (sub !== undefined) host.activeLvs.add(sub.id);
  }
  startRaidLvSync(host, after, lvName);
}
