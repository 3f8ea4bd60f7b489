/** `pvchange -x y|n DEV...`: make PVs allocatable or not (one VG write per VG). */
import { PV_STATUS_FLAGS, withFlag, withoutFlag } from "../../metadata/model.js";
import { optionValue } from "../args.js";
import { ECMD_FAILED, ECMD_PROCESSED, type LvmCommandDef, LvmCommandError } from "../command.js";
import { pvOnDevice, requireVg } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { requireDevice, scanWithWarnings } from "./common.js";

function yesNo(text: string): boolean {
  if (text === "y" || text === "yes") return true;
  if (text === "n" || text === "no") return false;
  throw new LvmCommandError(`Invalid argument for --allocatable: ${text}`, 3);
}

/** The pvchange command. */
export const pvchangeCommand: LvmCommandDef = {
  name: "pvchange",
  readOnly: false,
  options: [{ long: "allocatable", short: "x", value: true }],
  run(context, args) {
    const value = optionValue(args, "allocatable");
    if (value === undefined)
      throw new LvmCommandError("Please give one or more of -x, -uuid, --addtag or --deltag", 3);
    const allocatable = yesNo(value);
    if (args.positionals.length === 0)
      throw new LvmCommandError("Please give a physical volume path or use --all", 3);
    let changed = 0;
    let failed = 0;
    let unchanged = 0;
    for (const device of args.positionals) {
      const scan = scanWithWarnings(context);
      requireDevice(context, device);
      const vgName = scan.vgOfDevice.get(device);
      if (vgName === undefined) {
        context.out.error(`Allocatability only supported for physical volumes in a volume group (${device})`);
        failed++;
        continue;
      }
      const handle = requireVg(scan, vgName);
      const pv = pvOnDevice(handle.vg, device)!;
      const status = allocatable
        ? withFlag(pv.status, "ALLOCATABLE", PV_STATUS_FLAGS)
        : withoutFlag(pv.status, "ALLOCATABLE");
      if (status.length === pv.status.length) {
        context.out.message(`Physical volume "${device}" is already ${allocatable ? "" : "un"}allocatable.`);
        context.out.message(`Physical volume ${device} not changed`);
        unchanged++;
        continue;
      }
      writeVg(context, scan, {
        ...handle.vg,
        pvs: handle.vg.pvs.map((p) => (p === pv ? { ...p, status } : p)),
      });
      context.out.message(`Physical volume "${device}" changed`);
      changed++;
    }
    context.out.message(
      `${changed} physical volume${changed === 1 ? "" : "s"} changed / ${failed + unchanged} physical volume${failed + unchanged === 1 ? "" : "s"} not changed`,
    );
    return failed > 0 ? ECMD_FAILED : ECMD_PROCESSED;
  },
};
