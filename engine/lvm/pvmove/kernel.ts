/**
 * The kernel side of a pvmove: whenever a pvmove LV's table is loaded, dm-raid1 starts copying its
 * RUNNING segment (the one core-log mirror in the table) region by region, with no help from
 * userspace. lvmlab drives that copy on the host's scheduler, one driver per live pvmove device,
 * and emits `pvmove.segment.synced` when the segment is in sync. A reload replaces the table, so
 * the old table's copy stops; a reboot drops the Host and every driver with it.
 */

import type { MirrorTarget } from "../../dm/mirror/mirror.js";
import type { MirrorResyncHandle } from "../../dm/mirror/resync-driver.js";
import { startMirrorResync } from "../../dm/mirror/resync-driver.js";
import type { TraceEventInfo } from "../../sim/trace.js";
import { type ActivateOptions, deviceMapperOf, mirrorsIn } from "../activation/activate.js";
import { dmName } from "../activation/dm-name.js";
import type { Host } from "../host.js";
import type { PvmoveProgressSample } from "./progress.js";

/** Trace event: the kernel finished copying one pvmove segment. */
export const PVMOVE_SEGMENT_SYNCED_EVENT: TraceEventInfo = {
  name: "pvmove.segment.synced",
  description: "The kernel finished copying one pvmove segment",
};

/** Machine-wide pvmove settings (what `/proc/sys/dev/raid/speed_limit_max` and lvm.conf would hold). */
export interface PvmoveHostSettings {
  /** Copy throttle in bytes per second of virtual time; 0 or absent = as fast as the disks go. */
  readonly syncSpeedBytesPerSecond?: number;
  /** `activation/polling_interval` in seconds (LVM2's default is 15). */
  readonly pollingIntervalSeconds?: number;
  /** Receives every poll's progress sample of every move on the machine (for reports). */
  readonly onProgress?: (sample: PvmoveProgressSample) => void;
}

/** A pvmove LV by VG and LV name. */
export interface MoveRef {
  readonly vgName: string;
  readonly lvName: string;
}

/** LVM2's `activation/polling_interval` default. */
export const DEFAULT_POLLING_INTERVAL_SECONDS = 15;

interface HostState {
  settings: PvmoveHostSettings;
  readonly copies: Map<string, { readonly mirror: MirrorTarget; readonly handle: MirrorResyncHandle }>;
}

const states = new WeakMap<Host, HostState>();

function stateOf(host: Host): HostState {
  let state = states.get(host);
  if (state === undefined) {
    state = { settings: {}, copies: new Map() };
    states.set(host, state);
  }
  return state;
}

/** Sets the machine's pvmove settings (sync speed, polling interval); they last until the Host is dropped. */
export function configurePvmove(host: Host, settings: PvmoveHostSettings): void {
  const speed = settings.syncSpeedBytesPerSecond ?? 0;
  if (!(speed >= 0) || !Number.isFinite(speed)) {
    throw new RangeError(`pvmove sync speed must be a finite number of bytes/s >= 0, got ${speed}`);
  }
  const interval = settings.pollingIntervalSeconds ?? DEFAULT_POLLING_INTERVAL_SECONDS;
  if (!(interval >= 0) || !Number.isFinite(interval)) {
    throw new RangeError(`pvmove polling interval must be a finite number of seconds >= 0, got ${interval}`);
  }
  stateOf(host).settings = settings;
}

/** The machine's pvmove settings. */
export function pvmoveSettings(host: Host): PvmoveHostSettings {
  return stateOf(host).settings;
}

/** Activation options that carry the machine's copy throttle into new mirror tables. */
export function pvmoveActivateOptions(host: Host): ActivateOptions {
  const speed = stateOf(host).settings.syncSpeedBytesPerSecond;
  return { startResync: true, ...(speed === undefined ? {} : { syncSpeedBytesPerSecond: speed }) };
}

/** The RUNNING segment's mirror in the live table of a pvmove LV, if the LV is active and copying. */
export function runningMirror(host: Host, move: MoveRef): MirrorTarget | undefined {
  return mirrorsIn(deviceMapperOf(host), dmName(move.vgName, move.lvName))[0];
}

/**
 * Starts (or keeps) the copy of the RUNNING segment of a loaded pvmove table. A driver left over
 * from a previous table of the same device is stopped: that table is gone.
 */
export function startPvmoveCopy(host: Host, move: MoveRef): void {
  const state = stateOf(host);
  const name = dmName(move.vgName, move.lvName);
  const mirror = runningMirror(host, move);
  const old = state.copies.get(name);
  if (old !== undefined && old.mirror === mirror) return;
  old?.handle.stop();
  state.copies.delete(name);
  if (mirror === undefined || mirror.inSync) return;
  const handle = startMirrorResync(mirror, host.scheduler, {
    onDone: () => {
      host.trace.emit(PVMOVE_SEGMENT_SYNCED_EVENT.name, {
        vg: move.vgName,
        lv: move.lvName,
        mirror: mirror.name,
        regions: mirror.regionCount,
      });
    },
  });
  state.copies.set(name, { mirror, handle });
}

/** Stops the copy of a pvmove device whose table is being removed. */
export function stopPvmoveCopy(host: Host, move: MoveRef): void {
  const state = stateOf(host);
  const name = dmName(move.vgName, move.lvName);
  state.copies.get(name)?.handle.stop();
  state.copies.delete(name);
}
