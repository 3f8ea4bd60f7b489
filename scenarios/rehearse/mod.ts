/**
 * `lvmlab rehearse`: a migration plan tried on the user's own VG, every step, every crash window,
 * every recovery path, judged from what each recovery did to the VG and the data.
 */
export { type BackupVg, REHEARSE_PV_BYTES_MAX, readBackup } from "./backup.js";
export { type CellVerdict, classifyCell, OUTCOMES, type Outcome } from "./classify.js";
export { RehearseInputError } from "./input-error.js";
export {
  backupFromImages,
  type CheckedRequest,
  checkRequest,
  DEFAULT_PV_PROFILE,
  DEFAULT_WORKLOAD_TEXT,
  type RehearseRequest,
} from "./inputs.js";
export { PLAN_COMMANDS, type PlanStep, parsePlan } from "./plan.js";
export { REHEARSE_TAG, type RehearsalProvenance, rehearsalRecords } from "./records.js";
export { type BootKind, RECOVERY_PATHS, type RecoveryPath } from "./recovery-paths.js";
export {
  type CellResult,
  type CleanRun,
  type CrashWindow,
  planRehearsal,
  type RehearsalPlan,
  type RehearsalResult,
  type RehearseOptions,
  rehearse,
} from "./rehearse.js";
export { type VgState, vgState } from "./vg-state.js";
export { type RehearsalInput, RehearsalWorld, type RehearseDisk } from "./world.js";
