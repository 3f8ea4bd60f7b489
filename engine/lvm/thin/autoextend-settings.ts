/**
 * `activation/thin_pool_autoextend_threshold` and `_percent` on a host. LVM2 reads them from
 * lvm.conf; lvmlab has no lvm.conf, so a `--config` that sets them on any command stays in force on
 * that host (until a reboot brings up a fresh host) — the table's low-water mark, dmeventd's checks
 * and `lvextend --use-policies` all read them here. Kept apart from the monitor, which runs commands.
 */
import { configSetting } from "../config-setting.js";
import type { Host } from "../host.js";

/** The two autoextend settings. */
export interface ThinAutoextendSettings {
  /** Percent full that triggers growth; 100 (the default) turns autoextend off. */
  readonly thresholdPercent: number;
  /** Growth step in percent of the current size (default 20). */
  readonly percent: number;
}

/** LVM2's defaults (`DEFAULT_THIN_POOL_AUTOEXTEND_THRESHOLD`, `_PERCENT`). */
export const THIN_AUTOEXTEND_DEFAULTS: ThinAutoextendSettings = { thresholdPercent: 100, percent: 20 };

const settings = new WeakMap<Host, ThinAutoextendSettings>();

/** Records the settings a command's `--config` gives (no-op when it gives neither). */
export function noteThinAutoextend(host: Host, configText: string | undefined): void {
  const threshold = configSetting(configText, "activation/thin_pool_autoextend_threshold");
  const percent = configSetting(configText, "activation/thin_pool_autoextend_percent");
  if (threshold === undefined && percent === undefined) return;
  const old = thinAutoextend(host);
  settings.set(host, {
    thresholdPercent: threshold === undefined ? old.thresholdPercent : Number(threshold),
    percent: percent === undefined ? old.percent : Number(percent),
  });
}

/** The settings in force on this host. */
export function thinAutoextend(host: Host): ThinAutoextendSettings {
  return settings.get(host) ?? THIN_AUTOEXTEND_DEFAULTS;
}

/**
 * The table's low-water mark in data blocks (`_thin_pool_add_target_line`): the free blocks left at
 * the threshold (raised to at least 50%), or 0 when autoextend is off.
 */
export function lowWaterBlocks(dataBlocks: number, thresholdPercent: number): number {
  const threshold = Math.max(50, thresholdPercent);
  return threshold < 100 ? Math.floor((dataBlocks * (100 - threshold)) / 100) : 0;
}
