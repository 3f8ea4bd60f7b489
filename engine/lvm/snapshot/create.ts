/**
 * `lvcreate -s [-c CHUNK] -L|-l SIZE [-n NAME] VG/ORIGIN`: checks the chunk size (a power of 2 in
 * 4 KiB–512 KiB, `tools/lvcreate.c`), the minimum of three chunks and the most COW space the origin
 * can use (`cow_has_min_chunks`, `cow_max_extents`, `lib/metadata/snapshot_manip.c`), builds the
 * metadata through engine/metadata's `createSnapshot`, and wipes the start of the COW LV so the
 * kernel initialises a fresh exception store on first activation.
 */
import { SECTOR_BYTES } from "../../block/device.js";
import { AllocationError } from "../../metadata/alloc.js";
import { lvSizeExtents } from "../../metadata/extent-map.js";
import { findLv, type VolumeGroup } from "../../metadata/model.js";
import {
  CHUNK_SIZE_SECTORS_MAX,
  CHUNK_SIZE_SECTORS_MIN,
  createSnapshot,
  DEFAULT_CHUNK_SIZE_SECTORS,
} from "../../metadata/snapshot.js";
import { LvmCommandError } from "../command.js";
import { MESSAGE_UNITS, sizeAndExtents } from "../commands/common.js";
import type { Host } from "../host.js";
import { newUuid } from "../ids.js";
import { lvStartOnDisk } from "../lv-start.js";
import type { LvCreateType } from "../segtypes/segtype.js";
import { formatSize } from "../units.js";

/** `SNAPSHOT_MIN_CHUNKS`: a COW store smaller than this cannot hold header, area and one chunk. */
const SNAPSHOT_MIN_CHUNKS = 3;
/** Bytes LVM2 wipes at the start of a new COW LV (`wipe_lv` of the first sectors). */
const COW_WIPE_BYTES = 4096;

/** `_cow_max_size` in sectors for a kernel with the fixed-leak feature (dm-snapshot ≥ 1.12). */
export function cowMaxSectors(originSectors: number, chunkSizeSectors: number): number {
  const originChunks = Math.ceil(originSectors / chunkSizeSectors);
  const perArea = chunkSizeSectors * (SECTOR_BYTES / 16);
  const metadataChunks = Math.floor((originChunks + perArea) / perArea);
  return (1 + originChunks + metadataChunks) * chunkSizeSectors;
}

/** `cow_max_extents`: the COW size past which a snapshot cannot use more space. */
function cowMaxExtents(vg: VolumeGroup, originName: string, chunkSizeSectors: number): number {
  const origin = findLv(vg, originName);
  if (origin === undefined)
    throw new AllocationError(`Logical volume ${originName} not found in volume group ${vg.name}`);
  const sectors = cowMaxSectors(lvSizeExtents(origin) * vg.extentSizeSectors, chunkSizeSectors);
  return Math.ceil(sectors / vg.extentSizeSectors);
}

/**
 * Zeroes the first {@link COW_WIPE_BYTES} of COW LV `cowName` on its PV (the header chunk reads as
 * magic 0, "new store"), flushed. Returns the completion time.
 */
export function wipeCowStart(host: Host, vg: VolumeGroup, cowName: string): number {
  const cow = findLv(vg, cowName);
  const seg = cow?.segments[0];
  if (seg?.type !== "striped" || seg.areas[0]?.kind !== "pv") {
    throw new Error(`COW LV ${vg.name}/${cowName} must start on a PV area to be wiped`);
  }
  const start = lvStartOnDisk(host, vg, cowName);
  if (start === undefined || start.pv.status.includes("MISSING")) {
    throw new Error(`Cannot wipe COW LV ${vg.name}/${cowName}: PV ${seg.areas[0].pv} is missing`);
  }
  let nowNs = start.device.write(start.offsetBytes, new Uint8Array(COW_WIPE_BYTES), {
    issueNs: host.scheduler.nowNs,
  });
  nowNs = start.device.flush({ issueNs: nowNs });
  return nowNs;
}

/** The `lvcreate -s` segment type: the request's `origin` is the LV after the VG in `VG/LV`. */
export const snapshotCreateType: LvCreateType = {
  name: "snapshot",
  create(context, request) {
    const origin = request.origin;
    if (origin === undefined) {
      throw new LvmCommandError("Please specify a logical volume to act as the snapshot origin.", 3);
    }
    if (findLv(request.vg, origin) === undefined) {
      throw new LvmCommandError(`Failed to find logical volume "${request.vg.name}/${origin}"`);
    }
    const chunk = request.chunkSizeSectors ?? DEFAULT_CHUNK_SIZE_SECTORS;
    if (chunk < CHUNK_SIZE_SECTORS_MIN || chunk > CHUNK_SIZE_SECTORS_MAX || (chunk & (chunk - 1)) !== 0) {
      throw new LvmCommandError("Chunk size must be a power of 2 in the range 4K to 512K.", 3);
    }
    const vg = request.vg;
    let extents = request.extents;
    const max = cowMaxExtents(vg, origin, chunk);
    if (extents > max) {
      context.out.message(
        `Reducing COW size ${sizeAndExtents(vg, extents).replace(/ \(.*/, "")} down to maximum usable size ${sizeAndExtents(vg, max).replace(/ \(.*/, "")}.`,
      );
      extents = max;
    }
    if (extents * vg.extentSizeSectors < SNAPSHOT_MIN_CHUNKS * chunk) {
      const needed = Math.ceil((SNAPSHOT_MIN_CHUNKS * chunk) / vg.extentSizeSectors);
      throw new LvmCommandError(
        `Snapshot volume cannot be smaller than ${SNAPSHOT_MIN_CHUNKS} chunks (${needed} extents, ${formatSize(SNAPSHOT_MIN_CHUNKS * chunk, MESSAGE_UNITS, "short")}).`,
      );
    }
    const created = createSnapshot(vg, {
      makeId: () => newUuid(context.host),
      creationTime: context.host.nowSeconds(),
      creationHost: context.host.hostname,
      origin,
      ...(request.name !== undefined ? { name: request.name } : {}),
      extents,
      chunkSizeSectors: chunk,
      ...(request.policy !== undefined ? { policy: request.policy } : {}),
      ...(request.pvs !== undefined ? { pvs: request.pvs } : {}),
    });
    return { vg: created.vg, name: created.name };
  },
};
