/** `lvremove [-f] VG/LV... | VG...`: remove LVs one metadata write each, in metadata order. */

import { removeLvTree } from "../../metadata/lv-alloc.js";
import { lvKinds } from "../../metadata/lv-kind.js";
import { hasOption } from "../args.js";
import { ECMD_PROCESSED, type LvmCommandDef, LvmCommandError } from "../command.js";
import { activeSet } from "../runtime.js";
import { requireVg, scanHost } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { requireLv, scanWithWarnings, splitLvArg } from "./common.js";
import { afterLvRemove, beforeLvRemove } from "./lv-tables.js";

/** The lvremove command. */
export const lvremoveCommand: LvmCommandDef = {
  name: "lvremove",
  readOnly: false,
  options: [],
  run(context, args) {
    if (args.positionals.length === 0)
      throw new LvmCommandError("Please enter one or more logical volume paths", 3);
    for (const arg of args.positionals) {
      const bare = arg.replace(/^\/dev\//, "");
      const whole = !bare.includes("/");
      const vgName = whole ? bare : splitLvArg(bare).vg;
      let scan = scanWithWarnings(context);
      const names = (() => {
        const vg = requireVg(scan, vgName).vg;
        if (!whole) {
          const lv = requireLv(vg, splitLvArg(bare).lv);
          return [lv.name];
        }
        const kinds = lvKinds(vg);
        return vg.lvs.filter((lv) => kinds.get(lv.name)?.visible).map((lv) => lv.name);
      })();
      for (const name of names) {
        const vg = requireVg(scan, vgName).vg;
        const lv = requireLv(vg, name);
        const kind = lvKinds(vg).get(name);
        if (!kind?.visible && !kind?.cow) {
          throw new LvmCommandError(`Can't remove logical volume ${name} used by another logical volume.`);
        }
        if (kind.origin) {
          throw new LvmCommandError(
            `Can't remove logical volume ${name} with snapshots; remove the snapshots first.`,
          );
        }
        if (activeSet(context).has(lv.id) && !hasOption(args, "force")) {
          context.out.print(
            `Do you really want to remove active logical volume ${vg.name}/${name}? [y/n]: [n]`,
          );
          throw new LvmCommandError(`Logical volume ${name} not removed.`);
        }
        const removed = vg.lvs.filter((l) => !removeLvTree(vg, name).lvs.includes(l));
        beforeLvRemove(context, vg, name);
        const written = writeVg(context, scan, removeLvTree(vg, name));
        afterLvRemove(context, vg, written);
        for (const gone of removed) activeSet(context).delete(gone.id);
        context.out.message(`Logical volume "${name}" successfully removed.`);
        scan = scanHost(context.host);
      }
    }
    return ECMD_PROCESSED;
  },
};
