/** `vgrename OLD NEW`: rename a VG (OLD may be its uuid). */
import { nameProblem } from "../../metadata/names.js";
import { ECMD_PROCESSED, type LvmCommandDef, LvmCommandError } from "../command.js";
import { requireVg } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { scanWithWarnings } from "./common.js";

/** The vgrename command. */
export const vgrenameCommand: LvmCommandDef = {
  name: "vgrename",
  readOnly: false,
  options: [],
  run(context, args) {
    const [from, to, ...rest] = args.positionals.map((a) => a.replace(/^\/dev\//, ""));
    if (from === undefined || to === undefined || rest.length > 0) {
      throw new LvmCommandError("Old and new volume group names need specifying", 3);
    }
    if (nameProblem(to)) throw new LvmCommandError(`New volume group name "${to}" is invalid`, 3);
    const scan = scanWithWarnings(context);
    if (scan.result.vgs.some((vg) => vg.vgName === to)) {
      throw new LvmCommandError(`New volume group "${to}" already exists`);
    }
    const handle = requireVg(scan, from);
    writeVg(context, scan, { ...handle.vg, name: to });
    context.out.message(`Volume group "${from}" successfully renamed to "${to}"`);
    return ECMD_PROCESSED;
  },
};
