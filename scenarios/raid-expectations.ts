/**
 * raid1 checks after recovery: legs identical (after a repair or a refresh and its recovery), or
 * legs different only in regions whose write-intent bit is set — md's promise after a crash, since
 * kernel 6.1 does not resync a synced set's dirty regions and the bitmap is the only record of
 * where the legs may disagree. Each violation names the LV and the first region that breaks it.
 */
import type { BlockDevice } from "../engine/block/device.js";
import type { Host } from "../engine/lvm/host.js";
import { liveRaidOf } from "../engine/lvm/raid/kernel.js";

function differingRegions(legs: readonly BlockDevice[], regionBytes: number, sizeBytes: number): number[] {
  const out: number[] = [];
  const a = new Uint8Array(regionBytes);
  const b = new Uint8Array(regionBytes);
  for (let at = 0, r = 0; at < sizeBytes; at += regionBytes, r++) {
    const len = Math.min(regionBytes, sizeBytes - at);
    legs[0]!.read(at, a.subarray(0, len));
    for (const leg of legs.slice(1)) {
      leg.read(at, b.subarray(0, len));
      let same = true;
      for (let i = 0; i < len; i++) {
        if (a[i] !== b[i]) {
          same = false;
          break;
        }
      }
      if (!same) {
        out.push(r);
        break;
      }
    }
  }
  return out;
}

/** Violations of `raidLegsIdentical` and `raidDivergenceOnlyInDirtyRegions` for one LV path. */
export function checkRaidLegs(host: Host, path: string, mode: "identical" | "dirty-only"): string[] {
  const [vgName, lvName] = path.split("/") as [string, string];
  const raid = liveRaidOf(host, vgName, lvName);
  if (raid === undefined) return [`raid1 ${path} is not active after recovery`];
  const legs = raid.legs
    .filter((l, i) => l !== undefined && !raid.failedLegs().includes(i))
    .map((l) => l!.device);
  if (legs.length < 2) return [`raid1 ${path} has fewer than 2 working legs after recovery`];
  const differing = differingRegions(legs, raid.regionSizeSectors * 512, raid.sizeBytes);
  if (mode === "identical") {
    return differing.length === 0
      ? []
      : [`raid1 ${path}: legs differ in ${differing.length} region(s), first region ${differing[0]}`];
  }
  const dirty = new Set(raid.dirtyRegions());
  const outside = differing.filter((r) => !dirty.has(r));
  return outside.length === 0
    ? []
    : [
        `raid1 ${path}: legs differ in ${outside.length} region(s) whose bitmap bit is clear (first region ${outside[0]}); the write-intent bitmap lost track of in-flight writes`,
      ];
}

/** Violations of `raidMismatches`: the kernel's mismatch_cnt after recovery must be 0 ("none") or not ("some"). */
export function checkRaidMismatches(host: Host, path: string, want: "none" | "some"): string[] {
  const [vgName, lvName] = path.split("/") as [string, string];
  const raid = liveRaidOf(host, vgName, lvName);
  if (raid === undefined) return [`raid1 ${path} is not active after recovery`];
  const count = raid.mismatchCount;
  if (want === "some" && count === 0) {
    return [
      `raid1 ${path}: raid_mismatch_count is 0 after recovery; expected the check to find the legs different`,
    ];
  }
  if (want === "none" && count !== 0)
    return [`raid1 ${path}: raid_mismatch_count is ${count} after recovery; expected 0`];
  return [];
}
