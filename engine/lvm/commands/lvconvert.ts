/**
 * `lvconvert` for old-style mirrors and snapshots: `-m N [--mirrorlog core|disk] [-R SIZE] VG/LV
 * [PV...]` adds or removes images (linear ↔ mirror), `--mirrorlog core|disk` swaps the log,
 * `--repair [--use-policies]` replaces or drops failed legs and logs, `--merge VG/SNAP` merges a
 * snapshot back into its origin. Metadata is written once per LV, then live tables are reloaded.
 *
 * Repair policies: with `--use-policies` they come from `--config` (`activation {
 * mirror_image_fault_policy = "allocate" }` or `activation/mirror_log_fault_policy=remove`) over
 * LVM2's defaults (image remove, log allocate). Without it LVM2 would prompt; lvmlab answers as
 * `--yes` would (replace both) when `-y` is given, else as a "no" (remove both).
 */
import { AllocationError } from "../../metadata/alloc.js";
import { lvKinds } from "../../metadata/lv-kind.js";
import { findLv, type VolumeGroup } from "../../metadata/model.js";
import { startSnapshotMerge } from "../../metadata/snapshot.js";
import { thinPoolSegment } from "../../metadata/thin.js";
import { deviceMapperOf, reloadLv } from "../activation/activate.js";
import { dmName } from "../activation/dm-name.js";
import { hasOption, optionValue, type ParsedArgs } from "../args.js";
import {
  asCommandError,
  type CommandContext,
  ECMD_PROCESSED,
  type LvmCommandDef,
  LvmCommandError,
} from "../command.js";
import { newUuid } from "../ids.js";
import {
  addMirrorImages,
  imagesToDrop,
  mirrorImages,
  mirrorSegmentOf,
  removeMirrorImages,
  setMirrorLog,
} from "../mirror/convert.js";
import { liveMirrorsOf, reloadWithResync, startLvResync, stopLvResync } from "../mirror/kernel.js";
import { initMirrorLog, MUTATION_MIRROR_SKIP_LOG_RESET } from "../mirror/log-init.js";
import {
  failedMirrorParts,
  faultPoliciesFromConfig,
  type MirrorFaultPolicies,
  repairMirror,
} from "../mirror/repair.js";
import { mirrorCopyPercent, mirrorSyncRegions } from "../mirror/status.js";
import { DM_PERCENT_100, dmMakePercent, formatDmPercent } from "../pvmove/progress.js";
import { changeRaid1ImageCount, splitRaid1Image } from "../raid/change-images.js";
import { convertLinearToRaid1, isLinearLv } from "../raid/convert.js";
import { raidLvLive } from "../raid/reload.js";
import { isRaid1Lv, repairRaid1 } from "../raid/repair.js";
import { raid1Of } from "../raid/roles.js";
import { convertMirrorToRaid1 } from "../raid/takeover.js";
import { parseSize } from "../sizes.js";
import { isLvOpen, mergeRunning, startMerge } from "../snapshot/merge.js";
import { snapshotInvalid } from "../snapshot/status.js";
import { repairThinPool } from "../thin/repair.js";
import { findVg, type HostScan, requireVg, scanHost } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { requireLv, scanWithWarnings, splitLvArg } from "./common.js";
import { forgetTables } from "./lv-tables.js";
import { mirrorSegtypeDefault, pvListArg } from "./lvcreate.js";

function identity(context: CommandContext) {
  return {
    makeId: () => newUuid(context.host),
    creationTime: context.host.nowSeconds(),
    creationHost: context.host.hostname,
  };
}

function isLive(context: CommandContext, lvId: string): boolean {
  return context.driverLoaded !== false && deviceMapperOf(context.host).lv(lvId) !== undefined;
}

/** Suspends the live mirrors of `lvName` (their logs are written) and stops their resync. */
function suspendMirrors(context: CommandContext, vg: VolumeGroup, lvName: string): void {
  const lv = findLv(vg, lvName);
  if (lv === undefined) return;
  for (const mirror of liveMirrorsOf(context.host, vg.name, lvName)) {
    mirror.suspend({ issueNs: context.host.scheduler.nowNs });
  }
  stopLvResync(context.host, lv.id);
}

/**
 * Before a mirror's new metadata is committed: suspend the live mirror (its log is written) and
 * initialise a new or reset disk log, so that no commit ever points at a log with stale bits
 * (`_init_mirror_log` runs before the commit in LVM2 too).
 */
function prepareMirrorChange(
  context: CommandContext,
  before: VolumeGroup,
  next: VolumeGroup,
  lvName: string,
  options: { readonly initLog: boolean; readonly logInSync?: boolean },
): void {
  const host = context.host;
  const lv = findLv(before, lvName)!;
  if (isLive(context, lv.id)) suspendMirrors(context, before, lvName);
  const seg = mirrorSegmentOf(findLv(next, lvName)!);
  const skipReset =
    host.mutations.has(MUTATION_MIRROR_SKIP_LOG_RESET) && findLv(before, seg?.mirrorLog ?? "") !== undefined;
  if (options.initLog && seg?.mirrorLog !== undefined && !skipReset) {
    initMirrorLog(host, next, seg.mirrorLog, { inSync: options.logInSync ?? false });
  }
}

/** After the commit: drop the devices of LVs that left, reload the live table and restart resync. */
function applyMirrorChange(
  context: CommandContext,
  before: VolumeGroup,
  after: VolumeGroup,
  lvName: string,
): void {
  const host = context.host;
  const lv = findLv(after, lvName)!;
  if (!isLive(context, lv.id)) return;
  // By id: a replacement image may reuse a removed image's name, but never its device.
  const gone = before.lvs.filter((l) => findLv(after, l.name)?.id !== l.id).map((l) => l.name);
  forgetTables(context, before, gone);
  reloadLv(host, after, lvName, { startResync: false });
  const seg = mirrorSegmentOf(lv);
  for (const name of [lvName, ...mirrorImages(after, lvName), ...(seg?.mirrorLog ? [seg.mirrorLog] : [])]) {
    const sub = findLv(after, name);
    if (sub) host.activeLvs.add(sub.id);
  }
  startLvResync(host, lv.id, liveMirrorsOf(host, after.name, lvName));
}

function write(context: CommandContext, scan: HostScan, vg: VolumeGroup): VolumeGroup {
  try {
    return writeVg(context, scan, vg);
  } catch (error) {
    if (error instanceof AllocationError) throw new LvmCommandError(error.message);
    throw error;
  }
}

/** Scans, and finds the VG (no missing PVs allowed) and LV named by `VG/LV`. */
function readLvArg(context: CommandContext, lvArg: string) {
  const { vg: vgName, lv: lvName } = splitLvArg(lvArg);
  const scan = scanWithWarnings(context);
  const vg = requireVg(scan, vgName).vg;
  return { scan, vg, lv: requireLv(vg, lvName), lvName };
}

function convertMirrors(
  context: CommandContext,
  args: ParsedArgs,
  lvArg: string,
  pvArgs: readonly string[],
): void {
  const { scan, vg, lv, lvName } = readLvArg(context, lvArg);
  const kinds = lvKinds(vg);
  if (
    kinds.get(lvName)?.cow ||
    kinds.get(lvName)?.origin ||
    kinds.get(lvName)?.pvmove ||
    kinds.get(lvName)?.locked
  ) {
    throw new LvmCommandError(
      `Unable to convert ${vg.name}/${lvName}: snapshots, origins and moving LVs are not mirrored by lvmlab`,
    );
  }
  const mirrorsText = optionValue(args, "mirrors");
  const logArg = optionValue(args, "mirrorlog");
  if (logArg !== undefined && logArg !== "core" && logArg !== "disk") {
    throw new LvmCommandError(`Unknown mirrorlog type: ${logArg}`, 3);
  }
  const current = Math.max(1, mirrorImages(vg, lvName).length);
  const typeArg = optionValue(args, "type");
  let images = current;
  if (mirrorsText !== undefined) {
    const n = Number(mirrorsText.replace(/^\+/, ""));
    if (!Number.isInteger(n) || n < 0)
      throw new LvmCommandError(`Invalid argument for --mirrors: ${mirrorsText}`, 3);
    images = mirrorsText.startsWith("+") ? current + n : n + 1;
  } else if (typeArg === "linear") images = 1;
  const pvs = pvArgs.length > 0 ? pvListArg(context, vg, pvArgs) : undefined;
  const regionText = optionValue(args, "regionsize");
  let next = vg;
  let initLog = false;
  let logInSync = false;
  if (images > current) {
    next = asCommandError(() =>
      addMirrorImages(vg, lvName, {
        ...identity(context),
        images,
        ...(logArg !== undefined ? { mirrorLog: logArg } : {}),
        ...(regionText !== undefined ? { regionSizeSectors: parseSize(regionText, 2048).sectors } : {}),
        ...(pvs ? { pvs } : {}),
      }),
    );
    // Every leg is resynced from leg 0 (see README: LVM2 stacks a temporary mirror instead).
    initLog = true;
  } else if (images < current) {
    const prefer = pvArgs.map((arg) => vg.pvs.find((pv) => pv.deviceHint === arg.split(":")[0])?.name ?? "");
    const drop = imagesToDrop(vg, lvName, { images, preferPvs: prefer });
    next = asCommandError(() => removeMirrorImages(vg, lvName, drop));
  }
  if (logArg !== undefined && mirrorSegmentOf(findLv(next, lvName)!) !== undefined) {
    const had = mirrorSegmentOf(findLv(next, lvName)!)?.mirrorLog !== undefined;
    next = asCommandError(() =>
      setMirrorLog(next, lvName, logArg, { ...identity(context), ...(pvs ? { pvs } : {}) }),
    );
    if (logArg === "disk" && !had) {
      // `add_mirror_log` keeps the sync state: a mirror at 100% gets an all-clean log.
      logInSync = !initLog && mirrorCopyPercent(context.host, vg, lv) === 100;
      initLog = true;
    }
  }
  if (next === vg) {
    const log = mirrorSegmentOf(lv)?.mirrorLog !== undefined ? 1 : 0;
    context.out.message(
      `Volume ${vg.name}/${lvName} has already image count ${current} and log count ${log}.`,
    );
    return;
  }
  prepareMirrorChange(context, vg, next, lvName, { initLog, logInSync });
  const written = write(context, scan, next);
  applyMirrorChange(context, vg, written, lvName);
  context.out.message(`Logical volume ${vg.name}/${lvName} converted.`);
}

/** The policies `--repair` applies, as described in the module comment. */
function repairPolicies(args: ParsedArgs): MirrorFaultPolicies {
  if (hasOption(args, "use-policies")) return faultPoliciesFromConfig(optionValue(args, "config"));
  return hasOption(args, "yes") ? { image: "allocate", log: "allocate" } : { image: "remove", log: "remove" };
}

function repair(context: CommandContext, args: ParsedArgs, lvArg: string, pvArgs: readonly string[]): void {
  const { vg: vgName, lv: lvName } = splitLvArg(lvArg);
  const scan = scanWithWarnings(context);
  const handle = requireVg(scan, vgName, { allowMissing: true });
  const vg = handle.vg;
  const lv = requireLv(vg, lvName);
  if (isRaid1Lv(vg, lvName)) {
    const pvs = pvArgs.length > 0 ? pvListArg(context, vg, pvArgs) : undefined;
    repairRaid1(context, args, { scan, vgName, lvName, ...(pvs ? { pvs } : {}) });
    return;
  }
  if (thinPoolSegment(lv) !== undefined) {
    const pvs = pvArgs.length > 0 ? pvListArg(context, vg, pvArgs) : undefined;
    repairThinPool(context, { scan, vg, poolName: lvName, ...(pvs ? { pvs } : {}) });
    return;
  }
  const seg = mirrorSegmentOf(lv);
  if (seg === undefined) {
    throw new LvmCommandError(
      `Operation not permitted on LV ${vg.name}/${lvName}: lvmlab repairs old-style mirrors only`,
    );
  }
  const failedPvs = new Set(handle.missing);
  // Legs the kernel failed (write errors) count as failed PVs too, as dmeventd sees them.
  const live = context.driverLoaded === false ? [] : liveMirrorsOf(context.host, vg.name, lvName);
  const health = live[0]?.legHealth() ?? "";
  mirrorImages(vg, lvName).forEach((image, index) => {
    if (health[index] !== "D" && health[index] !== "F") return;
    for (const s of findLv(vg, image)?.segments ?? []) {
      if (s.type === "striped") for (const a of s.areas) if (a.kind === "pv") failedPvs.add(a.pv);
    }
  });
  const failed = failedMirrorParts(vg, lvName, failedPvs);
  if (failed.images.length === 0 && !failed.log) {
    context.out.message(`Volume ${vg.name}/${lvName} is consistent. Nothing to repair.`);
    return;
  }
  if (failed.images.length > 0)
    context.out.message(`Mirror status: ${failed.images.length} of ${seg.mirrorCount} images failed.`);
  if (failed.log) context.out.message("Mirror log status: 1 of 1 images failed.");
  // Without -y or --use-policies LVM2 asks; with no terminal the answer is "n" (remove).
  if (!hasOption(args, "yes") && !hasOption(args, "use-policies")) {
    if (failed.images.length > 0)
      context.out.print("Attempt to replace failed mirror images (requires full device resync)? [y/n]: [n]");
    if (failed.log) context.out.print("Attempt to replace failed mirror log? [y/n]: [n]");
  }
  const pvs = pvArgs.length > 0 ? pvListArg(context, vg, pvArgs) : undefined;
  const result = asCommandError(() =>
    repairMirror(vg, lvName, {
      ...identity(context),
      failedPvs,
      policies: repairPolicies(args),
      ...(pvs ? { pvs } : {}),
    }),
  );
  // A replaced leg or log means a full resync from the surviving default leg.
  const survivors = seg.mirrorCount - failed.images.length;
  const upConverted = result.images > survivors;
  if (upConverted) {
    const logs = mirrorSegmentOf(findLv(result.vg, lvName)!)?.mirrorLog !== undefined ? 1 : 0;
    context.out.warn(`Trying to up-convert to ${result.images} images, ${logs} logs.`);
  }
  prepareMirrorChange(context, vg, result.vg, lvName, {
    initLog: result.newLog || upConverted,
  });
  const written = write(context, scan, result.vg);
  applyMirrorChange(context, vg, written, lvName);
  const foreground = !hasOption(args, "background") && !hasOption(args, "use-policies");
  if (upConverted && context.driverLoaded !== false && foreground) {
    // An operator's up-convert is polled in the foreground until the new leg is in sync
    // (lvpoll's "Converted" lines), as real LVM2 did. dmeventd's --use-policies repair leaves
    // the resync to the kernel and returns.
    waitForResync(context, written, lvName, intervalSecondsOf(args));
  }
  // No "converted" line: LVM2's _lvconvert_mirrors_repair prints none (only _lvconvert_mirrors
  // does), as a real repair in the QEMU guest showed.
}

/** `-i`/`--interval` seconds between progress lines; LVM2's default is 15. */
function intervalSecondsOf(args: ParsedArgs): number {
  const text = optionValue(args, "interval");
  const seconds = text === undefined ? 15 : Number(text);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new LvmCommandError(`Invalid argument for --interval: ${text}`, 3);
  return seconds;
}

/** Most scheduler events a foreground up-convert may run while it waits for the resync. */
const FOREGROUND_RESYNC_EVENTS_MAX = 10_000_000;

/** Polls `vg/lvName`'s resync every `intervalSeconds` of virtual time until it is in sync. */
function waitForResync(
  context: CommandContext,
  vg: VolumeGroup,
  lvName: string,
  intervalSeconds: number,
): void {
  const scheduler = context.host.scheduler;
  const intervalNs = Math.max(1, intervalSeconds) * 1e9;
  // dm_percent_t of the mirror's regions in sync, as lvpoll reads it from the status line.
  const percent = (): number => {
    const { synced, total } = mirrorSyncRegions(context.host, vg.name, lvName);
    return dmMakePercent(synced, total);
  };
  const done = (): boolean => percent() === DM_PERCENT_100;
  let events = 0;
  for (;;) {
    const nextPollNs = scheduler.nowNs + intervalNs;
    while (!done() && (scheduler.nextEventNs() ?? Number.POSITIVE_INFINITY) <= nextPollNs) {
      if (++events > FOREGROUND_RESYNC_EVENTS_MAX) {
        throw new LvmCommandError(
          `${vg.name}/${lvName}: resync did not finish after ${events} scheduler events`,
        );
      }
      scheduler.step();
    }
    const now = percent();
    if (now !== DM_PERCENT_100 && scheduler.nextEventNs() === undefined) {
      throw new LvmCommandError(`${vg.name}/${lvName}: resync stopped at ${formatDmPercent(now)}%`);
    }
    if (now !== DM_PERCENT_100) scheduler.advanceTo(Math.max(scheduler.nowNs, nextPollNs));
    context.out.message(`${vg.name}/${lvName}: Converted: ${formatDmPercent(now)}%`);
    if (now === DM_PERCENT_100) return;
  }
}

/** Most scheduler events a foreground merge may run while it waits (every run of chunks is one). */
const FOREGROUND_MERGE_EVENTS_MAX = 10_000_000;

/** Runs the scheduler until the merge into `vgName/originName` is done, as lvpoll in the foreground. */
function waitForMerge(context: CommandContext, vgName: string, originName: string, snapName: string): void {
  const scheduler = context.host.scheduler;
  for (let events = 0; mergeRunning(context.host, vgName, originName); events++) {
    if (events >= FOREGROUND_MERGE_EVENTS_MAX || !scheduler.step()) {
      throw new LvmCommandError(
        `Merge of ${vgName}/${snapName} did not finish after ${events} scheduler events; run lvconvert -b and drive the scheduler instead`,
      );
    }
  }
}

function merge(context: CommandContext, lvArg: string, background: boolean): void {
  const { vg: vgName, lv: lvName } = splitLvArg(lvArg);
  const scan = scanWithWarnings(context);
  const vg = requireVg(scan, vgName).vg;
  const lv = requireLv(vg, lvName);
  const kind = lvKinds(vg).get(lvName);
  if (!kind?.cow) {
    throw new LvmCommandError(
      `Command on LV ${vg.name}/${lvName} does not accept LV type ${kind?.mirrored ? "mirror" : "linear"}.`,
    );
  }
  if (kind.mergingCow) throw new LvmCommandError(`Snapshot ${vg.name}/${lvName} is already merging.`);
  const host = context.host;
  if (context.driverLoaded !== false && snapshotInvalid(host, vg, lv)) {
    throw new LvmCommandError(`Unable to merge invalidated snapshot LV ${vg.name}/${lvName}.`);
  }
  const seg = vg.lvs.map((l) => l.segments[0]).find((s) => s?.type === "snapshot" && s.cowStore === lvName);
  if (seg?.type !== "snapshot") throw new LvmCommandError(`Snapshot ${lvName} has no snapshot segment`);
  const origin = requireLv(vg, seg.origin);
  const originLive = isLive(context, origin.id);
  let delay = !originLive;
  if (originLive && isLvOpen(host, origin.id)) {
    context.out.message("Delaying merge since origin is open.");
    delay = true;
  } else if (originLive && isLvOpen(host, lv.id)) {
    context.out.message("Delaying merge since snapshot is open.");
    delay = true;
  }
  const next = asCommandError(() => startSnapshotMerge(vg, lvName));
  const written = write(context, scan, next);
  if (delay) {
    context.out.message(
      `Merging of snapshot ${vg.name}/${lvName} will occur on next activation of ${vg.name}/${origin.name}.`,
    );
    return;
  }
  // The snapshot's own device goes; the origin's table becomes snapshot-merge over the same COW.
  const dm = deviceMapperOf(host);
  dm.remove(dmName(vg.name, lvName));
  dm.dropLv(lv.id);
  reloadWithResync(host, written, origin.name);
  context.out.message(`Merging of volume ${vg.name}/${lvName} started.`);
  startMerge(context, written, origin.name);
  if (!background) waitForMerge(context, vg.name, origin.name, lvName);
}

/** The image count `-m` asks for: `N` means N+1, `+N`/`-N` change the current count. */
function imageCountArg(text: string, current: number): number {
  const n = Number(text.replace(/^[+-]/, ""));
  if (!Number.isInteger(n) || n < 0) throw new LvmCommandError(`Invalid argument for --mirrors: ${text}`, 3);
  return text.startsWith("+") ? current + n : text.startsWith("-") ? current - n : n + 1;
}

/** PV names (`pvN`) of PV arguments (device paths, optionally with `:ranges`). */
function pvNamesArg(vg: VolumeGroup, pvArgs: readonly string[]): string[] | undefined {
  if (pvArgs.length === 0) return undefined;
  return pvArgs.map((arg) => {
    const device = arg.split(":")[0]!;
    const pv = vg.pvs.find((p) => p.deviceHint === device);
    if (pv === undefined)
      throw new LvmCommandError(`Physical Volume "${device}" not found in Volume Group "${vg.name}".`);
    return pv.name;
  });
}

/**
 * The raid1 side of lvconvert (`_convert_raid`, `_convert_striped` with raid1, `_convert_mirror_raid`):
 * `-m`/`--type linear` and `--splitmirrors` on raid1, `--type raid1` on a mirror, and `-m`/`--type
 * raid1` on a linear LV while `global/mirror_segtype_default` is "raid1". Returns false when the
 * conversion is not a raid1 one (the old-style mirror code handles it).
 */
function raid1Conversion(
  context: CommandContext,
  args: ParsedArgs,
  lvArg: string,
  pvArgs: readonly string[],
): boolean {
  const type = optionValue(args, "type");
  const mirrors = optionValue(args, "mirrors");
  const split = optionValue(args, "splitmirrors");
  if (split !== undefined) {
    if (mirrors !== undefined || type === "mirror" || type?.startsWith("raid")) {
      throw new LvmCommandError(
        "--mirrors/--type mirror/--type raid* and --splitmirrors are mutually exclusive.",
        3,
      );
    }
    if (optionValue(args, "name") === undefined) {
      throw new LvmCommandError("Please name the new logical volume using '--name'", 3);
    }
  }
  const { vg: vgName, lv: lvName } = splitLvArg(lvArg);
  // Classify quietly first; only a raid1 conversion reads (and warns) here.
  const quiet = findVg(scanHost(context.host), vgName)?.vg;
  const known = quiet === undefined ? undefined : findLv(quiet, lvName);
  const raidCase =
    known !== undefined &&
    (raid1Of(known) !== undefined ||
      split !== undefined ||
      type === "raid1" ||
      (isLinearLv(known) &&
        type === undefined &&
        mirrors !== undefined &&
        mirrorSegtypeDefault(args) === "raid1"));
  if (!raidCase) return false;
  const scan = scanWithWarnings(context);
  const vg = requireVg(scan, vgName, { allowMissing: true }).vg;
  const lv = requireLv(vg, lvName);
  const pvNames = pvNamesArg(vg, pvArgs);
  const request = { scan, vgName, lvName, ...(pvNames ? { pvNames } : {}) };
  if (raid1Of(lv) !== undefined) {
    const current = raid1Of(lv)!.legs.length;
    if (split !== undefined) {
      const n = Number(split);
      if (!Number.isInteger(n) || n < 0)
        throw new LvmCommandError(`Invalid argument for --splitmirrors: ${split}`, 3);
      splitRaid1Image(context, args, { ...request, split: n, newName: optionValue(args, "name")! });
      return true;
    }
    if (type === "linear" && mirrors !== undefined && imageCountArg(mirrors, current) !== 1) {
      throw new LvmCommandError("Cannot specify mirrors with linear type.");
    }
    if (type !== undefined && type !== "raid1" && type !== "linear") {
      throw new LvmCommandError(
        `Unable to convert ${vg.name}/${lvName} from raid1 to ${type}: lvmlab converts raid1 to linear only`,
        3,
      );
    }
    if (type === "raid1" && mirrors === undefined) {
      throw new LvmCommandError(`Unable to convert LV ${vg.name}/${lvName} from raid1 to raid1.`);
    }
    const images = type === "linear" ? 1 : imageCountArg(mirrors!, current);
    const pvs = pvArgs.length > 0 ? pvListArg(context, vg, pvArgs) : undefined;
    changeRaid1ImageCount(context, args, { ...request, images, ...(pvs ? { pvs } : {}) });
    return true;
  }
  if (split !== undefined) {
    throw new LvmCommandError(`Unable to split ${vg.name}/${lvName}: lvmlab splits raid1 LVs only`);
  }
  if (mirrorSegmentOf(lv) !== undefined && type === "raid1") {
    convertMirrorToRaid1(context, args, request);
    return true;
  }
  const defaultRaid = type === undefined && mirrors !== undefined && mirrorSegtypeDefault(args) === "raid1";
  if (isLinearLv(lv) && (type === "raid1" || defaultRaid)) {
    const images = mirrors === undefined ? 2 : imageCountArg(mirrors, 1);
    if (!raidLvLive(context.host, vg, lvName) || context.driverLoaded === false) {
      throw new LvmCommandError(`${vg.name}/${lvName} must be active to perform this operation.`);
    }
    const pvs = pvArgs.length > 0 ? pvListArg(context, vg, pvArgs) : undefined;
    convertLinearToRaid1(context, args, { scan, vg, lvName, images, ...(pvs ? { pvs } : {}) });
    return true;
  }
  if (type === "raid1") {
    throw new LvmCommandError(
      `Unable to convert ${vg.name}/${lvName} to raid1: lvmlab converts linear and mirror LVs only`,
    );
  }
  return false;
}

/** The lvconvert command. */
export const lvconvertCommand: LvmCommandDef = {
  name: "lvconvert",
  readOnly: false,
  options: [
    { long: "mirrors", short: "m", value: true },
    { long: "type", value: true },
    { long: "mirrorlog", value: true, aliases: ["mirror-log"] },
    { long: "regionsize", short: "R", value: true },
    { long: "repair", value: false },
    { long: "use-policies", value: false, aliases: ["usepolicies"] },
    { long: "merge", value: false },
    { long: "background", short: "b", value: false },
    { long: "interval", short: "i", value: true },
    { long: "alloc", value: true },
    { long: "splitmirrors", value: true },
    { long: "name", short: "n", value: true },
  ],
  run(context, args) {
    const [lvArg, ...pvArgs] = args.positionals;
    if (lvArg === undefined) throw new LvmCommandError("Please provide logical volume path", 3);
    if (hasOption(args, "merge")) {
      for (const arg of args.positionals) merge(context, arg, hasOption(args, "background"));
      return ECMD_PROCESSED;
    }
    if (hasOption(args, "repair")) {
      repair(context, args, lvArg, pvArgs);
      return ECMD_PROCESSED;
    }
    if (raid1Conversion(context, args, lvArg, pvArgs)) return ECMD_PROCESSED;
    const type = optionValue(args, "type");
    if (type !== undefined && type !== "mirror" && type !== "linear") {
      throw new LvmCommandError(`lvmlab lvconvert supports --type mirror and linear, not ${type}`, 3);
    }
    if (!hasOption(args, "mirrors") && !hasOption(args, "mirrorlog") && type === undefined) {
      throw new LvmCommandError(
        "Please specify a conversion: -m N, --mirrorlog core|disk, --repair or --merge",
        3,
      );
    }
    convertMirrors(context, args, lvArg, pvArgs);
    return ECMD_PROCESSED;
  },
};
