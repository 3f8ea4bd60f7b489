/**
 * Report fields that depend on the running kernel rather than metadata (active, copy_percent,
 * sync_percent, snap_percent) come from a provider, so activation (dm tables), mirrors and pvmove
 * can plug in later. The default knows only what the Host records: which LVs were activated.
 */
import type { LogicalVolume, VolumeGroup } from "../metadata/model.js";
import type { CommandContext } from "./command.js";
import type { Host } from "./host.js";

/** Runtime state of LVs, as `lvs` asks device-mapper for it. */
export interface LvRuntimeProvider {
  /** Whether the LV has a live table; undefined when unknown (`--driverloaded n`). */
  isActive(vg: VolumeGroup, lv: LogicalVolume): boolean | undefined;
  /** Mirror/pvmove copy progress in percent, or undefined when not active or not a mirror. */
  copyPercent(vg: VolumeGroup, lv: LogicalVolume): number | undefined;
  /** Snapshot COW usage in percent, or undefined when not active or not a snapshot. */
  snapPercent(vg: VolumeGroup, lv: LogicalVolume): number | undefined;
}

/** The default provider: activation from `host.activeLvs`, no progress figures ("not active"). */
export function hostRuntime(host: Host): LvRuntimeProvider {
  return {
    isActive: (_vg, lv) => host.activeLvs.has(lv.id),
    copyPercent: () => undefined,
    snapPercent: () => undefined,
  };
}

/** What reports see with `--driverloaded n`: activation unknown (lv_attr "XX", lv_active "unknown"). */
export const UNKNOWN_RUNTIME: LvRuntimeProvider = {
  isActive: () => undefined,
  copyPercent: () => undefined,
  snapPercent: () => undefined,
};

/** The set of active LV ids a command may change; a throwaway set when the driver is "not loaded". */
export function activeSet(context: CommandContext): Set<string> {
  return context.driverLoaded === false ? new Set() : context.host.activeLvs;
}

/** The runtime provider for a command. */
export function runtimeOf(context: CommandContext): LvRuntimeProvider {
  if (context.driverLoaded === false) return UNKNOWN_RUNTIME;
  return context.runtime ?? hostRuntime(context.host);
}
