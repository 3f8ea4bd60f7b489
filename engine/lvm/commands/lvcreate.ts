/**
 * `lvcreate -L|-l SIZE [-n NAME] [-i N [-I SIZE]] [--type T] [-m N] [--alloc P] [-a y|n] VG [PV[:PE-PE]...]`:
 * parse and round the size, check free space, build the PV list, dispatch to the segment type's
 * module, and write once.
 */

import { AllocationError } from "../../metadata/alloc.js";
import { pvFreeExtents, vgFreeExtents } from "../../metadata/extent-map.js";
import { DEFAULT_STRIPE_SIZE_SECTORS } from "../../metadata/lv-alloc.js";
import { lvKinds } from "../../metadata/lv-kind.js";
import type { VolumeGroup } from "../../metadata/model.js";
import { nameProblem, reservedLvNameProblem } from "../../metadata/names.js";
import { createPvList, type PvSelection } from "../../metadata/pv-list.js";
import { isRaid1Segment } from "../../metadata/raid.js";
import { hasOption, optionValue, type ParsedArgs } from "../args.js";
import { type CommandContext, ECMD_PROCESSED, type LvmCommandDef, LvmCommandError } from "../command.js";
import { configSetting } from "../config-setting.js";
import { lvStartOnDisk } from "../lv-start.js";
import { noteRaidMonitoring } from "../raid/monitor-args.js";
import { activeSet } from "../runtime.js";
import { lvCreateType } from "../segtypes/registry.js";
import { parseSize } from "../sizes.js";
import { snapshotCreateType } from "../snapshot/create.js";
import { changeTags, tagArgs } from "../tags.js";
import { isThinLvcreate, runThinLvcreate, THIN_LVCREATE_OPTIONS } from "../thin/lvcreate.js";
import { formatSize } from "../units.js";
import { requireVg } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { MESSAGE_UNITS, scanWithWarnings, sizeAndExtents } from "./common.js";
import { extentRequest, sizeArg } from "./lv-size.js";
import { initCreatedLv, prepareCreatedLv } from "./lv-tables.js";
import { allocOption } from "./vgcreate.js";

/** `global/mirror_segtype_default` from `--config`: what a plain `-m N` builds ("raid1" since 2.02.100). */
export function mirrorSegtypeDefault(args: ParsedArgs): string {
  const value = configSetting(optionValue(args, "config"), "global/mirror_segtype_default");
  return typeof value === "string" && value !== "" ? value : "raid1";
}

/** Builds the PV list from arguments, warning about and dropping unusable PVs as LVM2 does. */
export function pvListArg(
  context: CommandContext,
  vg: VolumeGroup,
  pvArgs: readonly string[],
): PvSelection[] | undefined {
  if (pvArgs.length === 0) return undefined;
  let list: PvSelection[];
  try {
    list = createPvList(vg, pvArgs);
  } catch (error) {
    throw new LvmCommandError((error as Error).message.replace(/; .*$/, ""));
  }
  const usable = list.filter((sel) => {
    const pv = vg.pvs.find((p) => p.name === sel.pv)!;
    if (!pv.status.includes("ALLOCATABLE")) {
      context.out.warn(`Physical volume ${pv.deviceHint} not allocatable.`);
      return false;
    }
    if (pv.status.includes("MISSING")) return false;
    if (pvFreeExtents(vg, pv.name) === 0) {
      context.out.warn(`No free extents on physical volume "${pv.deviceHint}".`);
      return false;
    }
    return true;
  });
  if (usable.length === 0) throw new LvmCommandError("No specified PVs have space available.");
  return usable;
}

/** `-s VG/ORIGIN [-c CHUNK]`: the origin named after the VG and the chunk size (KiB by default). */
function snapshotArgs(args: ParsedArgs, vgArg: string): { origin?: string; chunkSizeSectors?: number } {
  if (!hasOption(args, "snapshot")) return {};
  const path = vgArg.replace(/^\/dev\//, "");
  const origin = path.includes("/") ? path.slice(path.indexOf("/") + 1) : undefined;
  const chunk = optionValue(args, "chunksize");
  return {
    ...(origin ? { origin } : {}),
    ...(chunk !== undefined ? { chunkSizeSectors: parseSize(chunk, 2).sectors } : {}),
  };
}

/** Converts allocator and model errors into LVM2-style command failures. */
export function asCommandError(error: unknown): never {
  if (error instanceof AllocationError) throw new LvmCommandError(error.message);
  throw error;
}

function lvName(args: ParsedArgs, vg: VolumeGroup): string | undefined {
  const name = optionValue(args, "name");
  if (name === undefined) return undefined;
  const slash = name.lastIndexOf("/");
  const bare = slash >= 0 ? name.slice(slash + 1) : name;
  const vgPart = slash >= 0 ? name.slice(0, slash).replace(/^\/dev\//, "") : vg.name;
  if (vgPart !== vg.name) {
    throw new LvmCommandError(`Inconsistent volume group names given: "${vgPart}" and "${vg.name}"`, 3);
  }
  if (nameProblem(bare)) throw new LvmCommandError(`Logical volume name "${bare}" is invalid.`, 3);
  const reserved = reservedLvNameProblem(bare);
  if (reserved) {
    // LVM2 words it "Names starting "snapshot" are reserved. Please choose a different LV name."
    const what = reserved.replace(/^names/, "Names").replace(/ are reserved$/, " are reserved");
    throw new LvmCommandError(`${what}. Please choose a different LV name.`, 3);
  }
  if (vg.lvs.some((lv) => lv.name === bare)) {
    throw new LvmCommandError(`Logical Volume "${bare}" already exists in volume group "${vg.name}"`);
  }
  return bare;
}

/** The lvcreate command. */
export const lvcreateCommand: LvmCommandDef = {
  name: "lvcreate",
  readOnly: false,
  options: [
    { long: "size", short: "L", value: true },
    { long: "extents", short: "l", value: true },
    { long: "name", short: "n", value: true },
    { long: "stripes", short: "i", value: true },
    { long: "stripesize", short: "I", value: true },
    { long: "type", value: true },
    { long: "mirrors", short: "m", value: true },
    { long: "mirrorlog", value: true, aliases: ["mirror-log"] },
    { long: "regionsize", short: "R", value: true },
    { long: "nosync", value: false },
    { long: "alloc", value: true },
    { long: "activate", short: "a", value: true },
    // dmeventd monitoring of the new LV (lvmlab's monitor is started by the scenario, not per LV).
    { long: "monitor", value: true },
    { long: "addtag", value: true },
    { long: "zero", short: "Z", value: true },
    { long: "wipesignatures", short: "W", value: true },
    { long: "snapshot", short: "s", value: false },
    { long: "chunksize", short: "c", value: true },
    { long: "contiguous", short: "C", value: true },
    ...THIN_LVCREATE_OPTIONS,
  ],
  run(context, args) {
    const monitor = optionValue(args, "monitor");
    if (monitor !== undefined && !/^(y|n|yes|no)$/.test(monitor)) {
      throw new LvmCommandError(`Invalid argument for --monitor: ${monitor}`, 3);
    }
    if (isThinLvcreate(context, args)) return runThinLvcreate(context, args);
    const [vgArg, ...pvArgs] = args.positionals;
    if (vgArg === undefined) throw new LvmCommandError("Please provide a volume group name", 3);
    const vgName = vgArg.replace(/^\/dev\//, "").split("/")[0]!;
    const stripes = Number(optionValue(args, "stripes") ?? 1);
    if (stripes === 0) throw new LvmCommandError("--stripes may not be zero.", 3);
    if (!Number.isInteger(stripes) || stripes < 1 || stripes > 128) {
      throw new LvmCommandError(
        `Number of stripes (${optionValue(args, "stripes")}) must be between 1 and 128`,
        3,
      );
    }
    const mirrorsText = optionValue(args, "mirrors");
    const mirrors = mirrorsText === undefined ? 0 : Number(mirrorsText) + 1;
    let typeName =
      optionValue(args, "type") ??
      (mirrors > 1 ? mirrorSegtypeDefault(args) : stripes > 1 ? "striped" : "linear");
    if (hasOption(args, "snapshot")) typeName = "snapshot";
    const type = typeName === "snapshot" ? snapshotCreateType : lvCreateType(typeName);
    if (type === undefined) {
      throw new LvmCommandError(`Segment type ${typeName} is not supported by lvmlab lvcreate yet.`);
    }
    const scan = scanWithWarnings(context);
    const handle = requireVg(scan, vgName);
    const vg = handle.vg;
    const name = lvName(args, vg);
    const pvs = pvListArg(context, vg, pvArgs);
    const request = extentRequest(context, args, { vg, ...(pvs ? { pvs } : {}) });
    if (request === undefined) {
      throw new LvmCommandError(
        "No command with matching syntax recognised.  Run 'lvcreate --help' for more information.",
        3,
      );
    }
    if (request.sign === "-") throw new LvmCommandError("Negative size is invalid.", 3);
    let extents = request.extents;
    let stripeSizeSectors: number | undefined;
    if (stripes > 1) {
      const text = optionValue(args, "stripesize");
      if (text === undefined) {
        stripeSizeSectors = DEFAULT_STRIPE_SIZE_SECTORS;
        context.out.message(
          `Using default stripesize ${formatSize(stripeSizeSectors, MESSAGE_UNITS, "short")}.`,
        );
      } else {
        stripeSizeSectors = sizeArg(text, { long: "stripesize", defaultUnitSectors: 2 }).sectors;
      }
      if (stripeSizeSectors < 8 || (stripeSizeSectors & (stripeSizeSectors - 1)) !== 0) {
        throw new LvmCommandError(
          `Invalid stripe size ${formatSize(stripeSizeSectors, MESSAGE_UNITS, "short")}.`,
          3,
        );
      }
      if (stripeSizeSectors > vg.extentSizeSectors) {
        context.out.message(
          `Reducing requested stripe size ${formatSize(stripeSizeSectors, MESSAGE_UNITS, "short")} to maximum, physical extent size ${formatSize(vg.extentSizeSectors, MESSAGE_UNITS, "short")}.`,
        );
        stripeSizeSectors = vg.extentSizeSectors;
      }
      const allocatable = vg.pvs.filter((pv) => pv.status.includes("ALLOCATABLE")).length;
      if (stripes > allocatable && optionValue(args, "alloc") !== "anywhere") {
        throw new LvmCommandError(
          `Number of stripes (${stripes}) must not exceed number of physical volumes (${allocatable})`,
        );
      }
      if (extents % stripes !== 0) {
        const rounded = extents + stripes - (extents % stripes);
        context.out.message(
          `Rounding size ${sizeAndExtents(vg, extents)} up to stripe boundary size ${sizeAndExtents(vg, rounded)}.`,
        );
        extents = rounded;
      }
    }
    if (extents === 0) throw new LvmCommandError("Unable to create new logical volume with no extents.");
    const free = vgFreeExtents(vg);
    const needed = extents * Math.max(1, mirrors);
    if (!request.approx && needed > free) {
      throw new LvmCommandError(
        `Volume group "${vg.name}" has insufficient free space (${free} extents): ${needed} required.`,
      );
    }
    const contiguous = optionValue(args, "contiguous");
    const policy =
      allocOption(optionValue(args, "alloc"), true) ??
      (contiguous === "y" || contiguous === "yes" ? "contiguous" : undefined);
    const regionText = optionValue(args, "regionsize");
    const mirrorLog = optionValue(args, "mirrorlog");
    if (mirrorLog !== undefined && mirrorLog !== "disk" && mirrorLog !== "core") {
      throw new LvmCommandError(`Unknown mirrorlog type: ${mirrorLog}`, 3);
    }
    let created: { vg: VolumeGroup; name: string };
    try {
      created = type.create(context, {
        vg,
        ...(name !== undefined ? { name } : {}),
        extents,
        stripes,
        ...(stripeSizeSectors !== undefined ? { stripeSizeSectors } : {}),
        mirrors,
        ...(mirrorLog !== undefined ? { mirrorLog } : {}),
        ...(regionText !== undefined ? { regionSizeSectors: parseSize(regionText, 2048).sectors } : {}),
        ...(policy !== undefined ? { policy } : {}),
        ...(pvs !== undefined ? { pvs } : {}),
        approx: request.approx,
        nosync: hasOption(args, "nosync"),
        ...snapshotArgs(args, vgArg),
      });
    } catch (error) {
      asCommandError(error);
    }
    const addTags = tagArgs(args, "addtag");
    if (addTags.length > 0) {
      created = {
        ...created,
        vg: {
          ...created.vg,
          lvs: created.vg.lvs.map((lv) =>
            lv.name === created.name ? { ...lv, tags: changeTags(lv.tags, addTags, []) } : lv,
          ),
        },
      };
    }
    initCreatedLv(context, created.vg, created.name, { nosync: hasOption(args, "nosync") });
    noteRaidMonitoring(context, args, `${vg.name}/${created.name}`);
    const written = writeVg(context, scan, created.vg);
    const activate = optionValue(args, "activate") ?? "y";
    if (/^(a?y)$/.test(activate)) {
      const lv = written.lvs.find((l) => l.name === created.name);
      if (lv) activeSet(context).add(lv.id);
    }
    prepareCreatedLv(context, written, created.name, {
      activate: /^(a?y)$/.test(activate),
      nosync: hasOption(args, "nosync"),
    });
    zeroCreatedLv(context, written, created.name, {
      active: /^(a?y)$/.test(activate),
      zero: optionValue(args, "zero") ?? "y",
    });
    context.out.message(`Logical volume "${created.name}" created.`);
    return ECMD_PROCESSED;
  },
};

/** Bytes `wipe_lv` zeroes at the start of a new LV. */
const ZERO_BYTES = 4096;

/**
 * `_lv_create_an_lv`'s zeroing of a new linear or striped LV: its first 4 KiB are zeroed when it
 * is active and `-Z y` (the default), otherwise LVM2 warns that it was not zeroed. Snapshots
 * (their COW start is wiped before the commit) and mirrors are left alone, as LVM2 does.
 */
function zeroCreatedLv(
  context: CommandContext,
  vg: VolumeGroup,
  lvName: string,
  options: { readonly active: boolean; readonly zero: string },
): void {
  const lv = vg.lvs.find((l) => l.name === lvName);
  const seg = lv?.segments[0];
  if (lv === undefined || lvKinds(vg).get(lvName)?.cow) return;
  const zero = !/^(n|no|0)$/.test(options.zero);
  // A mirror or raid1 is not zeroed by lvmlab; LVM2 warns about one it did not zero (seen in the
  // QEMU guest for `lvcreate -an -Zn --type mirror` and `--type raid1`).
  if (seg?.type === "mirror" || isRaid1Segment(seg)) {
    if (!zero || !options.active) context.out.warn(`Logical volume ${vg.name}/${lvName} not zeroed.`);
    return;
  }
  if (seg?.type !== "striped") return;
  if (zero && options.active && context.driverLoaded === false) {
    context.out.warn("Skipping zeroing and wipping, compiled without activation support.");
  } else if (zero && options.active) {
    const start = lvStartOnDisk(context.host, vg, lvName);
    if (start !== undefined) {
      const bytes = Math.min(ZERO_BYTES, seg.extentCount * vg.extentSizeSectors * 512);
      start.device.write(start.offsetBytes, new Uint8Array(bytes), { issueNs: context.host.scheduler.nowNs });
      return;
    }
  }
  context.out.warn(`Logical volume ${vg.name}/${lvName} not zeroed.`);
}
