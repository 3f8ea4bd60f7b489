/**
 * `lvextend`/`lvresize` of thin pools (`lib/metadata/lv_manip.c` `lv_resize`, LVM2 2.03.16):
 *
 * - `-L/-l` on `VG/POOL` or `VG/POOL_tdata` grows `_tdata` (and the pool segment); the metadata
 *   grows with it when the data would need more than it has (`estimate_thin_pool_metadata_size`);
 * - `--poolmetadatasize [+]SIZE` on `VG/POOL` or `VG/POOL_tmeta` grows `_tmeta` (and the spare);
 * - `--use-policies` (what dmeventd runs) grows data and/or metadata by
 *   `activation/thin_pool_autoextend_percent` when they are above `_threshold`
 *   (`_lvresize_adjust_policy`).
 *
 * Shrinking is refused. A live pool's `_tdata`/`_tmeta` tables are reloaded and the kernel grows
 * its space maps (`maybe_resize_data_dev`/`maybe_resize_metadata_dev`), leaving out-of-space
 * modes; an inactive pool is activated for the resize and deactivated again, as LVM2 does.
 */
import { BlockDeviceError } from "../../block/errors.js";
import { lvSizeExtents } from "../../metadata/extent-map.js";
import { extendLv } from "../../metadata/lv-alloc.js";
import {
  findLv,
  type LogicalVolume,
  type OtherSegment,
  putLv,
  type VolumeGroup,
} from "../../metadata/model.js";
import type { PvSelection } from "../../metadata/pv-list.js";
import {
  defaultThinPoolSizes,
  type ThinPoolInfo,
  thinPoolInfo,
  thinPoolSegment,
  thinPoolSegmentOf,
} from "../../metadata/thin.js";
import { reloadLv } from "../activation/activate.js";
import { hasOption, optionValue, type ParsedArgs } from "../args.js";
import { type CommandContext, ECMD_PROCESSED, LvmCommandError } from "../command.js";
import { sizeAndExtents } from "../commands/common.js";
import { extentRequest, resizeTargetExtents, sizeArg } from "../commands/lv-size.js";
import { deactivateTables } from "../commands/lv-tables.js";
import type { HostScan } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { lowWaterBlocks, thinAutoextend } from "./autoextend-settings.js";
import { activatePool } from "./lvcreate.js";
import { livePool, makePercent } from "./status.js";

/** The pool an lvresize of `lvName` acts on, and which part was named; undefined when not thin. */
export function thinResizeTarget(
  vg: VolumeGroup,
  lvName: string,
): { pool: string; part: "pool" | "data" | "metadata" } | undefined {
  if (thinPoolSegment(findLv(vg, lvName)) !== undefined) return { pool: lvName, part: "pool" };
  for (const lv of vg.lvs) {
    const seg = thinPoolSegment(lv);
    if (seg === undefined) continue;
    const info = thinPoolInfo(seg);
    if (info.dataLv === lvName) return { pool: lv.name, part: "data" };
    if (info.metadataLv === lvName) return { pool: lv.name, part: "metadata" };
  }
  return undefined;
}

/** `dm_make_percent` in LVM2's units (DM_PERCENT_100 = 1e8), for the policy arithmetic. */
function dmPercent(numerator: number, denominator: number): number {
  return Math.round(makePercent(numerator, denominator) * 1e6);
}

/** `_adjust_amount`: 0 unless above 50% and the threshold; else max(policy, what gets below the threshold). */
export function adjustAmount(percentDm: number, thresholdPercent: number, policyPercent: number): number {
  if (!(50e6 < percentDm && percentDm <= 100e6) || percentDm <= thresholdPercent * 1e6) return 0;
  const unit = thresholdPercent * 1e4;
  const needed = Math.floor((percentDm + unit - 1) / unit) - 100;
  return Math.max(policyPercent, needed);
}

/** `pool_metadata_min_threshold` in whole percent: keep min(4 MiB, 25%) of the metadata free. */
function metadataMinThreshold(metadataSectors: number): number {
  const free = Math.min(25e6, dmPercent(8192, metadataSectors));
  return Math.floor((100e6 - free) / 1e6);
}

interface Growth {
  /** Extents to add to `_tdata`. */
  data: number;
  /** Extents to add to `_tmeta`. */
  metadata: number;
}

/** Runs a thin-pool resize; returns LVM2's exit code. */
export function runThinResize(
  context: CommandContext,
  args: ParsedArgs,
  options: {
    readonly scan: HostScan;
    readonly vg: VolumeGroup;
    readonly lvName: string;
    readonly mode: "extend" | "reduce" | "resize";
    readonly pvs?: readonly PvSelection[];
  },
): number {
  const { vg, lvName } = options;
  const target = thinResizeTarget(vg, lvName);
  const usePolicies = hasOption(args, "use-policies");
  const metaText = optionValue(args, "poolmetadatasize");
  if (usePolicies && target?.part !== "pool") {
    throw new LvmCommandError(
      "Policy-based resize is supported only for snapshot, thin pool and vdo pool volumes.",
    );
  }
  if (target === undefined || (metaText !== undefined && target.part === "data")) {
    throw new LvmCommandError("--poolmetadatasize can be used only with thin pools.");
  }
  const poolLv = findLv(vg, target.pool) as LogicalVolume;
  const info = thinPoolInfo(thinPoolSegment(poolLv) as OtherSegment);
  const dataLv = findLv(vg, info.dataLv) as LogicalVolume;
  const metaLv = findLv(vg, info.metadataLv) as LogicalVolume;
  const poolPath = `${vg.name}/${poolLv.name}`;
  const growth: Growth = { data: 0, metadata: 0 };
  let reportLv: string;
  if (usePolicies) {
    const policy = policyGrowth(context, { vg, poolLv, dataLv, metaLv });
    if (policy === undefined) return ECMD_PROCESSED;
    Object.assign(growth, policy);
    reportLv = growth.data > 0 ? poolPath : `${vg.name}/${metaLv.name}`;
  } else {
    const request = extentRequest(context, args, {
      vg,
      resize: true,
      ...(options.pvs ? { pvs: options.pvs } : {}),
    });
    const metaOnly = request === undefined;
    if (metaOnly && metaText === undefined)
      throw new LvmCommandError("Please specify either size or extents", 3);
    if (metaText !== undefined && !metaOnly && target.part === "metadata") {
      throw new LvmCommandError("--poolmetadatasize for thin-pool metadata cannot be used with size.");
    }
    if (!metaOnly && target.part !== "metadata") {
      growth.data = sizedGrowth(request, lvSizeExtents(dataLv), options.mode);
      if (growth.data < 0) {
        throw new LvmCommandError(
          `Thin pool volumes ${vg.name}/${dataLv.name} cannot be reduced in size yet.`,
        );
      }
    }
    if (metaText !== undefined || (!metaOnly && target.part === "metadata")) {
      let extents: number;
      if (metaText !== undefined) {
        const size = sizeArg(metaText, { long: "poolmetadatasize" });
        const ext = Math.ceil(size.sectors / vg.extentSizeSectors);
        extents = sizedGrowth({ sign: size.sign, extents: ext }, lvSizeExtents(metaLv), options.mode);
      } else {
        extents = sizedGrowth(
          request as { sign: string; extents: number },
          lvSizeExtents(metaLv),
          options.mode,
        );
      }
      if (extents < 0) throw new LvmCommandError("Thin pool metadata volumes cannot be reduced.");
      growth.metadata = extents;
    } else if (growth.data > 0 && options.pvs === undefined) {
      // The metadata follows the data when it could not address it all (estimate_thin_pool_metadata_size).
      const newDataSectors = (lvSizeExtents(dataLv) + growth.data) * vg.extentSizeSectors;
      const wanted = defaultThinPoolSizes(newDataSectors, info.chunkSizeSectors).metadataSectors;
      const wantedExtents = Math.ceil(wanted / vg.extentSizeSectors);
      growth.metadata = Math.max(0, wantedExtents - lvSizeExtents(metaLv));
    }
    // LVM2 names the top of the resized stack: the pool for its data, `_tmeta` for metadata alone.
    reportLv = metaOnly || target.part === "metadata" ? `${vg.name}/${metaLv.name}` : poolPath;
    if (growth.data === 0 && growth.metadata === 0) {
      const current = target.part === "metadata" || metaOnly ? metaLv : dataLv;
      throw new LvmCommandError(
        `New size (${lvSizeExtents(current)} extents) matches existing size (${lvSizeExtents(current)} extents).`,
      );
    }
  }
  if (context.driverLoaded === false) {
    throw new LvmCommandError(`Cannot resize ${poolPath} without using device-mapper kernel driver.`);
  }
  let next = vg;
  if (growth.metadata > 0) {
    next = grow(context, next, metaLv.name, growth.metadata, options.pvs);
    // Resizing metadata with no PV list keeps the spare as large (handle_pool_metadata_spare).
    if (options.pvs === undefined) next = growSpare(context, next, lvSizeExtents(findLv(next, metaLv.name)!));
    next = writeVg(context, options.scan, next);
  }
  if (growth.data > 0) {
    next = grow(context, next, dataLv.name, growth.data, options.pvs);
    const pool = findLv(next, poolLv.name) as LogicalVolume;
    const dataExtents = lvSizeExtents(findLv(next, dataLv.name) as LogicalVolume);
    next = putLv(next, { ...pool, segments: [thinPoolSegmentOf(dataExtents, info)] });
    next = writeVg(context, options.scan, next);
  }
  applyToKernel(context, next, { pool: poolLv.name, info, growth });
  context.out.message(`Logical volume ${reportLv} successfully resized.`);
  return ECMD_PROCESSED;
}

function sizedGrowth(
  request: { readonly sign: string; readonly extents: number },
  current: number,
  mode: "extend" | "reduce" | "resize",
): number {
  return resizeTargetExtents(request, current, mode) - current;
}

/** Grows one sub-LV through the allocator and prints LVM2's "Size of logical volume … changed" line. */
function grow(
  context: CommandContext,
  vg: VolumeGroup,
  lvName: string,
  extents: number,
  pvs: readonly PvSelection[] | undefined,
): VolumeGroup {
  const before = lvSizeExtents(findLv(vg, lvName)!);
  let next: VolumeGroup;
  try {
    next = extendLv(vg, lvName, { extents, ...(pvs ? { pvs } : {}), mutations: context.host.mutations });
  } catch (error) {
    throw new LvmCommandError((error as Error).message);
  }
  const after = lvSizeExtents(findLv(next, lvName)!);
  context.out.message(
    `Size of logical volume ${vg.name}/${lvName} changed from ${sizeAndExtents(vg, before)} to ${sizeAndExtents(vg, after)}.`,
  );
  return next;
}

function growSpare(context: CommandContext, vg: VolumeGroup, extents: number): VolumeGroup {
  const spare = vg.lvs.find((lv) => lv.name.includes("_pmspare") && !lv.status.includes("VISIBLE"));
  if (spare === undefined || lvSizeExtents(spare) >= extents) return vg;
  try {
    return extendLv(vg, spare.name, {
      extents: extents - lvSizeExtents(spare),
      mutations: context.host.mutations,
    });
  } catch (error) {
    throw new LvmCommandError((error as Error).message);
  }
}

/** `_lvresize_adjust_policy` for a pool: undefined when nothing is to be done. */
function policyGrowth(
  context: CommandContext,
  lvs: { vg: VolumeGroup; poolLv: LogicalVolume; dataLv: LogicalVolume; metaLv: LogicalVolume },
): Growth | undefined {
  const { vg, poolLv, dataLv, metaLv } = lvs;
  const settings = thinAutoextend(context.host);
  let threshold = settings.thresholdPercent;
  if (threshold < 50) {
    context.out.warn(`Thin pool autoextend threshold ${threshold}% is set below minimum supported 50%.`);
    threshold = 50;
  }
  if (threshold >= 100) return undefined;
  if (settings.percent === 0) {
    throw new LvmCommandError(
      `Can't extend ${vg.name}/${poolLv.name} with thin-pool autoextend percent set to 0%.`,
    );
  }
  const live = livePool(context.host, vg.name, poolLv.name);
  if (live === undefined || live.mode === "fail") {
    throw new LvmCommandError(`Can't read state of locally inactive LV ${vg.name}/${poolLv.name}.`);
  }
  const u = live.usage();
  const metaSectors = lvSizeExtents(metaLv) * vg.extentSizeSectors;
  const minThreshold = metadataMinThreshold(metaSectors);
  let metaAmount = adjustAmount(
    dmPercent(u.usedMetadataBlocks, u.totalMetadataBlocks),
    Math.min(minThreshold, threshold),
    settings.percent,
  );
  if (metaAmount > 0) metaAmount += 1; // compensate the kernel's own use on resize
  const dataAmount = adjustAmount(
    dmPercent(u.usedDataBlocks, u.totalDataBlocks),
    threshold,
    settings.percent,
  );
  if (dataAmount === 0 && metaAmount === 0) return undefined;
  return {
    data: Math.ceil((dataAmount * lvSizeExtents(dataLv)) / 100),
    metadata: Math.ceil((metaAmount * lvSizeExtents(metaLv)) / 100),
  };
}

/**
 * Reloads the grown sub-LVs of a live pool and lets the kernel grow its space maps; an inactive
 * pool is activated for it (its constructor grows them) and deactivated again.
 */
function applyToKernel(
  context: CommandContext,
  vg: VolumeGroup,
  options: { pool: string; info: ThinPoolInfo; growth: Growth },
): void {
  const host = context.host;
  const live = livePool(host, vg.name, options.pool);
  if (live === undefined) {
    try {
      activatePool(context, vg, options.pool);
    } catch (error) {
      if (!(error instanceof LvmCommandError)) throw error;
      context.out.error(error.message);
      throw new LvmCommandError(`Failed to activate ${vg.name}/${options.pool}.`);
    } finally {
      deactivateTables(context, vg, options.pool);
    }
    return;
  }
  try {
    if (options.growth.metadata > 0) {
      reloadLv(host, vg, options.info.metadataLv, { startResync: false });
      live.resizeMetadata(host.scheduler.nowNs);
    }
    if (options.growth.data > 0) {
      reloadLv(host, vg, options.info.dataLv, { startResync: false });
      const dataBlocks = live.dataBlocks;
      live.resizeData(host.scheduler.nowNs, {
        lowWaterBlocks: lowWaterBlocks(dataBlocks, thinAutoextend(host).thresholdPercent),
      });
    }
  } catch (error) {
    if (!(error instanceof BlockDeviceError)) throw error;
    context.out.error(`device-mapper: ${error.message}`);
    throw new LvmCommandError(`Failed to resume logical volume ${vg.name}/${options.pool}.`);
  }
}
