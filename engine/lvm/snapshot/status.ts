/** Runtime report values of snapshots, read from their live dm tables. */
import { SnapshotMergeTarget } from "../../dm/snapshot/merge.js";
import { SnapshotTarget } from "../../dm/snapshot/snapshot.js";
import type { LogicalVolume, VolumeGroup } from "../../metadata/model.js";
import { deviceMapperOf } from "../activation/activate.js";
import { DmDevice } from "../activation/dm-device.js";
import { dmName } from "../activation/dm-name.js";
import type { Host } from "../host.js";

/** The live snapshot target of snapshot (COW) LV `lv`, if its table is loaded. */
function liveSnapshot(host: Host, vg: VolumeGroup, lv: LogicalVolume): SnapshotTarget | undefined {
  const device = deviceMapperOf(host).device(dmName(vg.name, lv.name));
  const table = device instanceof DmDevice ? device.live : device;
  return table instanceof SnapshotTarget && !(table instanceof SnapshotMergeTarget) ? table : undefined;
}

/**
 * `snap_percent` (Data%) of an active snapshot, undefined when inactive or not a snapshot. An
 * invalid (overflowed) snapshot reports 100.00, as LVM2's `lv_snapshot_percent` makes it.
 */
export function snapshotPercent(host: Host, vg: VolumeGroup, lv: LogicalVolume): number | undefined {
  const snapshot = liveSnapshot(host, vg, lv);
  if (snapshot === undefined) return undefined;
  return snapshot.valid ? snapshot.snapPercent : 100;
}

/** True when the snapshot's live table reports it invalid (lv_attr 5th char `I`). */
export function snapshotInvalid(host: Host, vg: VolumeGroup, lv: LogicalVolume): boolean {
  const snapshot = liveSnapshot(host, vg, lv);
  return snapshot !== undefined && !snapshot.valid;
}
