/**
 * What dmeventd's mirror plugin does (`daemons/dmeventd/plugins/mirror/dmeventd_mirror.c`): when a
 * monitored mirror reports a leg or log write/flush failure (`D`, `F`), it runs
 * `lvconvert --repair --use-policies VG/LV`; sync and read failures (`S`, `R`) are only logged.
 * lvmlab listens for `mirror.leg.fail` trace events and schedules that command on the host's
 * scheduler, one pending repair per LV, so a scenario sees the repair happen in virtual time.
 */
import type { TraceEvent } from "../../sim/trace.js";
import type { Host } from "../host.js";
import { type LvmRunResult, runLvm } from "../run.js";

/** Options of {@link monitorMirrors}. */
export interface MonitorOptions {
  /** Virtual time between the failure and the repair (dmeventd's reaction time); default 0. */
  readonly delayNs?: number;
  /** `--config` text passed to the repair (fault policies); LVM2's defaults when absent. */
  readonly config?: string;
  /** Called with each repair's command line and result. */
  readonly onRepair?: (argv: readonly string[], result: LvmRunResult) => void;
}

/** A running monitor. */
export interface MirrorMonitor {
  /** Repairs run so far, in order. */
  readonly repairs: readonly { readonly argv: readonly string[]; readonly result: LvmRunResult }[];
  stop(): void;
}

/** Most repairs one monitor runs; a mirror that keeps failing after that is a bug to look at. */
const MONITOR_REPAIRS_MAX = 64;

/** Splits a dm name `vg-lv` (dashes inside names doubled) back into VG and LV names. */
export function splitDmName(name: string): { vg: string; lv: string } | undefined {
  const match = /^((?:[^-]|--)+)-((?:[^-]|--)+)$/.exec(name);
  if (match === null) return undefined;
  return { vg: match[1]!.replaceAll("--", "-"), lv: match[2]!.replaceAll("--", "-") };
}

/**
 * How dmeventd's plugins run a policy command: at most one pending per LV (`key`), `delayNs` of
 * virtual time after the event, and not at all when `live()` says the monitor stopped meanwhile (or
 * its host was replaced by a reboot).
 */
export function scheduleOncePerLv(
  host: Host,
  pending: Set<string>,
  key: string,
  when: { readonly delayNs: number; readonly label: string; readonly live: () => boolean },
  run: () => void,
): void {
  if (pending.has(key)) return;
  pending.add(key);
  host.scheduler.after(
    when.delayNs,
    () => {
      pending.delete(key);
      if (when.live()) run();
    },
    when.label,
  );
}

/** Starts monitoring every mirror of `host` (dmeventd with `activation/monitoring = 1`). */
export function monitorMirrors(host: Host, options: MonitorOptions = {}): MirrorMonitor {
  const repairs: { argv: readonly string[]; result: LvmRunResult }[] = [];
  const pending = new Set<string>();
  let stopped = false;
  const listener = (event: TraceEvent): void => {
    if (stopped || event.name !== "mirror.leg.fail") return;
    const type = String(event.data.type ?? "");
    if (type !== "D" && type !== "F") return;
    // Target names are `<dm name>[<segment>]`.
    const dm = splitDmName(String(event.data.mirror ?? "").replace(/\[\d+\]$/, ""));
    if (dm === undefined) return;
    const key = `${dm.vg}/${dm.lv}`;
    scheduleOncePerLv(
      host,
      pending,
      key,
      { delayNs: options.delayNs ?? 0, label: `dmeventd repair ${key}`, live: () => !stopped },
      () => {
        if (repairs.length >= MONITOR_REPAIRS_MAX) {
          throw new Error(`Mirror monitor ran ${MONITOR_REPAIRS_MAX} repairs; ${key} keeps failing`);
        }
        const argv = [
          "lvconvert",
          "--repair",
          "--use-policies",
          ...(options.config === undefined ? [] : ["--config", options.config]),
          key,
        ];
        const result = runLvm(host, argv);
        repairs.push({ argv, result });
        options.onRepair?.(argv, result);
      },
    );
  };
  const unsubscribe = host.trace.subscribe(listener);
  return {
    repairs,
    stop() {
      stopped = true;
      unsubscribe();
    },
  };
}
