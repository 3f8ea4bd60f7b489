/**
 * Which part of a raid1 LV an LV is (`lv_is_raid`, `lv_is_raid_image`, `lv_is_raid_metadata`),
 * computed from the model: the top LV has a raid1 segment, its sub-LVs are named in that
 * segment's `raids` list. Used by reports, activation and the raid commands.
 */
import { findLv, type LogicalVolume, type VolumeGroup } from "../../metadata/model.js";
import { isRaid1Segment, type Raid1View, raid1View } from "../../metadata/raid.js";

/** An LV's place in a raid1 set. */
export type RaidRole =
  | { readonly kind: "raid"; readonly view: Raid1View }
  | { readonly kind: "image" | "meta"; readonly parent: string; readonly index: number };

/** The raid1 segment view of `lv`, if it is a raid1 LV. */
export function raid1Of(lv: LogicalVolume | undefined): Raid1View | undefined {
  return lv?.segments.length === 1 && isRaid1Segment(lv.segments[0]) ? raid1View(lv.segments[0]) : undefined;
}

/** The raid role of `lvName` in `vg`, or undefined when it has nothing to do with raid1. */
export function raidRole(vg: VolumeGroup, lvName: string): RaidRole | undefined {
  const own = raid1Of(findLv(vg, lvName));
  if (own !== undefined) return { kind: "raid", view: own };
  for (const lv of vg.lvs) {
    if (!lv.segments.some((s) => isRaid1Segment(s))) continue;
    const view = raid1Of(lv);
    if (view === undefined) continue;
    const index = view.legs.findIndex((leg) => leg.image === lvName || leg.meta === lvName);
    if (index >= 0) {
      return { kind: view.legs[index]!.image === lvName ? "image" : "meta", parent: lv.name, index };
    }
  }
  return undefined;
}
