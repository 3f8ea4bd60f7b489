/** `vgexport VG` / `vgimport VG`: set or clear EXPORTED on the VG and its PVs. */

import { PV_STATUS_FLAGS, VG_STATUS_FLAGS, withFlag, withoutFlag } from "../../metadata/model.js";
import type { ParsedArgs } from "../args.js";
import { type CommandContext, ECMD_PROCESSED, type LvmCommandDef, LvmCommandError } from "../command.js";
import { activeSet } from "../runtime.js";
import { requireVg } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { scanWithWarnings } from "./common.js";

function run(context: CommandContext, args: ParsedArgs, exported: boolean): number {
  if (args.positionals.length === 0)
    throw new LvmCommandError("Please supply volume groups or use -a for all.", 3);
  for (const name of args.positionals) {
    const scan = scanWithWarnings(context);
    // Only vgimport may open an exported VG; vgexport of one fails as "is exported".
    const handle = requireVg(scan, name, { allowExported: !exported });
    const vg = handle.vg;
    if (exported) {
      if (vg.status.includes("EXPORTED"))
        throw new LvmCommandError(`Volume group "${vg.name}" is already exported`);
      if (vg.lvs.some((lv) => activeSet(context).has(lv.id))) {
        throw new LvmCommandError(`Volume group "${vg.name}" has active logical volumes`);
      }
    } else if (!vg.status.includes("EXPORTED")) {
      throw new LvmCommandError(`Volume group "${vg.name}" is not exported`);
    }
    const vgStatus = exported
      ? withFlag(vg.status, "EXPORTED", VG_STATUS_FLAGS)
      : withoutFlag(vg.status, "EXPORTED");
    const pvs = vg.pvs.map((pv) => ({
      ...pv,
      status: exported
        ? withFlag(pv.status, "EXPORTED", PV_STATUS_FLAGS)
        : withoutFlag(pv.status, "EXPORTED"),
    }));
    writeVg(context, scan, { ...vg, status: vgStatus, pvs });
    context.out.message(`Volume group "${vg.name}" successfully ${exported ? "exported" : "imported"}`);
  }
  return ECMD_PROCESSED;
}

/** The vgexport command. */
export const vgexportCommand: LvmCommandDef = {
  name: "vgexport",
  readOnly: false,
  options: [],
  run: (context, args) => run(context, args, true),
};

/** The vgimport command. */
export const vgimportCommand: LvmCommandDef = {
  name: "vgimport",
  readOnly: false,
  options: [],
  run: (context, args) => run(context, args, false),
};
