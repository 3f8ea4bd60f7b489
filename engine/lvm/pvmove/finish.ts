/**
 * Ending a move (`pvmove_finish`, `tools/pvmove_poll.c`), after the last segment is in sync or on
 * `--abort`: two metadata commits, as LVM2 does. Write A (`_remove_mirrors_from_segments`,
 * `_remove_pvmove_layer`): every moved LV points straight at PV areas again — a segment recorded as
 * moved keeps its destination, any other keeps its source, and an aborted `--atomic` move keeps
 * everything on the source — the LVs lose LOCKED and the pvmove LV becomes an `error` LV; the
 * tables are reloaded. Write B removes the pvmove LV. A crash between them leaves the same orphan
 * `error` LV that LVM2 leaves.
 */
import type { VolumeGroup } from "../../metadata/model.js";
import { finishPvmove } from "../../metadata/pvmove.js";
import type { MutationInfo } from "../../sim/mutations.js";
import type { TraceEventInfo } from "../../sim/trace.js";
import { deviceMapperOf, reloadLv } from "../activation/activate.js";
import { dmName } from "../activation/dm-name.js";
import type { CommandContext } from "../command.js";
import type { HostScan } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { type MoveRef, pvmoveActivateOptions, stopPvmoveCopy } from "./kernel.js";
import type { PvmoveId } from "./setup.js";
import { lvsUsing } from "./setup.js";

/** Mutation: write A (the LVs on their destination) is committed before the last segment's copy is flushed. */
export const PVMOVE_FINISH_SKIP_FLUSH: MutationInfo = {
  name: "pvmove-finish-skip-flush",
  description:
    "pvmove's finishing write A maps the LVs onto the destination before the last segment's copy is flushed",
};

/** Trace event: pvmove committed its final metadata and removed the pvmove LV. */
export const PVMOVE_FINISH_EVENT: TraceEventInfo = {
  name: "pvmove.finish",
  description: "pvmove committed its final metadata and removed the pvmove LV",
};

/** Trace event: pvmove --abort committed its final metadata and removed the pvmove LV. */
export const PVMOVE_ABORT_EVENT: TraceEventInfo = {
  name: "pvmove.abort",
  description: "pvmove --abort committed its final metadata and removed the pvmove LV",
};

/** What a finished or aborted move committed. */
export interface PvmoveFinish {
  /** The VG as committed by write A (pvmove LV as `error`). */
  readonly writeA: VolumeGroup;
  /** The VG as committed by write B (pvmove LV gone). */
  readonly writeB: VolumeGroup;
  /** The LVs that were moved (or moved back). */
  readonly lvsChanged: readonly string[];
}

/**
 * Flushes a live pvmove device so the copied data is on stable storage before metadata says where
 * it lives: the suspend of `lv_update_and_reload` waits for the copy, and the copy must not be
 * younger than the commit that relies on it.
 */
export function flushMoveDevice(context: CommandContext, move: MoveRef): void {
  const name = dmName(move.vgName, move.lvName);
  const device = deviceMapperOf(context.host).device(name);
  if (device === undefined) return;
  const doneNs = device.flush({ issueNs: context.host.scheduler.nowNs });
  if (doneNs < context.host.scheduler.nowNs) {
    throw new Error(`Flush of ${name} completed at ${doneNs} ns, before it was issued`);
  }
}

/**
 * Finishes (or, with `abort`, aborts) the move `id` on `vg` (the VG as the poller knows it): write A,
 * table reloads, removal of the pvmove device, write B, then `pvmove.finish` or `pvmove.abort`.
 */
export function finishMove(
  context: CommandContext,
  scan: HostScan,
  options: { readonly vg: VolumeGroup; readonly id: PvmoveId; readonly abort?: boolean },
): PvmoveFinish {
  const { vg, id } = options;
  const host = context.host;
  const lvsChanged = lvsUsing(vg, id.lvName).map((lv) => lv.name);
  if (!host.mutations.has(PVMOVE_FINISH_SKIP_FLUSH.name)) flushMoveDevice(context, id);
  const writeA = writeVg(context, scan, finishPvmove(vg, id.lvName, { abort: options.abort === true }));
  const dm = deviceMapperOf(host);
  if (context.driverLoaded !== false) {
    const activate = pvmoveActivateOptions(host);
    for (const name of lvsChanged) {
      const lv = writeA.lvs.find((l) => l.name === name);
      if (lv !== undefined && dm.lv(lv.id) !== undefined) reloadLv(host, writeA, name, activate);
    }
  }
  // Deactivate the (now error) pvmove LV, then forget it.
  stopPvmoveCopy(host, id);
  dm.remove(dmName(vg.name, id.lvName));
  dm.dropLv(id.lvId);
  host.activeLvs.delete(id.lvId);
  const withoutMove: VolumeGroup = { ...writeA, lvs: writeA.lvs.filter((lv) => lv.name !== id.lvName) };
  const writeB = writeVg(context, scan, withoutMove);
  host.trace.emit(options.abort === true ? PVMOVE_ABORT_EVENT.name : PVMOVE_FINISH_EVENT.name, {
    vg: vg.name,
    lv: id.lvName,
    source: id.displayName,
    seqno: writeB.seqno,
  });
  return { writeA, writeB, lvsChanged };
}
