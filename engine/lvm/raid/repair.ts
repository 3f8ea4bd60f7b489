/**
 * `lvconvert --repair VG/LV` for raid1 (`_lvconvert_repair_pvs_raid`, `_lv_raid_rebuild_or_replace`):
 * every leg on a missing PV or marked `D` by the kernel gets a new rmeta/rimage pair on free PVs
 * (never those of the surviving legs), flagged REBUILD so the next table load carries `rebuild i`
 * and the kernel recovers it fully; the flag is cleared and committed after that first reload, as
 * LVM2 does. The command does not wait for the resync.
 */
import { AllocationError } from "../../metadata/alloc.js";
import { findLv, type LogicalVolume, putLv, removeLv, type VolumeGroup } from "../../metadata/model.js";
import type { PvSelection } from "../../metadata/pv-list.js";
import { raidRmetaExtents } from "../../metadata/raid.js";
import { allocateRaid1Legs } from "../../metadata/raid-alloc.js";
import { deviceMapperOf, reloadLv } from "../activation/activate.js";
import { dmName } from "../activation/dm-name.js";
import { hasOption, type ParsedArgs } from "../args.js";
import { type CommandContext, LvmCommandError } from "../command.js";
import { newUuid } from "../ids.js";
import { type HostScan, requireVg } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { liveRaidOf, startRaidLvSync, stopRaidLv } from "./kernel.js";
import { raid1Of } from "./roles.js";

function pvsOf(lv: LogicalVolume | undefined): string[] {
  const out: string[] = [];
  for (const seg of lv?.segments ?? []) {
    if (seg.type !== "striped") continue;
    for (const a of seg.areas) if (a.kind === "pv" && !out.includes(a.pv)) out.push(a.pv);
  }
  return out;
}

function withStatus(lv: LogicalVolume, add: boolean): LogicalVolume {
  const status = lv.status.filter((s) => s !== "REBUILD");
  return { ...lv, status: add ? [...status, "REBUILD"] : status };
}

/** Reloads the raid1 LV's table from `vg`, dropping the dm devices of replaced sub-LVs first. */
function reloadRaid(
  context: CommandContext,
  vg: VolumeGroup,
  lvName: string,
  replaced: readonly string[],
): void {
  const dm = deviceMapperOf(context.host);
  stopRaidLv(context.host, vg, lvName, { clean: false });
  for (const name of replaced) dm.remove(dmName(vg.name, name));
  reloadLv(context.host, vg, lvName, { startResync: false });
  for (const name of replaced) {
    const sub = findLv(vg, name);
    if (sub !== undefined) context.host.activeLvs.add(sub.id);
  }
  startRaidLvSync(context.host, vg, lvName);
}

/** True when `lvName` is a raid1 LV (so lvconvert --repair should come here). */
export function isRaid1Lv(vg: VolumeGroup, lvName: string): boolean {
  return raid1Of(findLv(vg, lvName)) !== undefined;
}

/** `lvconvert --repair [-y|--use-policies] VG/LV [PV…]` for a raid1 LV. */
export function repairRaid1(
  context: CommandContext,
  args: ParsedArgs,
  options: {
    readonly scan: HostScan;
    readonly vgName: string;
    readonly lvName: string;
    readonly pvs?: readonly PvSelection[];
  },
): void {
  const { scan, vgName, lvName } = options;
  const handle = requireVg(scan, vgName, { allowMissing: true });
  const vg = handle.vg;
  const display = `${vg.name}/${lvName}`;
  const lv = findLv(vg, lvName);
  const view = raid1Of(lv);
  if (lv === undefined || view === undefined) throw new LvmCommandError(`${display} is not a raid1 LV`);
  const raid = context.driverLoaded === false ? undefined : liveRaidOf(context.host, vg.name, lvName);
  if (raid === undefined) throw new LvmCommandError(`${display} must be active to perform this operation.`);
  const missing = new Set(handle.missing);
  const health = raid.legHealth();
  const failed = view.legs
    .map((leg, index) => ({ leg, index }))
    .filter(
      ({ leg, index }) =>
        health[index] === "D" ||
        [...pvsOf(findLv(vg, leg.image)), ...pvsOf(findLv(vg, leg.meta))].some((pv) => missing.has(pv)),
    );
  if (failed.length === 0) {
    // lv_raid_replace prints this and succeeds when no leg needs replacing (seen on real LVM2
    // 2.03.16 in the guest: exit 0, then "Faulty devices in … successfully replaced.").
    context.out.message(`${display} does not contain devices specified to replace.`);
    context.out.message(`Faulty devices in ${display} successfully replaced.`);
    return;
  }
  if (!hasOption(args, "yes") && !hasOption(args, "use-policies")) {
    context.out.print("Attempt to replace failed RAID images (requires full device resync)? [y/n]: [n]");
    throw new LvmCommandError(`Logical volume ${display} NOT converted.`);
  }
  if (!raid.inSync) {
    throw new LvmCommandError(`Unable to replace devices in ${display} while it is not in-sync.`);
  }
  if (failed.length === view.legs.length) {
    throw new LvmCommandError(`Unable to replace all PVs from ${display} at once.`);
  }
  // Drop the failed sub-LVs (their extents return to the VG; LVM2 extracts them as *_extracted).
  let next = vg;
  for (const { leg } of failed) next = removeLv(removeLv(next, leg.image), leg.meta);
  const keepPvs = view.legs
    .filter((_, i) => !failed.some((f) => f.index === i))
    .flatMap((leg) => [...pvsOf(findLv(vg, leg.image)), ...pvsOf(findLv(vg, leg.meta))]);
  const imageLv = findLv(vg, view.legs[0]!.image);
  const imageExtents = imageLv?.segments.reduce((n, s) => n + s.extentCount, 0) ?? 0;
  try {
    next = allocateRaid1Legs(next, {
      legNames: failed.map((f) => f.leg),
      imageExtents,
      metaExtents: raidRmetaExtents({
        extentSizeSectors: vg.extentSizeSectors,
        imageExtents,
        regionSizeSectors: view.regionSizeSectors,
      }),
      spec: {
        makeId: () => newUuid(context.host),
        creationTime: context.host.nowSeconds(),
        creationHost: context.host.hostname,
        extents: imageExtents,
        images: failed.length,
        regionSizeSectors: view.regionSizeSectors,
        policy: lv.allocationPolicy,
        ...(options.pvs ? { pvs: options.pvs } : {}),
        mutations: context.host.mutations,
      },
      avoidPvs: [...keepPvs, ...missing],
      extraImageStatus: ["REBUILD"],
    });
  } catch (error) {
    if (error instanceof AllocationError) {
      context.out.error(error.message);
      throw new LvmCommandError(`Failed to replace faulty devices in ${display}.`);
    }
    throw error;
  }
  // Keep the VG's LV order: the new sub-LVs where the old ones were.
  const order = vg.lvs.map((l) => l.name);
  next = { ...next, lvs: [...next.lvs].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name)) };
  const replaced = failed.flatMap(({ leg }) => [leg.image, leg.meta]);
  const written = writeVg(context, scan, next);
  reloadRaid(context, written, lvName, replaced);
  // Second commit and reload without REBUILD (the kernel keeps recovering from its superblocks).
  let cleared = written;
  for (const name of replaced) {
    const sub = findLv(cleared, name);
    if (sub !== undefined) cleared = putLv(cleared, withStatus(sub, false));
  }
  const final = writeVg(context, scan, cleared);
  reloadRaid(context, final, lvName, []);
  context.out.message(`Faulty devices in ${display} successfully replaced.`);
}
