/**
 * The thin-pool superblock (`struct thin_disk_superblock`, dm-thin-metadata.c): block 0 of the
 * metadata device, the ≤512-byte root of everything. It is written last in a commit, after every
 * block it points to is durable, so a crash leaves either the old or the new transaction.
 */
import {
  BLOCK_BYTES,
  BLOCK_SECTORS,
  checkBlock,
  getU64,
  PersistentDataError,
  sealBlock,
  setU64,
  viewOf,
} from "./block.js";
import { decodeSmRoot, encodeSmRoot, type SmRoot } from "./space-map.js";

/** `THIN_SUPERBLOCK_MAGIC`. */
const THIN_SUPERBLOCK_MAGIC = 27022010;
/** The on-disk format version the kernel writes. */
const THIN_VERSION = 2;
/** `THIN_METADATA_NEEDS_CHECK_FLAG`: set by the kernel when a metadata operation failed. */
export const NEEDS_CHECK_FLAG = 1;

/** The superblock's fields. */
export interface Superblock {
  readonly flags: number;
  readonly time: number;
  readonly transactionId: number;
  readonly heldRoot: number;
  readonly dataSm: SmRoot;
  readonly metadataSm: SmRoot;
  readonly mappingRoot: number;
  readonly detailsRoot: number;
  readonly dataBlockSizeSectors: number;
  readonly metadataNrBlocks: number;
}

/** A sealed 4 KiB superblock block. */
export function encodeSuperblock(sb: Superblock): Uint8Array {
  const block = new Uint8Array(BLOCK_BYTES);
  const view = viewOf(block);
  view.setUint32(4, sb.flags, true);
  setU64(view, 32, THIN_SUPERBLOCK_MAGIC);
  view.setUint32(40, THIN_VERSION, true);
  view.setUint32(44, sb.time, true);
  setU64(view, 48, sb.transactionId);
  setU64(view, 56, sb.heldRoot);
  encodeSmRoot(block.subarray(64, 192), sb.dataSm);
  encodeSmRoot(block.subarray(192, 320), sb.metadataSm);
  setU64(view, 320, sb.mappingRoot);
  setU64(view, 328, sb.detailsRoot);
  view.setUint32(336, sb.dataBlockSizeSectors, true);
  view.setUint32(340, BLOCK_SECTORS, true);
  setU64(view, 344, sb.metadataNrBlocks);
  sealBlock(block, { kind: "superblock", blocknr: 0 });
  return block;
}

/** True when the first 4 KiB are all zero: the kernel formats such a device (`__superblock_all_zeroes`). */
export function superblockAllZeroes(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK_BYTES; i++) if (block[i] !== 0) return false;
  return true;
}

/** Validates and decodes block 0 as the kernel's `sb_check` and `__check_incompat_features` do. */
export function decodeSuperblock(block: Uint8Array, deviceName: string): Superblock {
  checkBlock(block, { kind: "superblock", blocknr: 0 });
  const view = viewOf(block);
  const magic = getU64(view, 32);
  if (magic !== THIN_SUPERBLOCK_MAGIC) {
    throw new PersistentDataError(
      "EIO",
      `Superblock of ${deviceName} has magic ${magic}, wanted ${THIN_SUPERBLOCK_MAGIC}; this is not thin-pool metadata`,
      0,
    );
  }
  const version = view.getUint32(40, true);
  if (version < 1 || version > THIN_VERSION) {
    throw new PersistentDataError(
      "EINVAL",
      `Superblock of ${deviceName} has version ${version}; this model reads versions 1 to ${THIN_VERSION}`,
      0,
    );
  }
  const incompat = view.getUint32(360, true);
  if (incompat !== 0) {
    throw new PersistentDataError(
      "EINVAL",
      `Superblock of ${deviceName} has unsupported incompatible features 0x${incompat.toString(16)}`,
      0,
    );
  }
  const metadataBlockSize = view.getUint32(340, true);
  if (metadataBlockSize !== BLOCK_SECTORS) {
    throw new PersistentDataError(
      "EINVAL",
      `Superblock of ${deviceName} has metadata block size ${metadataBlockSize} sectors, only ${BLOCK_SECTORS} is supported`,
      0,
    );
  }
  return {
    flags: view.getUint32(4, true),
    time: view.getUint32(44, true),
    transactionId: getU64(view, 48),
    heldRoot: getU64(view, 56),
    dataSm: decodeSmRoot(block.subarray(64, 96)),
    metadataSm: decodeSmRoot(block.subarray(192, 224)),
    mappingRoot: getU64(view, 320),
    detailsRoot: getU64(view, 328),
    dataBlockSizeSectors: view.getUint32(336, true),
    metadataNrBlocks: getU64(view, 344),
  };
}
