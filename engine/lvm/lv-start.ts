/**
 * Where an LV's first byte lies on disk: the PV device and byte offset of its first segment's
 * first area. lvcreate's `wipe_lv` (new LVs, COW stores, rmeta, pool metadata) writes there
 * without a table, so every caller finds it the same way.
 */

import type { BlockDevice } from "../block/device.js";
import { SECTOR_BYTES } from "../block/device.js";
import { findLv, findPv, type PhysicalVolume, type VolumeGroup } from "../metadata/model.js";
import type { Host } from "./host.js";

/** An LV's first byte on its PV. */
export interface LvStart {
  readonly pv: PhysicalVolume;
  readonly device: BlockDevice;
  readonly offsetBytes: number;
}

/**
 * The device and offset of `lvName`'s first byte, or undefined when its first segment is not a
 * striped/linear area on a PV, or that PV has no device on this host.
 */
export function lvStartOnDisk(host: Host, vg: VolumeGroup, lvName: string): LvStart | undefined {
  const seg = findLv(vg, lvName)?.segments[0];
  const area = seg?.type === "striped" ? seg.areas[0] : undefined;
  if (area?.kind !== "pv") return undefined;
  const pv = findPv(vg, area.pv);
  const device = pv === undefined ? undefined : host.device(pv.deviceHint);
  if (pv === undefined || device === undefined) return undefined;
  return { pv, device, offsetBytes: (pv.peStartSectors + area.pe * vg.extentSizeSectors) * SECTOR_BYTES };
}
