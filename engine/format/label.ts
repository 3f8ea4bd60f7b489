/**
 * The LVM2 label (`lib/label/label.{h,c}`): a 32-byte `label_header` at the start of one of the
 * first four sectors, `LABELONE`, the sector it lives in, a CRC over the rest of the sector, the
 * offset of the format's header and the label type.
 */
import type { BlockDevice } from "../block/device.js";
import { SECTOR_BYTES } from "../block/device.js";
import { lvmCrc } from "./crc.js";
import { hex32, OnDiskFormatError } from "./format-error.js";
import { readAscii, readU64, viewOf, writeAscii, writeU64 } from "./le-bytes.js";

/** `LABEL_ID`. */
export const LABEL_ID = "LABELONE";
/** The text format's label type (`LVM2_LABEL`). */
export const LVM2_LABEL_TYPE = "LVM2 001";
/** Size of a label sector. */
export const LABEL_SIZE_BYTES = 512;
/** `sizeof(struct label_header)`; also the offset of the pv_header written by LVM2. */
export const LABEL_HEADER_BYTES = 32;
/** Sectors 0..3 are examined for a label (`LABEL_SCAN_SECTORS`). */
export const LABEL_SCAN_SECTORS = 4;
/** Where pvcreate puts the label (`DEFAULT_LABELSECTOR`). */
export const DEFAULT_LABEL_SECTOR = 1;
/** Bytes 20..511 of the sector are covered by `crc_xl`. */
const LABEL_CRC_START_BYTES = 20;

/** A decoded `label_header`. */
export interface LabelHeader {
  readonly sector: number;
  readonly crc: number;
  /** Offset from the label start to the pv_header (`offset_xl`). */
  readonly offsetBytes: number;
  readonly type: string;
}

/** Writes the label_header fields into a 512-byte sector and seals it with its CRC; call last. */
export function sealLabelSector(sectorBytes: Uint8Array, sector: number): void {
  if (sectorBytes.length !== LABEL_SIZE_BYTES) {
    throw new RangeError(`Label sector must be ${LABEL_SIZE_BYTES} bytes, got ${sectorBytes.length}`);
  }
  if (!Number.isInteger(sector) || sector < 0 || sector >= LABEL_SCAN_SECTORS) {
    throw new RangeError(`Label sector ${sector} is out of range: LVM2 only scans sectors 0..3`);
  }
  const view = viewOf(sectorBytes);
  writeAscii(sectorBytes, 0, LABEL_ID, 8);
  writeU64(view, 8, sector);
  view.setUint32(20, LABEL_HEADER_BYTES, true);
  writeAscii(sectorBytes, 24, LVM2_LABEL_TYPE, 8);
  view.setUint32(16, lvmCrc(sectorBytes.subarray(LABEL_CRC_START_BYTES)), true);
}

/** True when the sector starts with `LABELONE` (it may still be invalid). */
export function looksLikeLabel(sectorBytes: Uint8Array): boolean {
  return readAscii(sectorBytes, 0, 8) === LABEL_ID;
}

/** Options naming where a sector came from, for errors. */
export interface LabelSource {
  readonly device: string;
  readonly sector: number;
}

/** Decodes and strictly checks a label_header (id, sector, CRC, type, offset). */
export function decodeLabelHeader(sectorBytes: Uint8Array, source: LabelSource): LabelHeader {
  const fail = (field: string, expected: string, found: string, hint: string): never => {
    throw new OnDiskFormatError({
      device: source.device,
      offsetBytes: source.sector * SECTOR_BYTES,
      structure: "label_header",
      field,
      expected,
      found,
      hint,
    });
  };
  if (sectorBytes.length !== LABEL_SIZE_BYTES) {
    fail("length", `${LABEL_SIZE_BYTES} bytes`, `${sectorBytes.length} bytes`, "pass the whole sector");
  }
  const view = viewOf(sectorBytes);
  const id = readAscii(sectorBytes, 0, 8);
  if (id !== LABEL_ID) fail("id", JSON.stringify(LABEL_ID), JSON.stringify(id), "this sector holds no label");
  const sector = readU64(view, 8);
  if (sector !== source.sector) {
    fail(
      "sector_xl",
      String(source.sector),
      String(sector ?? "> 2^53"),
      "the label was copied from another sector; LVM2 ignores it",
    );
  }
  const stored = view.getUint32(16, true);
  const computed = lvmCrc(sectorBytes.subarray(LABEL_CRC_START_BYTES));
  if (stored !== computed) {
    fail(
      "crc_xl",
      hex32(computed),
      hex32(stored),
      "the label is damaged; LVM2 ignores it, restore it with pvcreate --restorefile",
    );
  }
  const offsetBytes = view.getUint32(20, true);
  // label_check_pv_layout: the pv_header (40 bytes before its lists) must start inside the sector.
  if (offsetBytes < LABEL_HEADER_BYTES || offsetBytes > LABEL_SIZE_BYTES - 40) {
    fail(
      "offset_xl",
      `${LABEL_HEADER_BYTES}..${LABEL_SIZE_BYTES - 40}`,
      String(offsetBytes),
      "the label is damaged",
    );
  }
  const type = readAscii(sectorBytes, 24, 8);
  if (type !== LVM2_LABEL_TYPE) {
    fail(
      "type",
      JSON.stringify(LVM2_LABEL_TYPE),
      JSON.stringify(type),
      "this is not an LVM2 text-format label",
    );
  }
  return { sector: source.sector, crc: stored, offsetBytes, type };
}

/** The label LVM2 would use on a device, with the messages LVM2 logs about the others. */
export interface FoundLabel {
  /** The first valid label, or undefined when the device has none. */
  readonly label?: {
    readonly sector: number;
    readonly header: LabelHeader;
    readonly sectorBytes: Uint8Array;
  };
  /** LVM2's log lines for labels it skipped, e.g. "Label checksum incorrect on pv0.img - ignoring". */
  readonly notes: readonly string[];
}

/** How many bytes from the start of `device` the label search reads: sectors 0..3, or less on a tiny device. */
export function labelScanBytes(device: BlockDevice): number {
  return Math.min(LABEL_SCAN_SECTORS * SECTOR_BYTES, device.sizeBytes);
}

/** Reads sectors 0..3 and picks the label as `_find_lvm_header` does: the first valid one wins. */
export function findLabel(device: BlockDevice): FoundLabel {
  const head = new Uint8Array(labelScanBytes(device));
  device.read(0, head);
  return findLabelIn(head, device.name);
}

/**
 * {@link findLabel} over the first {@link labelScanBytes} of device `deviceName`, already read;
 * keeps no reference to `head`.
 */
export function findLabelIn(head: Uint8Array, deviceName: string): FoundLabel {
  const scanBytes = head.length;
  const notes: string[] = [];
  let label: FoundLabel["label"];
  for (let sector = 0; sector * SECTOR_BYTES < scanBytes; sector++) {
    const bytes = head.subarray(sector * SECTOR_BYTES, (sector + 1) * SECTOR_BYTES);
    if (!looksLikeLabel(bytes)) continue;
    const view = viewOf(bytes);
    const claimed = readU64(view, 8);
    if (claimed !== sector) {
      notes.push(
        `${deviceName}: Label for sector ${claimed ?? "(huge)"} found at sector ${sector} - ignoring.`,
      );
      continue;
    }
    if (view.getUint32(16, true) !== lvmCrc(bytes.subarray(LABEL_CRC_START_BYTES))) {
      notes.push(`Label checksum incorrect on ${deviceName} - ignoring`);
      continue;
    }
    if (label !== undefined) {
      notes.push(`Ignoring additional label on ${deviceName} at sector ${sector}`);
      continue;
    }
    try {
      label = {
        sector,
        header: decodeLabelHeader(bytes, { device: deviceName, sector }),
        sectorBytes: bytes.slice(),
      };
    } catch (error) {
      if (!(error instanceof OnDiskFormatError)) throw error;
      notes.push(error.message);
    }
  }
  return label === undefined ? { notes } : { label, notes };
}
