/** `lvrename VG OLD NEW` or `lvrename VG/OLD [VG/]NEW`: rename an LV and its hidden sub-LVs. */
import type { LogicalVolume, Segment, VolumeGroup } from "../../metadata/model.js";
import { nameProblem, reservedLvNameProblem } from "../../metadata/names.js";
import { ECMD_PROCESSED, type LvmCommandDef, LvmCommandError } from "../command.js";
import { requireVg } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { requireLv, scanWithWarnings, splitLvArg } from "./common.js";

/** `vg` with LV `from` renamed to `to`, sub-LVs `from_*` renamed alike and every reference updated. */
function renameLv(vg: VolumeGroup, options: { readonly from: string; readonly to: string }): VolumeGroup {
  const { from, to } = options;
  const map = (name: string): string =>
    name === from ? to : name.startsWith(`${from}_`) ? `${to}${name.slice(from.length)}` : name;
  const seg = (s: Segment): Segment => {
    if (s.type === "striped")
      return { ...s, areas: s.areas.map((a) => (a.kind === "lv" ? { ...a, lv: map(a.lv) } : a)) };
    if (s.type === "mirror") {
      return {
        ...s,
        areas: s.areas.map((a) => (a.kind === "lv" ? { ...a, lv: map(a.lv) } : a)),
        ...(s.mirrorLog !== undefined ? { mirrorLog: map(s.mirrorLog) } : {}),
      };
    }
    if (s.type === "snapshot") return { ...s, origin: map(s.origin), cowStore: map(s.cowStore) };
    return s;
  };
  const lvs = vg.lvs.map(
    (lv): LogicalVolume => ({ ...lv, name: map(lv.name), segments: lv.segments.map(seg) }),
  );
  return { ...vg, lvs };
}

/** The lvrename command. */
export const lvrenameCommand: LvmCommandDef = {
  name: "lvrename",
  readOnly: false,
  options: [],
  run(context, args) {
    const p = args.positionals;
    let vgName: string;
    let from: string;
    let to: string;
    if (p.length === 3) {
      vgName = p[0]!.replace(/^\/dev\//, "");
      from = p[1]!;
      to = p[2]!;
    } else if (p.length === 2) {
      if (!p[0]!.includes("/")) {
        throw new LvmCommandError(
          `Path required for Logical Volume "${p[0]}".\n  Please provide a valid volume group name`,
          3,
        );
      }
      const a = splitLvArg(p[0]!);
      const b = splitLvArg(p[1]!, a.vg);
      if (a.vg !== b.vg)
        throw new LvmCommandError(
          `Logical volume names must have the same volume group ("${a.vg}" or "${b.vg}").`,
          3,
        );
      vgName = a.vg;
      from = a.lv;
      to = b.lv;
    } else {
      throw new LvmCommandError("Old and new logical volume names required", 3);
    }
    if (from === to) throw new LvmCommandError("Old and new logical volume names must differ", 3);
    if (nameProblem(to) || reservedLvNameProblem(to))
      throw new LvmCommandError(`New logical volume name "${to}" is invalid`, 3);
    const scan = scanWithWarnings(context);
    const vg = requireVg(scan, vgName).vg;
    requireLv(vg, from);
    if (vg.lvs.some((lv) => lv.name === to)) {
      throw new LvmCommandError(`Logical Volume "${to}" already exists in volume group "${vg.name}"`);
    }
    writeVg(context, scan, renameLv(vg, { from, to }));
    context.out.message(`Renamed "${from}" to "${to}" in volume group "${vg.name}"`);
    return ECMD_PROCESSED;
  },
};
