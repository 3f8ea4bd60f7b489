/**
 * What pvcreate puts on a fresh PV (§1.1 of the research): zeroed sectors 0..3, the label at
 * sector 1, an mda at 4096 sized so that PE 0 starts at 1 MiB, optionally a second mda aligned
 * down to 1 MiB at the end, and what pvremove wipes.
 */
import type { BlockDevice } from "../block/device.js";
import { SECTOR_BYTES } from "../block/device.js";
import { DEFAULT_LABEL_SECTOR, LABEL_SCAN_SECTORS, looksLikeLabel } from "./label.js";
import { encodeMdaHeader } from "./mda-header.js";
import { type DiskLocn, encodePvLabel, PV_EXT_USED, PV_HEADER_EXTENSION_VERSION } from "./pv-header.js";

/** mda 0 starts at one page (4 KiB pages). */
export const DEFAULT_MDA_START_BYTES = 4096;
/** Default mda size: 2040 sectors, "1 MiB minus page size" (`get_default_pvmetadatasize_sectors`). */
export const DEFAULT_MDA_SIZE_BYTES = 1044480;
/** `pe_start` of a default PV: 1 MiB (`FIRST_PE_AT_ONE_MB_IN_SECTORS`). */
const DEFAULT_PE_START_SECTORS = 2048;
/** Default extent size: 4 MiB. */
export const DEFAULT_EXTENT_SIZE_SECTORS = 8192;
/** Data alignment (`devices/default_data_alignment` = 1 MiB). */
const DATA_ALIGNMENT_BYTES = 1048576;
/** pvcreate zeroes this much of the device start (`dev_write_zeros(dev, 0, 2048)`). */
const PVCREATE_ZERO_BYTES = 2048;
/** pvcreate zeroes this much of each new mda (`wipe_size` = 8 sectors). */
const MDA_WIPE_BYTES = 4096;

/** Where things go on a PV. */
export interface PvLayout {
  readonly deviceSizeBytes: number;
  /** 0, 1 or 2 metadata areas (absolute offsets). */
  readonly metadataAreas: readonly DiskLocn[];
  readonly peStartSectors: number;
  /** Where the data area ends: the second mda, or the end of the device. */
  readonly dataEndBytes: number;
}

/** Options for {@link defaultPvLayout}. */
export interface PvLayoutOptions {
  /** `--pvmetadatacopies`: 0, 1 (default) or 2. */
  readonly metadataCopies?: 0 | 1 | 2;
}

/** The layout pvcreate picks with default settings on a 4 KiB-page machine. */
export function defaultPvLayout(deviceSizeBytes: number, options: PvLayoutOptions = {}): PvLayout {
  const copies = options.metadataCopies ?? 1;
  const minBytes = DEFAULT_PE_START_SECTORS * SECTOR_BYTES + (copies === 2 ? DATA_ALIGNMENT_BYTES : 0);
  if (
    !Number.isSafeInteger(deviceSizeBytes) ||
    deviceSizeBytes % SECTOR_BYTES !== 0 ||
    deviceSizeBytes <= minBytes
  ) {
    throw new RangeError(
      `Cannot lay out a PV of ${deviceSizeBytes} bytes with ${copies} metadata copies: ` +
        `need a multiple of 512 larger than ${minBytes} bytes; use a bigger device`,
    );
  }
  const areas: DiskLocn[] = [];
  if (copies >= 1) areas.push({ offsetBytes: DEFAULT_MDA_START_BYTES, sizeBytes: DEFAULT_MDA_SIZE_BYTES });
  let dataEndBytes = deviceSizeBytes;
  if (copies === 2) {
    // _text_pv_add_metadata_area, mda_index 1: take the size from the end, then grow it so
    // that its start lands on the data alignment.
    const start = deviceSizeBytes - DEFAULT_MDA_SIZE_BYTES;
    const alignedStart = start - (start % DATA_ALIGNMENT_BYTES);
    const limit = DEFAULT_PE_START_SECTORS * SECTOR_BYTES;
    const mdaStart = alignedStart >= limit ? alignedStart : start;
    areas.push({ offsetBytes: mdaStart, sizeBytes: deviceSizeBytes - mdaStart });
    dataEndBytes = mdaStart;
  }
  return { deviceSizeBytes, metadataAreas: areas, peStartSectors: DEFAULT_PE_START_SECTORS, dataEndBytes };
}

/** `pe_count` for an extent size: whole extents between pe_start and the data end. */
export function peCountFor(layout: PvLayout, extentSizeSectors: number): number {
  if (!Number.isInteger(extentSizeSectors) || extentSizeSectors <= 0) {
    throw new RangeError(`Extent size ${extentSizeSectors} sectors is invalid: expected a positive integer`);
  }
  const dataSectors = layout.dataEndBytes / SECTOR_BYTES - layout.peStartSectors;
  return Math.max(0, Math.floor(dataSectors / extentSizeSectors));
}

/** Options for {@link writeFreshPv}. */
export interface WriteFreshPvOptions {
  /** 32-character PV id. */
  readonly pvUuid: string;
  /** Defaults to {@link defaultPvLayout} of the device. */
  readonly layout?: PvLayout;
  /** Sets PV_EXT_USED (the PV is in a VG); pvcreate leaves it clear. */
  readonly inVg?: boolean;
  readonly issueNs?: number;
}

/** Does on disk what pvcreate does: zero the head, wipe and initialise each mda, write the label last. */
export function writeFreshPv(device: BlockDevice, options: WriteFreshPvOptions): PvLayout {
  const layout = options.layout ?? defaultPvLayout(device.sizeBytes);
  if (layout.deviceSizeBytes !== device.sizeBytes) {
    throw new RangeError(
      `Layout is for ${layout.deviceSizeBytes} bytes but ${device.name} has ${device.sizeBytes}`,
    );
  }
  const io = { issueNs: options.issueNs ?? 0 };
  device.write(0, new Uint8Array(PVCREATE_ZERO_BYTES), io);
  for (const area of layout.metadataAreas) {
    const wipe = new Uint8Array(Math.min(MDA_WIPE_BYTES, area.sizeBytes));
    device.write(area.offsetBytes, wipe, io);
    device.write(
      area.offsetBytes,
      encodeMdaHeader({ startBytes: area.offsetBytes, sizeBytes: area.sizeBytes }),
      io,
    );
  }
  const sector = encodePvLabel(
    {
      pvUuid: options.pvUuid,
      deviceSizeBytes: device.sizeBytes,
      // The data area size is written as 0, "to the end of the device" (lvmcache_update_das).
      dataAreas: [{ offsetBytes: layout.peStartSectors * SECTOR_BYTES, sizeBytes: 0 }],
      metadataAreas: layout.metadataAreas,
      extension: {
        version: PV_HEADER_EXTENSION_VERSION,
        flags: options.inVg ? PV_EXT_USED : 0,
        bootloaderAreas: [],
      },
    },
    { sector: DEFAULT_LABEL_SECTOR },
  );
  device.write(DEFAULT_LABEL_SECTOR * SECTOR_BYTES, sector, io);
  return layout;
}

/** Does on disk what pvremove does (`label_remove`): zero every sector of 0..3 that looks like a label. */
export function wipePvLabel(device: BlockDevice, options: { readonly issueNs?: number } = {}): number {
  const head = new Uint8Array(Math.min(LABEL_SCAN_SECTORS * SECTOR_BYTES, device.sizeBytes));
  device.read(0, head);
  let wiped = 0;
  for (let sector = 0; sector * SECTOR_BYTES < head.length; sector++) {
    if (!looksLikeLabel(head.subarray(sector * SECTOR_BYTES, (sector + 1) * SECTOR_BYTES))) continue;
    device.write(sector * SECTOR_BYTES, new Uint8Array(SECTOR_BYTES), { issueNs: options.issueNs ?? 0 });
    wiped++;
  }
  return wiped;
}
