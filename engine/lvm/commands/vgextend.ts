/** `vgextend VG DEV...`: add (auto-created) PVs to a VG in one metadata write. */
import { ECMD_PROCESSED, type LvmCommandDef, LvmCommandError } from "../command.js";
import { requireVg } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { scanWithWarnings } from "./common.js";
import { prepareNewMembers, withNewMembers } from "./vg-members.js";

/** The vgextend command. */
export const vgextendCommand: LvmCommandDef = {
  name: "vgextend",
  readOnly: false,
  options: [],
  run(context, args) {
    const [name, ...devices] = args.positionals;
    if (name === undefined)
      throw new LvmCommandError("Please enter volume group name and physical volume(s)", 3);
    if (devices.length === 0) {
      throw new LvmCommandError(
        "No command with matching syntax recognised.  Run 'vgextend --help' for more information.\n  Correct command syntax is:\n  vgextend VG PV ...",
        3,
      );
    }
    let scan = scanWithWarnings(context);
    const handle = requireVg(scan, name);
    for (const device of devices) {
      if (handle.vg.pvs.some((pv) => pv.deviceHint === device && !pv.status.includes("MISSING"))) {
        throw new LvmCommandError(
          `Physical volume '${device}' is already in volume group '${handle.vg.name}'\n  Unable to add physical volume '${device}' to volume group '${handle.vg.name}'\n  ${device}: physical volume not initialized.`,
        );
      }
    }
    scan = prepareNewMembers(context, scan, { vgName: handle.vg.name, devices });
    writeVg(context, scan, withNewMembers(context, scan, { vg: handle.vg, devices }));
    context.out.message(`Volume group "${handle.vg.name}" successfully extended`);
    return ECMD_PROCESSED;
  },
};
