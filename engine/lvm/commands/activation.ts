/**
 * `lvchange -a y|n VG/LV...` and `vgchange -a y|n [VG...]`: activation is recorded in the Host
 * (no dm tables yet); activating an LV also marks the sub-LVs it is built from. A VG with an
 * interrupted pvmove gets real tables for the move and a background poller (`--poll n` skips it).
 */

import { lvKinds } from "../../metadata/lv-kind.js";
import { findLv, type VolumeGroup } from "../../metadata/model.js";
import { raid1View } from "../../metadata/raid.js";
import { hasOption, optionValue, type ParsedArgs } from "../args.js";
import {
  type CommandContext,
  ECMD_FAILED,
  ECMD_PROCESSED,
  type LvmCommandDef,
  LvmCommandError,
} from "../command.js";
import { deactivateMoves, hasInterruptedMove, resumeMovesOnActivation } from "../pvmove/resume.js";
import { raidSyncAction, refreshRaidLv } from "../raid/lvchange.js";
import { noteRaidMonitoring } from "../raid/monitor-args.js";
import { raid1Of } from "../raid/roles.js";
import { activeSet } from "../runtime.js";
import { changeTags, tagArgs } from "../tags.js";
import { requireVg, scanHost, vgNames } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { requireLv, scanWithWarnings, splitLvArg } from "./common.js";
import { activateTables, deactivateTables } from "./lv-tables.js";
import { isPartial } from "./vgreduce.js";

/**
 * LVM2's `_lv_activate` check for a VG with missing PVs (activation needs no VG write, so the VG is
 * read with its PVs missing): a partial LV is refused unless it is a raid1 with a complete leg left,
 * which the default `activation_mode = "degraded"` activates with error targets for the missing
 * parts. Returns the refusal, or undefined when the LV may be activated.
 */
function partialRefusal(vg: VolumeGroup, lvName: string, missing: readonly string[]): string | undefined {
  const lv = findLv(vg, lvName);
  if (missing.length === 0 || lv === undefined) return undefined;
  const gone = new Set(missing);
  if (!isPartial(vg, lv, gone)) return undefined;
  const view = raid1Of(lv);
  const complete = (name: string) => {
    const sub = findLv(vg, name);
    return sub !== undefined && !isPartial(vg, sub, gone);
  };
  if (view?.legs.some((leg) => complete(leg.image) && complete(leg.meta))) return undefined;
  return `Refusing activation of partial LV ${vg.name}/${lvName}.  Use '--activationmode partial' to override.`;
}

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
function setActive(
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
    { long: "addtag", value: true },
    { long: "deltag", value: true },
    { long: "refresh", value: false },
    { long: "syncaction", value: true },
    { long: "monitor", value: true },
  ],
  run(context, args) {
    if (hasOption(args, "refresh") || optionValue(args, "syncaction") !== undefined) {
      return raidLvchange(context, args);
    }
    if (args.positionals.length === 0) throw new LvmCommandError("Please give logical volume path(s)", 3);
    const add = tagArgs(args, "addtag");
    const del = tagArgs(args, "deltag");
    if (add.length + del.length > 0) {
      changeLvTags(context, args.positionals, { add, del });
      if (optionValue(args, "activate") === undefined) return ECMD_PROCESSED;
    }
    const active = activateFlag(args, "lvchange");
    const scan = scanWithWarnings(context);
    let failed = false;
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
      const handle = requireVg(scan, vgName, { allowMissing: true });
      const vg = handle.vg;
      requireLv(vg, name);
      if (!lvKinds(vg).get(name)?.visible) {
        throw new LvmCommandError(`Unable to change internal LV ${name} directly.`);
      }
      const refusal = active ? partialRefusal(vg, name, handle.missing) : undefined;
      if (refusal !== undefined) {
        context.out.error(refusal);
        failed = true;
        continue;
      }
      setActive(context, vg, { name, active });
      noteRaidMonitoring(context, args, `${vg.name}/${name}`);
      if (active && context.driverLoaded !== false && hasInterruptedMove(vg, name)) {
        resumeMovesOnActivation(context, vg, { poll: pollFlag(args), lvName: name });
      }
      if (!active) deactivateTables(context, vg, name);
      else if (!activateOrReport(context, vg, name)) failed = true;
    }
    return failed ? ECMD_FAILED : ECMD_PROCESSED;
  },
};

/** `lvchange --refresh|--syncaction VG/LV…` (raid1 actions). */
function raidLvchange(context: CommandContext, args: ParsedArgs): number {
  if (args.positionals.length === 0) throw new LvmCommandError("Please give logical volume path(s)", 3);
  const scan = scanWithWarnings(context);
  const refresh = hasOption(args, "refresh");
  let failed = false;
  for (const arg of args.positionals) {
    const { vg: vgName, lv: name } = splitLvArg(arg);
    // lvchange_refresh_cmd reads the VG for activation with handles_missing_pvs: a missing PV
    // refuses only the LVs that use it (`_lv_refresh_suspend_resume`), not the whole VG.
    const handle = requireVg(scan, vgName, { allowMissing: refresh });
    requireLv(handle.vg, name);
    const action = optionValue(args, "syncaction");
    if (action !== undefined) raidSyncAction(context, handle.vg, name, action);
    if (!refresh) continue;
    const lv = findLv(handle.vg, name);
    if (lv !== undefined && handle.missing.length > 0 && isPartial(handle.vg, lv, new Set(handle.missing))) {
      context.out.error(
        `Refusing refresh of partial LV ${handle.vg.name}/${name}. Use '--activationmode partial' to override.`,
      );
      failed = true;
      continue;
    }
    refreshRaidLv(context, handle.vg, name);
  }
  return failed ? ECMD_FAILED : ECMD_PROCESSED;
}

/** The vgchange command (activation only). */
export const vgchangeCommand: LvmCommandDef = {
  name: "vgchange",
  readOnly: true,
  options: [
    { long: "activate", short: "a", value: true },
    { long: "poll", value: true },
    { long: "addtag", value: true },
    { long: "deltag", value: true },
  ],
  run(context, args) {
    const add = tagArgs(args, "addtag");
    const del = tagArgs(args, "deltag");
    if (add.length + del.length > 0) {
      const scan = scanWithWarnings(context);
      const names = args.positionals.length > 0 ? args.positionals : vgNames(scan);
      for (const vgName of names) {
        const vg = requireVg(scanHost(context.host), vgName).vg;
        writeVg(context, scanHost(context.host), { ...vg, tags: changeTags(vg.tags, add, del) });
        context.out.message(`Volume group "${vg.name}" successfully changed`);
      }
      if (optionValue(args, "activate") === undefined) return ECMD_PROCESSED;
    }
    const active = activateFlag(args, "vgchange");
    const scan = scanWithWarnings(context);
    const names = args.positionals.length > 0 ? args.positionals : vgNames(scan);
    let failed = false;
    for (const vgName of names) {
      // Activation reads the VG without writing it, so missing PVs do not stop it.
      const handle = requireVg(scan, vgName, { allowMissing: true });
      const vg = handle.vg;
      const kinds = lvKinds(vg);
      const refused = new Set<string>();
      for (const lv of vg.lvs.filter((l) => active && kinds.get(l.name)?.visible)) {
        const refusal = partialRefusal(vg, lv.name, handle.missing);
        if (refusal === undefined) continue;
        context.out.error(refusal);
        refused.add(lv.name);
        failed = true;
      }
      const visible = vg.lvs.filter((lv) => kinds.get(lv.name)?.visible && !refused.has(lv.name));
      for (const lv of visible) setActive(context, vg, { name: lv.name, active });
      let polled = 0;
      if (context.driverLoaded !== false && hasInterruptedMove(vg)) {
        if (active) {
          const moves = resumeMovesOnActivation(context, vg, { poll: pollFlag(args) });
          if (pollFlag(args)) polled = moves;
        } else deactivateMoves(context, vg);
      }
      // Mirror and snapshot tables (and their resync/merge) come and go with the LVs. An LV that
      // fails to activate (a thin pool that needs repair) stays inactive; the others carry on and
      // the command exits 5, as LVM2's process_each_lv does.
      for (const lv of visible) {
        if (!active) deactivateTables(context, vg, lv.name);
        else if (!activateOrReport(context, vg, lv.name)) failed = true;
      }
      // vgchange_background_polling: every active pvmove, converting or merging LV gets a poll.
      if (active && context.driverLoaded !== false && pollFlag(args)) {
        polled += vg.lvs.filter((lv) => kinds.get(lv.name)?.origin && mergingInto(vg, lv.name)).length;
      }
      const count = vg.lvs.filter(
        (lv) => kinds.get(lv.name)?.visible && activeSet(context).has(lv.id),
      ).length;
      context.out.message(`${count} logical volume(s) in volume group "${vg.name}" now active`);
      // Printed after the activation line, as LVM2 2.03.16 did in the QEMU guest.
      if (polled > 0) {
        context.out.message(
          `Background polling started for ${polled} logical volume(s) in volume group "${vg.name}"`,
        );
      }
    }
    return failed ? ECMD_FAILED : ECMD_PROCESSED;
  },
};

/**
 * Builds the tables of `lvName`; when that fails with an LVM error (a thin pool that needs repair,
 * a transaction_id mismatch) prints it, leaves the LV inactive and returns false.
 */
function activateOrReport(context: CommandContext, vg: VolumeGroup, lvName: string): boolean {
  try {
    activateTables(context, vg, lvName);
    return true;
  } catch (error) {
    if (!(error instanceof LvmCommandError)) throw error;
    context.out.error(error.message);
    setActive(context, vg, { name: lvName, active: false });
    return false;
  }
}

/** True when a snapshot of `origin` is merging into it. */
function mergingInto(vg: VolumeGroup, origin: string): boolean {
  return vg.lvs.some((lv) => {
    const seg = lv.segments[0];
    return seg?.type === "snapshot" && seg.origin === origin && seg.merging;
  });
}

/** `lvchange --addtag/--deltag VG/LV...`: one metadata write per LV, "Logical volume … changed." */
function changeLvTags(
  context: CommandContext,
  lvArgs: readonly string[],
  tags: { readonly add: readonly string[]; readonly del: readonly string[] },
): void {
  for (const arg of lvArgs) {
    const { vg: vgName, lv: name } = splitLvArg(arg);
    const scan = scanWithWarnings(context);
    const vg = requireVg(scan, vgName).vg;
    requireLv(vg, name);
    const next = {
      ...vg,
      lvs: vg.lvs.map((lv) =>
        lv.name === name ? { ...lv, tags: changeTags(lv.tags, tags.add, tags.del) } : lv,
      ),
    };
    writeVg(context, scan, next);
    context.out.message(`Logical volume ${vg.name}/${name} changed.`);
  }
}
