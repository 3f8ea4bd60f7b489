/**
 * One running machine across several `lvmlab lvm` invocations. A process ends where a real
 * machine keeps running, so what the kernel would still hold is saved between invocations and
 * restored into a fresh Host: which LVs are active (their tables are rebuilt from the metadata on
 * the disks), which core-log mirrors are in sync (the kernel keeps that in memory), the virtual
 * clock, and the background work that was running (pvmove polls resume from their last
 * checkpoint, resync and merge from what their logs and stores hold on disk).
 */
import { lvKinds } from "../metadata/lv-kind.js";
import { deviceMapperOf, mirrorsIn } from "./activation/activate.js";
import { dmName } from "./activation/dm-name.js";
import type { Host } from "./host.js";
import { runLvm } from "./run.js";
import { findVg, scanHost, vgNames } from "./vg-read.js";

/** What the running kernel holds that the disks do not. */
export interface MachineRuntime {
  /** Virtual time in nanoseconds. */
  readonly clockNs: number;
  /** Active LVs by uuid (sub-LVs included). */
  readonly activeLvIds: readonly string[];
  /** Core-log mirrors ("vg/lv") whose every region is in sync. */
  readonly mirrorsInSync: readonly string[];
}

/** The runtime of a fresh (just booted) machine. */
export const BOOTED_RUNTIME: MachineRuntime = { clockNs: 0, activeLvIds: [], mirrorsInSync: [] };

/** Most virtual time one invocation's background work may take before it is left running (1 h). */
export const SETTLE_NS_MAX = 3_600_000_000_000;

/** Reads what the kernel of `host` holds now. */
export function captureRuntime(host: Host): MachineRuntime {
  const dm = deviceMapperOf(host);
  const scan = scanHost(host);
  const mirrorsInSync: string[] = [];
  for (const name of vgNames(scan)) {
    let vg: ReturnType<typeof findVg>;
    try {
      vg = findVg(scan, name);
    } catch {
      continue;
    }
    if (vg === undefined) continue;
    for (const lv of vg.vg.lvs) {
      if (!host.activeLvs.has(lv.id)) continue;
      const seg = lv.segments[0];
      if (seg?.type !== "mirror" || seg.mirrorLog !== undefined || lv.status.includes("PVMOVE")) continue;
      const mirrors = mirrorsIn(dm, dmName(vg.vg.name, lv.name));
      if (mirrors.length > 0 && mirrors.every((m) => m.inSync))
        mirrorsInSync.push(`${vg.vg.name}/${lv.name}`);
    }
  }
  return {
    clockNs: host.scheduler.nowNs,
    activeLvIds: [...host.activeLvs].sort(),
    mirrorsInSync: mirrorsInSync.sort(),
  };
}

/**
 * Brings a fresh Host to `runtime`: moves its clock, then activates every visible LV that was
 * active (`lvchange -ay`, which also resumes an interrupted pvmove with its background poll).
 * Messages those activations print are not shown: the operator saw them the first time.
 */
export function restoreRuntime(host: Host, runtime: MachineRuntime): void {
  if (runtime.clockNs > host.scheduler.nowNs) host.scheduler.advanceTo(runtime.clockNs);
  for (const name of runtime.mirrorsInSync) host.mirrorsKnownInSync.add(name);
  const active = new Set(runtime.activeLvIds);
  if (active.size === 0) return;
  const scan = scanHost(host);
  for (const name of vgNames(scan)) {
    let handle: ReturnType<typeof findVg>;
    try {
      handle = findVg(scan, name);
    } catch {
      continue; // A VG the scan cannot use stays inactive; the command run next reports why.
    }
    if (handle === undefined) continue;
    const kinds = lvKinds(handle.vg);
    for (const lv of handle.vg.lvs) {
      if (!active.has(lv.id) || !kinds.get(lv.name)?.visible) continue;
      runLvm(host, ["lvchange", "-ay", `${handle.vg.name}/${lv.name}`]);
    }
    // An LV whose disk vanished while it was active cannot be activated again (LVM2 refuses a
    // partial LV), but the running kernel still holds its table: it stays active, as on a real
    // machine, and reads of the missing part fail.
    for (const lv of handle.vg.lvs) if (active.has(lv.id)) host.activeLvs.add(lv.id);
  }
}

/**
 * Lets background work (pvmove copies and polls, resync, merge) run in virtual time until none is
 * left or `limitNs` of virtual time has passed. Returns true when the machine is idle.
 */
export function settleBackground(host: Host, limitNs: number = SETTLE_NS_MAX): boolean {
  const scheduler = host.scheduler;
  const endNs = scheduler.nowNs + limitNs;
  for (;;) {
    const next = scheduler.nextEventNs();
    if (next === undefined) return true;
    if (next > endNs) return false;
    scheduler.step();
  }
}
