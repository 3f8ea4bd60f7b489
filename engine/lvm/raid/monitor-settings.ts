/**
 * How each raid1 LV is monitored on a host (`--monitor y|n`, `activation/raid_fault_policy`),
 * kept apart from the monitor itself so that commands can record it without importing the monitor,
 * which runs commands.
 */
import type { Host } from "../host.js";

/** How one raid1 LV is monitored. */
export interface RaidMonitorSetting {
  readonly monitored: boolean;
  /** `activation/raid_fault_policy`: "warn" (default), "allocate" or "replace". */
  readonly policy: string;
}

const settings = new WeakMap<Host, Map<string, RaidMonitorSetting>>();

/** Records how `vg/lv` is monitored on this host (lvcreate/lvchange with `--monitor`/`--config`). */
export function setRaidMonitoring(host: Host, path: string, setting: Partial<RaidMonitorSetting>): void {
  let map = settings.get(host);
  if (map === undefined) {
    map = new Map();
    settings.set(host, map);
  }
  const old = map.get(path) ?? { monitored: true, policy: "warn" };
  map.set(path, { ...old, ...setting });
}

/** The monitoring of `vg/lv` on this host (LVM2's defaults when never set). */
export function raidMonitoring(host: Host, path: string): RaidMonitorSetting {
  return settings.get(host)?.get(path) ?? { monitored: true, policy: "warn" };
}
