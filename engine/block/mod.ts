/** Public face of engine/block: the BlockDevice contract, its backends and the volatile write cache. */

export {
  BLOCK_DISCARD_EVENT,
  BLOCK_FLUSH_EVENT,
  BLOCK_POWERCUT_EVENT,
  BLOCK_WRITE_EVENT,
  type CrashOutcome,
  DEFAULT_MAX_LOG_BYTES,
  DEFAULT_MAX_LOG_WRITES,
  FUA_KEEPS_OLDER_CACHED,
  FUA_STAYS_VOLATILE,
  MUTATION_FUA_KEEPS_OLDER_CACHED,
  MUTATION_FUA_STAYS_VOLATILE,
  VolatileCache,
  type VolatileCacheOptions,
} from "./cache.js";
export {
  applyCrashState,
  type CrashPolicy,
  type CrashState,
  type CrashStateSummary,
  chooseCrashState,
  type KeptWrite,
  type KeptWriteRef,
  SUBSET_KEEPS_ALL,
  summariseCrashState,
  TORN_NEVER_TEARS,
} from "./crash-state.js";
export {
  COUNT_ASSUMES_DISJOINT,
  type CrashStateCount,
  type CrashStateOptions,
  countCrashStates,
  DEFAULT_CRASH_STATE_LIMIT,
  enumerateCrashStates,
  MUTATION_COUNT_ASSUMES_DISJOINT,
  type PersistedReader,
} from "./crash-states.js";
export {
  type BlockDevice,
  emptyIoStats,
  type IoOptions,
  type IoStats,
  SECTOR_BYTES,
  type WriteOptions,
} from "./device.js";
export { BlockDeviceError, type BlockErrorCode, isBlockDeviceError } from "./errors.js";
export { FileDevice, type FileDeviceOpenOptions } from "./file.js";
export {
  DISCARD_FREES_PARTIAL_PAGES,
  MemoryDevice,
  type MemoryDeviceOptions,
  MUTATION_DISCARD_FREES_PARTIAL_PAGES,
  PAGE_BYTES,
  type WrittenPage,
} from "./memory.js";
export {
  canSharePages,
  concatPages,
  isPageSharing,
  type PageOp,
  type PageSharingDevice,
  type PagesRead,
  pagesLengthBytes,
  readPagesFrom,
  writePagesTo,
  ZERO_PAGE,
} from "./page-share.js";
export { canQueueWrites, type QueuedCompletion, type QueuedDone, type QueuedWriter } from "./queued.js";
export { TimedDevice, type TimedDeviceOptions } from "./timed.js";
export {
  issueTimeNs,
  type RequestKind,
  type RequestTarget,
  type ValidateOptions,
  validateDeviceSize,
  validateRequest,
} from "./validate.js";
export {
  decodeJournals,
  emptyJournal,
  encodeJournals,
  type JournalEntry,
  JournalFormatError,
  JournalingDevice,
  type JournalingDeviceOptions,
  journalBytes,
  powerCutJournal,
  type WriteJournal,
} from "./write-journal.js";
export {
  isLive,
  type LoggedWrite,
  liveRuns,
  normaliseRuns,
  runsOf,
  type SectorRun,
  sectorCount,
  supersede,
} from "./write-log.js";
