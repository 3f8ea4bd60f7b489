import type { BlockDevice } from "../engine/block/device.js";
import { OnDiskFormatError } from "../engine/format/format-error.js";
import { findLabel } from "../engine/format/label.js";
import { decodePvLabel } from "../engine/format/pv-header.js";
import type { MdaLocation } from "./targets.js";

/**
 * Locates a PV's metadata areas the way LVM2 does: find the label in sectors 0..3, decode the
 * pv_header, read its metadata-area list. Returns undefined when the PV has no valid label (then
 * metadata-corruption falls back to `mdaOffsetBytes` or LVM2's default 4096).
 */
export function locateMdasFromLabel(device: BlockDevice): readonly MdaLocation[] | undefined {
  const found = findLabel(device);
  if (found.label === undefined) return undefined;
  try {
    const pv = decodePvLabel(found.label.sectorBytes, { device: device.name, sector: found.label.sector });
    return pv.metadataAreas.map((a) => ({ offsetBytes: a.offsetBytes, sizeBytes: a.sizeBytes }));
  } catch (error) {
    if (error instanceof OnDiskFormatError) return undefined;
    throw error;
  }
}
