/**
 * The runtime-state interface commands and reports consult. It lives apart from `runtime.ts` (the
 * device-mapper-backed implementation) so that `command.ts` can name it without importing the
 * activation and pvmove code, which import `command.ts` back.
 */
import type { LogicalVolume, VolumeGroup } from "../metadata/model.js";
import type { RaidRuntimeStatus } from "./raid/runtime-status.js";

/** Runtime state of LVs, as `lvs` asks device-mapper for it. */
export interface LvRuntimeProvider {
  /** Whether the LV has a live table; undefined when unknown (`--driverloaded n`). */
  isActive(vg: VolumeGroup, lv: LogicalVolume): boolean | undefined;
  /** Mirror/pvmove copy progress in percent, or undefined when not active or not a mirror. */
  copyPercent(vg: VolumeGroup, lv: LogicalVolume): number | undefined;
  /** Snapshot COW usage in percent, or undefined when not active or not a snapshot. */
  snapPercent(vg: VolumeGroup, lv: LogicalVolume): number | undefined;
  /** True when the LV is a snapshot whose live table is invalid (lv_attr state `I`); absent = never. */
  snapshotInvalid?(vg: VolumeGroup, lv: LogicalVolume): boolean;
  /** Data% of a live thin pool or thin LV; undefined otherwise. */
  thinDataPercent?(vg: VolumeGroup, lv: LogicalVolume): number | undefined;
  /** Meta% of a live thin pool. */
  thinMetadataPercent?(vg: VolumeGroup, lv: LogicalVolume): number | undefined;
  /** The live pool's mode (`write`, `out-of-data-space`, `read-only`, `fail`, …), for lv_attr health. */
  thinPoolMode?(vg: VolumeGroup, pool: LogicalVolume): string | undefined;
  /** Whether the live pool's metadata has NEEDS_CHECK set (lv_attr state `c`); undefined when inactive. */
  thinPoolNeedsCheck?(vg: VolumeGroup, pool: LogicalVolume): boolean | undefined;
  /**
   * `kernel_discards` of a live pool as libdm parses its status (`ignore`, `nopassdown`,
   * `passdown`); undefined when the pool is inactive.
   */
  thinPoolKernelDiscards?(vg: VolumeGroup, pool: LogicalVolume): string | undefined;
  /** The live dm-raid status of a raid1 LV; absent when the driver is not loaded (health `X`). */
  raidStatus?(vg: VolumeGroup, lv: LogicalVolume): RaidRuntimeStatus | undefined;
}
