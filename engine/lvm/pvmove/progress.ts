/**
 * pvmove progress as LVM2 computes and prints it: `copy_percent()` (`lib/metadata/lv.c`) sums
 * `extents_copied` over the pvmove LV's segments, where the RUNNING segment's count comes from the
 * kernel's mirror status (`_mirrored_target_percent`: area_len × in-sync / total regions, rounded
 * down) and every other segment's from its committed `extents_moved`. Percentages are
 * `dm_percent_t` values printed by `display_percent` with two decimals.
 */
import type { MirrorTarget } from "../../dm/mirror/mirror.js";
import type { LogicalVolume } from "../../metadata/model.js";

/** `DM_PERCENT_100`: dm_percent_t counts millionths of a percent. */
export const DM_PERCENT_100 = 100_000_000;

/** Progress of one pvmove LV: extents copied over extents to move, and the running segment's own percent. */
export interface PvmoveProgress {
  readonly copiedExtents: number;
  readonly totalExtents: number;
  /** `dm_percent_t` of the whole move (what `-i` prints and `copy_percent` reports). */
  readonly overallPercent: number;
  /** `dm_percent_t` of the RUNNING segment's mirror; 100 % when the table has no mirror. */
  readonly segmentPercent: number;
  /** Index of the first segment not yet recorded as moved, or -1 when all are. */
  readonly runningSegment: number;
}

/** `dm_make_percent`: a ratio as dm_percent_t, never showing 0 or 100 % for a partial ratio. */
export function dmMakePercent(numerator: number, denominator: number): number {
  if (denominator === 0 || numerator === denominator) return DM_PERCENT_100;
  if (numerator === 0) return 0;
  const percent = Math.floor((DM_PERCENT_100 * numerator) / denominator);
  if (percent >= DM_PERCENT_100) return DM_PERCENT_100 - 1;
  if (percent <= 0) return 1;
  return percent;
}

/** `display_percent`: two decimals, where a partial ratio never rounds to 0.00 or 100.00. */
export function formatDmPercent(percent: number): string {
  const step = DM_PERCENT_100 / 10_000;
  if (percent > 0 && percent < step) return "0.01";
  if (percent > DM_PERCENT_100 - step && percent < DM_PERCENT_100) return "99.99";
  return (percent / 1_000_000).toFixed(2);
}

/**
 * Progress of `pvmove` (a pvmove LV as committed) given the mirror of its live table; pass no
 * mirror when the LV is not active, which counts only committed checkpoints.
 */
export function pvmoveProgressOf(
  pvmove: LogicalVolume,
  running?: MirrorTarget,
  options: {
    /** Regions added to the kernel's in-sync count (only the one-region-ahead mutation sets it). */
    readonly regionsAhead?: number;
  } = {},
): PvmoveProgress {
  let copied = 0;
  let total = 0;
  let runningSegment = -1;
  let segmentPercent = DM_PERCENT_100;
  pvmove.segments.forEach((seg, index) => {
    total += seg.extentCount;
    if (seg.type !== "mirror" || seg.areas.length < 2) {
      copied += seg.extentCount;
      return;
    }
    const moved = Math.min(seg.extentsMoved ?? 0, seg.extentCount);
    if (moved >= seg.extentCount || runningSegment >= 0) {
      copied += moved;
      return;
    }
    runningSegment = index;
    if (running === undefined) {
      copied += moved;
      segmentPercent = 0;
      return;
    }
    const insync = running.log.syncCount + (options.regionsAhead ?? 0);
    const regions = running.regionCount;
    copied += Math.floor((seg.extentCount * insync) / regions);
    segmentPercent = dmMakePercent(insync, regions);
  });
  return {
    copiedExtents: copied,
    totalExtents: total,
    overallPercent: dmMakePercent(copied, total),
    segmentPercent,
    runningSegment,
  };
}

/** A progress sample for reports: the move's `copy_percent` at a virtual time. */
export interface PvmoveProgressSample {
  readonly kind: "pvmove";
  readonly tNs: number;
  readonly vg: string;
  readonly lv: string;
  readonly source: string;
  /** Percent, 0–100, as `copy_percent` reports it. */
  readonly percent: number;
}
