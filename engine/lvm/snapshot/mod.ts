/** Old-style (dm-snapshot) LVs on the LVM side: creation checks, COW wipe, merge driving and status. */
export {
  COW_WIPE_BYTES,
  cowMaxExtents,
  cowMaxSectors,
  SNAPSHOT_MIN_CHUNKS,
  snapshotCreateType,
  wipeCowStart,
} from "./create.js";
export {
  finishMerge,
  isLvOpen,
  liveMergeTarget,
  MUTATION_SNAPSHOT_MERGE_FINISH_EARLY,
  mergeRunning,
  mergingSnapshotOf,
  SNAPSHOT_MERGE_FINISH_EARLY,
  type StartMergeOptions,
  setLvOpen,
  startMerge,
  stopMerge,
} from "./merge.js";
export { liveSnapshot, snapshotInvalid, snapshotPercent } from "./status.js";
