/**
 * What a discard of an active LV is known to unmap, so a verifier can tell "must read as zeros
 * after the next commit" from "may read as old data or zeros". Only dm-thin unmaps in a unit the
 * caller can know: whole pool blocks (dm-thin.c `process_discard_bio` drops a mapping only when
 * the bio covers the whole block). Every other target passes the discard down or drops it, and
 * what a PV does with it is the device's business (`discard_zeroes_data` is long gone).
 */

import type { BlockDevice } from "../../block/device.js";
import { ThinTarget } from "../../dm/thin/thin.js";
import { DmDevice } from "./dm-device.js";

/**
 * The bytes a discard on `device` unmaps in whole units, checked right after the discard: a thin
 * LV's pool block size when its pool takes discards (`--discards passdown|nopassdown`) and is in
 * write mode; undefined for every other device, where a discard promises nothing.
 */
export function discardUnmapUnitBytes(device: BlockDevice): number | undefined {
  const table = device instanceof DmDevice ? device.live : device;
  if (!(table instanceof ThinTarget)) return undefined;
  const pool = table.pool;
  if (pool.discards === "ignore" || pool.mode !== "write") return undefined;
  return pool.blockBytes;
}
