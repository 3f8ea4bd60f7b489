/**
 * Blocks of the kernel's persistent-data format (drivers/md/persistent-data): 4 KiB, little-endian,
 * each sealed with a CRC-32C at offset 0 and its own location at offset 8. The checksum is the
 * kernel's `dm_bm_checksum`: crc32c(~0, bytes 4..4095) with no final inversion, XORed with a
 * per-type seed, which equals the standard CRC-32C XOR 0xFFFFFFFF XOR seed.
 */
import { crc32c } from "@node-rs/crc32";

/** Metadata block size in bytes; dm-thin only supports 4 KiB (8 sectors). */
export const BLOCK_BYTES = 4096;

/** Metadata block size in 512-byte sectors, as the superblock's `metadata_block_size` stores it. */
export const BLOCK_SECTORS = 8;

/** The per-type checksum seeds (`SUPERBLOCK_CSUM_XOR`, `BTREE_CSUM_XOR`, `BITMAP_CSUM_XOR`, `INDEX_CSUM_XOR`). */
const SEED = {
  superblock: 160774,
  node: 121107,
  bitmap: 240779,
  index: 160478,
} as const;

/** A block type by its checksum seed name. */
export type BlockKind = keyof typeof SEED;

/** Why a persistent-data operation failed: space ran out, or a block on disk is damaged. */
export type PersistentDataErrorCode = "ENOSPC" | "EIO" | "ENODATA" | "EEXIST" | "EINVAL";

/** A typed failure of the metadata layer, naming the block when there is one. */
export class PersistentDataError extends Error {
  override readonly name = "PersistentDataError";

  constructor(
    readonly code: PersistentDataErrorCode,
    message: string,
    readonly blocknr?: number,
  ) {
    super(message);
  }
}

/** True when `error` is a {@link PersistentDataError}, optionally with the given code. */
export function isPersistentDataError(
  error: unknown,
  code?: PersistentDataErrorCode,
): error is PersistentDataError {
  return error instanceof PersistentDataError && (code === undefined || error.code === code);
}

/** The checksum a block of `kind` must carry at offset 0. */
function blockChecksum(block: Uint8Array, kind: BlockKind): number {
  const raw = crc32c(block.subarray(4, BLOCK_BYTES));
  return (raw ^ 0xffffffff ^ SEED[kind]) >>> 0;
}

/** Writes `blocknr` at offset 8 and the checksum at offset 0, as the kernel's `prepare_for_write` validators do. */
export function sealBlock(
  block: Uint8Array,
  options: { readonly kind: BlockKind; readonly blocknr: number },
): void {
  const view = viewOf(block);
  setU64(view, 8, options.blocknr);
  view.setUint32(0, blockChecksum(block, options.kind), true);
}

/** Throws EIO unless `block` carries the right checksum and its own location, naming what differs. */
export function checkBlock(
  block: Uint8Array,
  options: { readonly kind: BlockKind; readonly blocknr: number },
): void {
  const view = viewOf(block);
  const stored = view.getUint32(0, true);
  const wanted = blockChecksum(block, options.kind);
  if (stored !== wanted) {
    throw new PersistentDataError(
      "EIO",
      `Bad checksum in ${options.kind} block ${options.blocknr} (stored 0x${hex(stored)}, computed 0x${hex(wanted)}); the metadata is damaged, run thin_check`,
      options.blocknr,
    );
  }
  const location = getU64(view, 8);
  if (location !== options.blocknr) {
    throw new PersistentDataError(
      "EIO",
      `${options.kind} block ${options.blocknr} says it is block ${location}; the metadata is damaged, run thin_check`,
      options.blocknr,
    );
  }
}

/** A DataView over exactly `block`. */
export function viewOf(block: Uint8Array): DataView {
  return new DataView(block.buffer, block.byteOffset, block.byteLength);
}

/** Reads a little-endian u64 that must fit a safe integer (every count and block number here does). */
export function getU64(view: DataView, offsetBytes: number): number {
  const lo = view.getUint32(offsetBytes, true);
  const hi = view.getUint32(offsetBytes + 4, true);
  if (hi >= 0x200000) {
    throw new PersistentDataError(
      "EIO",
      `A 64-bit field at byte ${offsetBytes} is too large (${hi}:${lo}); the metadata is damaged`,
    );
  }
  return hi * 0x100000000 + lo;
}

/** Writes a non-negative safe integer as a little-endian u64. */
export function setU64(view: DataView, offsetBytes: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`Cannot store ${value} as a u64`);
  view.setUint32(offsetBytes, value % 0x100000000, true);
  view.setUint32(offsetBytes + 4, Math.floor(value / 0x100000000), true);
}

function hex(value: number): string {
  return value.toString(16).padStart(8, "0");
}
