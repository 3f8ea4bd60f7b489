/**
 * lvcreate's `wipe_lv` of each new rmeta: only the first 4 KiB are zeroed, so the kernel finds no
 * dm-raid superblock there and builds a new set ("Superblocks created for new raid set").
 */
import { SECTOR_BYTES } from "../../block/device.js";
import { findLv, findPv, type VolumeGroup } from "../../metadata/model.js";
import type { Host } from "../host.js";
import { raid1Of } from "./roles.js";

/** Bytes of each rmeta `wipe_lv` clears. */
export const RMETA_WIPE_BYTES = 4096;

/** Zeroes the first 4 KiB of every rmeta of raid1 LV `lvName` (on their PVs); returns the completion time. */
export function wipeRaidMetas(host: Host, vg: VolumeGroup, lvName: string): number {
  const view = raid1Of(findLv(vg, lvName));
  if (view === undefined) return host.scheduler.nowNs;
  let t = host.scheduler.nowNs;
  const zeros = new Uint8Array(RMETA_WIPE_BYTES);
  for (const leg of view.legs) {
    const meta = findLv(vg, leg.meta);
    const seg = meta?.segments[0];
    if (seg?.type !== "striped" || seg.areas[0]?.kind !== "pv") continue;
    const pv = findPv(vg, seg.areas[0].pv);
    const device = pv === undefined || pv.status.includes("MISSING") ? undefined : host.device(pv.deviceHint);
    if (pv === undefined || device === undefined) continue;
    const offsetBytes = (pv.peStartSectors + seg.areas[0].pe * vg.extentSizeSectors) * SECTOR_BYTES;
    t = Math.max(t, device.write(offsetBytes, zeros, { issueNs: t }));
  }
  return t;
}
