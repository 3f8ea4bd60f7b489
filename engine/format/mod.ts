/**
 * LVM2's on-disk format: label and pv_header, mda_header and the circular metadata buffer, the
 * config-language parser and printers, the commit protocol and the scan.
 */

export {
  type AreaState,
  type AreaWrite,
  COMMIT_BEFORE_TEXT,
  type CommitOptions,
  commitVgMetadata,
  LATER_AREAS_OLD_BODY,
  METADATA_EVENTS,
  type MetadataAreaRef,
  MetadataWriteError,
  MUTATION_COMMIT_BEFORE_TEXT,
  revertVgMetadata,
  type VgMetadataWrite,
  writeVgMetadata,
} from "./commit.js";
export {
  type ParseConfigOptions,
  parseConfig,
} from "./config-parse.js";
export { ConfigParseError, isConfigParseError } from "./config-parse-error.js";
export {
  AREA_ARRAY_KEYS,
  type ConfigPrintStyle,
  type PrintConfigOptions,
  printConfig,
} from "./config-print.js";
export * from "./config-tree.js";
export { INITIAL_CRC, lvmCrc, lvmCrcChain } from "./crc.js";
export { isOnDiskFormatError, OnDiskFormatError, type OnDiskFormatProblem } from "./format-error.js";
export {
  DEFAULT_LABEL_SECTOR,
  decodeLabelHeader,
  type FoundLabel,
  findLabel,
  LABEL_ID,
  LABEL_SCAN_SECTORS,
  type LabelHeader,
  LVM2_LABEL_TYPE,
  looksLikeLabel,
  sealLabelSector,
} from "./label.js";
export {
  BAD_MDA,
  BAD_MDA_NOT_REPAIRABLE,
  badFieldNames,
  EMPTY_RAW_LOCN,
  encodeMdaHeader,
  FMTT_MAGIC,
  FMTT_VERSION,
  isEmptyOrIgnored,
  MDA_HEADER_BYTES,
  type MdaHeader,
  type ParsedMdaHeader,
  parseMdaHeader,
  RAW_LOCN_IGNORED,
  type RawLocn,
} from "./mda-header.js";
export {
  MetadataTooLargeError,
  maxMetadataBytes,
  placeMetadataText,
  readMetadataText,
  type TextPlacement,
  type TextReadResult,
  type TextWrite,
  WRAP_READ_FROM_AREA_START,
  writeMetadataText,
} from "./mda-text.js";
export {
  type DiskLocn,
  decodePvLabel,
  encodePvLabel,
  PV_EXT_USED,
  PV_HEADER_EXTENSION_VERSION,
  type PvHeader,
  type PvHeaderExtension,
} from "./pv-header.js";
export {
  DEFAULT_EXTENT_SIZE_SECTORS,
  DEFAULT_MDA_SIZE_BYTES,
  DEFAULT_MDA_START_BYTES,
  defaultPvLayout,
  type PvLayout,
  type PvLayoutOptions,
  peCountFor,
  wipePvLabel,
  writeFreshPv,
} from "./pv-layout.js";
export {
  describeMdaStatus,
  type MdaRepair,
  type MdaScanStatus,
  SCAN_FIRST_MDA_ONLY,
  type ScannedPv,
  type ScannedVg,
  type ScanResult,
  scanDevices,
} from "./scan.js";
export {
  formatUuid,
  generateUuid,
  InvalidUuidError,
  isValidUuid,
  parseUuid,
  type RandomSource,
  UUID_ALPHABET,
  UUID_LENGTH,
} from "./uuid.js";
export {
  backupFileTree,
  ctimeUtc,
  type MetadataHeaderInfo,
  type NamedPv,
  rawMetadataBytes,
  rawMetadataTree,
  summarizeVgText,
  type VgSummary,
  VgTextError,
} from "./vg-text.js";
