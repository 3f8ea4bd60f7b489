/** `pvremove DEV...`: wipe the labels of orphan PVs; a PV still in a VG is refused. */
import { wipePvLabel } from "../../format/pv-layout.js";
import { ECMD_PROCESSED, type LvmCommandDef, LvmCommandError } from "../command.js";
import { requireDevice, scanWithWarnings } from "./common.js";

/** The pvremove command. */
export const pvremoveCommand: LvmCommandDef = {
  name: "pvremove",
  readOnly: false,
  options: [],
  run(context, args) {
    if (args.positionals.length === 0) throw new LvmCommandError("Please enter a physical volume path", 3);
    const scan = scanWithWarnings(context);
    const force = args.options.get("force")?.length ?? 0;
    for (const device of args.positionals) {
      requireDevice(context, device);
      if (!scan.labels.has(device)) throw new LvmCommandError(`No PV found on device ${device}.`);
      const vg = scan.vgOfDevice.get(device);
      if (vg !== undefined && force < 2) {
        throw new LvmCommandError(
          `PV ${device} is used by VG ${vg} so please use vgreduce first.\n  (If you are certain you need pvremove, then confirm by using --force twice.)\n  ${device}: physical volume label not removed.`,
        );
      }
    }
    for (const device of args.positionals) {
      wipePvLabel(context.host.device(device)!, { issueNs: context.host.scheduler.nowNs });
      context.out.message(`Labels on physical volume "${device}" successfully wiped.`);
    }
    return ECMD_PROCESSED;
  },
};
