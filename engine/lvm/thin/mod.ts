/** Public face of engine/lvm/thin: LVM2's thin provisioning as the layers above use it. */
export {
  noteThinAutoextend,
  THIN_AUTOEXTEND_DEFAULTS,
  type ThinAutoextendSettings,
  thinAutoextend,
} from "./autoextend-settings.js";
export { monitorThin, THIN_AUTOEXTEND_EVENT, type ThinMonitor } from "./monitor.js";
export { livePool, liveThin, type ThinMetadataOnDisk, thinMetadataOnDisk } from "./status.js";
