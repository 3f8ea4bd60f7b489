/** Public face of engine/dm/thin: the thin-pool and thin targets, and the mutations thin provisioning honours. */
import {
  COMMIT_SKIPS_METADATA_FLUSH,
  DATA_REUSED_BEFORE_COMMIT,
  DISCARD_FREES_SHARED_BLOCK,
  DISCARD_KEEPS_REFCOUNT,
  REPAIR_COUNTS_SHARED_ONCE,
  SNAP_SKIPS_ROOT_INC,
} from "../../persistent-data/thin-metadata.js";
import type { MutationInfo } from "../../sim/mutations.js";
import {
  THIN_ABORT_SKIPS_NEEDS_CHECK,
  THIN_COMMIT_SKIPS_DATA_FLUSH,
  THIN_FLUSH_SKIPS_COMMIT,
  THIN_FUA_SKIPS_COMMIT,
  THIN_LOW_WATER_EVENT_LOST,
  THIN_NO_SPACE_FAILS_AT_ONCE,
  THIN_RESIZE_STAYS_FULL,
  THIN_RESUME_DROPS_HELD,
  THIN_SKIPS_BLOCK_ZEROING,
  THIN_SKIPS_RESERVE_COMMIT,
} from "./pool.js";

export {
  type HeldWriteCounts,
  type MetadataFullAt,
  type PoolDiscards,
  type PoolMode,
  type PoolUsage,
  THIN_NO_SPACE_TIMEOUT_NS,
  ThinMessageError,
  ThinPoolTarget,
} from "./pool.js";
export { ThinTarget } from "./thin.js";

/** Deliberate bugs of dm-thin and its metadata that the nightly thin scenarios must catch. */
export const THIN_MUTATIONS: readonly MutationInfo[] = [
  THIN_COMMIT_SKIPS_DATA_FLUSH,
  THIN_FLUSH_SKIPS_COMMIT,
  COMMIT_SKIPS_METADATA_FLUSH,
  SNAP_SKIPS_ROOT_INC,
  REPAIR_COUNTS_SHARED_ONCE,
  DISCARD_KEEPS_REFCOUNT,
  THIN_LOW_WATER_EVENT_LOST,
  THIN_ABORT_SKIPS_NEEDS_CHECK,
  THIN_RESIZE_STAYS_FULL,
  THIN_NO_SPACE_FAILS_AT_ONCE,
  THIN_RESUME_DROPS_HELD,
  THIN_SKIPS_RESERVE_COMMIT,
  DATA_REUSED_BEFORE_COMMIT,
  DISCARD_FREES_SHARED_BLOCK,
  THIN_FUA_SKIPS_COMMIT,
  THIN_SKIPS_BLOCK_ZEROING,
];
export { THIN_TRACE_EVENTS } from "./pool.js";
