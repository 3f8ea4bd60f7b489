/**
 * `lvcreate --type raid1 [-m N] [-R size] [--nosync]` (and a plain `-m N` while
 * `global/mirror_segtype_default` is "raid1", LVM2's default since 2.02.100): N+1 rmeta/rimage
 * pairs on separate PVs, region size from `-R` or `activation/raid_region_size` (2 MiB).
 */

import { DEFAULT_RAID_REGION_SIZE_SECTORS, RAID1_MAX_IMAGES, raidRegionSize } from "../../metadata/raid.js";
import { createRaid1Lv } from "../../metadata/raid-alloc.js";
import { LvmCommandError } from "../command.js";
import { MESSAGE_UNITS } from "../commands/common.js";
import { newUuid } from "../ids.js";
import { formatSize } from "../units.js";
import type { LvCreateType } from "./segtype.js";

/** Page size the region size must be a multiple of (`lvcreate`'s check). */
const PAGE_BYTES = 4096;

/** Checks a `-R` value as lvcreate does for raid (`_read_raid_params`, `_validate_region_size`). */
function checkRaidRegionSize(regionSizeSectors: number): void {
  if (regionSizeSectors === 0) throw new LvmCommandError("Region size may not be zero.", 3);
  if ((regionSizeSectors * 512) % PAGE_BYTES !== 0) {
    throw new LvmCommandError(
      `Region size must be a multiple of machine memory page size (${PAGE_BYTES} bytes).`,
      3,
    );
  }
  if ((regionSizeSectors & (regionSizeSectors - 1)) !== 0) {
    throw new LvmCommandError("Region size must be a power of 2.", 3);
  }
}

/** raid1 LVs. */
export const raid1Type: LvCreateType = {
  name: "raid1",
  create(context, request) {
    if (context.driverLoaded === false) {
      throw new LvmCommandError("Can't create raid1 without using device-mapper kernel driver.");
    }
    // `--type raid1` alone means 2 images; `-m 0` is refused.
    const images = request.mirrors === 0 ? 2 : request.mirrors;
    if (images < 2) throw new LvmCommandError("--mirrors must be at least 1 with segment type raid1.", 3);
    if (images > RAID1_MAX_IMAGES) {
      throw new LvmCommandError(`Only up to ${RAID1_MAX_IMAGES} images in raid1 supported currently.`, 3);
    }
    if (request.stripes > 1) {
      throw new LvmCommandError("Stripes argument cannot be used with segment type, raid1", 3);
    }
    const requested = request.regionSizeSectors ?? DEFAULT_RAID_REGION_SIZE_SECTORS;
    if (request.regionSizeSectors !== undefined) checkRaidRegionSize(requested);
    const lvSectors = request.extents * request.vg.extentSizeSectors;
    const region = raidRegionSize(requested, lvSectors);
    if (region.reduced) {
      context.out.message(
        `Using reduced mirror region size of ${formatSize(region.regionSizeSectors, MESSAGE_UNITS, "short")}`,
      );
    }
    if (request.nosync) {
      context.out.warn("New raid1 won't be synchronised. Don't read what you didn't write!");
    }
    return createRaid1Lv(request.vg, {
      makeId: () => newUuid(context.host),
      creationTime: context.host.nowSeconds(),
      creationHost: context.host.hostname,
      ...(request.name !== undefined ? { name: request.name } : {}),
      extents: request.extents,
      images,
      regionSizeSectors: region.regionSizeSectors,
      ...(request.policy !== undefined ? { policy: request.policy } : {}),
      ...(request.pvs !== undefined ? { pvs: request.pvs } : {}),
      ...(request.nosync ? { extraStatus: ["NOTSYNCED"] } : {}),
      mutations: context.host.mutations,
    });
  },
};
