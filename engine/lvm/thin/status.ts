/**
 * Thin pools and thin LVs as reports see them (`_thin_pool_target_percent`, `_thin_target_percent`,
 * `lv_attr` health): the live pool and thin targets from the machine's device-mapper table.
 */

import { SECTOR_BYTES } from "../../block/device.js";
import type { MappedDevice } from "../../dm/target.js";
import { ThinPoolTarget } from "../../dm/thin/pool.js";
import { ThinTarget } from "../../dm/thin/thin.js";
import { findLv, type LogicalVolume, type VolumeGroup } from "../../metadata/model.js";
import { thinPoolInfo, thinPoolSegment, thinSegment } from "../../metadata/thin.js";
import { deviceMapperOf } from "../activation/activate.js";
import { DmDevice } from "../activation/dm-device.js";
import { dmName } from "../activation/dm-name.js";
import type { Host } from "../host.js";
import { lvStartOnDisk } from "../lv-start.js";
import { findVg, scanHost } from "../vg-read.js";

/** The live table behind a dm device. */
function liveTable(device: MappedDevice | undefined): MappedDevice | undefined {
  return device instanceof DmDevice ? device.live : device;
}

/** The live pool target of `vg/pool` (`vg-pool-tpool`), if the pool is active. */
export function livePool(host: Host, vgName: string, poolName: string): ThinPoolTarget | undefined {
  const table = liveTable(deviceMapperOf(host).device(dmName(vgName, poolName, "tpool")));
  return table instanceof ThinPoolTarget ? table : undefined;
}

/** The live thin target of a thin LV, if active. */
export function liveThin(host: Host, vgName: string, lvName: string): ThinTarget | undefined {
  const table = liveTable(deviceMapperOf(host).device(dmName(vgName, lvName)));
  if (table instanceof ThinTarget) return table;
  const targets = (table as { targets?: readonly MappedDevice[] } | undefined)?.targets;
  const first = targets?.[0];
  return first instanceof ThinTarget ? first : undefined;
}

/** LVM2's `dm_make_percent`: never 0 or 100 unless exact. */
export function makePercent(numerator: number, denominator: number): number {
  if (denominator === 0 || numerator === 0) return 0;
  if (numerator >= denominator) return 100;
  const p = (100 * numerator) / denominator;
  return Math.min(99.99, Math.max(0.01, p));
}

/** Data% of a live pool or thin LV; undefined when inactive or not thin. */
export function thinDataPercent(host: Host, vg: VolumeGroup, lv: LogicalVolume): number | undefined {
  if (thinPoolSegment(lv) !== undefined) {
    const pool = livePool(host, vg.name, lv.name);
    if (pool === undefined || pool.mode === "fail") return undefined;
    const u = pool.usage();
    return makePercent(u.usedDataBlocks, u.totalDataBlocks);
  }
  const seg = thinSegment(lv);
  if (seg === undefined) return undefined;
  const thin = liveThin(host, vg.name, lv.name);
  if (thin === undefined) return undefined;
  const chunk = thin.pool.blockSizeSectors;
  const sizeSectors = Math.ceil((seg.extentCount * vg.extentSizeSectors) / chunk) * chunk;
  return makePercent(thin.mappedSectors(), sizeSectors);
}

/** Meta% of a live pool. */
export function thinMetadataPercent(host: Host, vg: VolumeGroup, lv: LogicalVolume): number | undefined {
  if (thinPoolSegment(lv) === undefined) return undefined;
  const pool = livePool(host, vg.name, lv.name);
  if (pool === undefined || pool.mode === "fail") return undefined;
  const u = pool.usage();
  return makePercent(u.usedMetadataBlocks, u.totalMetadataBlocks);
}

/** Where a pool's metadata LV lies on one PV (a single linear area), for faults that damage it. */
export interface ThinMetadataOnDisk {
  /** The PV device's name on this host. */
  readonly device: string;
  readonly offsetBytes: number;
  readonly sizeBytes: number;
}

/**
 * The PV range holding `vgName/poolName`'s `_tmeta`, or undefined when the VG, the pool or its
 * device is not there, or the metadata LV spans more than one area.
 */
export function thinMetadataOnDisk(
  host: Host,
  vgName: string,
  poolName: string,
): ThinMetadataOnDisk | undefined {
  const vg = findVg(scanHost(host), vgName)?.vg;
  const seg = thinPoolSegment(vg === undefined ? undefined : findLv(vg, poolName));
  if (vg === undefined || seg === undefined) return undefined;
  const meta = findLv(vg, thinPoolInfo(seg).metadataLv);
  if (meta === undefined || meta.segments.length !== 1) return undefined;
  const only = meta.segments[0];
  if (only?.type !== "striped" || only.areas.length !== 1) return undefined;
  const start = lvStartOnDisk(host, vg, meta.name);
  if (start === undefined) return undefined;
  return {
    device: start.device.name,
    offsetBytes: start.offsetBytes,
    sizeBytes: only.extentCount * vg.extentSizeSectors * SECTOR_BYTES,
  };
}
