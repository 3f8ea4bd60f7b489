/**
 * `activation/thin_pool_autoextend_threshold` and `_percent` on a host. LVM2 reads them from
 * lvm.conf, which lives on the root filesystem, not on the PVs. lvmlab's model: a `--config` that
 * sets them on any command writes them to the machine's `/etc/lvm/lvm.conf` (when the host's files
 * are the machine's own, {@link Host.lvmConfInFiles}), so they stay in force across reboots and
 * power cuts, as an edited lvm.conf does; a host without such files keeps them in memory until it
 * is dropped. The table's low-water mark, dmeventd's checks and `lvextend --use-policies` all read
 * them here. Kept apart from the monitor, which runs commands.
 */
import { configSetting } from "../config-setting.js";
import type { Host } from "../host.js";

/** Where the settings live on a machine's root filesystem. */
export const LVM_CONF_PATH = "/etc/lvm/lvm.conf";

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
  const next = {
    thresholdPercent: threshold === undefined ? old.thresholdPercent : Number(threshold),
    percent: percent === undefined ? old.percent : Number(percent),
  };
  settings.set(host, next);
  if (host.lvmConfInFiles) host.files?.writeText(LVM_CONF_PATH, lvmConfText(next));
}

/** The settings in force on this host: its lvm.conf's, else what it noted, else LVM2's defaults. */
export function thinAutoextend(host: Host): ThinAutoextendSettings {
  const noted = settings.get(host);
  if (noted !== undefined || !host.lvmConfInFiles) return noted ?? THIN_AUTOEXTEND_DEFAULTS;
  let text: string;
  try {
    text = host.files?.readText(LVM_CONF_PATH) ?? "";
  } catch {
    return THIN_AUTOEXTEND_DEFAULTS; // no lvm.conf: the built-in defaults
  }
  const threshold = configSetting(text, "activation/thin_pool_autoextend_threshold");
  const percent = configSetting(text, "activation/thin_pool_autoextend_percent");
  const read = {
    thresholdPercent: threshold === undefined ? THIN_AUTOEXTEND_DEFAULTS.thresholdPercent : Number(threshold),
    percent: percent === undefined ? THIN_AUTOEXTEND_DEFAULTS.percent : Number(percent),
  };
  settings.set(host, read);
  return read;
}

/** The lvm.conf lvmlab writes: the settings it keeps, in LVM2's config syntax. */
function lvmConfText(s: ThinAutoextendSettings): string {
  return `activation {\n\tthin_pool_autoextend_threshold = ${s.thresholdPercent}\n\tthin_pool_autoextend_percent = ${s.percent}\n}\n`;
}

/**
 * The table's low-water mark in data blocks (`_thin_pool_add_target_line`): the free blocks left at
 * the threshold (raised to at least 50%), or 0 when autoextend is off.
 */
export function lowWaterBlocks(dataBlocks: number, thresholdPercent: number): number {
  const threshold = Math.max(50, thresholdPercent);
  return threshold < 100 ? Math.floor((dataBlocks * (100 - threshold)) / 100) : 0;
}
