/** Old-style (dm-mirror) LVs on the LVM side: conversions, repair policies, log initialisation, resync drivers, status. */
export {
  type AddImagesOptions,
  addMirrorImages,
  imagesToDrop,
  MIRROR_IMAGES_MAX,
  mirrorImages,
  mirrorSegmentOf,
  removeMirrorImages,
  setMirrorLog,
} from "./convert.js";
export { liveMirrorsOf, lvResyncRunning, startLvResync, stopLvResync } from "./kernel.js";
export {
  type InitMirrorLogOptions,
  initMirrorLog,
  MIRROR_LOG_WIPE_BYTES_MAX,
  MIRROR_SKIP_LOG_RESET,
  MUTATION_MIRROR_SKIP_LOG_RESET,
} from "./log-init.js";
export {
  type MirrorMonitor,
  MONITOR_REPAIRS_MAX,
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
export { mirrorCopyPercent, mirrorLegHealth } from "./status.js";
