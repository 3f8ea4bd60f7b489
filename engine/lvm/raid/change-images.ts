/**
 * `lvconvert -m N VG/LV [PV…]` and `lvconvert --splitmirrors 1 --name NEW VG/LV [PV…]` on a raid1 LV
 * (`lv_raid_change_image_count`, `lv_raid_split`), with LVM2 2.03.16's prompts, refusals and
 * messages. Adding legs allocates REBUILD pairs and loads the table with `rebuild i`, so the kernel
 * recovers only the new legs ("AAa", recover) while the LV stays usable; REBUILD is then cleared and
 * committed. Removing legs drops the highest-indexed ones on the given PVs and renames the rest;
 * `-m0` leaves a linear LV. A split keeps the removed image as a new active linear LV.
 */
import { findLv, type VolumeGroup } from "../../metadata/model.js";
import { nameProblem, reservedLvNameProblem } from "../../metadata/names.js";
import type { PvSelection } from "../../metadata/pv-list.js";
import { RAID1_MAX_IMAGES } from "../../metadata/raid.js";
import {
  addRaid1Images,
  clearRaid1Rebuild,
  extractRaid1Legs,
  raid1LegPvs,
  raid1LegsToExtract,
} from "../../metadata/raid-images.js";
import type { MutationInfo } from "../../sim/mutations.js";
import { activateLv } from "../activation/activate.js";
import { hasOption, type ParsedArgs } from "../args.js";
import { asCommandError, type CommandContext, LvmCommandError } from "../command.js";
import { newUuid } from "../ids.js";
import { type HostScan, requireVg } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { liveRaidOf } from "./kernel.js";
import { raidLvLive, reloadRaidLv } from "./reload.js";
import { raid1Of } from "./roles.js";
import { wipeRaidMetas } from "./wipe.js";

/** What a raid1 leg change needs from the command line. */
export interface Raid1ChangeRequest {
  readonly scan: HostScan;
  readonly vgName: string;
  readonly lvName: string;
  /** PV names (`pvN`) given as arguments; undefined when none. */
  readonly pvNames?: readonly string[];
  /** The same PVs as an allocation list (free ones only), for adding legs. */
  readonly pvs?: readonly PvSelection[];
}

function identity(context: CommandContext) {
  return {
    makeId: () => newUuid(context.host),
    creationTime: context.host.nowSeconds(),
    creationHost: context.host.hostname,
  };
}

/** `_raid_in_sync`: the live set reports 100% (false when there is no live table). */
function raidInSync(context: CommandContext, vg: VolumeGroup, lvName: string): boolean {
  if (context.driverLoaded === false) return false;
  return liveRaidOf(context.host, vg.name, lvName)?.inSync ?? false;
}

function requireActive(context: CommandContext, vg: VolumeGroup, lvName: string): void {
  if (context.driverLoaded === false || !raidLvLive(context.host, vg, lvName)) {
    throw new LvmCommandError(`${vg.name}/${lvName} must be active to perform this operation.`);
  }
}

/** Sub-LVs with a component on a missing PV (`_lv_get_nr_failed_components`). */
function failedComponents(vg: VolumeGroup, missing: ReadonlySet<string>, lvName: string): number {
  const view = raid1Of(findLv(vg, lvName));
  return (view?.legs ?? []).filter((leg) => raid1LegPvs(vg, leg).some((pv) => missing.has(pv))).length;
}

/** Mutation: `lvconvert -m` removes legs whatever the sync state, even every in-sync source. */
const RAID1_EXTRACT_IGNORES_SYNC = "raid1-extract-ignores-sync-state";

/** The raid1 conversion mutations, for the mutant catalogue. */
export const RAID1_CONVERT_MUTATIONS: readonly MutationInfo[] = [
  {
    name: RAID1_EXTRACT_IGNORES_SYNC,
    description:
      "lvconvert -m removes raid1 legs without _raid_allow_extraction's check, so a down-convert during recovery can keep only the half-copied new leg",
  },
];

/**
 * `_raid_allow_extraction`: in sync, anything goes; during a resync the primary (leg 0) may not
 * go; during recovery at least one in-sync (`A`) leg must stay.
 */
function allowExtraction(
  context: CommandContext,
  vg: VolumeGroup,
  lvName: string,
  indices: readonly number[],
): void {
  if (context.host.mutations.has(RAID1_EXTRACT_IGNORES_SYNC)) return;
  if (raidInSync(context, vg, lvName)) return;
  const raid = liveRaidOf(context.host, vg.name, lvName);
  if (raid === undefined) return;
  const action = raid.syncAction;
  if (action === "resync") {
    if (indices.includes(0))
      throw new LvmCommandError("Unable to remove primary RAID image while array resyncing.");
    return;
  }
  if (action !== "recover" && action !== "idle") {
    throw new LvmCommandError(`Unable to remove RAID image while array is performing "${action}"`);
  }
  const health = raid.legHealth();
  let redundancy = [...health].filter((c) => c === "A").length;
  for (const s of [...indices].sort((a, b) => a - b)) {
    if (health[s] === "A" && --redundancy === 0) {
      throw new LvmCommandError("Unable to remove all primary source devices");
    }
  }
}

/** `lvconvert -m N` on raid1 `lvName`: `images` legs in all (1 = linear). */
export function changeRaid1ImageCount(
  context: CommandContext,
  args: ParsedArgs,
  request: Raid1ChangeRequest & { readonly images: number },
): void {
  const { scan, lvName, images } = request;
  const handle = requireVg(scan, request.vgName, { allowMissing: true });
  const vg = handle.vg;
  const display = `${vg.name}/${lvName}`;
  const view = raid1Of(findLv(vg, lvName));
  if (view === undefined) throw new LvmCommandError(`${display} is not a raid1 LV`);
  if (images < 1) throw new LvmCommandError("Unable to reduce images by specified amount.");
  if (images > RAID1_MAX_IMAGES) {
    throw new LvmCommandError(
      `Only up to ${RAID1_MAX_IMAGES} mirrors in raid1 LV ${display} supported currently.`,
    );
  }
  requireActive(context, vg, lvName);
  const old = view.legs.length;
  const yes = hasOption(args, "yes");
  if (images !== 1 && !yes) {
    const resilience = images < old ? "reducing" : "enhancing";
    context.out.print(
      `Are you sure you want to convert raid1 LV ${display} to ${images} images ${resilience} resilience? [y/n]: [n]`,
    );
    throw new LvmCommandError(`Logical volume ${display} NOT converted.`);
  }
  if (failedComponents(vg, new Set(handle.missing), lvName) > 0 && images >= old) {
    context.out.error(`Can't change number of mirrors of degraded ${display}.`);
    context.out.error(`Please run "lvconvert --repair ${display}" first.`);
    // LVM2 2.03.16 only fails here when the count is unchanged; an up-convert goes on.
    if (images === old) throw new LvmCommandError(`Logical volume ${display} NOT converted.`);
  }
  if (images === old) {
    context.out.warn(`${display} already has image count of ${images}.`);
    context.out.message(`Logical volume ${display} successfully converted.`);
    return;
  }
  if (images > old) addImages(context, { ...request, vg, images });
  else removeImages(context, { ...request, vg, images, yes });
  context.out.message(`Logical volume ${display} successfully converted.`);
}

function addImages(
  context: CommandContext,
  request: Raid1ChangeRequest & { readonly vg: VolumeGroup; readonly images: number },
): void {
  const { vg, lvName } = request;
  const lv = findLv(vg, request.lvName)!;
  if (lv.status.includes("NOTSYNCED")) {
    throw new LvmCommandError("Can't add image to out-of-sync RAID LV: use 'lvchange --resync' first.");
  }
  if (!raidInSync(context, vg, lvName)) {
    throw new LvmCommandError("Can't add image to RAID LV that is still initializing.");
  }
  const next = asCommandError(() =>
    addRaid1Images(vg, lvName, {
      images: request.images,
      identity: identity(context),
      ...(request.pvs ? { pvs: request.pvs } : {}),
      mutations: context.host.mutations,
    }),
  );
  // _clear_lvs: the new rmetas are blank before the metadata that names them is committed.
  wipeRaidMetas(context.host, next, lvName, { only: newMetas(vg, next, lvName) });
  const written = writeVg(context, request.scan, next);
  reloadRaidLv(context.host, { before: vg, after: written }, lvName);
  // The REBUILD flags reached the kernel: clear and commit them (no second reload in LVM2).
  writeVg(context, request.scan, clearRaid1Rebuild(written, lvName));
}

function newMetas(before: VolumeGroup, after: VolumeGroup, lvName: string): string[] {
  const old = new Set((raid1Of(findLv(before, lvName))?.legs ?? []).map((l) => l.meta));
  return (raid1Of(findLv(after, lvName))?.legs ?? []).map((l) => l.meta).filter((m) => !old.has(m));
}

function removeImages(
  context: CommandContext,
  request: Raid1ChangeRequest & { readonly vg: VolumeGroup; readonly images: number; readonly yes: boolean },
): void {
  const { vg, lvName, images } = request;
  const display = `${vg.name}/${lvName}`;
  const old = raid1Of(findLv(vg, lvName))!.legs.length;
  const count = old - images;
  const indices = asCommandError(() =>
    raid1LegsToExtract(vg, lvName, { count, ...(request.pvNames ? { pvs: request.pvNames } : {}) }),
  );
  allowExtraction(context, vg, lvName, indices);
  if (request.pvNames !== undefined && request.pvNames.length < count) {
    const n = request.pvNames.length;
    throw new LvmCommandError(
      `Unable to remove ${count} images:  Only ${n} device${n === 1 ? "" : "s"} given.`,
    );
  }
  if (images === 1 && !request.yes) {
    context.out.print(
      `Are you sure you want to convert raid1 LV ${display} to type linear losing all resilience? [y/n]: [n]`,
    );
    throw new LvmCommandError(`Logical volume ${display} NOT converted to "linear".`);
  }
  const extraction = asCommandError(() => extractRaid1Legs(vg, lvName, { indices }));
  const written = writeVg(context, request.scan, extraction.vg);
  reloadRaidLv(context.host, { before: vg, after: written }, lvName);
}

/** `lvconvert --splitmirrors N --name NEW VG/LV [PV…]` on a raid1 LV (`lv_raid_split`). */
export function splitRaid1Image(
  context: CommandContext,
  args: ParsedArgs,
  request: Raid1ChangeRequest & { readonly split: number; readonly newName: string },
): void {
  const { scan, lvName, newName } = request;
  const vg = requireVg(scan, request.vgName).vg;
  const display = `${vg.name}/${lvName}`;
  const view = raid1Of(findLv(vg, lvName));
  if (view === undefined) throw new LvmCommandError(`${display} is not a raid1 LV`);
  const images = view.legs.length - request.split;
  if (images < 1) throw new LvmCommandError("Unable to split images by specified amount.");
  const problem = nameProblem(newName) ?? reservedLvNameProblem(newName);
  if (problem !== undefined) throw new LvmCommandError(`Logical volume name "${newName}" is invalid.`, 3);
  if (request.split !== 1) throw new LvmCommandError(`Unable to split more than one image from ${display}.`);
  if (findLv(vg, newName) !== undefined) {
    throw new LvmCommandError(`Logical Volume "${newName}" already exists in ${vg.name}.`);
  }
  if (!raidInSync(context, vg, lvName)) {
    if (context.driverLoaded === false || !raidLvLive(context.host, vg, lvName))
      context.out.error(`Unable to determine sync status of ${display}.`);
    throw new LvmCommandError(`Unable to split ${display} while it is not in-sync.`);
  }
  if (images === 1 && !hasOption(args, "yes")) {
    context.out.print(`Are you sure you want to split raid1 LV ${display} losing all resilience? [y/n]: [n]`);
    throw new LvmCommandError(`Logical volume ${display} NOT split.`);
  }
  const [index] = asCommandError(() =>
    raid1LegsToExtract(vg, lvName, { count: 1, ...(request.pvNames ? { pvs: request.pvNames } : {}) }),
  );
  const extraction = asCommandError(() =>
    extractRaid1Legs(vg, lvName, { indices: [index!], keep: { index: index!, name: newName } }),
  );
  const written = writeVg(context, scan, extraction.vg);
  reloadRaidLv(context.host, { before: vg, after: written }, lvName);
  // The split image comes up as its own linear device (activate_lv of the new LV).
  activateLv(context.host, written, newName, { startResync: false });
}
