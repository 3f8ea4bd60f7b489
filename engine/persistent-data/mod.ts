/** Public face of engine/persistent-data: the kernel's on-disk metadata format for dm-thin pools. */

export {
  BLOCK_BYTES,
  BLOCK_SECTORS,
  isPersistentDataError,
  PersistentDataError,
  type PersistentDataErrorCode,
} from "./block.js";
export { type MetadataStructure, metadataBlockRoles } from "./block-roles.js";
export { METADATA_MAX_BLOCKS } from "./space-map.js";
export { NEEDS_CHECK_FLAG } from "./superblock.js";
export {
  COMMIT_SKIPS_METADATA_FLUSH,
  type CommitStep,
  DATA_REUSED_BEFORE_COMMIT,
  DETAILS_NOT_DIRTIED_ON_INSERT,
  DISCARD_FREES_SHARED_BLOCK,
  MUTATION_REPAIR_COUNTS_SHARED_ONCE,
  MUTATION_SNAP_SKIPS_ROOT_INC,
  PoolMetadata,
  type PoolMetadataOptions,
  REPAIR_COUNTS_SHARED_ONCE,
  SNAP_SKIPS_ROOT_INC,
  type ThinDetails,
  type ThinMapping,
} from "./thin-metadata.js";
export {
  type RepairResult,
  repairPoolMetadata,
  type SalvagedDevice,
  type SalvagedPool,
  salvagePoolMetadata,
} from "./thin-repair.js";
export { dumpThinXml } from "./thin-xml.js";
