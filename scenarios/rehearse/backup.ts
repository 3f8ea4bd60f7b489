/**
 * Reads the user's VG from a `vgcfgbackup` file (real LVM2's or lvmlab's): its name, extent size,
 * PVs (uuid, the device each was on, size) and LVs. The rehearsal recreates exactly this VG on
 * simulated disks with `pvcreate --uuid … --norestorefile` and `vgcfgrestore -f`, as an operator
 * restoring onto new disks would.
 */
import { ConfigParseError, type ConfigSection, parseConfig } from "../../engine/format/mod.js";
import {
  findVgSection,
  importVg,
  isMetadataImportError,
  lvKinds,
  type VolumeGroup,
} from "../../engine/metadata/mod.js";
import { RehearseInputError } from "./input-error.js";

/** One PV of the backed-up VG. */
export interface BackupPv {
  /** The device the PV was on when the backup was made (`device = "…"`), e.g. "/dev/sdb1". */
  readonly device: string;
  /** The PV's 38-character dashed uuid. */
  readonly uuid: string;
  /** The disk size the simulated PV gets: `dev_size`, else the end of its extents. */
  readonly sizeBytes: number;
  readonly peCount: number;
}

/** The VG a backup file describes. */
export interface BackupVg {
  readonly file: string;
  readonly text: string;
  readonly vgName: string;
  readonly extentSizeBytes: number;
  readonly pvs: readonly BackupPv[];
  /** Visible LVs, in metadata order, with their size in extents. */
  readonly lvs: readonly { readonly name: string; readonly extents: number }[];
  readonly vg: VolumeGroup;
}

/** Largest simulated PV a rehearsal accepts (its pvmove copies every allocated extent in memory). */
export const REHEARSE_PV_BYTES_MAX = 64 * 1024 ** 3;

const SECTOR_BYTES = 512;

/** Parses a backup file; errors name the file (and line, for syntax errors). */
export function readBackup(text: string, options: { readonly file: string }): BackupVg {
  const { file } = options;
  let section: ConfigSection;
  let vg: VolumeGroup;
  try {
    section = findVgSection(parseConfig(text, { fileName: file }));
    vg = importVg(section);
  } catch (error) {
    if (error instanceof ConfigParseError)
      throw new RehearseInputError(`Cannot read backup ${error.message}`);
    if (isMetadataImportError(error))
      throw new RehearseInputError(`Cannot read backup ${file}: ${error.message}`);
    throw error;
  }
  if (vg.pvs.length === 0) throw new RehearseInputError(`Backup ${file}: VG ${vg.name} has no PVs`);
  const extentSizeBytes = vg.extentSizeSectors * SECTOR_BYTES;
  const seen = new Set<string>();
  const pvs = vg.pvs.map((pv) => {
    if (pv.deviceHint === "" || pv.deviceHint === "unknown device") {
      throw new RehearseInputError(
        `Backup ${file}: PV ${pv.name} (${pv.id}) names no device; the plan cannot refer to it`,
      );
    }
    if (seen.has(pv.deviceHint))
      throw new RehearseInputError(`Backup ${file}: two PVs name device ${pv.deviceHint}`);
    seen.add(pv.deviceHint);
    const endSectors = pv.peStartSectors + pv.peCount * vg.extentSizeSectors;
    const sizeBytes = Math.max(pv.devSizeSectors ?? 0, endSectors) * SECTOR_BYTES;
    if (sizeBytes > REHEARSE_PV_BYTES_MAX) {
      throw new RehearseInputError(
        `Backup ${file}: PV ${pv.deviceHint} is ${sizeBytes} bytes, more than the ${REHEARSE_PV_BYTES_MAX} a rehearsal simulates; rehearse on a smaller copy of the layout`,
      );
    }
    return { device: pv.deviceHint, uuid: pv.id, sizeBytes, peCount: pv.peCount };
  });
  const kinds = lvKinds(vg);
  const lvs = vg.lvs
    .filter((lv) => kinds.get(lv.name)?.visible === true)
    .map((lv) => ({ name: lv.name, extents: lv.segments.reduce((n, s) => n + s.extentCount, 0) }));
  return { file, text, vgName: vg.name, extentSizeBytes, pvs, lvs, vg };
}
