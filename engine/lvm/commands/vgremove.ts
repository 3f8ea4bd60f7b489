/** `vgremove [-f] VG...`: remove a VG (its LVs too with -f), leaving its PVs as orphans. */

import { removeLvTree } from "../../metadata/lv-alloc.js";
import { lvKinds } from "../../metadata/lv-kind.js";
import { archiveVg, removeBackup } from "../archive.js";
import { hasOption } from "../args.js";
import { ECMD_PROCESSED, type LvmCommandDef, LvmCommandError } from "../command.js";
import { activeSet } from "../runtime.js";
import { requireVg } from "../vg-read.js";
import { writeOrphanPv, writeVg } from "../vg-write.js";
import { scanWithWarnings } from "./common.js";

/** The vgremove command. */
export const vgremoveCommand: LvmCommandDef = {
  name: "vgremove",
  readOnly: false,
  options: [],
  run(context, args) {
    if (args.positionals.length === 0)
      throw new LvmCommandError("Please enter one or more volume group paths", 3);
    for (const name of args.positionals) {
      const scan = scanWithWarnings(context);
      const handle = requireVg(scan, name, { allowMissing: hasOption(args, "force") });
      let vg = handle.vg;
      const kinds = lvKinds(vg);
      const visible = vg.lvs.filter((lv) => kinds.get(lv.name)?.visible);
      if (visible.length > 0) {
        if (!hasOption(args, "force")) {
          context.out.print(
            `Do you really want to remove volume group "${vg.name}" containing ${visible.length} logical volumes? [y/n]: [n]`,
          );
          throw new LvmCommandError(`Volume group "${vg.name}" not removed`);
        }
        for (const lv of visible) {
          if (activeSet(context).has(lv.id)) activeSet(context).delete(lv.id);
          vg = writeVg(context, scan, removeLvTree(vg, lv.name));
          context.out.message(`Logical volume "${lv.name}" successfully removed.`);
        }
      }
      // vg_remove archives the VG unless an lvremove above already did, then drops its backup.
      if (visible.length === 0) archiveVg(context, vg);
      for (const pv of vg.pvs) {
        if (!pv.status.includes("MISSING")) writeOrphanPv(context, scan, pv.deviceHint);
      }
      removeBackup(context, vg.name);
      context.out.message(`Volume group "${vg.name}" successfully removed`);
    }
    return ECMD_PROCESSED;
  },
};
