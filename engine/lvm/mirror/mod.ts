/** Old-style (dm-mirror) LVs on the LVM side: conversions, repair policies, log initialisation, resync drivers, status. */
export {
  type AddImagesOptions,
  addMirrorImages,
  imagesToDrop,
  mirrorImages,
  mirrorSegmentOf,
  removeMirrorImages,
  setMirrorLog,
} from "./convert.js";
export { liveMirrorsOf, startLvResync, stopLvResync } from "./kernel.js";
export {
  type InitMirrorLogOptions,
  initMirrorLog,
  MUTATION_MIRROR_SKIP_LOG_RESET,
} from "./log-init.js";
export {
  type MirrorMonitor,
  type MonitorOptions,
  monitorMirrors,
  splitDmName,
} from "./monitor.js";
export {
  DEFAULT_FAULT_POLICIES,
  type FailedMirrorParts,
  type FaultPolicy,
  failedMirrorParts,
  faultPoliciesFromConfig,
  type MirrorFaultPolicies,
  type MirrorRepair,
  type RepairOptions,
  removeMissingMirrorParts,
  repairMirror,
} from "./repair.js";
export { mirrorCopyPercent } from "./status.js";
