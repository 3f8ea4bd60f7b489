/** Device timing models: profiles, service times, per-device queues and shared buses. */
export { Bus, type BusCounters, type BusOccupancy, type BusOptions } from "./bus.js";
export { CUSTOM_PREFIX, type CustomProfileFields, customProfile, parseCustomProfile } from "./custom.js";
export { revolutionNs, rotationalLatencyNs, seekNs } from "./hdd.js";
export {
  type DeviceKind,
  type DeviceProfile,
  describeProfile,
  type HddMechanics,
  MAX_PARALLELISM,
  validateProfile,
} from "./profile.js";
export {
  BUILTIN_PROFILES,
  HDD_PROFILE,
  NVME_PROFILE,
  REALDM_PROFILE,
  SATA_SSD_PROFILE,
} from "./profiles.js";
export {
  BANDWIDTH_PER_SERVER,
  type DeviceCounters,
  DeviceQueue,
  type DeviceQueueOptions,
  MUTATION_BANDWIDTH_PER_SERVER,
  type QueueCompletion,
} from "./queue.js";
export { resolveProfile } from "./resolve.js";
export {
  assertTimingRequest,
  MAX_REQUEST_BYTES,
  type ServiceBreakdown,
  type ServiceOptions,
  serviceBreakdown,
  serviceNs,
  type TimingOp,
  type TimingRequest,
} from "./service.js";
export { parseBytes, parseBytesPerSec, parseDurationNs } from "./units.js";
