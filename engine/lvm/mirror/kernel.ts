/**
 * The kernel side of old-style mirrors: when a mirror table is loaded, dm-raid1 copies out-of-sync
 * regions from the default leg in the background with no help from userspace. lvmlab drives that
 * copy on the host's scheduler, one driver per live mirror LV, and stops the old driver whenever the
 * LV's table is replaced (lvconvert) or removed (deactivation, lvremove).
 */
import type { MirrorTarget } from "../../dm/mirror/mirror.js";
import { type MirrorResyncHandle, startMirrorResync } from "../../dm/mirror/resync-driver.js";
import type { VolumeGroup } from "../../metadata/model.js";
import { deviceMapperOf, mirrorsIn, reloadLv } from "../activation/activate.js";
import { dmName } from "../activation/dm-name.js";
import type { Host } from "../host.js";

const drivers = new WeakMap<Host, Map<string, MirrorResyncHandle[]>>();

function driversOf(host: Host): Map<string, MirrorResyncHandle[]> {
  let map = drivers.get(host);
  if (map === undefined) {
    map = new Map();
    drivers.set(host, map);
  }
  return map;
}

/** Starts background resync of every mirror of LV `lvId` that is not in sync, replacing older drivers. */
export function startLvResync(host: Host, lvId: string, mirrors: readonly MirrorTarget[]): number {
  stopLvResync(host, lvId);
  const handles = mirrors.filter((m) => !m.inSync).map((m) => startMirrorResync(m, host.scheduler));
  if (handles.length > 0) driversOf(host).set(lvId, handles);
  return handles.length;
}

/** Stops the resync drivers of LV `lvId` (no error when none run). */
export function stopLvResync(host: Host, lvId: string): void {
  const map = driversOf(host);
  for (const handle of map.get(lvId) ?? []) handle.stop();
  map.delete(lvId);
}

/**
 * The live mirror targets of LV `lvName`, read from its dm device (`ActiveLv.mirrors` is empty for
 * devices wrapped in a reloadable DmDevice, so this asks the table itself).
 */
export function liveMirrorsOf(host: Host, vgName: string, lvName: string): MirrorTarget[] {
  const dm = deviceMapperOf(host);
  // An origin's own segments live in its `-real` layer, under the snapshot-origin.
  return [...mirrorsIn(dm, dmName(vgName, lvName)), ...mirrorsIn(dm, dmName(vgName, lvName, "real"))];
}

/**
 * Reloads the live tables of `lvName` from `vg` (`lv_update_and_reload`): its mirrors are suspended
 * first (their logs written) and resync moves to the new table's mirrors.
 */
export function reloadWithResync(host: Host, vg: VolumeGroup, lvName: string): void {
  const lv = vg.lvs.find((l) => l.name === lvName);
  if (lv === undefined) throw new Error(`Cannot reload ${vg.name}/${lvName}: no such LV in the metadata`);
  for (const mirror of liveMirrorsOf(host, vg.name, lvName))
    mirror.suspend({ issueNs: host.scheduler.nowNs });
  stopLvResync(host, lv.id);
  reloadLv(host, vg, lvName, { startResync: false });
  startLvResync(host, lv.id, liveMirrorsOf(host, vg.name, lvName));
}
