/**
 * The circular metadata buffer (`_vg_write_raw`, `_next_rlocn_offset`, `format-text.c`): where a
 * new copy of the text goes, how a copy that runs past the end wraps to offset 512, the zero fill
 * up to the next sector, and reading a copy back with its checksum.
 */
import type { BlockDevice, WriteOptions } from "../block/device.js";
import { SECTOR_BYTES } from "../block/device.js";
import { type MutationInfo, type Mutations, NO_MUTATIONS } from "../sim/mutations.js";
import { lvmCrc } from "./crc.js";
import { isEmptyOrIgnored, MDA_HEADER_BYTES, type RawLocn } from "./mda-header.js";

/** Largest copy we read (LVM2 allows up to 4 GiB); bounds memory on hostile headers. */
const MAX_METADATA_TEXT_BYTES = 64 * 1024 * 1024;

/** LVM2 aligns every copy to this (`MDA_ORIGINAL_ALIGNMENT`). */
const MDA_TEXT_ALIGNMENT_BYTES = 512;

/** Largest single copy that fits: two copies must coexist, each may lose up to 511 bytes to alignment. */
export function maxMetadataBytes(mdaSizeBytes: number): number {
  return Math.floor((mdaSizeBytes - MDA_HEADER_BYTES) / 2) - 512;
}

/** One device write of a copy, relative to the mda start. */
export interface TextWrite {
  readonly offsetBytes: number;
  /** Length on disk, including the zero fill to the next 512-byte boundary. */
  readonly lengthBytes: number;
  /** Range of the text carried by this write; the rest of the write is zeros. */
  readonly textStartBytes: number;
  readonly textEndBytes: number;
}

/** Where a new copy goes and the one or two writes that put it there. */
export interface TextPlacement {
  /** New slot offset relative to the mda start. */
  readonly offsetBytes: number;
  readonly sizeBytes: number;
  /** Bytes written at offset 512 because the copy ran past the end (0 = no wrap). */
  readonly wrapBytes: number;
  readonly writes: readonly TextWrite[];
}

/** Who is writing, for LVM2's error messages. */
export interface PlacementContext {
  readonly vgName: string;
  readonly seqno: number;
  readonly device: string;
}

/** A copy that cannot be written to this mda (too large, or overlapping the live copy). */
export class MetadataTooLargeError extends Error {
  override readonly name = "MetadataTooLargeError";
}

function roundUp(value: number, to: number): number {
  return Math.ceil(value / to) * to;
}

/** LVM2's `_next_rlocn_offset`: after the old copy, rounded up to 512, or back to 512 near the end. */
function nextTextOffset(mdaSizeBytes: number, old: RawLocn | undefined): number {
  if (old === undefined || isEmptyOrIgnored(old)) return MDA_HEADER_BYTES;
  const oldLast = lastByteOf(mdaSizeBytes, old);
  if (mdaSizeBytes - oldLast < MDA_TEXT_ALIGNMENT_BYTES) return MDA_HEADER_BYTES;
  const newStart = roundUp(oldLast + 1, MDA_TEXT_ALIGNMENT_BYTES);
  if (newStart > mdaSizeBytes - MDA_TEXT_ALIGNMENT_BYTES) return MDA_HEADER_BYTES;
  return newStart;
}

/** Inclusive last byte (relative to the mda start) of a copy, following a wrap to offset 512. */
function lastByteOf(mdaSizeBytes: number, locn: RawLocn): number {
  const wrap = locn.offsetBytes + locn.sizeBytes - mdaSizeBytes;
  return wrap > 0 ? wrap + MDA_HEADER_BYTES - 1 : locn.offsetBytes + locn.sizeBytes - 1;
}

/**
 * Places a new copy of `sizeBytes` after the committed copy `old` exactly as `_vg_write_raw` does;
 * throws {@link MetadataTooLargeError} with LVM2's message when it cannot fit.
 */
export function placeMetadataText(
  mdaSizeBytes: number,
  old: RawLocn | undefined,
  options: PlacementContext & { readonly sizeBytes: number },
): TextPlacement {
  const { sizeBytes, vgName, seqno, device } = options;
  if (mdaSizeBytes % SECTOR_BYTES !== 0 || mdaSizeBytes < MDA_HEADER_BYTES + 2 * MDA_TEXT_ALIGNMENT_BYTES) {
    throw new RangeError(
      `Metadata area on ${device} has size ${mdaSizeBytes}: expected a multiple of 512 of at least 1536`,
    );
  }
  if (!Number.isInteger(sizeBytes) || sizeBytes <= 0) {
    throw new RangeError(
      `Metadata text for VG ${vgName} has size ${sizeBytes}: expected at least 1 byte (the NUL)`,
    );
  }
  const maxBytes = maxMetadataBytes(mdaSizeBytes);
  if (sizeBytes > maxBytes) {
    throw new MetadataTooLargeError(
      `VG ${vgName} ${seqno} metadata on ${device} (${sizeBytes} bytes) exceeds maximum metadata size (${maxBytes} bytes)`,
    );
  }
  const live = old !== undefined && !isEmptyOrIgnored(old) ? old : undefined;
  const newStart = nextTextOffset(mdaSizeBytes, live);
  const newWrap = Math.max(0, newStart + sizeBytes - mdaSizeBytes);
  const newLast = newWrap > 0 ? newWrap + MDA_HEADER_BYTES - 1 : newStart + sizeBytes - 1;
  if (live !== undefined && overlaps(mdaSizeBytes, live, { newStart, newLast, newWrap })) {
    throw new MetadataTooLargeError(
      `VG ${vgName} ${seqno} metadata on ${device} (${sizeBytes} bytes) too large for circular buffer ` +
        `(${mdaSizeBytes - MDA_HEADER_BYTES} bytes with ${live.sizeBytes} used)`,
    );
  }
  const writes: TextWrite[] =
    newWrap === 0
      ? [
          {
            offsetBytes: newStart,
            lengthBytes: roundUp(sizeBytes, SECTOR_BYTES),
            textStartBytes: 0,
            textEndBytes: sizeBytes,
          },
        ]
      : [
          {
            offsetBytes: newStart,
            lengthBytes: mdaSizeBytes - newStart,
            textStartBytes: 0,
            textEndBytes: sizeBytes - newWrap,
          },
          {
            offsetBytes: MDA_HEADER_BYTES,
            lengthBytes: roundUp(newWrap, SECTOR_BYTES),
            textStartBytes: sizeBytes - newWrap,
            textEndBytes: sizeBytes,
          },
        ];
  return { offsetBytes: newStart, sizeBytes, wrapBytes: newWrap, writes };
}

// The sanity check of _vg_write_raw; with the max_size rule it should never fire.
function overlaps(
  mdaSizeBytes: number,
  old: RawLocn,
  next: { readonly newStart: number; readonly newLast: number; readonly newWrap: number },
): boolean {
  const oldStart = old.offsetBytes;
  const oldWrap = Math.max(0, old.offsetBytes + old.sizeBytes - mdaSizeBytes);
  const oldLast = lastByteOf(mdaSizeBytes, old);
  const { newStart, newLast, newWrap } = next;
  if (newWrap && oldWrap) return true;
  if (!newWrap && !oldWrap && newStart > oldLast && newLast > newStart) return false;
  if (!newWrap && !oldWrap && newStart < oldStart && newLast < oldStart) return false;
  if (oldWrap && !newWrap && oldLast < newStart && newStart < newLast && newLast < oldStart) return false;
  if (newWrap && !oldWrap && newLast < oldStart && oldStart < oldLast && oldLast < newStart) return false;
  return true;
}

/** Options for writing a copy. */
export interface WriteTextOptions extends WriteOptions {
  /** Called before each device write (index 0 or 1), so a fault can land between them. */
  readonly beforeWrite?: (write: TextWrite, index: number) => void;
}

/** Issues the writes of a placement; `text` is the whole copy including its NUL. */
export function writeMetadataText(
  device: BlockDevice,
  mdaStartBytes: number,
  placement: TextPlacement,
  text: Uint8Array,
  options: WriteTextOptions = {},
): void {
  if (text.length !== placement.sizeBytes) {
    throw new RangeError(
      `Metadata text is ${text.length} bytes but the placement is for ${placement.sizeBytes}`,
    );
  }
  placement.writes.forEach((write, index) => {
    const buf = new Uint8Array(write.lengthBytes);
    buf.set(text.subarray(write.textStartBytes, write.textEndBytes));
    options.beforeWrite?.(write, index);
    device.write(mdaStartBytes + write.offsetBytes, buf, {
      issueNs: options.issueNs ?? 0,
      fua: options.fua ?? false,
    });
  });
}

/** A copy read back from the buffer: its bytes, or why it is unusable with LVM2's warning. */
export type TextReadResult =
  | { readonly ok: true; readonly text: Uint8Array }
  | { readonly ok: false; readonly problem: "bounds"; readonly warning: string }
  /** The bytes read are kept so callers can run LVM2's other checks on them (the VG name). */
  | { readonly ok: false; readonly problem: "checksum"; readonly warning: string; readonly text: Uint8Array };

/** Where a copy lives on its device. */
export interface MetadataAreaSpan {
  readonly startBytes: number;
  readonly sizeBytes: number;
}

/** LVM2's warning when `locn` cannot be a copy in this area (nothing is read then), else undefined. */
export function metadataTextBoundsWarning(
  device: BlockDevice,
  area: MetadataAreaSpan,
  locn: RawLocn,
): string | undefined {
  const { startBytes, sizeBytes: mdaSizeBytes } = area;
  if (
    locn.offsetBytes < 0 ||
    locn.sizeBytes < 0 ||
    locn.offsetBytes >= mdaSizeBytes ||
    locn.sizeBytes > mdaSizeBytes - MDA_HEADER_BYTES ||
    locn.sizeBytes > MAX_METADATA_TEXT_BYTES ||
    startBytes + mdaSizeBytes > device.sizeBytes
  ) {
    return (
      `WARNING: Metadata location out of bounds (offset ${locn.offsetBytes} size ${locn.sizeBytes} ` +
      `mda ${mdaSizeBytes}) on ${device.name}.`
    );
  }
  return undefined;
}

/**
 * Mutation: the part of a wrapped copy that continues at offset 512 is read from offset 0, the
 * mda header's own sector, so every wrapped copy fails its checksum and the scan loses the VG.
 */
export const WRAP_READ_FROM_AREA_START: MutationInfo = {
  name: "format.mda-text.wrap-read-from-area-start",
  description:
    "the metadata scan reads the wrapped part of a copy from the start of the metadata area (over its header) instead of offset 512, so a copy that wrapped round the ring reads as a checksum error",
};

/**
 * Reads the copy `locn` points at (joining a wrapped copy) with the device reads
 * {@link readMetadataText} issues, unchecked. The text is a view of `span` when the copy does not
 * wrap (pass a reused buffer to read without allocating), else a new array. Call only when
 * {@link metadataTextBoundsWarning} has no warning.
 */
export function readMetadataBytes(
  device: BlockDevice,
  area: MetadataAreaSpan,
  locn: RawLocn,
  span: (lengthBytes: number) => Uint8Array = (lengthBytes) => new Uint8Array(lengthBytes),
  mutations: Mutations = NO_MUTATIONS,
): Uint8Array {
  const wrap = Math.max(0, locn.offsetBytes + locn.sizeBytes - area.sizeBytes);
  if (wrap > 0 || locn.sizeBytes === 0) {
    const text = new Uint8Array(locn.sizeBytes);
    readUnaligned(device, area.startBytes + locn.offsetBytes, text.subarray(0, locn.sizeBytes - wrap));
    const wrapStart = mutations.has(WRAP_READ_FROM_AREA_START.name) ? 0 : MDA_HEADER_BYTES;
    if (wrap > 0) readUnaligned(device, area.startBytes + wrapStart, text.subarray(locn.sizeBytes - wrap));
    return text;
  }
  // The sectors readUnaligned would read, read straight into `span`.
  const offsetBytes = area.startBytes + locn.offsetBytes;
  const first = Math.floor(offsetBytes / SECTOR_BYTES) * SECTOR_BYTES;
  const end = roundUp(offsetBytes + locn.sizeBytes, SECTOR_BYTES);
  const sectors = span(end - first);
  device.read(first, sectors);
  return sectors.subarray(offsetBytes - first, offsetBytes - first + locn.sizeBytes);
}

/** True when `text` (copy `locn`, whole) has the checksum its slot records. */
export function metadataTextChecksumMatches(text: Uint8Array, locn: RawLocn): boolean {
  // lvmCrc over the whole copy equals LVM2's chain over the two parts of a wrapped one.
  return lvmCrc(text) === locn.checksum >>> 0;
}

/** LVM2's warning for a copy whose checksum does not match its slot. */
export function metadataChecksumWarning(device: BlockDevice, area: MetadataAreaSpan, locn: RawLocn): string {
  return `WARNING: Checksum error on ${device.name} at offset ${area.startBytes + locn.offsetBytes}.`;
}

/** Reads the copy `locn` points at (joining a wrapped copy) and checks its bounds and checksum. */
export function readMetadataText(device: BlockDevice, area: MetadataAreaSpan, locn: RawLocn): TextReadResult {
  const bounds = metadataTextBoundsWarning(device, area, locn);
  if (bounds !== undefined) return { ok: false, problem: "bounds", warning: bounds };
  const read = readMetadataBytes(device, area, locn);
  // A view into the sectors read: hand out an array of its own.
  const text = read.byteLength === read.buffer.byteLength ? read : read.slice();
  if (!metadataTextChecksumMatches(text, locn)) {
    return { ok: false, problem: "checksum", warning: metadataChecksumWarning(device, area, locn), text };
  }
  return { ok: true, text };
}

// BlockDevice requests are sector-aligned; metadata copies end anywhere.
function readUnaligned(device: BlockDevice, offsetBytes: number, dst: Uint8Array): void {
  if (dst.length === 0) return;
  const first = Math.floor(offsetBytes / SECTOR_BYTES) * SECTOR_BYTES;
  const end = roundUp(offsetBytes + dst.length, SECTOR_BYTES);
  if (first === offsetBytes && end === offsetBytes + dst.length) {
    device.read(offsetBytes, dst);
    return;
  }
  const buf = new Uint8Array(end - first);
  device.read(first, buf);
  dst.set(buf.subarray(offsetBytes - first, offsetBytes - first + dst.length));
}
