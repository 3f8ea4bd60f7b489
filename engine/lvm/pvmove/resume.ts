/**
 * What activation does for a VG with an interrupted move (`toollib.c` "Spawning background pvmove
 * process", `activation/background_polling`): the moved LVs and the pvmove LV get their tables
 * from the committed metadata — checkpointed segments on the destination, the first unrecorded one
 * a mirror copying again from its start, the rest on the source — and a background poller takes
 * the move to its end unless `--poll n`.
 */
import type { VolumeGroup } from "../../metadata/model.js";
import type { MutationInfo } from "../../sim/mutations.js";
import { activateLv, deactivateVg, deviceMapperOf } from "../activation/activate.js";
import type { CommandContext } from "../command.js";
import { scanHost } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import {
  DEFAULT_POLLING_INTERVAL_SECONDS,
  pvmoveActivateOptions,
  pvmoveSettings,
  startPvmoveCopy,
  stopPvmoveCopy,
} from "./kernel.js";
import { startPoller, stopPoller } from "./pollers.js";
import { lvsUsing, moveSourceDevice } from "./setup.js";

/**
 * Mutation: a resumed move forgets its checkpoints (extents_moved back to 0) and copies every
 * segment again from the source, overwriting writes that landed on the destination after a
 * checkpoint with the source's stale data.
 */
export const PVMOVE_RESUME_IGNORES_MOVED: MutationInfo = {
  name: "pvmove-resume-ignores-extents-moved",
  description:
    "an interrupted pvmove resumes from its first segment, ignoring extents_moved, and copies already-moved segments again from the stale source",
};

/** The VG with every checkpoint of its moves forgotten (what the mutation resumes from). */
function withoutCheckpoints(vg: VolumeGroup): VolumeGroup {
  return {
    ...vg,
    lvs: vg.lvs.map((lv) =>
      lv.status.includes("PVMOVE")
        ? {
            ...lv,
            segments: lv.segments.map((seg) =>
              seg.type === "mirror" && seg.extentsMoved !== undefined ? { ...seg, extentsMoved: 0 } : seg,
            ),
          }
        : lv,
    ),
  };
}

/** The pvmove LVs of a VG, optionally only those `lvName` maps through. */
function movesOf(vg: VolumeGroup, lvName?: string): VolumeGroup["lvs"] {
  return vg.lvs.filter(
    (lv) =>
      lv.status.includes("PVMOVE") &&
      (lvName === undefined || lv.name === lvName || lvsUsing(vg, lv.name).some((p) => p.name === lvName)),
  );
}

/** True when the VG (or the LV `lvName` in it) has a move in its metadata. */
export function hasInterruptedMove(vg: VolumeGroup, lvName?: string): boolean {
  return movesOf(vg, lvName).length > 0;
}

/**
 * Activates the moves of `vg` (those `lvName` maps through, when given) with everything they stack
 * on, restarts their copies, and unless `poll` is false starts background pollers. Returns how many
 * moves it found.
 */
export function resumeMovesOnActivation(
  context: CommandContext,
  committed: VolumeGroup,
  options: { readonly poll: boolean; readonly lvName?: string },
): number {
  const host = context.host;
  const vg = host.mutations.has(PVMOVE_RESUME_IGNORES_MOVED.name)
    ? writeVg(context, scanHost(host), withoutCheckpoints(committed))
    : committed;
  const moves = movesOf(vg, options.lvName);
  const activate = pvmoveActivateOptions(host);
  for (const move of moves) {
    for (const parent of lvsUsing(vg, move.name)) activateLv(host, vg, parent.name, activate);
    activateLv(host, vg, move.name, activate);
    startPvmoveCopy(host, { vgName: vg.name, lvName: move.name });
    const display = moveSourceDevice(vg, move);
    if (!options.poll || display === undefined) continue;
    startPoller(
      context,
      { vgName: vg.name, lvName: move.name, lvId: move.id, displayName: display },
      {
        commandLine: context.commandLine,
        intervalSeconds: pvmoveSettings(host).pollingIntervalSeconds ?? DEFAULT_POLLING_INTERVAL_SECONDS,
      },
    );
  }
  return moves.length;
}

/** `vgchange -an` of a VG with moves: pollers and copies stop and the VG's tables go away. */
export function deactivateMoves(context: CommandContext, vg: VolumeGroup): void {
  const host = context.host;
  for (const move of movesOf(vg)) {
    stopPoller(host, move.id);
    stopPvmoveCopy(host, { vgName: vg.name, lvName: move.name });
  }
  if (deviceMapperOf(host).names().length > 0) deactivateVg(host, vg);
}
