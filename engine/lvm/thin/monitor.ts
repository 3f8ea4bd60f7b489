/**
 * What dmeventd's thin plugin does (`daemons/dmeventd/plugins/thin/dmeventd_thin.c`, LVM2
 * 2.03.16) for every active pool: on the kernel's low-water event, and at its 10 s poll, it reads
 * the pool status; above 80% it warns "WARNING: Thin pool VG-POOL-tpool data|metadata is now N%
 * full." at each new 5% step, and above 50% it runs `lvm lvextend --use-policies VG/POOL` at each
 * new 5% step (100% included), which grows the pool when `thin_pool_autoextend_threshold` < 100.
 *
 * Model choice: the 10 s poll runs when the pool next provisions or commits at least 10 s after the
 * last check (requests are synchronous; a timer of its own would keep the scheduler from idling).
 */
import type { TraceEvent, TraceEventInfo } from "../../sim/trace.js";
import type { Host } from "../host.js";
import { scheduleOncePerLv, splitDmName } from "../mirror/monitor.js";
import { type LvmRunResult, runLvm } from "../run.js";
import { livePool } from "./status.js";

/** The trace event the plugin emits when it runs the policy command. */
export const THIN_AUTOEXTEND_EVENT: TraceEventInfo = {
  name: "thin.pool.autoextend",
  description: "dmeventd's thin plugin ran lvextend --use-policies for a pool (exit code in the data)",
};

/** dmeventd's poll period for thin pools. */
const THIN_MONITOR_PERIOD_NS = 10_000_000_000;
/** Most policy commands one monitor runs before it stops loudly (a pool that never stops growing). */
const THIN_MONITOR_RUNS_MAX = 256;

const DM_PERCENT_1 = 1_000_000;
const WARNING_THRESH = 80 * DM_PERCENT_1;
const CHECK_STEP = 5 * DM_PERCENT_1;
const CHECK_MINIMUM = 50 * DM_PERCENT_1;
const DM_PERCENT_100 = 100 * DM_PERCENT_1;

/** A running thin monitor. */
export interface ThinMonitor {
  /** What the plugin logged, in order. */
  readonly log: readonly string[];
  readonly runs: readonly { readonly argv: readonly string[]; readonly result: LvmRunResult }[];
  stop(): void;
}

interface PoolState {
  dataCheck: number;
  metaCheck: number;
  knownData: number;
  knownMeta: number;
  lastCheckNs: number;
}

/** `dm_make_percent` in DM units (100% = 1e8): never 0 or 100% unless exact. */
function dmPercent(used: number, total: number): number {
  if (total === 0 || used === 0) return 0;
  if (used >= total) return DM_PERCENT_100;
  const p = Math.floor((used * DM_PERCENT_100) / total);
  return Math.min(DM_PERCENT_100 - 1, Math.max(1, p));
}

/** Starts the thin plugin on a machine whose Host may be replaced by reboots (`hostOf` gives the current one). */
export function monitorThin(hostOf: () => Host, options: { readonly delayNs?: number } = {}): ThinMonitor {
  const log: string[] = [];
  const runs: { argv: readonly string[]; result: LvmRunResult }[] = [];
  const states = new Map<string, PoolState>();
  const pending = new Set<string>();
  let stopped = false;
  let stateHost: Host | undefined;

  const check = (dmPool: string, host: Host, nowNs: number, event: boolean): void => {
    const dm = splitDmName(dmPool.replace(/-tpool$/, ""));
    if (dm === undefined) return;
    const pool = livePool(host, dm.vg, dm.lv);
    if (pool === undefined || pool.mode === "fail" || pool.metadata === undefined) return;
    const state = states.get(dmPool) ?? {
      dataCheck: CHECK_MINIMUM,
      metaCheck: CHECK_MINIMUM,
      knownData: 0,
      knownMeta: 0,
      lastCheckNs: nowNs,
    };
    states.set(dmPool, state);
    if (!event && nowNs - state.lastCheckNs < THIN_MONITOR_PERIOD_NS) return;
    state.lastCheckNs = nowNs;
    const u = pool.usage();
    if (state.knownMeta !== u.totalMetadataBlocks) {
      state.metaCheck = CHECK_MINIMUM;
      state.knownMeta = u.totalMetadataBlocks;
    }
    if (state.knownData !== u.totalDataBlocks) {
      state.dataCheck = CHECK_MINIMUM;
      state.knownData = u.totalDataBlocks;
    }
    let needsPolicy = event; // DM_EVENT_DEVICE_ERROR (the low-water event): policy at once
    const step = (percent: number, checkAt: number, what: string): number => {
      if (percent > WARNING_THRESH && percent > checkAt) {
        log.push(`WARNING: Thin pool ${dmPool} ${what} is now ${(percent / DM_PERCENT_1).toFixed(2)}% full.`);
      }
      if (percent <= CHECK_MINIMUM) return CHECK_MINIMUM;
      if (percent > checkAt) needsPolicy = true;
      const next = (Math.floor(percent / CHECK_STEP) + 1) * CHECK_STEP;
      return next === DM_PERCENT_100 ? next - 1 : next;
    };
    state.metaCheck = step(
      dmPercent(u.usedMetadataBlocks, u.totalMetadataBlocks),
      state.metaCheck,
      "metadata",
    );
    state.dataCheck = step(dmPercent(u.usedDataBlocks, u.totalDataBlocks), state.dataCheck, "data");
    if (!needsPolicy) return;
    const path = `${dm.vg}/${dm.lv}`;
    scheduleOncePerLv(
      host,
      pending,
      path,
      {
        delayNs: options.delayNs ?? 0,
        label: `dmeventd thin ${path}`,
        live: () => !stopped && hostOf() === host,
      },
      () => {
        if (runs.length >= THIN_MONITOR_RUNS_MAX) {
          throw new Error(`Thin monitor ran ${THIN_MONITOR_RUNS_MAX} policy commands; ${path} keeps filling`);
        }
        const argv = ["lvextend", "--use-policies", path];
        const result = runLvm(host, argv);
        runs.push({ argv, result });
        host.trace.emit(THIN_AUTOEXTEND_EVENT.name, { pool: path, exitCode: result.exitCode });
        if (result.exitCode !== 0) log.push(`Failed to extend thin pool ${path}.`);
      },
    );
  };

  const listener = (event: TraceEvent): void => {
    if (stopped) return;
    const host = hostOf();
    if (stateHost !== host) {
      // A reboot: dmeventd starts afresh with the new host's pools.
      states.clear();
      stateHost = host;
    }
    if (event.name === "thin.pool.low-water")
      check(String(event.data.pool ?? ""), host, host.scheduler.nowNs, true);
    else if (event.name === "thin.commit" || event.name === "thin.provision")
      check(String(event.data.pool ?? ""), host, host.scheduler.nowNs, false);
  };
  const unsubscribe = hostOf().trace.subscribe(listener);
  return {
    log,
    runs,
    stop() {
      stopped = true;
      unsubscribe();
    },
  };
}
