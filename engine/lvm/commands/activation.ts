/**
 * `lvchange -a y|n VG/LV...` and `vgchange -a y|n [VG...]`: activation is recorded in the Host
 * (no dm tables yet); activating an LV also marks the sub-LVs it is built from. A VG with an
 * interrupted pvmove gets real tables for the move and a background poller (`--poll n` skips it).
 */

import { lvKinds } from "../../metadata/lv-kind.js";
import type { VolumeGroup } from "../../metadata/model.js";
import { raid1View } from "../../metadata/raid.js";
import { hasOption, optionValue, type ParsedArgs } from "../args.js";
import { type CommandContext, ECMD_PROCESSED, type LvmCommandDef, LvmCommandError } from "../command.js";
import { deactivateMoves, hasInterruptedMove, resumeMovesOnActivation } from "../pvmove/resume.js";
import { raidSyncAction, refreshRaidLv } from "../raid/lvchange.js";
import { noteRaidMonitoring } from "../raid/monitor-args.js";
import { activeSet } from "../runtime.js";
import { requireVg, vgNames } from "../vg-read.js";
import { requireLv, scanWithWarnings, splitLvArg } from "./common.js";
import { activateTables, deactivateTables } from "./lv-tables.js";

function activateFlag(args: ParsedArgs, command: string): boolean {
  const value = optionValue(args, "activate");
  if (value === undefined) {
    throw new LvmCommandError(
      `No command with matching syntax recognised.  Run '${command} --help' for more information.`,
      3,
    );
  }
  if (/^(y|ay|ly|ey|sy)$/.test(value)) return true;
  if (/^(n|an|ln|en|sn)$/.test(value)) return false;
  throw new LvmCommandError(`Invalid argument for --activate: ${value}`, 3);
}

/** `--poll y|n`: whether activation starts background polling of interrupted moves (default y). */
function pollFlag(args: ParsedArgs): boolean {
  const value = optionValue(args, "poll");
  if (value === undefined || /^(y|yes|1)$/.test(value)) return true;
  if (/^(n|no|0)$/.test(value)) return false;
  throw new LvmCommandError(`Invalid argument for --poll: ${value}`, 3);
}

/** Sets the activation of `name` and everything beneath it. */
export function setActive(
  context: CommandContext,
  vg: VolumeGroup,
  options: { readonly name: string; readonly active: boolean },
): void {
  const { name, active } = options;
  const byName = new Map(vg.lvs.map((lv) => [lv.name, lv] as const));
  const visit = (lvName: string, depth: number): void => {
    const lv = byName.get(lvName);
    if (!lv || depth > vg.lvs.length) return;
    if (active) activeSet(context).add(lv.id);
    else activeSet(context).delete(lv.id);
    for (const seg of lv.segments) {
      if (seg.type === "striped" || seg.type === "mirror") {
        for (const a of seg.areas) if (a.kind === "lv") visit(a.lv, depth + 1);
        if (seg.type === "mirror" && seg.mirrorLog) visit(seg.mirrorLog, depth + 1);
      }
      for (const leg of raid1View(seg)?.legs ?? []) {
        visit(leg.image, depth + 1);
        visit(leg.meta, depth + 1);
      }
    }
  };
  visit(name, 0);
}

/** The lvchange command (activation only). */
export const lvchangeCommand: LvmCommandDef = {
  name: "lvchange",
  readOnly: true,
  options: [
    { long: "activate", short: "a", value: true },
    { long: "poll", value: true },
    { long: "refresh", value: false },
    { long: "syncaction", value: true },
    { long: "monitor", value: true },
  ],
  run(context, args) {
    if (hasOption(args, "refresh") || optionValue(args, "syncaction") !== undefined) {
      return raidLvchange(context, args);
    }
    const active = activateFlag(args, "lvchange");
    if (args.positionals.length === 0) throw new LvmCommandError("Please give logical volume path(s)", 3);
    const scan = scanWithWarnings(context);
    for (const arg of args.positionals) {
      // A bare VG name means every visible LV in it, as LVM2's process_each_lv does.
      if (!arg.replace(/^\/dev\//, "").includes("/")) {
        const vg = requireVg(scan, arg.replace(/^\/dev\//, "")).vg;
        const kinds = lvKinds(vg);
        for (const lv of vg.lvs)
          if (kinds.get(lv.name)?.visible) setActive(context, vg, { name: lv.name, active });
        continue;
      }
      const { vg: vgName, lv: name } = splitLvArg(arg);
      const vg = requireVg(scan, vgName).vg;
      requireLv(vg, name);
      if (!lvKinds(vg).get(name)?.visible) {
        throw new LvmCommandError(`Unable to change internal LV ${name} directly.`);
      }
      setActive(context, vg, { name, active });
      noteRaidMonitoring(context, args, `${vg.name}/${name}`);
      if (active && context.driverLoaded !== false && hasInterruptedMove(vg, name)) {
        resumeMovesOnActivation(context, vg, { poll: pollFlag(args), lvName: name });
      }
      if (active) activateTables(context, vg, name);
      else deactivateTables(context, vg, name);
    }
    return ECMD_PROCESSED;
  },
};

/** `lvchange --refresh|--syncaction VG/LV…` (raid1 actions). */
function raidLvchange(context: CommandContext, args: ParsedArgs): number {
  if (args.positionals.length === 0) throw new LvmCommandError("Please give logical volume path(s)", 3);
  const scan = scanWithWarnings(context);
  for (const arg of args.positionals) {
    const { vg: vgName, lv: name } = splitLvArg(arg);
    const handle = requireVg(scan, vgName);
    requireLv(handle.vg, name);
    const action = optionValue(args, "syncaction");
    if (action !== undefined) raidSyncAction(context, handle.vg, name, action);
    if (hasOption(args, "refresh")) refreshRaidLv(context, handle.vg, name, handle.missing);
  }
  return ECMD_PROCESSED;
}

/** The vgchange command (activation only). */
export const vgchangeCommand: LvmCommandDef = {
  name: "vgchange",
  readOnly: true,
  options: [
    { long: "activate", short: "a", value: true },
    { long: "poll", value: true },
  ],
  run(context, args) {
    const active = activateFlag(args, "vgchange");
    const scan = scanWithWarnings(context);
    const names = args.positionals.length > 0 ? args.positionals : vgNames(scan);
    for (const vgName of names) {
      const vg = requireVg(scan, vgName).vg;
      const kinds = lvKinds(vg);
      const visible = vg.lvs.filter((lv) => kinds.get(lv.name)?.visible);
      for (const lv of visible) setActive(context, vg, { name: lv.name, active });
      if (context.driverLoaded !== false && hasInterruptedMove(vg)) {
        if (active) resumeMovesOnActivation(context, vg, { poll: pollFlag(args) });
        else deactivateMoves(context, vg);
      }
      // Mirror and snapshot tables (and their resync/merge) come and go with the LVs.
      for (const lv of visible) {
        if (active) activateTables(context, vg, lv.name);
        else deactivateTables(context, vg, lv.name);
      }
      const count = visible.filter((lv) => activeSet(context).has(lv.id)).length;
      context.out.message(`${count} logical volume(s) in volume group "${vg.name}" now active`);
    }
    return ECMD_PROCESSED;
  },
};
