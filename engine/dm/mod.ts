/**
 * Public face of engine/dm: device-mapper targets as stackable BlockDevices, configured from
 * dm-table-like parameters (devices and sector offsets), never from the VG model.
 */

export { type DmsetupFormatOptions, formatDmsetup } from "./dmsetup.js";
export { ErrorTarget } from "./error.js";
export { type LinearOptions, LinearTarget } from "./linear.js";
export {
  type HeldWrite,
  type LegErrorType,
  MIRROR_ACK_AFTER_ONE_LEG,
  MIRROR_MUTATIONS,
  MIRROR_WRITE_BEFORE_MARK,
  type MirrorOptions,
  type MirrorResyncStep,
  MirrorTarget,
} from "./mirror/mirror.js";
export { RegionHash, type RegionState } from "./mirror/region-hash.js";
export {
  CoreRegionLog,
  type DiskLogOptions,
  DiskRegionLog,
  diskLogIoBytes,
  type FlushLegs,
  type LegFlushResult,
  type LogSyncMode,
  MIRROR_LOG_MAGIC,
  MIRROR_LOG_VERSION,
  type RegionLog,
  type RegionLogOptions,
  regionBitsetBytes,
  testBitLe,
} from "./mirror/region-log.js";
export {
  type MirrorResyncDriverOptions,
  type MirrorResyncHandle,
  startMirrorResync,
} from "./mirror/resync-driver.js";
export { MultiSegmentDevice } from "./multi-segment.js";
export {
  EXCEPTION_STORE_MUTATIONS,
  type ExceptionEntry,
  type ExceptionStoreOptions,
  type MergeRun,
  PersistentExceptionStore,
  SNAPSHOT_MAGIC,
  SNAPSHOT_SKIP_EXCEPTION_FLUSH,
  type SnapshotUsage,
} from "./snapshot/exception-store.js";
export { type MergeStep, type SnapshotMergeOptions, SnapshotMergeTarget } from "./snapshot/merge.js";
export { type PendingCopies, type SnapshotOptions, SnapshotTarget } from "./snapshot/snapshot.js";
export {
  SNAPSHOT_ORIGIN_BEFORE_COMMIT,
  SNAPSHOT_ORIGIN_MUTATIONS,
  type SnapshotOriginOptions,
  SnapshotOriginTarget,
} from "./snapshot/snapshot-origin.js";
export { type StripedOptions, StripedTarget } from "./striped.js";
export {
  type ByteRange,
  checkDeviceRef,
  checkRequest,
  type DeviceRef,
  deviceLabel,
  type MappedDevice,
  Target,
  targetLine,
} from "./target.js";
export { ZeroTarget } from "./zero.js";

import type { MutationInfo } from "../sim/mutations.js";
import { MIRROR_MUTATIONS } from "./mirror/mirror.js";
import { EXCEPTION_STORE_MUTATIONS } from "./snapshot/exception-store.js";
import {
  SNAPSHOT_MERGE_SKIP_ORIGIN_FLUSH,
  SNAPSHOT_MERGE_SKIPS_OTHER_SNAPSHOTS,
  SNAPSHOT_MERGE_SKIPS_RUN_TAIL,
  SNAPSHOT_MERGE_WRITE_SKIPS_COW,
} from "./snapshot/merge.js";
import { SNAPSHOT_MUTATIONS } from "./snapshot/snapshot.js";
import { SNAPSHOT_ORIGIN_MUTATIONS } from "./snapshot/snapshot-origin.js";
import { STRIPED_WRITE_NOT_SPLIT } from "./striped.js";

/** Every mutation engine/dm honours, for the mutant catalogue. */
export const DM_MUTATIONS: readonly MutationInfo[] = [
  ...MIRROR_MUTATIONS,
  ...EXCEPTION_STORE_MUTATIONS,
  ...SNAPSHOT_ORIGIN_MUTATIONS,
  SNAPSHOT_MERGE_SKIP_ORIGIN_FLUSH,
  ...SNAPSHOT_MUTATIONS,
  SNAPSHOT_MERGE_SKIPS_OTHER_SNAPSHOTS,
  SNAPSHOT_MERGE_SKIPS_RUN_TAIL,
  SNAPSHOT_MERGE_WRITE_SKIPS_COW,
  STRIPED_WRITE_NOT_SPLIT,
];
