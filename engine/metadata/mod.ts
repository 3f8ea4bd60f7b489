/**
 * Public API of engine/metadata: the VG/PV/LV/segment model, LVM2 text metadata import/export,
 * validation, derived facts, and LVM2's extent allocator with the LV-building steps on top of it.
 */
export {
  ALLOC_STALE_FREE_SPACE,
  type AllocatedArea,
  type Allocation,
  AllocationError,
  type AllocRequest,
  allocateExtents,
  buildParallelAreas,
  MUTATION_ALLOC_STALE_FREE_SPACE,
  mirrorLogExtents,
  type SegPvs,
} from "./alloc.js";
export { exportVg } from "./export.js";
export {
  type ExtentUse,
  lvSizeExtents,
  type PeRange,
  pvFreeExtents,
  pvFreeRanges,
  pvUsage,
  segDevices,
  segPeRanges,
  vgFreeExtents,
} from "./extent-map.js";
export {
  findVgSection,
  IMPORT_LIMITS,
  importVg,
  isMetadataImportError,
  MetadataImportError,
} from "./import.js";
export {
  addMirrorLog,
  addPvmoveMirrors,
  adjustedRegionSize,
  appendStripedRows,
  type CreateLvSpec,
  createLv,
  DEFAULT_REGION_SIZE_SECTORS,
  DEFAULT_STRIPE_SIZE_SECTORS,
  extendLv,
  type LvIdentity,
  pvmoveParallelAreas,
  reduceLv,
  removeLvTree,
} from "./lv-alloc.js";
export {
  findPvmoveLv,
  isLvVisible,
  type LvKind,
  lvKinds,
  otherSegmentLvNames,
  snapshotsOf,
} from "./lv-kind.js";
export {
  ALLOC_POLICIES,
  type AllocPolicy,
  type ErrorSegment,
  findLv,
  findPv,
  findPvByDevice,
  hasFlag,
  type LogicalVolume,
  LV_COMPAT_FLAGS,
  LV_STATUS_FLAGS,
  type LvStatusFlag,
  type MirrorSegment,
  type OtherSegment,
  type PhysicalVolume,
  PV_STATUS_FLAGS,
  type PvStatusFlag,
  putLv,
  removeLv,
  type Segment,
  type SegmentArea,
  type SegmentBase,
  type SnapshotSegment,
  type StripedSegment,
  segmentAreaLen,
  segmentAreas,
  VG_COMPAT_FLAGS,
  VG_STATUS_FLAGS,
  type VgStatusFlag,
  type VolumeGroup,
  withFlag,
  withoutFlag,
  type ZeroSegment,
} from "./model.js";
export {
  assertNewLvName,
  NAME_LEN_MAX,
  nameProblem,
  nextLvName,
  RESERVED_LV_PREFIXES,
  RESERVED_LV_SUBSTRINGS,
  reservedLvNameProblem,
} from "./names.js";
export { allPvs, createPvList, type PvSelection } from "./pv-list.js";
export {
  checkpointPvmove,
  finishPvmove,
  type PvmoveSetup,
  type PvmoveSpec,
  pvmoveProgress,
  setUpPvmove,
} from "./pvmove.js";
export { mergeSegments, splitSegmentAt, stripedSegmentsCompatible } from "./segment-merge.js";
export {
  CHUNK_SIZE_SECTORS_MAX,
  CHUNK_SIZE_SECTORS_MIN,
  type CreateSnapshotSpec,
  createSnapshot,
  DEFAULT_CHUNK_SIZE_SECTORS,
  startSnapshotMerge,
} from "./snapshot.js";
export {
  assertValidVg,
  MetadataValidationError,
  type ValidationCode,
  type ValidationIssue,
  validateVg,
} from "./validate.js";
