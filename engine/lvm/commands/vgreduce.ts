/**
 * `vgreduce VG DEV...` removes unused PVs; `vgreduce --removemissing [--force] VG` drops PVs whose
 * device is gone (with --force also the LVs that used them). Removed PVs become orphans after the
 * VG write commits.
 */

import { pvUsage } from "../../metadata/extent-map.js";
import { removeLvTree } from "../../metadata/lv-alloc.js";
import { lvKinds } from "../../metadata/lv-kind.js";
import { type LogicalVolume, segmentAreas, type VolumeGroup } from "../../metadata/model.js";
import { hasOption } from "../args.js";
import {
  type CommandContext,
  ECMD_FAILED,
  ECMD_PROCESSED,
  type LvmCommandDef,
  LvmCommandError,
} from "../command.js";
import { removeMissingMirrorParts } from "../mirror/repair.js";
import { activeSet } from "../runtime.js";
import { type HostScan, pvOnDevice, requireVg } from "../vg-read.js";
import { writeOrphanPv, writeVg } from "../vg-write.js";
import { renumberPvs, scanWithWarnings } from "./common.js";

function usesPv(vg: VolumeGroup, pvName: string): string[] {
  return [...new Set((pvUsage(vg).get(pvName) ?? []).map((u) => u.lv))];
}

/** `lv_is_partial`: an area on a missing PV, or in a partial sub-LV or mirror log. */
export function isPartial(
  vg: VolumeGroup,
  lv: LogicalVolume,
  missing: ReadonlySet<string>,
  depth = 0,
): boolean {
  if (depth > vg.lvs.length) return false;
  const sub = (name: string): boolean => {
    const child = vg.lvs.find((l) => l.name === name);
    return child !== undefined && isPartial(vg, child, missing, depth + 1);
  };
  return lv.segments.some(
    (seg) =>
      segmentAreas(seg).some((a) => (a.kind === "pv" ? missing.has(a.pv) : sub(a.lv))) ||
      (seg.type === "mirror" && seg.mirrorLog !== undefined && sub(seg.mirrorLog)),
  );
}

/**
 * `_vgreduce_repair_single`: with --force, `_make_vg_consistent` drops missing mirror parts and
 * removes every visible partial LV; then `_consolidate_vg` removes the missing PVs, or, while
 * partial LVs remain, only warns. Either way the VG is written (missing PVs flagged MISSING), and
 * the command fails unless it ended consistent.
 */
function removeMissing(context: CommandContext, scan: HostScan, vgName: string, force: boolean): number {
  const handle = requireVg(scan, vgName, { allowMissing: true });
  let vg = handle.vg;
  if (handle.missing.length === 0) {
    context.out.message(`Volume group "${vg.name}" is already consistent.`);
    return ECMD_PROCESSED;
  }
  const missing = new Set(handle.missing);
  if (force) {
    // Mirrors first lose their missing images and logs instead of going whole.
    vg = removeMissingMirrorParts(vg, missing).vg;
    for (let guard = 0; guard <= handle.vg.lvs.length; guard++) {
      const kinds = lvKinds(vg);
      const victim = vg.lvs.find((lv) => kinds.get(lv.name)?.visible && isPartial(vg, lv, missing));
      if (victim === undefined) break;
      context.out.warn(`Removing partial LV ${vg.name}/${victim.name}.`);
      const gone = vg.lvs.filter((l) => !removeLvTree(vg, victim.name).lvs.includes(l));
      // lv_remove_single commits each removal on its own.
      vg = writeVg(context, scan, removeLvTree(vg, victim.name));
      for (const lv of gone) activeSet(context).delete(lv.id);
      context.out.message(`Logical volume "${victim.name}" successfully removed.`);
    }
  }
  const partial = vg.lvs.filter((lv) => isPartial(vg, lv, missing));
  for (const lv of partial) context.out.warn(`Partial LV ${lv.name} needs to be repaired or removed. `);
  if (partial.length > 0) {
    context.out.error(`There are still partial LVs in VG ${vg.name}.`);
    context.out.error("To remove them unconditionally use: vgreduce --removemissing --force.");
    context.out.error(
      "To remove them unconditionally from mirror LVs use: vgreduce --removemissing --mirrorsonly --force.",
    );
    context.out.warn("Proceeding to remove empty missing PVs.");
  } else {
    vg = renumberPvs({ ...vg, pvs: vg.pvs.filter((pv) => !missing.has(pv.name)) });
  }
  writeVg(context, scan, vg);
  if (partial.length > 0) return ECMD_FAILED;
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
