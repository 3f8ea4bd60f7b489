/** pvmove: setup, the kernel-side copy, the poller with checkpoints, finish and abort, progress. */
export { abortMove } from "./abort.js";
export { finishMove, flushMoveDevice, type PvmoveFinish } from "./finish.js";
export {
  configurePvmove,
  DEFAULT_POLLING_INTERVAL_SECONDS,
  type MoveRef,
  type PvmoveHostSettings,
  pvmoveActivateOptions,
  pvmoveSettings,
  runningMirror,
  startPvmoveCopy,
  stopPvmoveCopy,
} from "./kernel.js";
export {
  PVMOVE_MUTATIONS,
  PVMOVE_SKIP_CHECKPOINT,
  PVMOVE_SWITCH_BEFORE_SYNC,
  type PvmoveOutcome,
  PvmovePoller,
  type PvmovePollOptions,
  type PvmoveProgressSample,
} from "./poll.js";
export { startPoller, stopPoller } from "./pollers.js";
export {
  DM_PERCENT_100,
  dmMakePercent,
  formatDmPercent,
  type PvmoveProgress,
  pvmoveProgressOf,
} from "./progress.js";
export {
  findMoveFromSource,
  lvsUsing,
  moveSourceDevice,
  type PvmoveId,
  type PvmoveRequest,
  type PvmoveStart,
  pvArgDevice,
  startPvmove,
} from "./setup.js";
