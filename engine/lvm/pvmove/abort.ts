/**
 * `pvmove --abort` (`_check_lv_status` with `aborting`): no progress query, so only what the
 * metadata recorded counts — segments checkpointed as moved stay on the destination, everything
 * else (even a segment copied to 99 %) stays on the source; an `--atomic` move drops its
 * destination image and leaves every LV on the source. The same two metadata writes as a finish.
 */
import type { VolumeGroup } from "../../metadata/model.js";
import { checkpointPvmove } from "../../metadata/pvmove.js";
import type { MutationInfo } from "../../sim/mutations.js";
import type { CommandContext } from "../command.js";
import type { HostScan } from "../vg-read.js";
import { finishMove, type PvmoveFinish } from "./finish.js";
import type { PvmoveId } from "./setup.js";

/** Mutation: the abort keeps the segment being copied on the destination, trusting uncommitted progress. */
export const PVMOVE_ABORT_KEEPS_RUNNING_SEGMENT: MutationInfo = {
  name: "pvmove-abort-keeps-running-segment",
  description:
    "pvmove --abort leaves the segment that was still copying on the destination, as if its copy had been checkpointed",
};

/** Aborts the move `id` as committed in `vg` (never trusting uncommitted copy progress). */
export function abortMove(
  context: CommandContext,
  scan: HostScan,
  options: { readonly vg: VolumeGroup; readonly id: PvmoveId },
): PvmoveFinish {
  const trusting = context.host.mutations.has(PVMOVE_ABORT_KEEPS_RUNNING_SEGMENT.name);
  const vg = trusting ? checkpointPvmove(options.vg, options.id.lvName) : options.vg;
  return finishMove(context, scan, { vg, id: options.id, abort: true });
}
