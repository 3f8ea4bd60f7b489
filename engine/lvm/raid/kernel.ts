/**
 * The kernel side of raid1 LVs: building the dm `raid` target from metadata (`_raid_add_target_line`:
 * every rmeta/rimage pair as a device, `rebuild i` for images flagged REBUILD, `nosync` for a
 * NOTSYNCED LV), finding the live target of an LV, and driving its background sync.
 */

import { MultiSegmentDevice } from "../../dm/multi-segment.js";
import { Raid1Target } from "../../dm/raid/raid1.js";
import { type RaidSyncHandle, startRaidSync } from "../../dm/raid/sync-driver.js";
import type { MappedDevice } from "../../dm/target.js";
import { findLv, type LogicalVolume, type OtherSegment, type VolumeGroup } from "../../metadata/model.js";
import { raid1View } from "../../metadata/raid.js";
import { DmDevice } from "../activation/dm-device.js";
import { dmName } from "../activation/dm-name.js";
import { deviceMapperOf } from "../activation/registry.js";
import type { Host } from "../host.js";

/** What building a raid1 target needs from activation: sub-LV devices by LV name. */
export interface RaidTableContext {
  readonly host: Host;
  readonly vg: VolumeGroup;
  readonly subDevice: (lvName: string) => MappedDevice;
  readonly syncSpeedBytesPerSecond?: number;
  /** `nosync` on this load whatever the LV's flags (`init_mirror_in_sync(1)`). */
  readonly inSync?: boolean;
}

/** Builds the raid1 target of segment `seg` of `lv`. */
export function buildRaid1Target(
  context: RaidTableContext,
  options: {
    readonly name: string;
    readonly lv: LogicalVolume;
    readonly seg: OtherSegment;
    readonly lengthSectors: number;
  },
): Raid1Target {
  const view = raid1View(options.seg);
  if (view === undefined) throw new Error(`Segment of ${options.lv.name} is not raid1`);
  const { host, vg } = context;
  const rebuild: number[] = [];
  const legs = view.legs.map((leg, i) => {
    const image = findLv(vg, leg.image);
    if (image?.status.includes("REBUILD")) rebuild.push(i);
    return {
      meta: context.subDevice(leg.meta),
      data: { device: context.subDevice(leg.image), offsetSectors: 0 },
    };
  });
  return new Raid1Target(options.name, {
    lengthSectors: options.lengthSectors,
    regionSizeSectors: view.regionSizeSectors || 4096,
    legs,
    nosync: options.lv.status.includes("NOTSYNCED") || context.inSync === true,
    rebuild,
    scheduler: host.scheduler,
    trace: host.trace,
    mutations: host.mutations,
    activateNs: host.scheduler.nowNs,
    syncGate: { gate: host.syncGate, name: `${vg.name}/${options.lv.name}` },
    ...(context.syncSpeedBytesPerSecond === undefined
      ? {}
      : { syncSpeedBytesPerSecond: context.syncSpeedBytesPerSecond }),
  });
}

/** The live raid1 target of LV `lvName`, if it has one. */
export function liveRaidOf(host: Host, vgName: string, lvName: string): Raid1Target | undefined {
  const dm = deviceMapperOf(host);
  for (const name of [dmName(vgName, lvName), dmName(vgName, lvName, "real")]) {
    const device = dm.device(name);
    const table = device instanceof DmDevice ? device.live : device;
    if (table instanceof MultiSegmentDevice) {
      const hit = table.targets.find((t): t is Raid1Target => t instanceof Raid1Target);
      if (hit !== undefined) return hit;
    }
  }
  return undefined;
}

const drivers = new WeakMap<Host, Map<string, RaidSyncHandle>>();

function driversOf(host: Host): Map<string, RaidSyncHandle> {
  let map = drivers.get(host);
  if (map === undefined) {
    map = new Map();
    drivers.set(host, map);
  }
  return map;
}

/** Starts the background sync of LV `lvName`'s live raid1 target, replacing an older driver. */
export function startRaidLvSync(host: Host, vg: VolumeGroup, lvName: string): void {
  const lv = findLv(vg, lvName);
  const raid = liveRaidOf(host, vg.name, lvName);
  if (lv === undefined || raid === undefined) return;
  driversOf(host).get(lv.id)?.stop();
  driversOf(host).set(lv.id, startRaidSync(raid, host.scheduler));
}

/**
 * Stops LV `lvName`'s raid1 target as deactivation does: sync stopped, and the bitmap daemon run to
 * the end so a clean stop leaves no dirty bits (`__md_stop_writes` → `md_bitmap_flush`).
 */
export function stopRaidLv(host: Host, vg: VolumeGroup, lvName: string, options: { clean: boolean }): void {
  const lv = findLv(vg, lvName);
  if (lv !== undefined) {
    driversOf(host).get(lv.id)?.stop();
    driversOf(host).delete(lv.id);
  }
  const raid = liveRaidOf(host, vg.name, lvName);
  if (raid === undefined) return;
  if (options.clean) raid.flushBitmap(host.scheduler.nowNs);
  raid.stop();
}
