/**
 * Thin configs of the overhead benchmark, in their own module so they merge cleanly with other
 * changes to the layouts: a pool of 64 KiB chunks with `_tdata` and `_tmeta` on their own PVs (as
 * lvcreate puts them in a 2-PV VG when the data fills the first), zeroing new blocks, one thin LV
 * (device 1), and thin snapshots made with `create_snap` as LVM2 sends it.
 */
import type { BlockDevice } from "../../engine/block/device.js";
import type { TimedDevice } from "../../engine/block/timed.js";
import { ThinPoolTarget, ThinTarget } from "../../engine/dm/thin/mod.js";

const SECTOR = 512;
/** Thin pool chunk of the thin configs: LVM2's default (`thin_pool_chunk_size_policy = generic`). */
export const THIN_CHUNK_BYTES = 64 * 1024;
/** Thin pool metadata PV: one 4 MiB extent, LVM2's 2 MiB minimum rounded up. */
const THIN_METADATA_PV_BYTES = 4 * 1024 * 1024;

/** A thin LV over a fresh pool, and how to snapshot it. */
export interface ThinLayout {
  readonly device: BlockDevice;
  readonly pool: ThinPoolTarget;
  /** `create_snap <id> 1` at `nowNs` (the thin LV flushed first, as suspending it does); returns when done. */
  snapshot(id: number, nowNs: number): number;
}

/**
 * Builds the pool and thin LV over PVs `makePv` creates. The data PV holds twice the LV, enough
 * for the LV and one broken-sharing copy of every block however many snapshots share it.
 */
export function buildThin(
  spec: { readonly snapshots: number },
  lvBytes: number,
  makePv: (name: string, sizeBytes: number) => TimedDevice,
): ThinLayout {
  const data = makePv("tdata", lvBytes * (spec.snapshots > 0 ? 2 : 1));
  const metadata = makePv("tmeta", THIN_METADATA_PV_BYTES);
  const pool = new ThinPoolTarget("pool-tpool", {
    metadata,
    data,
    blockSizeSectors: THIN_CHUNK_BYTES / SECTOR,
    zeroNewBlocks: true,
  });
  pool.message("create_thin 1", 0);
  const device = new ThinTarget("lv", { pool, deviceId: 1, lengthSectors: lvBytes / SECTOR });
  return {
    device,
    pool,
    snapshot(id, nowNs) {
      const flushed = device.flush({ issueNs: nowNs });
      return pool.message(`create_snap ${id} 1`, flushed);
    },
  };
}
