/**
 * `vgreduce VG DEV...` removes unused PVs; `vgreduce --removemissing [--force] VG` drops PVs whose
 * device is gone (with --force also the LVs that used them). Removed PVs become orphans after the
 * VG write commits.
 */

import { pvUsage } from "../../metadata/extent-map.js";
import { removeLvTree } from "../../metadata/lv-alloc.js";
import { lvKinds } from "../../metadata/lv-kind.js";
import type { VolumeGroup } from "../../metadata/model.js";
import { hasOption } from "../args.js";
import { type CommandContext, ECMD_PROCESSED, type LvmCommandDef, LvmCommandError } from "../command.js";
import { removeMissingMirrorParts } from "../mirror/repair.js";
import { type HostScan, pvOnDevice, requireVg } from "../vg-read.js";
import { writeOrphanPv, writeVg } from "../vg-write.js";
import { renumberPvs, scanWithWarnings } from "./common.js";

function usesPv(vg: VolumeGroup, pvName: string): string[] {
  return [...new Set((pvUsage(vg).get(pvName) ?? []).map((u) => u.lv))];
}

function removeMissing(context: CommandContext, scan: HostScan, vgName: string, force: boolean): number {
  const handle = requireVg(scan, vgName, { allowMissing: true });
  let vg = handle.vg;
  if (handle.missing.length === 0) {
    context.out.message(`Volume group "${vg.name}" is already consistent.`);
    return ECMD_PROCESSED;
  }
  if (force) {
    // `_make_vg_consistent`: mirrors first lose their missing images and logs instead of going whole.
    vg = removeMissingMirrorParts(vg, new Set(handle.missing)).vg;
  }
  const partial = new Set(handle.missing.flatMap((pv) => usesPv(vg, pv)));
  if (partial.size > 0 && !force) {
    const kinds = lvKinds(vg);
    for (const lv of partial) {
      if (kinds.get(lv)?.visible) context.out.warn(`Partial LV ${lv} needs to be repaired or removed. `);
    }
    throw new LvmCommandError(
      `There are still partial LVs in VG ${vg.name}.\n  To remove them unconditionally use: vgreduce --removemissing --force.\n  To remove them unconditionally from mirror LVs use: vgreduce --removemissing --mirrorsonly --force.\n  WARNING: Proceeding to remove empty missing PVs.`,
    );
  }
  // Remove the top-level LVs that depend on a partial LV, then the missing PVs themselves.
  const kinds = lvKinds(vg);
  const tops = new Set<string>();
  const topOf = (name: string, depth: number): void => {
    if (depth > vg.lvs.length) return;
    const users = kinds.get(name)?.usedBy ?? [];
    if (users.length === 0) tops.add(name);
    for (const u of users) topOf(u, depth + 1);
  };
  for (const lv of partial) topOf(lv, 0);
  for (const lv of tops) if (vg.lvs.some((l) => l.name === lv)) vg = removeLvTree(vg, lv);
  vg = renumberPvs({ ...vg, pvs: vg.pvs.filter((pv) => !handle.missing.includes(pv.name)) });
  writeVg(context, scan, { ...vg, seqno: handle.vg.seqno });
  context.out.message(`Wrote out consistent volume group ${vg.name}.`);
  return ECMD_PROCESSED;
}

/** The vgreduce command. */
export const vgreduceCommand: LvmCommandDef = {
  name: "vgreduce",
  readOnly: false,
  options: [
    { long: "removemissing", value: false },
    { long: "all", short: "a", value: false },
    { long: "mirrorsonly", value: false },
  ],
  run(context, args) {
    const [name, ...devices] = args.positionals;
    if (name === undefined) throw new LvmCommandError("Please give volume group name", 3);
    const scan = scanWithWarnings(context);
    if (hasOption(args, "removemissing")) {
      if (devices.length > 0) throw new LvmCommandError("Please only specify the volume group", 3);
      return removeMissing(context, scan, name, hasOption(args, "force"));
    }
    const handle = requireVg(scan, name);
    const vg = handle.vg;
    const all = hasOption(args, "all");
    if (!all && devices.length === 0)
      throw new LvmCommandError("Please enter physical volume paths or option -a", 3);
    const targets = all
      ? vg.pvs.filter((pv) => usesPv(vg, pv.name).length === 0).map((pv) => pv.deviceHint)
      : devices;
    const remaining = [...vg.pvs];
    for (const device of targets) {
      const pv = pvOnDevice(vg, device);
      if (pv === undefined) {
        throw new LvmCommandError(`Physical Volume "${device}" not found in Volume Group "${vg.name}".`);
      }
      if (usesPv(vg, pv.name).length > 0)
        throw new LvmCommandError(`Physical volume "${device}" still in use`);
      const index = remaining.indexOf(pv);
      if (remaining.length === 1) {
        throw new LvmCommandError(
          `Can't remove final physical volume "${device}" from volume group "${vg.name}"`,
        );
      }
      remaining.splice(index, 1);
    }
    writeVg(context, scan, renumberPvs({ ...vg, pvs: remaining }));
    for (const device of targets) {
      writeOrphanPv(context, scan, device);
      context.out.message(`Removed "${device}" from volume group "${vg.name}"`);
    }
    return ECMD_PROCESSED;
  },
};
