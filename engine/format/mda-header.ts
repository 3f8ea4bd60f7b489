/**
 * The metadata area header (`struct mda_header`, `lib/format_text/layout.h`): checksum, magic,
 * version, the area's own start and size, and the raw_locn slots — slot 0 points at the committed
 * metadata text, slot 1 at the precommitted one.
 */
import type { BlockDevice, IoOptions } from "../block/device.js";
import { BytesMemo, ScratchBuffer } from "./bytes-memo.js";
import { lvmCrc } from "./crc.js";
import { bytesEqual, readU64, viewOf, writeU64 } from "./le-bytes.js";

/** `MDA_HEADER_SIZE`. */
export const MDA_HEADER_BYTES = 512;
/** `FMTT_VERSION`. */
export const FMTT_VERSION = 1;
/** `FMTT_MAGIC`, the 16 bytes `" LVM2 x[5A%r0N*>"`. */
export const FMTT_MAGIC: Uint8Array = new TextEncoder().encode(" LVM2 x[5A%r0N*>");
/** raw_locn flag: this mda is kept but not used (`--metadataignore`). */
export const RAW_LOCN_IGNORED = 0x1;

/** LVM2's bad_fields bits (`lib/metadata/metadata.h`), set while reading an mda. */
export const BAD_MDA = {
  INTERNAL: 0x01,
  READ: 0x02,
  HEADER: 0x04,
  TEXT: 0x08,
  CHECKSUM: 0x10,
  MAGIC: 0x20,
  VERSION: 0x40,
  START: 0x80,
  MISMATCH: 0x100,
} as const;

/** Bits `vgck --updatemetadata` refuses to repair: the header itself must be rebuilt (`pvck --repair`). */
export const BAD_MDA_NOT_REPAIRABLE = BAD_MDA.READ | BAD_MDA.INTERNAL | BAD_MDA.MAGIC | BAD_MDA.START;

/** Names of the set bad_fields bits, e.g. `["CHECKSUM", "MAGIC"]`. */
export function badFieldNames(badFields: number): string[] {
  return Object.entries(BAD_MDA)
    .filter(([, bit]) => (badFields & bit) !== 0)
    .map(([name]) => name);
}

/** A `raw_locn`: where one copy of the text lives, relative to the mda start. */
export interface RawLocn {
  readonly offsetBytes: number;
  /** Bytes of text including its trailing NUL. */
  readonly sizeBytes: number;
  readonly checksum: number;
  readonly flags: number;
}

/** The all-zero raw_locn: no metadata in this slot. */
export const EMPTY_RAW_LOCN: RawLocn = { offsetBytes: 0, sizeBytes: 0, checksum: 0, flags: 0 };

/** A decoded mda_header. */
export interface MdaHeader {
  readonly checksum: number;
  readonly magic: Uint8Array;
  readonly version: number;
  /** Absolute byte offset of the mda on the device, as recorded in the header. */
  readonly startBytes: number;
  /** Size of the whole area including this header. */
  readonly sizeBytes: number;
  /** Slot 0: the committed metadata. */
  readonly committed: RawLocn;
  /** Slot 1: the precommitted metadata. */
  readonly precommitted: RawLocn;
}

/** True when the slot holds no metadata (ignored, or offset and size both 0). */
export function isEmptyOrIgnored(locn: RawLocn): boolean {
  return (locn.flags & RAW_LOCN_IGNORED) !== 0 || (locn.offsetBytes === 0 && locn.sizeBytes === 0);
}

/** Encodes a header with LVM2's magic and version and a fresh checksum, as `_raw_write_mda_header`. */
export function encodeMdaHeader(
  area: { readonly startBytes: number; readonly sizeBytes: number },
  slots: { readonly committed?: RawLocn; readonly precommitted?: RawLocn } = {},
): Uint8Array {
  if (area.sizeBytes < MDA_HEADER_BYTES) {
    throw new RangeError(
      `Cannot write mda_header at ${area.startBytes}: area size ${area.sizeBytes} is below ${MDA_HEADER_BYTES}`,
    );
  }
  const buf = new Uint8Array(MDA_HEADER_BYTES);
  const view = viewOf(buf);
  buf.set(FMTT_MAGIC, 4);
  view.setUint32(20, FMTT_VERSION, true);
  writeU64(view, 24, area.startBytes);
  writeU64(view, 32, area.sizeBytes);
  const putSlot = (at: number, locn: RawLocn): void => {
    writeU64(view, at, locn.offsetBytes);
    writeU64(view, at + 8, locn.sizeBytes);
    view.setUint32(at + 16, locn.checksum >>> 0, true);
    view.setUint32(at + 20, locn.flags >>> 0, true);
  };
  putSlot(40, slots.committed ?? EMPTY_RAW_LOCN);
  putSlot(64, slots.precommitted ?? EMPTY_RAW_LOCN);
  view.setUint32(0, lvmCrc(buf.subarray(4)), true);
  return buf;
}

/** A header as read, with LVM2's classification and warning lines. */
export interface ParsedMdaHeader {
  readonly header: MdaHeader;
  /** bad_fields bits (0 = good). */
  readonly badFields: number;
  /** LVM2's warnings, verbatim, in the order it prints them. */
  readonly warnings: readonly string[];
}

/** Where the header was read from, for LVM2's warnings and the START check. */
export interface MdaHeaderSource {
  readonly device: string;
  /** The mda offset the pv_header lists; the header's own `start` must equal it. */
  readonly expectedStartBytes: number;
}

/**
 * Decodes a 512-byte header and classifies it as LVM2 does (`_raw_read_mda_header`), with the
 * wording of Debian's lvm2 2.03.16; never throws on bad bytes.
 */
export function parseMdaHeader(bytes: Uint8Array, source: MdaHeaderSource): ParsedMdaHeader {
  if (bytes.length !== MDA_HEADER_BYTES) {
    throw new RangeError(`mda_header must be ${MDA_HEADER_BYTES} bytes, got ${bytes.length}`);
  }
  const view = viewOf(bytes);
  const at = `${source.device} at ${source.expectedStartBytes}`;
  const warnings: string[] = [];
  let badFields = 0;
  const checksum = view.getUint32(0, true);
  if (checksum !== lvmCrc(bytes.subarray(4))) {
    warnings.push(`WARNING: wrong checksum ${checksum.toString(16)} in mda header on ${at}`);
    badFields |= BAD_MDA.CHECKSUM;
  }
  const magic = bytes.slice(4, 20);
  if (!bytesEqual(magic, FMTT_MAGIC)) {
    warnings.push(`WARNING: wrong magic number in mda header on ${at}`);
    badFields |= BAD_MDA.MAGIC;
  }
  const version = view.getUint32(20, true);
  if (version !== FMTT_VERSION) {
    warnings.push(`WARNING: wrong version ${version} in mda header on ${at}`);
    badFields |= BAD_MDA.VERSION;
  }
  // Values past 2^53 cannot be a real offset; keep them as -1 so they fail every comparison.
  const startBytes = readU64(view, 24) ?? -1;
  if (startBytes !== source.expectedStartBytes) {
    warnings.push(`WARNING: wrong start sector ${view.getBigUint64(24, true)} in mda header on ${at}`);
    badFields |= BAD_MDA.START;
  }
  const sizeBytes = readU64(view, 32) ?? -1;
  // 2.03.16 has no size check (newer LVM2 does, with this wording); we need it to stay in bounds.
  if (sizeBytes < MDA_HEADER_BYTES) {
    warnings.push(
      `WARNING: Metadata area size ${view.getBigUint64(32, true)} too small in mda header on ${at}.`,
    );
    badFields |= BAD_MDA.HEADER;
  }
  const getSlot = (offset: number): RawLocn => ({
    offsetBytes: readU64(view, offset) ?? -1,
    sizeBytes: readU64(view, offset + 8) ?? -1,
    checksum: view.getUint32(offset + 16, true),
    flags: view.getUint32(offset + 20, true),
  });
  const header: MdaHeader = {
    checksum,
    magic,
    version,
    startBytes,
    sizeBytes,
    committed: getSlot(40),
    precommitted: getSlot(64),
  };
  return { header, badFields, warnings };
}

// Headers decoded before, by device name and offset and their exact bytes (see bytes-memo.ts):
// every scan and every step of a commit reads them again.
const headersRead = new BytesMemo<ParsedMdaHeader>({ perKey: 16, totalBytes: 4 * 1024 * 1024 });
const headerScratch = new ScratchBuffer();

/**
 * Reads the 512-byte header at `startBytes` of `device` (the read is always issued) and classifies
 * it as {@link parseMdaHeader} does, decoding only bytes not decoded before at this place.
 */
export function readMdaHeader(device: BlockDevice, startBytes: number, options?: IoOptions): ParsedMdaHeader {
  const bytes = headerScratch.take(MDA_HEADER_BYTES);
  try {
    if (options === undefined) device.read(startBytes, bytes);
    else device.read(startBytes, bytes, options);
    const key = `${device.name}\n${startBytes}`;
    const known = headersRead.get(key, bytes);
    if (known !== undefined) return known;
    const parsed = parseMdaHeader(bytes, { device: device.name, expectedStartBytes: startBytes });
    headersRead.set(key, bytes.slice(), parsed);
    return parsed;
  } finally {
    headerScratch.give(bytes);
  }
}
