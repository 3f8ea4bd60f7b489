/**
 * raid1 segments (`lib/raid/raid.c`). The model keeps raid segments verbatim as {@link OtherSegment}s
 * (so a round trip loses nothing, whatever LVM2 wrote); this module reads the raid1 fields out of
 * one (`_raid_text_import`) and builds one exactly as `_raid_text_export_raid` + `out_areas` print
 * it: `device_count`, `region_size`, the optional rates, a blank line, then one
 * `"lv_rmeta_i", "lv_rimage_i"` pair per line under `raids`.
 */

import { type ConfigNode, cfg } from "../format/config-tree.js";
import type { OtherSegment, Segment } from "./model.js";

/** One leg of a raid1 LV: its metadata sub-LV (`_rmeta_N`) and its data sub-LV (`_rimage_N`). */
export interface Raid1Leg {
  readonly meta: string;
  readonly image: string;
}

/** The raid1 fields of a segment. */
export interface Raid1View {
  readonly deviceCount: number;
  readonly regionSizeSectors: number;
  readonly legs: readonly Raid1Leg[];
  readonly writebehind?: number;
  /** KiB/s, as `--minrecoveryrate` stores it. */
  readonly minRecoveryRate?: number;
  readonly maxRecoveryRate?: number;
}

/** Most images a raid1 LV may have (`DEFAULT_RAID1_MAX_IMAGES`). */
export const RAID1_MAX_IMAGES = 64;
/** Default `activation/raid_region_size`: 2 MiB in sectors (`DEFAULT_RAID_REGION_SIZE`). */
export const DEFAULT_RAID_REGION_SIZE_SECTORS = 4096;
/** Most regions a raid set may have before the region size is doubled (`raid_ensure_min_region_size`). */
const RAID_REGIONS_MAX = 2 ** 21;

/** Why a raid1 segment cannot be read, naming the field. */
class RaidSegmentError extends Error {
  override readonly name = "RaidSegmentError";
}

function intItem(items: readonly ConfigNode[], key: string): number | undefined {
  const node = items.find((n) => n.key === key);
  if (node === undefined) return undefined;
  if (node.kind !== "assign" || node.value.kind !== "int" || node.value.value < 0) {
    throw new RaidSegmentError(`raid1 segment field ${key} must be a non-negative integer`);
  }
  return node.value.value;
}

/** True for a raid1 segment. */
export function isRaid1Segment(seg: Segment | undefined): seg is OtherSegment {
  return seg?.type === "other" && seg.segType === "raid1";
}

/**
 * The raid1 fields of `seg`, or undefined when it is not raid1. Throws {@link RaidSegmentError}
 * when the fields are inconsistent (as `_raid_text_import` refuses them).
 */
export function raid1View(seg: Segment | undefined): Raid1View | undefined {
  if (!isRaid1Segment(seg)) return undefined;
  const deviceCount = intItem(seg.items, "device_count");
  if (deviceCount === undefined || deviceCount < 1 || deviceCount > RAID1_MAX_IMAGES) {
    throw new RaidSegmentError(`raid1 segment needs device_count in 1..${RAID1_MAX_IMAGES}`);
  }
  const regionSizeSectors = intItem(seg.items, "region_size") ?? 0;
  const raids = seg.items.find((n) => n.key === "raids");
  if (raids?.kind !== "assign" || raids.value.kind !== "array") {
    throw new RaidSegmentError("raid1 segment needs a raids = [ … ] array");
  }
  const names = raids.value.items.map((item) => {
    if (item.kind !== "string") throw new RaidSegmentError("raid1 raids entries must be LV names");
    return item.value;
  });
  if (names.length !== deviceCount * 2) {
    throw new RaidSegmentError(
      `raid1 raids lists ${names.length} name(s); device_count ${deviceCount} needs ${deviceCount * 2}`,
    );
  }
  const legs: Raid1Leg[] = [];
  for (let i = 0; i < names.length; i += 2) legs.push({ meta: names[i]!, image: names[i + 1]! });
  const writebehind = intItem(seg.items, "writebehind");
  const minRecoveryRate = intItem(seg.items, "min_recovery_rate");
  const maxRecoveryRate = intItem(seg.items, "max_recovery_rate");
  return {
    deviceCount,
    regionSizeSectors,
    legs,
    ...(writebehind ? { writebehind } : {}),
    ...(minRecoveryRate ? { minRecoveryRate } : {}),
    ...(maxRecoveryRate ? { maxRecoveryRate } : {}),
  };
}

/** Builds a raid1 segment as LVM2 writes it. */
export function raid1Segment(options: {
  readonly extentCount: number;
  readonly regionSizeSectors: number;
  readonly legs: readonly Raid1Leg[];
  readonly minRecoveryRate?: number;
  readonly maxRecoveryRate?: number;
  readonly startExtent?: number;
}): OtherSegment {
  const items: ConfigNode[] = [
    cfg.set("device_count", options.legs.length),
    cfg.set("region_size", options.regionSizeSectors),
  ];
  if (options.minRecoveryRate) items.push(cfg.set("min_recovery_rate", options.minRecoveryRate));
  if (options.maxRecoveryRate) items.push(cfg.set("max_recovery_rate", options.maxRecoveryRate));
  items.push({
    ...cfg.set("raids", cfg.arr(...options.legs.flatMap((leg) => [leg.meta, leg.image]))),
    blankLineBefore: true,
  });
  return {
    startExtent: options.startExtent ?? 0,
    extentCount: options.extentCount,
    typeFlags: [],
    tags: [],
    type: "other",
    segType: "raid1",
    items,
  };
}

/** A copy of a raid1 segment with new legs (device_count follows). */
export function withRaid1Legs(seg: OtherSegment, legs: readonly Raid1Leg[]): OtherSegment {
  const view = raid1View(seg);
  if (view === undefined) throw new RaidSegmentError("withRaid1Legs needs a raid1 segment");
  return {
    ...raid1Segment({
      extentCount: seg.extentCount,
      startExtent: seg.startExtent,
      regionSizeSectors: view.regionSizeSectors,
      legs,
      ...(view.minRecoveryRate ? { minRecoveryRate: view.minRecoveryRate } : {}),
      ...(view.maxRecoveryRate ? { maxRecoveryRate: view.maxRecoveryRate } : {}),
    }),
    tags: seg.tags,
    typeFlags: seg.typeFlags,
  };
}

/**
 * `_raid_rmeta_extents`: extents of one rmeta LV — the 4 KiB superblock area, 4 KiB bitmap header
 * area and one bit per region, rounded up to sectors and then to extents.
 */
export function raidRmetaExtents(options: {
  readonly extentSizeSectors: number;
  readonly imageExtents: number;
  readonly regionSizeSectors: number;
}): number {
  const { extentSizeSectors, imageExtents, regionSizeSectors } = options;
  const regions = Math.floor((imageExtents * extentSizeSectors) / Math.max(regionSizeSectors, 1));
  const bytes = 8192 + Math.ceil(regions / 8);
  const sectors = Math.ceil(bytes / 512);
  return Math.max(1, Math.ceil(sectors / extentSizeSectors));
}

/**
 * The region size LVM2 settles on for a new raid1 LV of `lvSectors` (`lvcreate`): the requested
 * (or default) size, reduced to a power of 2 no larger than the LV, then doubled until the LV has at
 * most {@link RAID_REGIONS_MAX} regions. `reduced` says whether it had to shrink ("Using reduced
 * mirror region size of …").
 */
export function raidRegionSize(
  requestedSectors: number,
  lvSectors: number,
): { regionSizeSectors: number; reduced: boolean } {
  let region = requestedSectors;
  let reduced = false;
  if (region > lvSectors) {
    region = 2 ** Math.floor(Math.log2(Math.max(lvSectors, 1)));
    reduced = true;
  }
  while (lvSectors / region > RAID_REGIONS_MAX) region *= 2;
  return { regionSizeSectors: region, reduced };
}
