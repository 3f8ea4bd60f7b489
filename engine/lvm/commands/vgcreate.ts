/** `vgcreate [-s SIZE] [--alloc P] VG DEV...`: a new VG over (auto-created) PVs, seqno 1 on every mda. */
import { DEFAULT_EXTENT_SIZE_SECTORS } from "../../format/pv-layout.js";
import type { AllocPolicy, VolumeGroup } from "../../metadata/model.js";
import { nameProblem } from "../../metadata/names.js";
import { optionValue } from "../args.js";
import { ECMD_PROCESSED, type LvmCommandDef, LvmCommandError } from "../command.js";
import { newUuid } from "../ids.js";
import { SizeArgError } from "../sizes.js";
import { writeVg } from "../vg-write.js";
import { scanWithWarnings } from "./common.js";
import { sizeArg } from "./lv-size.js";
import { prepareNewMembers, withNewMembers } from "./vg-members.js";

const POLICIES: readonly string[] = ["contiguous", "cling", "normal", "anywhere"];

/** Reads `--alloc`, refusing unknown policies as LVM2 does. */
export function allocOption(text: string | undefined, allowInherit: boolean): AllocPolicy | undefined {
  if (text === undefined) return undefined;
  if (POLICIES.includes(text) || (allowInherit && text === "inherit")) return text as AllocPolicy;
  throw new SizeArgError(`Unrecognised allocation policy ${text}\n  Invalid argument for --alloc: ${text}`);
}

/** The vgcreate command. */
export const vgcreateCommand: LvmCommandDef = {
  name: "vgcreate",
  readOnly: false,
  options: [
    { long: "physicalextentsize", short: "s", value: true },
    { long: "alloc", value: true },
    { long: "maxlogicalvolumes", short: "l", value: true },
    { long: "maxphysicalvolumes", short: "p", value: true },
    { long: "zero", short: "Z", value: true },
  ],
  run(context, args) {
    const [name, ...devices] = args.positionals;
    if (name === undefined)
      throw new LvmCommandError("Please provide volume group name and physical volumes", 3);
    if (devices.length === 0) throw new LvmCommandError("Please enter physical volume name(s)", 3);
    const problem = nameProblem(name);
    if (problem) {
      const chars = /contains/.test(problem)
        ? "Name contains invalid character, valid set includes: [a-zA-Z0-9.-_+].\n  "
        : "";
      throw new LvmCommandError(`${chars}New volume group name "${name}" is invalid.`, 3);
    }
    const extentText = optionValue(args, "physicalextentsize");
    const extent = extentText === undefined ? undefined : sizeArg(extentText, { long: "physicalextentsize" });
    if (extent?.sign === "-") throw new LvmCommandError("Physical extent size may not be negative.", 3);
    const extentSizeSectors = extent?.sectors ?? DEFAULT_EXTENT_SIZE_SECTORS;
    if (extentSizeSectors === 0) throw new LvmCommandError("Physical extent size may not be zero");
    if (extentSizeSectors > 0xffffffff) {
      throw new LvmCommandError("Physical extent size must be smaller than 2.00 TiB.", 3);
    }
    const policy = allocOption(optionValue(args, "alloc"), false) ?? "normal";
    let scan = scanWithWarnings(context);
    if (scan.result.vgs.some((vg) => vg.vgName === name)) {
      throw new LvmCommandError(`A volume group called ${name} already exists.`);
    }
    scan = prepareNewMembers(context, scan, { vgName: name, devices });
    const empty: VolumeGroup = {
      name,
      id: newUuid(context.host),
      seqno: 0,
      format: "lvm2",
      status: ["RESIZEABLE", "READ", "WRITE"],
      flags: [],
      tags: [],
      extentSizeSectors,
      maxLv: Number(optionValue(args, "maxlogicalvolumes") ?? 0),
      maxPv: Number(optionValue(args, "maxphysicalvolumes") ?? 0),
      allocationPolicy: policy,
      metadataCopies: 0,
      pvs: [],
      lvs: [],
      extra: [],
    };
    writeVg(context, scan, withNewMembers(context, scan, { vg: empty, devices }));
    context.out.message(`Volume group "${name}" successfully created`);
    return ECMD_PROCESSED;
  },
};
