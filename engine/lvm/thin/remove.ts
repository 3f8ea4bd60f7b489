/**
 * `lvremove` of thin LVs and thin pools (`lib/metadata/lv_manip.c` `lv_remove_single`,
 * `lv_remove_with_dependencies`; `thin_manip.c` `update_pool_lv`, LVM2 2.03.16):
 *
 * - a thin LV is deactivated, dropped from the VG with a queued `delete <device_id>` message (the
 *   pool's transaction_id bumps), and the pool is updated: activated if need be, the message sent
 *   (the kernel deletes the device from both btrees and frees the blocks only it mapped), the
 *   queue dropped. When the pool cannot be updated the removal fails ("Failed to update pool"),
 *   unless `-ff` ("Ignoring update failure of pool"), which leaves the message queued for the
 *   next activation;
 * - a pool takes its thin LVs with it (after "Removing pool … will remove N dependent volume(s).
 *   Proceed?", unless forced), then its `_tdata` and `_tmeta`, and the VG's spare when no pool is
 *   left; nothing is sent to a kernel that is about to drop the pool.
 */
import {
  findLv,
  type LogicalVolume,
  type OtherSegment,
  putLv,
  type VolumeGroup,
} from "../../metadata/model.js";
import {
  removeThinVolume,
  thinInfo,
  thinPoolInfo,
  thinPoolSegment,
  thinSegment,
  thinSegmentOf,
  thinVolumesOf,
  withPoolInfo,
} from "../../metadata/thin.js";
import { type CommandContext, LvmCommandError } from "../command.js";
import { deactivateTables, forgetTables } from "../commands/lv-tables.js";
import { activeSet } from "../runtime.js";
import { type HostScan, scanHost } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { sendPoolMessages } from "./kernel.js";
import { activatePool } from "./lvcreate.js";
import { livePool } from "./status.js";

/** What `-f` was given: 0 prompts, 1 skips prompts, 2 (`-ff`) also overrides pool update failures. */
export type ForceLevel = 0 | 1 | 2;

/** True when lvremove must take the thin path for `lvName`. */
export function isThinRemoval(vg: VolumeGroup, lvName: string): boolean {
  const lv = findLv(vg, lvName);
  return thinSegment(lv) !== undefined || thinPoolSegment(lv) !== undefined;
}

/** Thin snapshots of a removed origin forget it (their `origin` link goes with it). */
function dropOriginLinks(vg: VolumeGroup, origin: string): VolumeGroup {
  let next = vg;
  for (const lv of vg.lvs) {
    const seg = thinSegment(lv);
    if (seg === undefined) continue;
    const info = thinInfo(seg);
    if (info.origin !== origin) continue;
    const { origin: _gone, ...rest } = info;
    next = putLv(next, { ...lv, segments: [thinSegmentOf(seg.extentCount, rest)] });
  }
  return next;
}

/**
 * `update_pool_lv(pool, 1)`: sends the pool's queued messages (activating it for that when
 * inactive, then deactivating it) and writes the VG without them. Returns the VG as written, or
 * throws / warns per `force` when the pool cannot be updated.
 */
function updatePoolLv(
  context: CommandContext,
  scan: HostScan,
  vg: VolumeGroup,
  options: { readonly pool: string; readonly force: ForceLevel },
): VolumeGroup {
  const poolLv = findLv(vg, options.pool) as LogicalVolume;
  const info = thinPoolInfo(thinPoolSegment(poolLv) as OtherSegment);
  if (info.messages.length === 0 || context.driverLoaded === false) return vg;
  const live = livePool(context.host, vg.name, options.pool);
  try {
    if (live !== undefined) sendPoolMessages(context.host, vg, options.pool, live);
    else {
      try {
        activatePool(context, vg, options.pool);
      } finally {
        deactivateTables(context, vg, options.pool);
        activeSet(context).delete(poolLv.id);
      }
    }
  } catch (error) {
    if (!(error instanceof LvmCommandError)) throw error;
    context.out.error(error.message);
    if (options.force < 2) throw new LvmCommandError(`Failed to update pool ${vg.name}/${options.pool}.`);
    context.out.message(`Ignoring update failure of pool ${vg.name}/${options.pool}.`);
    return vg;
  }
  return writeVg(context, scan, withPoolInfo(vg, options.pool, { ...info, messages: [] }));
}

/** Removes thin LV `name` as described in the module comment; returns the VG as written. */
export function removeThinLv(
  context: CommandContext,
  options: { readonly vg: VolumeGroup; readonly name: string; readonly force: ForceLevel },
): VolumeGroup {
  const { vg, name } = options;
  const lv = findLv(vg, name) as LogicalVolume;
  const pool = thinInfo(thinSegment(lv) as OtherSegment).pool;
  if (context.driverLoaded !== false) deactivateTables(context, vg, name);
  activeSet(context).delete(lv.id);
  const scan = scanHost(context.host);
  let next = writeVg(context, scan, dropOriginLinks(removeThinVolume(vg, name), name));
  forgetTables(context, vg, [name]);
  next = updatePoolLv(context, scanHost(context.host), next, { pool, force: options.force });
  context.out.message(`Logical volume "${name}" successfully removed.`);
  return next;
}

/** Removes pool `name` with its thin LVs, sub-LVs and (when last) the spare; returns the VG as written. */
export function removeThinPool(
  context: CommandContext,
  options: { readonly vg: VolumeGroup; readonly name: string; readonly force: ForceLevel },
): VolumeGroup {
  const { vg, name } = options;
  const poolLv = findLv(vg, name) as LogicalVolume;
  const info = thinPoolInfo(thinPoolSegment(poolLv) as OtherSegment);
  const thins = thinVolumesOf(vg, name);
  if (thins.length > 0 && options.force === 0) {
    context.out.print(
      `Removing pool ${vg.name}/${name} will remove ${thins.length} dependent volume(s). Proceed? [y/n]: [n]`,
    );
    throw new LvmCommandError(`Logical volume ${vg.name}/${name} not removed.`);
  }
  const removed = new Set<string>();
  const messages: string[] = [];
  for (const thin of thins) {
    if (context.driverLoaded !== false) deactivateTables(context, vg, thin.name);
    removed.add(thin.name);
    messages.push(`Logical volume "${thin.name}" successfully removed.`);
  }
  if (context.driverLoaded !== false) deactivateTables(context, vg, name);
  for (const sub of [name, info.dataLv, info.metadataLv]) removed.add(sub);
  const otherPools = vg.lvs.some((lv) => !removed.has(lv.name) && thinPoolSegment(lv) !== undefined);
  if (!otherPools) {
    for (const lv of vg.lvs)
      if (lv.name.includes("_pmspare") && !lv.status.includes("VISIBLE")) removed.add(lv.name);
  }
  messages.push(`Logical volume "${name}" successfully removed.`);
  const gone = vg.lvs.filter((lv) => removed.has(lv.name));
  for (const lv of gone) activeSet(context).delete(lv.id);
  // lvremove postpones the commit past the last LV of a pool being removed.
  const next = writeVg(context, scanHost(context.host), {
    ...vg,
    lvs: vg.lvs.filter((lv) => !removed.has(lv.name)),
  });
  forgetTables(
    context,
    vg,
    gone.map((lv) => lv.name),
  );
  for (const line of messages) context.out.message(line);
  return next;
}
