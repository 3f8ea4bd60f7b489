/**
 * `pvmove --abort` (`_check_lv_status` with `aborting`): no progress query, so only what the
 * metadata recorded counts — segments checkpointed as moved stay on the destination, everything
 * else (even a segment copied to 99 %) stays on the source; an `--atomic` move drops its
 * destination image and leaves every LV on the source. The same two metadata writes as a finish.
 */
import type { VolumeGroup } from "../../metadata/model.js";
import type { CommandContext } from "../command.js";
import type { HostScan } from "../vg-read.js";
import { finishMove, type PvmoveFinish } from "./finish.js";
import type { PvmoveId } from "./setup.js";

/** Aborts the move `id` as committed in `vg` (never trusting uncommitted copy progress). */
export function abortMove(
  context: CommandContext,
  scan: HostScan,
  options: { readonly vg: VolumeGroup; readonly id: PvmoveId },
): PvmoveFinish {
  return finishMove(context, scan, { vg: options.vg, id: options.id, abort: true });
}
