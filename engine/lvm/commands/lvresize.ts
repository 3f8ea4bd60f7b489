/**
 * `lvextend`, `lvreduce` and `lvresize` with `-L`/`-l` (absolute or +/-), `--alloc` and PV
 * arguments: grow through the allocator (`extendLv`), shrink by cutting segments from the end.
 */

import { extendLv, reduceLv } from "../../metadata/lv-alloc.js";
import { putLv, type VolumeGroup } from "../../metadata/model.js";
import type { PvSelection } from "../../metadata/pv-list.js";
import { extendRaid1 } from "../../metadata/raid-images.js";
import type { OptionSpec } from "../args.js";
import { hasOption, optionValue } from "../args.js";
import { type CommandContext, ECMD_PROCESSED, type LvmCommandDef, LvmCommandError } from "../command.js";
import { raidLvLive, reloadRaidLv } from "../raid/reload.js";
import { raid1Of } from "../raid/roles.js";
import { activeSet } from "../runtime.js";
import { runThinResize, thinResizeTarget } from "../thin/resize.js";
import { formatSize } from "../units.js";
import { requireVg } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { lvExtents, MESSAGE_UNITS, scanWithWarnings, sizeAndExtents, splitLvArg } from "./common.js";
import { extentRequest, resizeTargetExtents } from "./lv-size.js";
import { asCommandError, pvListArg } from "./lvcreate.js";
import { allocOption } from "./vgcreate.js";

type Mode = "extend" | "reduce" | "resize";

function run(context: CommandContext, args: Parameters<LvmCommandDef["run"]>[1], mode: Mode): number {
  const [lvArg, ...pvArgs] = args.positionals;
  if (lvArg === undefined) throw new LvmCommandError("Please provide the logical volume name", 3);
  const { vg: vgName, lv: name } = splitLvArg(lvArg);
  const scan = scanWithWarnings(context);
  const handle = requireVg(scan, vgName);
  const vg = handle.vg;
  const lv = vg.lvs.find((l) => l.name === name);
  if (!lv) throw new LvmCommandError(`Logical volume ${name} not found in volume group ${vg.name}.`);
  const pvs = pvListArg(context, vg, pvArgs);
  if (
    thinResizeTarget(vg, name) !== undefined ||
    hasOption(args, "use-policies") ||
    hasOption(args, "poolmetadatasize")
  ) {
    return runThinResize(context, args, { scan, vg, lvName: name, mode, ...(pvs ? { pvs } : {}) });
  }
  const request = extentRequest(context, args, { vg, resize: true, ...(pvs ? { pvs } : {}) });
  if (request === undefined) throw new LvmCommandError("Please specify either size or extents", 3);
  const current = lvExtents(lv);
  let target = resizeTargetExtents(request, current, mode);
  if (mode === "reduce" && request.sign === "+")
    throw new LvmCommandError("Positive sign not permitted - use lvextend", 3);
  // _lvresize_adjust_extents: extensions follow the last segment's stripes, reductions the stripes
  // of the segment the new end falls in; either way the size rounds toward the original size.
  const last = lv.segments[lv.segments.length - 1];
  if (target >= current && last?.type === "striped" && last.stripeCount > 1) {
    if (optionValue(args, "stripesize") === undefined) {
      context.out.message(
        `Using stripesize of last segment ${formatSize(last.stripeSizeSectors ?? 0, MESSAGE_UNITS, "short")}`,
      );
    }
  }
  if (target !== current) {
    const seg =
      target > current
        ? last
        : lv.segments.find((g) => g.startExtent < target && target <= g.startExtent + g.extentCount);
    const stripes = seg?.type === "striped" ? seg.stripeCount : 1;
    const segSize = target > current ? target - current : target - (seg?.startExtent ?? 0);
    const rest = segSize % stripes;
    if (rest !== 0) {
      const rounded = target - rest + stripes;
      context.out.message(
        `Rounding size (${target} extents) up to stripe boundary size for segment (${rounded} extents).`,
      );
      target = rounded;
    }
  }
  if (target === current) {
    throw new LvmCommandError(`New size (${target} extents) matches existing size (${current} extents).`);
  }
  if (target < 1) throw new LvmCommandError(`Cannot reduce ${vg.name}/${name} to zero size.`, 3);
  if (mode === "extend" && target < current) {
    throw new LvmCommandError(
      `New size given (${target} extents) not larger than existing size (${current} extents)`,
    );
  }
  if (mode === "reduce" && target > current) {
    throw new LvmCommandError(
      `New size given (${target} extents) not less than existing size (${current} extents)`,
    );
  }
  let next: VolumeGroup;
  const raid = raid1Of(lv);
  if (target > current && raid !== undefined) {
    next = extendRaid1Lv(context, args, {
      vg,
      lvName: name,
      extents: target - current,
      ...(pvs ? { pvs } : {}),
    });
  } else if (target > current) {
    const policy = allocOption(optionValue(args, "alloc"), true);
    try {
      next = extendLv(vg, name, {
        extents: target - current,
        ...(policy !== undefined ? { policy } : {}),
        ...(pvs ? { pvs } : {}),
        ...(request.approx ? { approx: true } : {}),
        mutations: context.host.mutations,
      });
    } catch (error) {
      asCommandError(error);
    }
  } else {
    const active = activeSet(context).has(lv.id);
    if (active) {
      context.out.warn(
        `Reducing active logical volume to ${sizeAndExtents(vg, target).replace(/ \(.*/, "")}.`,
      );
      context.out.error("THIS MAY DESTROY YOUR DATA (filesystem etc.)");
    }
    if (active && !hasOption(args, "force")) {
      context.out.print(`Do you really want to reduce ${vg.name}/${name}? [y/n]: [n]`);
      throw new LvmCommandError(`Logical volume ${name} NOT reduced.`);
    }
    try {
      next = reduceLv(vg, name, { extents: current - target });
    } catch (error) {
      asCommandError(error);
    }
  }
  const grown = next.lvs.find((l) => l.name === name)!;
  const newExtents = lvExtents(grown);
  const written = writeVg(context, scan, next);
  // A live raid1 table grows with its images; the kernel resyncs the new part unless nosync.
  if (raid !== undefined && context.driverLoaded !== false && raidLvLive(context.host, vg, name)) {
    reloadRaidLv(context.host, { before: vg, after: written }, name);
  }
  context.out.message(
    `Size of logical volume ${vg.name}/${name} changed from ${sizeAndExtents(vg, current)} to ${sizeAndExtents(vg, newExtents)}.`,
  );
  context.out.message(`Logical volume ${vg.name}/${name} successfully resized.`);
  return ECMD_PROCESSED;
}

/**
 * `lvextend` of raid1 `lvName` (`_lvresize_adjust_extents`, `lv_extend`): "Extending N mirror
 * images.", every image grows; with `--nosync` (or an LV already NOTSYNCED) the new part is not
 * resynced, which needs the LV active to read its sync state, as LVM2 asks.
 */
function extendRaid1Lv(
  context: CommandContext,
  args: Parameters<LvmCommandDef["run"]>[1],
  request: { vg: VolumeGroup; lvName: string; extents: number; pvs?: readonly PvSelection[] },
): VolumeGroup {
  const { vg, lvName } = request;
  const lv = vg.lvs.find((l) => l.name === lvName)!;
  const images = raid1Of(lv)?.legs.length ?? 0;
  context.out.message(`Extending ${images} mirror images.`);
  const policy = allocOption(optionValue(args, "alloc"), true);
  let next: VolumeGroup;
  try {
    next = extendRaid1(vg, lvName, {
      extents: request.extents,
      ...(policy !== undefined ? { policy } : {}),
      ...(request.pvs ? { pvs: request.pvs } : {}),
      mutations: context.host.mutations,
    });
  } catch (error) {
    asCommandError(error);
  }
  const nosync = hasOption(args, "nosync") || lv.status.includes("NOTSYNCED");
  if (nosync) {
    if (context.driverLoaded === false || !raidLvLive(context.host, vg, lvName)) {
      context.out.error(`Unable to read sync percent while LV ${vg.name}/${lvName} is not locally active.`);
      context.out.print(`Do full resync of extended portion of ${vg.name}/${lvName}?  [y/n]: [n]`);
      throw new LvmCommandError("");
    }
    const top = next.lvs.find((l) => l.name === lvName)!;
    if (!top.status.includes("NOTSYNCED")) {
      next = putLv(next, { ...top, status: [...top.status, "NOTSYNCED"] });
    }
  }
  return next;
}

const OPTIONS: readonly OptionSpec[] = [
  { long: "size", short: "L", value: true },
  { long: "extents", short: "l", value: true },
  { long: "alloc", value: true },
  { long: "resizefs", short: "r", value: false },
  { long: "nofsck", short: "n", value: false },
  { long: "stripes", short: "i", value: true },
  { long: "stripesize", short: "I", value: true },
  { long: "nosync", value: false },
  { long: "poolmetadatasize", value: true },
  { long: "use-policies", value: false },
];

/** The lvextend command. */
export const lvextendCommand: LvmCommandDef = {
  name: "lvextend",
  readOnly: false,
  options: OPTIONS,
  run: (c, a) => run(c, a, "extend"),
};
/** The lvreduce command. */
export const lvreduceCommand: LvmCommandDef = {
  name: "lvreduce",
  readOnly: false,
  options: OPTIONS,
  run: (c, a) => run(c, a, "reduce"),
};
/** The lvresize command. */
export const lvresizeCommand: LvmCommandDef = {
  name: "lvresize",
  readOnly: false,
  options: OPTIONS,
  run: (c, a) => run(c, a, "resize"),
};
