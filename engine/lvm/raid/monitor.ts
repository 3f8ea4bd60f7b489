/**
 * What dmeventd's raid plugin does (`daemons/dmeventd/plugins/raid/dmeventd_raid.c`) for monitored
 * raid1 LVs (LVM2 monitors by default, `activation/monitoring = 1`; `--monitor n` opts out): on a
 * new `D` in the status it logs "WARNING: Device #N of raid1 array, VG-LV, has failed." and, when
 * `activation/raid_fault_policy` is "allocate" (or "replace"), runs
 * `lvconvert --repair --use-policies VG/LV`; under the default "warn" it only logs
 * "Use 'lvconvert --repair VG/LV' to replace failed device.".
 */
import type { TraceEvent } from "../../sim/trace.js";
import type { Host } from "../host.js";
import { scheduleOncePerLv, splitDmName } from "../mirror/monitor.js";
import { type LvmRunResult, runLvm } from "../run.js";
import { raidMonitoring } from "./monitor-settings.js";

/** A running raid monitor. */
export interface RaidMonitor {
  /** What the plugin logged, in order. */
  readonly log: readonly string[];
  readonly repairs: readonly { readonly argv: readonly string[]; readonly result: LvmRunResult }[];
  stop(): void;
}

/** Most repairs one monitor runs before it gives up loudly. */
const RAID_MONITOR_REPAIRS_MAX = 64;

/**
 * Starts the raid plugin on a machine whose Host may be replaced by reboots (`hostOf` returns the
 * current one); failures are seen through the `raid.leg.fail` trace events of `host.trace`.
 */
export function monitorRaid(hostOf: () => Host, options: { readonly delayNs?: number } = {}): RaidMonitor {
  const log: string[] = [];
  const repairs: { argv: readonly string[]; result: LvmRunResult }[] = [];
  const pending = new Set<string>();
  let stopped = false;
  const listener = (event: TraceEvent): void => {
    if (stopped || event.name !== "raid.leg.fail") return;
    const dm = splitDmName(String(event.data.raid ?? "").replace(/\[\d+\]$/, ""));
    if (dm === undefined) return;
    const host = hostOf();
    const path = `${dm.vg}/${dm.lv}`;
    const setting = raidMonitoring(host, path);
    if (!setting.monitored) return;
    log.push(`WARNING: Device #${String(event.data.leg)} of raid1 array, ${dm.vg}-${dm.lv}, has failed.`);
    if (setting.policy !== "allocate" && setting.policy !== "replace") {
      log.push(`Use 'lvconvert --repair ${path}' to replace failed device.`);
      return;
    }
    scheduleOncePerLv(
      host,
      pending,
      path,
      {
        delayNs: options.delayNs ?? 0,
        label: `dmeventd raid repair ${path}`,
        live: () => !stopped && hostOf() === host,
      },
      () => {
        if (repairs.length >= RAID_MONITOR_REPAIRS_MAX) {
          throw new Error(`raid monitor ran ${RAID_MONITOR_REPAIRS_MAX} repairs; ${path} keeps failing`);
        }
        const argv = ["lvconvert", "--repair", "--use-policies", path];
        const result = runLvm(host, argv);
        repairs.push({ argv, result });
        if (result.exitCode !== 0) log.push(`Repair of RAID device ${dm.vg}-${dm.lv} failed.`);
      },
    );
  };
  const unsubscribe = hostOf().trace.subscribe(listener);
  return {
    log,
    repairs,
    stop() {
      stopped = true;
      unsubscribe();
    },
  };
}
