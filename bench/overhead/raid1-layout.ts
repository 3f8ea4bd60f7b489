/**
 * raid1 configs of the overhead benchmark, kept in their own module so they merge cleanly with
 * other changes to the layouts: N legs on separate PVs, each PV holding the 1-extent rmeta (4 MiB)
 * followed by the rimage, as lvcreate lays them out; the dm raid target is loaded `nosync` (the state
 * a finished initial resync leaves), its bitmap is clean as the daemon leaves an idle set, and its
 * bitmap daemon runs on the run's scheduler.
 */
import type { BlockDevice } from "../../engine/block/device.js";
import type { TimedDevice } from "../../engine/block/timed.js";
import { LinearTarget } from "../../engine/dm/linear.js";
import { Raid1Target } from "../../engine/dm/raid/raid1.js";
import type { Scheduler } from "../../engine/sim/scheduler.js";

const MiB = 1024 * 1024;
const SECTOR = 512;
/** One 4 MiB extent of rmeta in front of each rimage. */
const RMETA_BYTES = 4 * MiB;
/** LVM2's default raid region size (`activation/raid_region_size`, 2 MiB). */
const RAID_REGION_BYTES = 2 * MiB;

/** Builds an N-leg raid1 over PVs `makePv` creates; returns the LV and a start hook for the daemon. */
export function buildRaid1(
  legs: number,
  lvBytes: number,
  makePv: (name: string, sizeBytes: number) => TimedDevice,
  options: { readonly warmBitmap: boolean } = { warmBitmap: false },
): { device: BlockDevice; readyNs: number; start: (scheduler: Scheduler) => void } {
  const lvSectors = lvBytes / SECTOR;
  const refs = Array.from({ length: legs }, (_, i) => {
    const pv = makePv(`leg${i}`, RMETA_BYTES + lvBytes);
    const meta = new LinearTarget(`rmeta_${i}`, {
      device: pv,
      offsetSectors: 0,
      lengthSectors: RMETA_BYTES / SECTOR,
    });
    return { meta, data: { device: pv, offsetSectors: RMETA_BYTES / SECTOR } };
  });
  const raid = new Raid1Target("lv", {
    lengthSectors: lvSectors,
    regionSizeSectors: RAID_REGION_BYTES / SECTOR,
    legs: refs,
    nosync: true,
  });
  // An idle synced set: the bitmap daemon has cleared every bit, so each region's first write sets
  // its bit again (a PREFLUSH|FUA bitmap write the writes behind it wait for). A warm set keeps the
  // bits the nosync load set, as one written in the last two daemon periods has them.
  const readyNs = options.warmBitmap ? raid.readyNs : raid.flushBitmap(raid.readyNs);
  return {
    device: raid,
    readyNs,
    start(scheduler) {
      raid.useScheduler(scheduler);
    },
  };
}
