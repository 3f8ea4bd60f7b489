/**
 * The on-disk layout of a dm-raid metadata device (rmeta), little-endian, as kernel 6.1 writes it
 * (`drivers/md/dm-raid.c` `struct dm_raid_superblock`, `drivers/md/md-bitmap.h` `bitmap_super_t`):
 *
 * | bytes        | content                                                         |
 * |--------------|-----------------------------------------------------------------|
 * | 0 … 511      | dm-raid superblock (148 bytes, rest of the sector zero, no CRC) |
 * | 4096 … 4351  | md bitmap superblock                                            |
 * | 4352 …       | write-intent bitmap: region r is bit r%8 (LSB first) of byte r/8 |
 */

/** "DmRd". */
export const DM_RAID_MAGIC = 0x64526d44;
/** "bitm". */
export const BITMAP_MAGIC = 0x6d746962;
/** `FEATURE_FLAG_SUPPORTS_V190`, the only compat flag dm-raid 1.15 writes. */
const DM_RAID_COMPAT_V190 = 0x1;
/** md's MaxSector: "fully in sync" for recovery offsets. */
export const MAX_SECTOR = 0xffff_ffff_ffff_ffffn;
/** Bytes of the superblock sector. */
export const SUPERBLOCK_BYTES = 512;
/** Where the bitmap superblock starts (`bitmap_info.offset = to_sector(4096)`). */
export const BITMAP_SB_OFFSET_BYTES = 4096;
/** `BITMAP_MAJOR_HI`. */
const BITMAP_VERSION = 4;
/** md's default bitmap daemon_sleep, seconds. */
export const BITMAP_DAEMON_SLEEP_SECONDS = 5;

/** The dm-raid superblock fields lvmlab reads and writes. */
export interface DmRaidSuperblock {
  readonly numDevices: number;
  readonly arrayPosition: number;
  readonly events: bigint;
  /** Bit i = leg i failed (bits 0–255 across failed_devices and extended_failed_devices). */
  readonly failedDevices: readonly number[];
  /** This leg's recovery offset in sectors; {@link MAX_SECTOR} = in sync. */
  readonly diskRecoveryOffset: bigint;
  /** The array's resync checkpoint (recovery_cp); {@link MAX_SECTOR} = synced, 0 = new. */
  readonly arrayResyncOffset: bigint;
  readonly level: number;
  readonly arraySectors: number;
  readonly sectors: number;
}

/** The md bitmap superblock fields lvmlab reads and writes. */
export interface BitmapSuperblock {
  readonly events: bigint;
  readonly eventsCleared: bigint;
  readonly syncSizeSectors: number;
  readonly state: number;
  readonly chunkSizeBytes: number;
  readonly daemonSleepSeconds: number;
}

/** A superblock that could not be read, and why (the kernel's message). */
export class RmetaFormatError extends Error {
  override readonly name = "RmetaFormatError";
}

/** Encodes a dm-raid superblock into a 512-byte sector. */
export function encodeSuperblock(sb: DmRaidSuperblock): Uint8Array {
  const buf = new Uint8Array(SUPERBLOCK_BYTES);
  const v = new DataView(buf.buffer);
  v.setUint32(0, DM_RAID_MAGIC, true);
  v.setUint32(4, DM_RAID_COMPAT_V190, true);
  v.setUint32(8, sb.numDevices, true);
  v.setUint32(12, sb.arrayPosition, true);
  v.setBigUint64(16, sb.events, true);
  const words = [0n, 0n, 0n, 0n];
  for (const i of sb.failedDevices) {
    if (i < 0 || i > 255) throw new RangeError(`failed device index ${i} outside 0..255`);
    words[i >> 6] = (words[i >> 6] as bigint) | (1n << BigInt(i & 63));
  }
  v.setBigUint64(24, words[0] as bigint, true);
  v.setBigUint64(32, sb.diskRecoveryOffset, true);
  v.setBigUint64(40, sb.arrayResyncOffset, true);
  v.setUint32(48, sb.level, true);
  v.setUint32(52, 0, true);
  v.setUint32(56, 0, true);
  v.setUint32(60, 0, true);
  v.setBigUint64(64, MAX_SECTOR, true);
  v.setUint32(72, sb.level, true);
  v.setBigUint64(88, BigInt(sb.arraySectors), true);
  v.setBigUint64(112, BigInt(sb.sectors), true);
  v.setBigUint64(120, words[1] as bigint, true);
  v.setBigUint64(128, words[2] as bigint, true);
  v.setBigUint64(136, words[3] as bigint, true);
  v.setUint32(144, 0, true);
  return buf;
}

/**
 * Decodes the superblock sector; undefined when the magic is absent (a new or wiped rmeta, which
 * the kernel treats as a fresh device). Throws {@link RmetaFormatError} on feature flags it refuses.
 */
export function decodeSuperblock(buf: Uint8Array): DmRaidSuperblock | undefined {
  if (buf.byteLength < 148) throw new RmetaFormatError(`superblock needs 148 bytes, got ${buf.byteLength}`);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (v.getUint32(0, true) !== DM_RAID_MAGIC) return undefined;
  const compat = v.getUint32(4, true);
  if ((compat & ~DM_RAID_COMPAT_V190) !== 0) {
    throw new RmetaFormatError("Unknown flag(s) in compatible feature flags");
  }
  if (v.getUint32(144, true) !== 0)
    throw new RmetaFormatError("Unknown flag(s) in incompatible feature flags");
  const failed: number[] = [];
  const words = [24, 120, 128, 136].map((at) => v.getBigUint64(at, true));
  words.forEach((word, w) => {
    for (let b = 0; b < 64; b++) if ((word >> BigInt(b)) & 1n) failed.push(w * 64 + b);
  });
  return {
    numDevices: v.getUint32(8, true),
    arrayPosition: v.getUint32(12, true),
    events: v.getBigUint64(16, true),
    failedDevices: failed,
    diskRecoveryOffset: v.getBigUint64(32, true),
    arrayResyncOffset: v.getBigUint64(40, true),
    level: v.getUint32(48, true),
    arraySectors: Number(v.getBigUint64(88, true)),
    sectors: Number(v.getBigUint64(112, true)),
  };
}

/** Encodes the 256-byte bitmap superblock. */
export function encodeBitmapSuperblock(sb: BitmapSuperblock): Uint8Array {
  const buf = new Uint8Array(256);
  const v = new DataView(buf.buffer);
  v.setUint32(0, BITMAP_MAGIC, true);
  v.setUint32(4, BITMAP_VERSION, true);
  v.setBigUint64(24, sb.events, true);
  v.setBigUint64(32, sb.eventsCleared, true);
  v.setBigUint64(40, BigInt(sb.syncSizeSectors), true);
  v.setUint32(48, sb.state, true);
  v.setUint32(52, sb.chunkSizeBytes, true);
  v.setUint32(56, sb.daemonSleepSeconds, true);
  return buf;
}

/** Decodes the bitmap superblock; throws {@link RmetaFormatError} with md's reason when it is unusable. */
export function decodeBitmapSuperblock(buf: Uint8Array): BitmapSuperblock {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (v.getUint32(0, true) !== BITMAP_MAGIC) throw new RmetaFormatError("bitmap magic invalid");
  const version = v.getUint32(4, true);
  if (version < 3 || version > 5) throw new RmetaFormatError(`unrecognized superblock version ${version}`);
  const chunk = v.getUint32(52, true);
  if (chunk < 512 || (chunk & (chunk - 1)) !== 0)
    throw new RmetaFormatError("bitmap chunksize not a power of 2");
  const sleep = v.getUint32(56, true);
  if (sleep < 1) throw new RmetaFormatError("daemon sleep period out of range");
  return {
    events: v.getBigUint64(24, true),
    eventsCleared: v.getBigUint64(32, true),
    syncSizeSectors: Number(v.getBigUint64(40, true)),
    state: v.getUint32(48, true),
    chunkSizeBytes: chunk,
    daemonSleepSeconds: sleep,
  };
}

/** Bytes the bitmap area occupies on disk, superblock included, rounded to whole sectors. */
export function bitmapAreaBytes(regionCount: number): number {
  return Math.ceil((256 + Math.ceil(regionCount / 8)) / 512) * 512;
}
