/**
 * `lvcreate` for thin provisioning (`tools/lvcreate.c` `_determine_cache_argument`/thin paths,
 * `lib/metadata/lv_manip.c` `_lv_create_an_lv`, `thin_manip.c`):
 *
 * - `lvcreate -T -L SIZE VG/POOL` or `--type thin-pool`: a pool with `_tdata`, `_tmeta` and the VG's `_pmspare`;
 * - `lvcreate -V SIZE -T VG/POOL` or `--thinpool POOL VG`: a thin LV (with `-L` too: pool and thin LV at once);
 * - `lvcreate -s VG/THIN` (no size): a thin snapshot, skipped at activation unless `-K`.
 *
 * A new thin LV queues a `create` message and bumps the pool's transaction_id; when the pool is (or
 * becomes) active the message is sent to the kernel, the metadata is written again without it
 * (`update_pool_lv`), and the LV is activated.
 */
import { SECTOR_BYTES } from "../../block/device.js";
import type { ThinPoolTarget } from "../../dm/thin/pool.js";
import { AllocationError } from "../../metadata/alloc.js";
import { lvSizeExtents, vgFreeExtents } from "../../metadata/extent-map.js";
import { findLv, type OtherSegment, type VolumeGroup } from "../../metadata/model.js";
import {
  createThinPool,
  createThinVolume,
  defaultThinPoolSizes,
  poolMetadataSpare,
  THIN_CHUNK_SECTORS_MAX,
  THIN_CHUNK_SECTORS_MIN,
  THIN_METADATA_SECTORS_MAX,
  type ThinDiscards,
  thinInfo,
  thinPoolInfo,
  thinPoolSegment,
  thinSegment,
  thinVolumesOf,
  withPoolInfo,
} from "../../metadata/thin.js";
import type { MutationInfo } from "../../sim/mutations.js";
import { activateLv } from "../activation/activate.js";
import { hasOption, optionValue, type ParsedArgs } from "../args.js";
import { type CommandContext, ECMD_PROCESSED, LvmCommandError } from "../command.js";
import { MESSAGE_UNITS, scanWithWarnings } from "../commands/common.js";
import { sizeArg } from "../commands/lv-size.js";
import { configSetting } from "../config-setting.js";
import { newUuid } from "../ids.js";
import { lvStartOnDisk } from "../lv-start.js";
import { activeSet } from "../runtime.js";
import { formatSize } from "../units.js";
import { type HostScan, requireVg, scanHost } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { sendPoolMessages } from "./kernel.js";
import { livePool } from "./status.js";

/** The lvcreate options thin provisioning adds. */
export const THIN_LVCREATE_OPTIONS = [
  { long: "thin", short: "T", value: false },
  { long: "thinpool", value: true },
  { long: "virtualsize", short: "V", value: true },
  { long: "poolmetadatasize", value: true },
  { long: "poolmetadataspare", value: true },
  { long: "discards", value: true },
  { long: "errorwhenfull", value: true },
  { long: "setactivationskip", short: "k", value: true },
  { long: "ignoreactivationskip", short: "K", value: false },
] as const;

/** True when an lvcreate command line asks for thin provisioning (or a thin snapshot of a thin LV). */
export function isThinLvcreate(context: CommandContext, args: ParsedArgs): boolean {
  const type = optionValue(args, "type");
  if (type === "thin" || type === "thin-pool") return true;
  if (hasOption(args, "thin") || hasOption(args, "thinpool") || hasOption(args, "virtualsize")) return true;
  if (hasOption(args, "snapshot") && !hasOption(args, "size") && !hasOption(args, "extents")) {
    // `-s VG/LV` with no size: a thin snapshot when the origin is a thin LV.
    const [arg] = args.positionals;
    if (arg === undefined) return false;
    const path = arg.replace(/^\/dev\//, "");
    const [vgName, lvName] = path.split("/");
    if (vgName === undefined || lvName === undefined) return false;
    try {
      return thinSegment(findLv(requireVg(scanHost(context.host), vgName).vg, lvName)) !== undefined;
    } catch {
      return false;
    }
  }
  return false;
}

function yesNo(text: string | undefined, long: string): boolean | undefined {
  if (text === undefined) return undefined;
  if (/^(y|yes)$/i.test(text)) return true;
  if (/^(n|no)$/i.test(text)) return false;
  throw new LvmCommandError(`Invalid argument for --${long}: ${text}`, 3);
}

function extentsOf(vg: VolumeGroup, sectors: number): number {
  return Math.ceil(sectors / vg.extentSizeSectors);
}

/** Runs a thin lvcreate; returns LVM2's exit code. */
export function runThinLvcreate(context: CommandContext, args: ParsedArgs): number {
  if (context.driverLoaded === false) {
    throw new LvmCommandError("Can't create thin-pool without using device-mapper kernel driver.");
  }
  const [arg] = args.positionals;
  if (arg === undefined) throw new LvmCommandError("Please provide a volume group name", 3);
  const path = arg.replace(/^\/dev\//, "");
  const [vgName, posLv] = path.split("/") as [string, string | undefined];
  const scan = scanWithWarnings(context);
  let vg = requireVg(scan, vgName).vg;
  const type = optionValue(args, "type");
  const snapshot = hasOption(args, "snapshot");
  const sizeText = optionValue(args, "size");
  const extentsText = optionValue(args, "extents");
  const virtualText = optionValue(args, "virtualsize");
  const name = optionValue(args, "name")?.split("/").pop();
  const activate = /^(a?y)$/.test(optionValue(args, "activate") ?? "y");
  const makeId = () => newUuid(context.host);
  const identity = { makeId, creationTime: context.host.nowSeconds(), creationHost: context.host.hostname };

  // Thin snapshot of a thin LV.
  if (snapshot && virtualText === undefined && sizeText === undefined && extentsText === undefined) {
    const origin = findLv(vg, posLv ?? "");
    const seg = thinSegment(origin);
    if (origin === undefined || seg === undefined)
      throw new LvmCommandError(`Failed to find logical volume "${path}"`);
    const skip = yesNo(optionValue(args, "setactivationskip"), "setactivationskip") ?? true;
    const created = createThinVolume(vg, {
      ...identity,
      pool: thinInfo(seg).pool,
      ...(name !== undefined ? { name } : {}),
      virtualExtents: lvSizeExtents(origin),
      origin: origin.name,
      activationSkip: skip,
    });
    finishThin(context, scan, created.vg, {
      pool: thinInfo(seg).pool,
      name: created.name,
      activate: activate && (!skip || hasOption(args, "ignoreactivationskip")),
    });
    return ECMD_PROCESSED;
  }

  // Which pool: `-T VG/POOL`, `--thinpool POOL`, or the LV name of a `--type thin-pool`.
  const poolName =
    optionValue(args, "thinpool")?.split("/").pop() ??
    posLv ??
    (virtualText === undefined ? name : undefined);
  const wantPool = type === "thin-pool" || sizeText !== undefined || extentsText !== undefined;
  if (wantPool) {
    if (sizeText === undefined && extentsText === undefined)
      throw new LvmCommandError("Please specify either size or extents.", 3);
    const dataSectors =
      sizeText !== undefined
        ? sizeArg(sizeText, { long: "size" }).sectors
        : Number(extentsText) * vg.extentSizeSectors;
    const dataExtents = extentsOf(vg, dataSectors);
    const chunkText = optionValue(args, "chunksize");
    const chunkGiven =
      chunkText === undefined
        ? undefined
        : sizeArg(chunkText, { long: "chunksize", defaultUnitSectors: 2 }).sectors;
    if (
      chunkGiven !== undefined &&
      (chunkGiven < THIN_CHUNK_SECTORS_MIN ||
        chunkGiven > THIN_CHUNK_SECTORS_MAX ||
        chunkGiven % THIN_CHUNK_SECTORS_MIN !== 0)
    ) {
      throw new LvmCommandError(
        `Thin pool chunk size ${formatSize(chunkGiven, MESSAGE_UNITS, "short")} is not a multiple of 64.00 KiB or outside 64.00 KiB - 1.00 GiB.`,
        3,
      );
    }
    const sizes = defaultThinPoolSizes(dataExtents * vg.extentSizeSectors, chunkGiven);
    const metaText = optionValue(args, "poolmetadatasize");
    let metadataSectors =
      metaText === undefined
        ? sizes.metadataSectors
        : sizeArg(metaText, { long: "poolmetadatasize" }).sectors;
    metadataSectors = Math.min(Math.max(metadataSectors, 4096), THIN_METADATA_SECTORS_MAX);
    const metadataExtents = extentsOf(vg, metadataSectors);
    const spare = yesNo(optionValue(args, "poolmetadataspare"), "poolmetadataspare") ?? true;
    const spareNeeded = spare && poolMetadataSpare(vg) === undefined ? metadataExtents : 0;
    const needed = dataExtents + metadataExtents + spareNeeded;
    if (needed > vgFreeExtents(vg)) {
      throw new LvmCommandError(
        `Volume group "${vg.name}" has insufficient free space (${vgFreeExtents(vg)} extents): ${needed} required.`,
      );
    }
    const discards = (optionValue(args, "discards") ?? "passdown") as ThinDiscards;
    if (!["passdown", "nopassdown", "ignore"].includes(discards))
      throw new LvmCommandError(`Invalid argument for --discards: ${discards}`, 3);
    const zero = yesNo(optionValue(args, "zero"), "zero") ?? true;
    const errorWhenFull = yesNo(optionValue(args, "errorwhenfull"), "errorwhenfull") ?? false;
    const pool = poolName;
    let created: { vg: VolumeGroup; name: string };
    try {
      created = createThinPool(vg, {
        ...identity,
        ...(pool !== undefined ? { name: pool } : {}),
        dataExtents,
        metadataExtents,
        chunkSizeSectors: sizes.chunkSizeSectors,
        discards,
        zeroNewBlocks: zero,
        spare,
        errorWhenFull,
        metadataSeparatePvs:
          Number(
            configSetting(
              optionValue(args, "config"),
              "allocation/thin_pool_metadata_require_separate_pvs",
            ) ?? 0,
          ) !== 0,
      });
    } catch (error) {
      if (error instanceof AllocationError || error instanceof Error)
        throw new LvmCommandError(error.message);
      throw error;
    }
    if (!spare) context.out.warn("recovery of pools without pool metadata spare LV is not automated.");
    const maxData = sizes.chunkSizeSectors * Math.floor((THIN_METADATA_SECTORS_MAX * SECTOR_BYTES) / 64);
    context.out.message(
      `Thin pool volume with chunk size ${formatSize(sizes.chunkSizeSectors, MESSAGE_UNITS, "short")} can address at most ${formatSize(maxData, MESSAGE_UNITS, "short")} of data.`,
    );
    vg = writeVg(context, scan, created.vg);
    wipePoolMetadata(context, vg, created.name);
    if (virtualText === undefined) {
      if (activate) activatePool(context, vg, created.name);
      context.out.message(`Logical volume "${created.name}" created.`);
      return ECMD_PROCESSED;
    }
    return createThin(context, scan, vg, {
      pool: created.name,
      name: optionValue(args, "name") !== undefined && poolName !== undefined ? name : undefined,
      virtualText,
      activate,
    });
  }
  if (poolName === undefined) throw new LvmCommandError("Please specify name of existing thin pool.", 3);
  if (virtualText === undefined) throw new LvmCommandError("Please specify either size or extents.", 3);
  return createThin(context, scan, vg, { pool: poolName, name, virtualText, activate });
}

function createThin(
  context: CommandContext,
  scan: HostScan,
  vg: VolumeGroup,
  options: { pool: string; name: string | undefined; virtualText: string; activate: boolean },
): number {
  const poolLv = findLv(vg, options.pool);
  if (thinPoolSegment(poolLv) === undefined)
    throw new LvmCommandError(`Pool ${options.pool} not found in Volume group ${vg.name}.`);
  const virtualSectors = sizeArg(options.virtualText, { long: "virtualsize" }).sectors;
  const virtualExtents = extentsOf(vg, virtualSectors);
  let created: { vg: VolumeGroup; name: string };
  try {
    created = createThinVolume(vg, {
      makeId: () => newUuid(context.host),
      creationTime: context.host.nowSeconds(),
      creationHost: context.host.hostname,
      pool: options.pool,
      ...(options.name !== undefined ? { name: options.name } : {}),
      virtualExtents,
    });
  } catch (error) {
    throw new LvmCommandError((error as Error).message);
  }
  warnOverprovisioning(context, created.vg, options.pool);
  finishThin(context, scan, created.vg, {
    pool: options.pool,
    name: created.name,
    activate: options.activate,
  });
  return ECMD_PROCESSED;
}

/** `thin_pool_check_overprovisioning`: the sum of thin sizes against the pool's data size. */
function warnOverprovisioning(context: CommandContext, vg: VolumeGroup, pool: string): void {
  const poolLv = findLv(vg, pool);
  if (poolLv === undefined) return;
  const thinSectors = thinVolumesOf(vg, pool).reduce(
    (s, lv) => s + lvSizeExtents(lv) * vg.extentSizeSectors,
    0,
  );
  const poolSectors = lvSizeExtents(poolLv) * vg.extentSizeSectors;
  if (thinSectors <= poolSectors) return;
  context.out.warn(
    `Sum of all thin volume sizes (${formatSize(thinSectors, MESSAGE_UNITS, "short")}) exceeds the size of thin pool ${vg.name}/${pool} (${formatSize(poolSectors, MESSAGE_UNITS, "short")}).`,
  );
  context.out.warn("You have not turned on protection against thin pools running out of space.");
  context.out.warn(
    "Set activation/thin_pool_autoextend_threshold below 100 to trigger automatic extension of thin pools before they get full.",
  );
}

/** Mutation: lvcreate of a thin LV ignores its live pool's failed, full or read-only state. */
export const THIN_LVCREATE_IGNORES_POOL_STATE: MutationInfo = {
  name: "thin-lvcreate-ignores-pool-state",
  description:
    "lvcreate of a thin LV or snapshot in a pool with read-only metadata (or out of data space, needing check, failed) writes the new LV to the VG before the kernel refuses its message, leaving it abandoned with a device id the pool never created",
};

/**
 * The pool-state half of `pool_below_threshold` (thin_manip.c), which `_lv_create_an_lv` runs on an
 * existing pool before the new thin LV is written to the VG: a pool whose status says fail,
 * out_of_data_space, needs_check or ro takes no new thin LV ("... reached threshold.", exit 5).
 * Not modelled: the data and metadata usage thresholds and the transaction-id check that follow.
 */
function requirePoolUsable(
  context: CommandContext,
  vgName: string,
  pool: string,
  live: ThinPoolTarget,
): void {
  if (context.host.mutations.has(THIN_LVCREATE_IGNORES_POOL_STATE.name)) return;
  const fail = live.mode === "fail";
  const needsCheck = !fail && live.metadata?.needsCheck === true;
  const outOfData = live.mode === "out-of-data-space";
  // `pool_status` prints "ro" for both read-only modes.
  const readOnly = live.mode === "read-only" || live.mode === "out-of-metadata-space";
  if (!fail && !outOfData && !needsCheck && !readOnly) return;
  context.out.warn(
    `Thin pool ${vgName}/${pool}${fail ? " is failed" : ""}${outOfData ? " is out of data space" : ""}${needsCheck ? " needs check" : ""}${readOnly ? " has read-only metadata" : ""}.`,
  );
  throw new LvmCommandError(
    `Cannot create new thin volume, free space in thin pool ${vgName}/${pool} reached threshold.`,
  );
}

/** Writes the new thin LV with its queued message, sends it when the pool is or becomes active, and activates. */
function finishThin(
  context: CommandContext,
  scan: HostScan,
  vgWithMessage: VolumeGroup,
  options: { pool: string; name: string; activate: boolean },
): void {
  const before = livePool(context.host, vgWithMessage.name, options.pool);
  if (before !== undefined) requirePoolUsable(context, vgWithMessage.name, options.pool, before);
  let vg = writeVg(context, scan, vgWithMessage);
  const live = livePool(context.host, vg.name, options.pool);
  if (live !== undefined || options.activate) {
    // update_pool_lv: the live (or newly activated) pool gets the queued messages; then they are dropped.
    if (live !== undefined) sendPoolMessages(context.host, vg, options.pool, live);
    else activatePool(context, vg, options.pool);
    const info = thinPoolInfo(thinPoolSegment(findLv(vg, options.pool)) as OtherSegment);
    vg = writeVg(context, scan, withPoolInfo(vg, options.pool, { ...info, messages: [] }));
    if (options.activate) {
      const lv = findLv(vg, options.name);
      if (lv !== undefined) {
        activeSet(context).add(lv.id);
        activateLv(context.host, vg, options.name);
      }
    }
  }
  context.out.message(`Logical volume "${options.name}" created.`);
}

/** Activates the pool (and its sub-LVs), which loads the pool table and sends queued messages. */
export function activatePool(context: CommandContext, vg: VolumeGroup, pool: string): void {
  const lv = findLv(vg, pool);
  if (lv === undefined) return;
  activeSet(context).add(lv.id);
  const info = thinPoolInfo(thinPoolSegment(lv) as OtherSegment);
  for (const sub of [info.dataLv, info.metadataLv]) {
    const subLv = findLv(vg, sub);
    if (subLv !== undefined) context.host.activeLvs.add(subLv.id);
  }
  activateLv(context.host, vg, pool);
}

/** Zeroes the first 4 KiB of a new pool's `_tmeta` (`wipe_lv` … `is_metadata`), so the kernel formats it. */
function wipePoolMetadata(context: CommandContext, vg: VolumeGroup, pool: string): void {
  const info = thinPoolInfo(thinPoolSegment(findLv(vg, pool)) as OtherSegment);
  const start = lvStartOnDisk(context.host, vg, info.metadataLv);
  if (start === undefined) return;
  const t = start.device.write(start.offsetBytes, new Uint8Array(4096), {
    issueNs: context.host.scheduler.nowNs,
  });
  start.device.flush({ issueNs: t });
}
