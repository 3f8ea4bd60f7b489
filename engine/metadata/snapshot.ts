/**
 * Old-style (CoW) snapshot metadata as `lvcreate -s` and `lvconvert --merge` write it
 * (`tools/lvcreate.c`, `lib/metadata/snapshot_manip.c` `vg_add_snapshot`, `init_snapshot_seg`): the
 * COW store is an ordinary linear LV that loses VISIBLE, and a new `snapshotN` LV (READ, WRITE,
 * VISIBLE, but never listed) carries one `snapshot` segment as long as the origin, naming origin,
 * COW and chunk size. Merging swaps `cow_store` for `merging_store`.
 */

import { AllocationError } from "./alloc.js";
import { lvSizeExtents } from "./extent-map.js";
import { createLv, type LvIdentity } from "./lv-alloc.js";
import { lvKinds } from "./lv-kind.js";
import {
  type AllocPolicy,
  findLv,
  type LogicalVolume,
  putLv,
  type SnapshotSegment,
  type VolumeGroup,
} from "./model.js";
import { nextLvName } from "./names.js";
import type { PvSelection } from "./pv-list.js";

/** `lvcreate -s` default chunk size: 4 KiB = 8 sectors. */
export const DEFAULT_CHUNK_SIZE_SECTORS = 8;
/** Smallest and largest chunk sizes `lvcreate` accepts (4 KiB and 512 KiB), in sectors. */
export const CHUNK_SIZE_SECTORS_MIN = 8;
export const CHUNK_SIZE_SECTORS_MAX = 1024;

/** What `lvcreate -s -n NAME -l EXTENTS ORIGIN` asks for. */
export interface CreateSnapshotSpec extends LvIdentity {
  readonly origin: string;
  /** The snapshot's (COW LV's) name; `lvolN` when absent. */
  readonly name?: string;
  /** COW size in extents. */
  readonly extents: number;
  readonly chunkSizeSectors?: number;
  readonly policy?: AllocPolicy;
  readonly pvs?: readonly PvSelection[];
}

/** Creates a snapshot of `spec.origin`; returns the VG, the COW LV's name and the internal `snapshotN` name. */
export function createSnapshot(
  vg: VolumeGroup,
  spec: CreateSnapshotSpec,
): { vg: VolumeGroup; name: string; snapshotLv: string } {
  const origin = findLv(vg, spec.origin);
  if (!origin)
    throw new AllocationError(`Logical volume ${spec.origin} not found in volume group ${vg.name}`);
  const kinds = lvKinds(vg);
  const kind = kinds.get(origin.name);
  if (kind?.cow || kind?.snapshot || !kind?.visible) {
    throw new AllocationError(
      `Snapshots of ${kind?.cow ? "snapshots" : "hidden or internal LVs"} are not supported: ${origin.name}`,
    );
  }
  const chunk = spec.chunkSizeSectors ?? DEFAULT_CHUNK_SIZE_SECTORS;
  if (chunk < CHUNK_SIZE_SECTORS_MIN || chunk > CHUNK_SIZE_SECTORS_MAX || (chunk & (chunk - 1)) !== 0) {
    throw new AllocationError(
      `Chunk size must be a power of 2 in the range 4K to 512K (got ${chunk} sectors)`,
    );
  }
  const created = createLv(vg, {
    makeId: spec.makeId,
    ...(spec.creationTime !== undefined ? { creationTime: spec.creationTime } : {}),
    ...(spec.creationHost !== undefined ? { creationHost: spec.creationHost } : {}),
    ...(spec.name !== undefined ? { name: spec.name } : {}),
    extents: spec.extents,
    ...(spec.policy ? { policy: spec.policy } : {}),
    ...(spec.pvs ? { pvs: spec.pvs } : {}),
  });
  let next = created.vg;
  const cow = findLv(next, created.name) as LogicalVolume;
  // init_snapshot_seg: lv_set_hidden(cow).
  next = putLv(next, { ...cow, status: cow.status.filter((f) => f !== "VISIBLE") });
  const snapName = nextLvName(next, "snapshot");
  const seg: SnapshotSegment = {
    startExtent: 0,
    extentCount: lvSizeExtents(origin),
    typeFlags: [],
    tags: [],
    type: "snapshot",
    chunkSizeSectors: chunk,
    origin: origin.name,
    cowStore: created.name,
    merging: false,
  };
  const snap: LogicalVolume = {
    name: snapName,
    id: spec.makeId(snapName),
    status: ["READ", "WRITE", "VISIBLE"],
    flags: [],
    tags: [],
    ...(spec.creationTime !== undefined
      ? { creationTime: spec.creationTime, creationHost: spec.creationHost ?? "" }
      : {}),
    allocationPolicy: "inherit",
    segments: [seg],
    extra: [],
  };
  return { vg: putLv(next, snap), name: created.name, snapshotLv: snapName };
}

/** `lvconvert --merge SNAP`: marks the snapshot whose COW is `cowName` as merging (`merging_store`). */
export function startSnapshotMerge(vg: VolumeGroup, cowName: string): VolumeGroup {
  const snap = vg.lvs.find(
    (lv) => lv.segments[0]?.type === "snapshot" && lv.segments[0].cowStore === cowName,
  );
  const seg = snap?.segments[0];
  if (!snap || seg?.type !== "snapshot") {
    throw new AllocationError(
      `${cowName} is not a snapshot in volume group ${vg.name}; give the snapshot's name`,
    );
  }
  const origin = seg.origin;
  const already = vg.lvs.find(
    (lv) => lv.segments[0]?.type === "snapshot" && lv.segments[0].origin === origin && lv.segments[0].merging,
  );
  if (already) throw new AllocationError(`Snapshot ${already.name} is already merging into ${origin}`);
  return putLv(vg, { ...snap, segments: [{ ...seg, merging: true }] });
}
