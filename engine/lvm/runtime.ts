/**
 * Report fields that depend on the running kernel rather than metadata (active, copy_percent,
 * sync_percent, snap_percent) come from a provider, so activation (dm tables), mirrors and pvmove
 * can plug in later. The default knows only what the Host records: which LVs were activated.
 */
import type { LogicalVolume, VolumeGroup } from "../metadata/model.js";
import { deviceMapperOf } from "./activation/activate.js";
import type { CommandContext } from "./command.js";
import type { Host } from "./host.js";
import { mirrorCopyPercent } from "./mirror/status.js";
import { runningMirror } from "./pvmove/kernel.js";
import { pvmoveProgressOf } from "./pvmove/progress.js";
import { raidCopyPercent, raidStatusOf } from "./raid/status.js";
import type { LvRuntimeProvider } from "./runtime-provider.js";
import { snapshotInvalid, snapshotPercent } from "./snapshot/status.js";
import { livePool, thinDataPercent, thinMetadataPercent } from "./thin/status.js";

export type { LvRuntimeProvider };

/**
 * `copy_percent` of an active pvmove LV as LVM2's `copy_percent()` computes it: committed
 * checkpoints plus the RUNNING segment's in-sync share; undefined when the LV has no live table.
 */
function pvmoveCopyPercent(host: Host, vg: VolumeGroup, lv: LogicalVolume): number | undefined {
  if (!lv.status.includes("PVMOVE") || deviceMapperOf(host).lv(lv.id) === undefined) return undefined;
  return (
    pvmoveProgressOf(lv, runningMirror(host, { vgName: vg.name, lvName: lv.name })).overallPercent / 1_000_000
  );
}

/** The default provider: activation from `host.activeLvs`, pvmove progress from its live table. */
export function hostRuntime(host: Host): LvRuntimeProvider {
  return {
    isActive: (_vg, lv) => host.activeLvs.has(lv.id),
    copyPercent: (vg, lv) =>
      pvmoveCopyPercent(host, vg, lv) ?? mirrorCopyPercent(host, vg, lv) ?? raidCopyPercent(host, vg, lv),
    snapPercent: (vg, lv) => snapshotPercent(host, vg, lv),
    snapshotInvalid: (vg, lv) => snapshotInvalid(host, vg, lv),
    thinDataPercent: (vg, lv) => thinDataPercent(host, vg, lv),
    thinMetadataPercent: (vg, lv) => thinMetadataPercent(host, vg, lv),
    thinPoolMode: (vg, pool) => livePool(host, vg.name, pool.name)?.mode,
    thinPoolNeedsCheck: (vg, pool) => livePool(host, vg.name, pool.name)?.metadata?.needsCheck,
    thinPoolKernelDiscards: (vg, pool) => {
      const live = livePool(host, vg.name, pool.name);
      if (live === undefined) return undefined;
      // A failed pool's status is just "Fail": libdm's parse leaves discards at 0, IGNORE.
      return live.mode === "fail" ? "ignore" : live.discards;
    },
    raidStatus: (vg, lv) => raidStatusOf(host, vg, lv),
  };
}

/** What reports see with `--driverloaded n`: activation unknown (lv_attr "XX", lv_active "unknown"). */
const UNKNOWN_RUNTIME: LvRuntimeProvider = {
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
