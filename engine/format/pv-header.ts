/**
 * The text format's `pv_header` (`lib/format_text/layout.h`, `text_label.c`): PV uuid, device
 * size, the data-area and metadata-area lists, and the extension (version, flags, bootloader
 * areas). It lives in the label sector right after the label_header and shares its CRC.
 */
import { SECTOR_BYTES } from "../block/device.js";
import { OnDiskFormatError } from "./format-error.js";
import {
  DEFAULT_LABEL_SECTOR,
  decodeLabelHeader,
  LABEL_HEADER_BYTES,
  LABEL_SIZE_BYTES,
  sealLabelSector,
} from "./label.js";
import { readAscii, readU64, viewOf, writeAscii, writeU64 } from "./le-bytes.js";
import { isValidUuid, UUID_LENGTH } from "./uuid.js";

/** `PV_HEADER_EXTENSION_VSN`. */
export const PV_HEADER_EXTENSION_VERSION = 2;
/** Extension flag: the PV belongs to a VG (cleared for orphans). */
export const PV_EXT_USED = 0x1;
/** At most two metadata areas per PV (`FMT_TEXT_MAX_MDAS_PER_PV`). */
const MAX_MDAS_PER_PV = 2;

const DISK_LOCN_BYTES = 16;
const PV_HEADER_FIXED_BYTES = UUID_LENGTH + 8;

/** A `disk_locn`: byte offset and size on the device (size 0 = "to the end" for data areas). */
export interface DiskLocn {
  readonly offsetBytes: number;
  readonly sizeBytes: number;
}

/** The pv_header_extension. */
export interface PvHeaderExtension {
  readonly version: number;
  readonly flags: number;
  readonly bootloaderAreas: readonly DiskLocn[];
}

/** A decoded pv_header. */
export interface PvHeader {
  /** 32-character id without dashes. */
  readonly pvUuid: string;
  readonly deviceSizeBytes: number;
  readonly dataAreas: readonly DiskLocn[];
  readonly metadataAreas: readonly DiskLocn[];
  /** Absent on PVs written by old LVM2 (or with extension version 0). */
  readonly extension?: PvHeaderExtension;
}

/** Encodes a complete label sector: label_header + pv_header, sealed with the label CRC. */
export function encodePvLabel(pv: PvHeader, options: { sector?: number } = {}): Uint8Array {
  const sector = options.sector ?? DEFAULT_LABEL_SECTOR;
  if (!isValidUuid(pv.pvUuid))
    throw new RangeError(`Cannot write pv_header: pv_uuid "${pv.pvUuid}" is not a 32-character LVM2 id`);
  if (pv.metadataAreas.length > MAX_MDAS_PER_PV) {
    throw new RangeError(
      `Cannot write pv_header: ${pv.metadataAreas.length} metadata areas, LVM2 allows at most ${MAX_MDAS_PER_PV}`,
    );
  }
  for (const list of [pv.dataAreas, pv.metadataAreas, pv.extension?.bootloaderAreas ?? []]) {
    for (const area of list) {
      // A zero offset would read back as the list terminator.
      if (area.offsetBytes <= 0)
        throw new RangeError(`Cannot write pv_header: area offset ${area.offsetBytes} must be > 0`);
    }
  }
  const ext = pv.extension;
  // LVM2 always writes the bootloader list, so an empty one costs a second {0,0} (lvmcache_update_bas).
  const bootloaderEntries = ext === undefined ? 0 : Math.max(ext.bootloaderAreas.length, 1) + 1;
  const needed =
    LABEL_HEADER_BYTES +
    PV_HEADER_FIXED_BYTES +
    DISK_LOCN_BYTES * (pv.dataAreas.length + 1 + pv.metadataAreas.length + 1 + bootloaderEntries) +
    (ext === undefined ? 0 : 8);
  if (needed > LABEL_SIZE_BYTES) {
    throw new RangeError(
      `Cannot write pv_header: the area lists need ${needed} bytes, the label sector has ${LABEL_SIZE_BYTES}`,
    );
  }
  const buf = new Uint8Array(LABEL_SIZE_BYTES);
  const view = viewOf(buf);
  let at = LABEL_HEADER_BYTES;
  writeAscii(buf, at, pv.pvUuid, UUID_LENGTH);
  at += UUID_LENGTH;
  writeU64(view, at, pv.deviceSizeBytes);
  at += 8;
  const putList = (list: readonly DiskLocn[]): void => {
    for (const area of list) {
      writeU64(view, at, area.offsetBytes);
      writeU64(view, at + 8, area.sizeBytes);
      at += DISK_LOCN_BYTES;
    }
    at += DISK_LOCN_BYTES; // the zeroed terminator
  };
  putList(pv.dataAreas);
  putList(pv.metadataAreas);
  if (ext !== undefined) {
    view.setUint32(at, ext.version, true);
    view.setUint32(at + 4, ext.flags, true);
    at += 8;
    putList(ext.bootloaderAreas);
  }
  sealLabelSector(buf, sector);
  return buf;
}

/** Where a label sector came from, for errors. */
export interface PvLabelSource {
  readonly device: string;
  readonly sector: number;
}

/** Decodes a label sector strictly: label_header checks, then the pv_header lists and extension. */
export function decodePvLabel(sectorBytes: Uint8Array, source: PvLabelSource): PvHeader {
  const label = decodeLabelHeader(sectorBytes, source);
  const fail = (field: string, expected: string, found: string): never => {
    throw new OnDiskFormatError({
      device: source.device,
      offsetBytes: source.sector * SECTOR_BYTES,
      structure: "pv_header",
      field,
      expected,
      found,
      hint: "the PV header is damaged; recreate it with pvcreate -u UUID --norestorefile, then vgcfgrestore",
    });
  };
  const view = viewOf(sectorBytes);
  let at = label.offsetBytes;
  const pvUuid = readAscii(sectorBytes, at, UUID_LENGTH);
  if (!isValidUuid(pvUuid)) fail("pv_uuid", "32 characters of LVM2's id alphabet", JSON.stringify(pvUuid));
  at += UUID_LENGTH;
  const deviceSizeBytes = readU64(view, at) ?? fail("device_size_xl", "a size below 2^53", "a larger value");
  at += 8;
  // label_check_pv_layout: each list ends at an entry whose offset is 0 and must end in the sector.
  const getList = (field: string): DiskLocn[] => {
    const list: DiskLocn[] = [];
    for (;;) {
      if (at + DISK_LOCN_BYTES > LABEL_SIZE_BYTES)
        fail(field, "a {0,0} terminator inside the sector", "a list running past byte 511");
      const offsetBytes =
        readU64(view, at) ?? fail(`${field}[${list.length}].offset`, "a value below 2^53", "a larger value");
      const sizeBytes =
        readU64(view, at + 8) ??
        fail(`${field}[${list.length}].size`, "a value below 2^53", "a larger value");
      at += DISK_LOCN_BYTES;
      if (offsetBytes === 0) return list;
      list.push({ offsetBytes, sizeBytes });
    }
  };
  const dataAreas = getList("disk_areas_xl");
  const metadataAreas = getList("metadata areas");
  if (metadataAreas.length > MAX_MDAS_PER_PV)
    fail("metadata areas", `at most ${MAX_MDAS_PER_PV}`, String(metadataAreas.length));
  if (at + 8 > LABEL_SIZE_BYTES) return { pvUuid, deviceSizeBytes, dataAreas, metadataAreas };
  const version = view.getUint32(at, true);
  const flags = view.getUint32(at + 4, true);
  at += 8;
  if (version === 0) return { pvUuid, deviceSizeBytes, dataAreas, metadataAreas };
  const bootloaderAreas = getList("bootloader areas");
  return {
    pvUuid,
    deviceSizeBytes,
    dataAreas,
    metadataAreas,
    extension: { version, flags, bootloaderAreas },
  };
}
