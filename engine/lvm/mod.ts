/** LVM2's commands over block devices: the Host, the command runner, VG read/write, reports and inspect. */
export { discardUnmapUnitBytes } from "./activation/discard-unit.js";
export * from "./args.js";
export * from "./command.js";
export { OverlayDevice } from "./commands/inspect-table.js";
export { COMMANDS } from "./commands/table.js";
export { Host, type HostFiles, type HostOptions, VIRTUAL_EPOCH_SECONDS } from "./host.js";
export { type InspectReport, inspectDevices, renderInspect } from "./inspect.js";
export {
  BOOTED_RUNTIME,
  captureRuntime,
  type MachineRuntime,
  restoreRuntime,
  SETTLE_NS_MAX,
  settleBackground,
} from "./machine.js";
export { CommandOutput } from "./output.js";
export { RAID1_CONVERT_MUTATIONS } from "./raid/change-images.js";
export { ENO_SUCH_CMD, isReadOnlyCommand, type LvmRunResult, type RunLvmOptions, runLvm } from "./run.js";
export { hostRuntime, type LvRuntimeProvider } from "./runtime.js";
export { lvCreateType, registerLvCreateType } from "./segtypes/registry.js";
export type { LvCreateRequest, LvCreateType } from "./segtypes/segtype.js";
export * from "./sizes.js";
export { THIN_LVCREATE_IGNORES_POOL_STATE } from "./thin/lvcreate.js";
export { DEFAULT_UNITS, formatSize, parseUnits, type Units } from "./units.js";
export { findVg, type HostScan, requireVg, scanHost, type VgHandle } from "./vg-read.js";
export {
  FIRST_AREA_ONLY,
  MUTATION_FIRST_AREA_ONLY,
  MUTATION_SAME_SEQNO,
  SAME_SEQNO,
  vgMetadataBytes,
  writeVg,
} from "./vg-write.js";
