/**
 * lvcreate's `wipe_lv` of each new rmeta: only the first 4 KiB are zeroed, so the kernel finds no
 * dm-raid superblock there and builds a new set ("Superblocks created for new raid set").
 */
import { findLv, type VolumeGroup } from "../../metadata/model.js";
import type { Host } from "../host.js";
import { lvStartOnDisk } from "../lv-start.js";
import { raid1Of } from "./roles.js";

/** Bytes of each rmeta `wipe_lv` clears. */
const RMETA_WIPE_BYTES = 4096;

/**
 * Zeroes the first 4 KiB of every rmeta of raid1 LV `lvName` (on their PVs), or only of the rmetas
 * named in `only`; returns the completion time.
 */
export function wipeRaidMetas(
  host: Host,
  vg: VolumeGroup,
  lvName: string,
  options: { readonly only?: readonly string[] } = {},
): number {
  const view = raid1Of(findLv(vg, lvName));
  if (view === undefined) return host.scheduler.nowNs;
  let t = host.scheduler.nowNs;
  const zeros = new Uint8Array(RMETA_WIPE_BYTES);
  for (const leg of view.legs) {
    if (options.only !== undefined && !options.only.includes(leg.meta)) continue;
    const start = lvStartOnDisk(host, vg, leg.meta);
    if (start === undefined || start.pv.status.includes("MISSING")) continue;
    t = Math.max(t, start.device.write(start.offsetBytes, zeros, { issueNs: t }));
  }
  return t;
}
