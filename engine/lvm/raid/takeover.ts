/**
 * `lvconvert --type raid1 VG/LV` on an old-style mirror (`lv_raid_convert` → `_convert_mirror_to_raid1`),
 * with LVM2 2.03.16's prompt and refusals: the mirror must be active and in sync; each image gets a
 * blank rmeta on its own PVs, the disk log goes, `_mimage_N` become `_rimage_N`, and the table is
 * loaded once with `nosync` (`init_mirror_in_sync(1)`): the legs were already identical, so the new
 * raid set starts in sync and nothing is copied. The data stays where it was.
 */
import { lvKinds } from "../../metadata/lv-kind.js";
import { findLv } from "../../metadata/model.js";
import { mirrorToRaid1 } from "../../metadata/raid-images.js";
import { hasOption, type ParsedArgs } from "../args.js";
import { asCommandError, type CommandContext, LvmCommandError } from "../command.js";
import { newUuid } from "../ids.js";
import { liveMirrorsOf, stopLvResync } from "../mirror/kernel.js";
import { mirrorCopyPercent } from "../mirror/status.js";
import { type HostScan, requireVg } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { raidLvLive, reloadRaidLv } from "./reload.js";
import { wipeRaidMetas } from "./wipe.js";

/** Converts mirror `vgName/lvName` to raid1 in place. */
export function convertMirrorToRaid1(
  context: CommandContext,
  args: ParsedArgs,
  request: { readonly scan: HostScan; readonly vgName: string; readonly lvName: string },
): void {
  const { scan, lvName } = request;
  const vg = requireVg(scan, request.vgName).vg;
  const display = `${vg.name}/${lvName}`;
  const lv = findLv(vg, lvName);
  if (lv === undefined) throw new LvmCommandError(`Failed to find logical volume "${display}"`);
  if (context.driverLoaded === false || !raidLvLive(context.host, vg, lvName)) {
    throw new LvmCommandError(`${display} must be active to perform this operation.`);
  }
  if (!hasOption(args, "yes")) {
    context.out.print(`Are you sure you want to convert mirror LV ${display} to raid1 type? [y/n]: [n]`);
    throw new LvmCommandError(`Logical volume ${display} NOT converted.`);
  }
  if (lvKinds(vg).get(lvName)?.origin) {
    throw new LvmCommandError(`Can't convert RAID LV ${display} while under snapshot.`);
  }
  if (mirrorCopyPercent(context.host, vg, lv) !== 100) {
    throw new LvmCommandError(`Unable to convert ${display} while it is not in-sync.`);
  }
  const result = asCommandError(() =>
    mirrorToRaid1(vg, lvName, {
      identity: {
        makeId: () => newUuid(context.host),
        creationTime: context.host.nowSeconds(),
        creationHost: context.host.hostname,
      },
      mutations: context.host.mutations,
    }),
  );
  // The mirror stops (its log written) before the new metadata goes out; _clear_lvs blanks the rmetas.
  for (const mirror of liveMirrorsOf(context.host, vg.name, lvName)) {
    mirror.suspend({ issueNs: context.host.scheduler.nowNs });
  }
  stopLvResync(context.host, lv.id);
  wipeRaidMetas(context.host, result.vg, lvName);
  const written = writeVg(context, scan, result.vg);
  const seg = lv.segments[0];
  const oldSubs = [
    ...(seg?.type === "mirror" ? seg.areas.flatMap((a) => (a.kind === "lv" ? [a.lv] : [])) : []),
    ...(result.removedLog !== undefined ? [result.removedLog] : []),
  ];
  reloadRaidLv(context.host, { before: vg, after: written }, lvName, {
    extraGone: oldSubs,
    raidInSync: true,
  });
  context.out.message(`Logical volume ${display} successfully converted.`);
}
