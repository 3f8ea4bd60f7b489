/**
 * `lvextend`, `lvreduce` and `lvresize` with `-L`/`-l` (absolute or +/-), `--alloc` and PV
 * arguments: grow through the allocator (`extendLv`), shrink by cutting segments from the end.
 */

import { extendLv } from "../../metadata/lv-alloc.js";
import type { LogicalVolume, Segment, VolumeGroup } from "../../metadata/model.js";
import { putLv } from "../../metadata/model.js";
import type { OptionSpec } from "../args.js";
import { hasOption, optionValue } from "../args.js";
import { type CommandContext, ECMD_PROCESSED, type LvmCommandDef, LvmCommandError } from "../command.js";
import { activeSet } from "../runtime.js";
import { requireVg } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { lvExtents, requireLv, scanWithWarnings, sizeAndExtents, splitLvArg } from "./common.js";
import { extentRequest } from "./lv-size.js";
import { asCommandError, pvListArg } from "./lvcreate.js";
import { allocOption } from "./vgcreate.js";

/** Cuts `lv` down to `extents` logical extents (striped/linear segments only). */
export function reduceLv(vg: VolumeGroup, lv: LogicalVolume, extents: number): LogicalVolume {
  const segments: Segment[] = [];
  for (const seg of lv.segments) {
    if (seg.startExtent >= extents) break;
    if (seg.startExtent + seg.extentCount <= extents) {
      segments.push(seg);
      continue;
    }
    if (seg.type !== "striped") {
      throw new LvmCommandError(
        `Cannot reduce ${vg.name}/${lv.name}: segment type ${seg.type} cannot be cut.`,
      );
    }
    const keep = extents - seg.startExtent;
    if (keep % seg.stripeCount !== 0) {
      throw new LvmCommandError(
        `Cannot reduce ${vg.name}/${lv.name} to ${extents} extents: not a multiple of ${seg.stripeCount} stripes in its last segment.`,
      );
    }
    segments.push({ ...seg, extentCount: keep });
  }
  return { ...lv, segments };
}

type Mode = "extend" | "reduce" | "resize";

function run(context: CommandContext, args: Parameters<LvmCommandDef["run"]>[1], mode: Mode): number {
  const [lvArg, ...pvArgs] = args.positionals;
  if (lvArg === undefined) throw new LvmCommandError("Please provide the logical volume name", 3);
  const { vg: vgName, lv: name } = splitLvArg(lvArg);
  const scan = scanWithWarnings(context);
  const handle = requireVg(scan, vgName);
  const vg = handle.vg;
  const lv = requireLv(vg, name);
  const pvs = pvListArg(context, vg, pvArgs);
  const request = extentRequest(context, args, { vg, ...(pvs ? { pvs } : {}) });
  if (request === undefined) throw new LvmCommandError("Please specify either size or extents", 3);
  const current = lvExtents(lv);
  let target =
    request.sign === "+"
      ? current + request.extents
      : request.sign === "-"
        ? current - request.extents
        : request.extents;
  if (mode === "extend" && request.sign === "-")
    throw new LvmCommandError("Negative argument not permitted - use lvreduce", 3);
  if (mode === "reduce" && request.sign === "+")
    throw new LvmCommandError("Positive sign not permitted - use lvextend", 3);
  const last = lv.segments[lv.segments.length - 1];
  if (
    last?.type === "striped" &&
    last.stripeCount > 1 &&
    target > current &&
    (target - current) % last.stripeCount
  ) {
    const grow = target - current;
    const rounded = grow + last.stripeCount - (grow % last.stripeCount);
    context.out.message(
      `Rounding size ${sizeAndExtents(vg, current + grow)} up to stripe boundary size ${sizeAndExtents(vg, current + rounded)}.`,
    );
    target = current + rounded;
  }
  if (target === current) {
    throw new LvmCommandError(`New size (${target} extents) matches existing size (${current} extents).`);
  }
  if (target < 1) throw new LvmCommandError(`Cannot reduce ${vg.name}/${name} to zero size.`, 3);
  if (mode === "extend" && target < current) {
    throw new LvmCommandError(
      `New size given (${target} extents) not larger than existing size (${current} extents)`,
      3,
    );
  }
  if (mode === "reduce" && target > current) {
    throw new LvmCommandError(
      `New size given (${target} extents) not less than existing size (${current} extents)`,
      3,
    );
  }
  let next: VolumeGroup;
  if (target > current) {
    const policy = allocOption(optionValue(args, "alloc"), true);
    try {
      next = extendLv(vg, name, target - current, {
        ...(policy !== undefined ? { policy } : {}),
        ...(pvs ? { pvs } : {}),
        ...(request.approx ? { approx: true } : {}),
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
    next = putLv(vg, reduceLv(vg, lv, target));
  }
  const grown = next.lvs.find((l) => l.name === name)!;
  const newExtents = lvExtents(grown);
  writeVg(context, scan, next);
  context.out.message(
    `Size of logical volume ${vg.name}/${name} changed from ${sizeAndExtents(vg, current)} to ${sizeAndExtents(vg, newExtents)}.`,
  );
  context.out.message(`Logical volume ${vg.name}/${name} successfully resized.`);
  return ECMD_PROCESSED;
}

const OPTIONS: readonly OptionSpec[] = [
  { long: "size", short: "L", value: true },
  { long: "extents", short: "l", value: true },
  { long: "alloc", value: true },
  { long: "resizefs", short: "r", value: false },
  { long: "nofsck", short: "n", value: false },
  { long: "stripes", short: "i", value: true },
  { long: "stripesize", short: "I", value: true },
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
