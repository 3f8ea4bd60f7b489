/**
 * `vgsplit SRC DST PV...` moves PVs, and the LVs wholly on them, into a new (or existing) VG;
 * `vgmerge DST SRC` folds SRC into DST. An LV may not straddle the two VGs.
 */

import { pvUsage } from "../../metadata/extent-map.js";
import { lvKinds } from "../../metadata/lv-kind.js";
import { VG_STATUS_FLAGS, type VolumeGroup, withFlag } from "../../metadata/model.js";
import { nameProblem } from "../../metadata/names.js";
import { ECMD_PROCESSED, type LvmCommandDef, LvmCommandError } from "../command.js";
import { newUuid } from "../ids.js";
import { activeSet } from "../runtime.js";
import { findVg, pvOnDevice, requireVg, scanHost } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { renumberPvs, scanWithWarnings } from "./common.js";

/** The vgsplit command. */
export const vgsplitCommand: LvmCommandDef = {
  name: "vgsplit",
  readOnly: false,
  options: [],
  run(context, args) {
    const [srcName, dstName, ...devices] = args.positionals;
    if (srcName === undefined || dstName === undefined || devices.length === 0) {
      throw new LvmCommandError(
        "Existing VG, new VG and either physical volumes or logical volume required.",
        3,
      );
    }
    if (nameProblem(dstName)) throw new LvmCommandError(`New volume group name "${dstName}" is invalid`, 3);
    const scan = scanWithWarnings(context);
    const src = requireVg(scan, srcName).vg;
    const existing = findVg(scan, dstName);
    if (existing && existing.vg.extentSizeSectors !== src.extentSizeSectors) {
      throw new LvmCommandError(
        `Extent sizes differ: ${existing.vg.extentSizeSectors} (${dstName}) and ${src.extentSizeSectors} (${srcName})`,
      );
    }
    const moving = new Set<string>();
    for (const device of devices) {
      const pv = pvOnDevice(src, device);
      if (!pv) throw new LvmCommandError(`Physical volume ${device} not in volume group ${srcName}`);
      moving.add(pv.name);
    }
    if (moving.size === src.pvs.length)
      throw new LvmCommandError(`Cannot split: Nowhere to store metadata for new Volume Group`);
    // Each LV (with its sub-LVs) must live wholly on one side.
    const usage = pvUsage(src);
    const lvPvs = new Map<string, Set<string>>();
    for (const [pv, uses] of usage)
      for (const u of uses) lvPvs.set(u.lv, (lvPvs.get(u.lv) ?? new Set()).add(pv));
    const kinds = lvKinds(src);
    const top = (name: string, depth = 0): string => {
      const users = kinds.get(name)?.usedBy ?? [];
      return users.length === 0 || depth > src.lvs.length ? name : top(users[0]!, depth + 1);
    };
    const side = new Map<string, boolean>();
    for (const [lv, pvs] of lvPvs) {
      const t = top(lv);
      for (const pv of pvs) {
        const moves = moving.has(pv);
        if (side.has(t) && side.get(t) !== moves) {
          throw new LvmCommandError(`Can't split Logical Volume ${t} between two Volume Groups`);
        }
        side.set(t, moves);
      }
    }
    const movesLv = (name: string): boolean => side.get(top(name)) === true;
    const remaining: VolumeGroup = renumberPvs({
      ...src,
      pvs: src.pvs.filter((pv) => !moving.has(pv.name)),
      lvs: src.lvs.filter((lv) => !movesLv(lv.name)),
    });
    const base: VolumeGroup = existing?.vg ?? {
      ...src,
      name: dstName,
      id: newUuid(context.host),
      seqno: 0,
      pvs: [],
      lvs: [],
    };
    for (const lv of src.lvs) {
      if (movesLv(lv.name) && base.lvs.some((l) => l.name === lv.name)) {
        throw new LvmCommandError(`Logical volume name "${lv.name}" already exists in "${dstName}"`);
      }
    }
    const moved: VolumeGroup = renumberPvs({
      ...base,
      pvs: [
        ...base.pvs.map((pv) => ({ ...pv, name: `d${pv.name}` })),
        ...src.pvs.filter((pv) => moving.has(pv.name)),
      ],
      lvs: [...base.lvs.map((lv) => renamePvRefs(lv, "d")), ...src.lvs.filter((lv) => movesLv(lv.name))],
    });
    // LVM2 writes the new VG exported first, so a crash before the source VG lets go of the PVs
    // leaves a VG that is not activated until vgimport; then the source, then the new VG again.
    const exportedCopy = writeVg(context, scan, {
      ...moved,
      status: withFlag(moved.status, "EXPORTED", VG_STATUS_FLAGS),
    });
    // Each write updates what later writes see as the disks' state (lvmcache in LVM2).
    writeVg(context, scanHost(context.host), remaining);
    writeVg(context, scanHost(context.host), { ...moved, seqno: exportedCopy.seqno });
    context.out.message(
      `${existing ? "Existing" : "New"} volume group "${dstName}" successfully split from "${srcName}"`,
    );
    return ECMD_PROCESSED;
  },
};

function renamePvRefs<T extends VolumeGroup["lvs"][number]>(lv: T, prefix: string): T {
  return {
    ...lv,
    segments: lv.segments.map((seg) =>
      seg.type === "striped" || seg.type === "mirror"
        ? { ...seg, areas: seg.areas.map((a) => (a.kind === "pv" ? { ...a, pv: `${prefix}${a.pv}` } : a)) }
        : seg,
    ),
  };
}

/** The vgmerge command. */
export const vgmergeCommand: LvmCommandDef = {
  name: "vgmerge",
  readOnly: false,
  options: [],
  run(context, args) {
    const [dstName, srcName] = args.positionals;
    if (dstName === undefined || srcName === undefined) {
      throw new LvmCommandError("Please enter 2 or more volume groups", 3);
    }
    const scan = scanWithWarnings(context);
    const dst = requireVg(scan, dstName).vg;
    const src = requireVg(scan, srcName).vg;
    if (dst.extentSizeSectors !== src.extentSizeSectors) {
      throw new LvmCommandError(
        `Extent sizes differ: ${dst.extentSizeSectors} (${dstName}) and ${src.extentSizeSectors} (${srcName})`,
      );
    }
    if (src.lvs.some((lv) => activeSet(context).has(lv.id))) {
      throw new LvmCommandError(`Logical volumes in "${srcName}" must be inactive`);
    }
    for (const lv of src.lvs) {
      if (dst.lvs.some((l) => l.name === lv.name)) {
        throw new LvmCommandError(
          `Duplicate logical volume name "${lv.name}" in "${dstName}" and "${srcName}"`,
        );
      }
    }
    const merged = renumberPvs({
      ...dst,
      pvs: [...dst.pvs, ...src.pvs.map((pv) => ({ ...pv, name: `s${pv.name}` }))],
      lvs: [...dst.lvs, ...src.lvs.map((lv) => renamePvRefs(lv, "s"))],
    });
    writeVg(context, scan, merged, { mergedVgIds: new Set([src.id.replaceAll("-", "")]) });
    context.out.message(`Volume group "${srcName}" successfully merged into "${dstName}"`);
    return ECMD_PROCESSED;
  },
};
