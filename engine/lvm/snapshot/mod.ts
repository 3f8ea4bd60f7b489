/** Old-style (dm-snapshot) LVs on the LVM side: creation checks, COW wipe, merge driving and status. */
export {
  cowMaxSectors,
  snapshotCreateType,
  wipeCowStart,
} from "./create.js";
export {
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
export { snapshotInvalid, snapshotPercent } from "./status.js";
