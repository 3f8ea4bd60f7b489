/**
 * Reading VGs the way every LVM2 command starts: scan the host's devices (label, mdas, highest
 * seqno with LVM2's warnings), import the chosen metadata, and tie each `pvN` to the device that
 * carries its uuid. Device hints in the returned model are the host's device names, so reports
 * and PV arguments use the names given to `--devices`; PVs with no device are marked MISSING.
 */
import type { ConfigSection } from "../format/config-tree.js";
import { isOnDiskFormatError } from "../format/format-error.js";
import { type ScannedPv, type ScannedVg, type ScanResult, scanDevices } from "../format/scan.js";
import { formatUuid, parseUuid } from "../format/uuid.js";
import { importVg, isMetadataImportError } from "../metadata/import.js";
import { type PhysicalVolume, PV_STATUS_FLAGS, type VolumeGroup, withFlag } from "../metadata/model.js";
import { validateVg } from "../metadata/validate.js";
import { LvmCommandError } from "./command.js";
import type { Host } from "./host.js";

/** What one scan of the host found, with lookups the commands need. */
export interface HostScan {
  readonly result: ScanResult;
  /** Labelled devices by device name. */
  readonly labels: ReadonlyMap<string, ScannedPv>;
  /** Device name by 32-character PV uuid (the first device in scan order wins). */
  readonly deviceOf: ReadonlyMap<string, string>;
  /** VG membership by device name (orphans absent). */
  readonly vgOfDevice: ReadonlyMap<string, string>;
}

/** A VG as a command sees it. */
export interface VgHandle {
  /** The model; PV device hints are host device names, missing PVs carry MISSING. */
  readonly vg: VolumeGroup;
  readonly scanned: ScannedVg;
  /** `pvN` names of PVs whose device was not found. */
  readonly missing: readonly string[];
}

/** Scans every device of the host in the order they were given. */
export function scanHost(host: Host): HostScan {
  const result = scanDevices([...host.devices.values()], { mutations: host.mutations });
  const labels = new Map<string, ScannedPv>();
  const deviceOf = new Map<string, string>();
  for (const pv of result.pvs) {
    labels.set(pv.device.name, pv);
    if (!deviceOf.has(pv.header.pvUuid)) deviceOf.set(pv.header.pvUuid, pv.device.name);
  }
  const vgOfDevice = new Map<string, string>();
  for (const vg of result.vgs) {
    for (const pv of vg.summary.pvs) {
      const device = deviceOf.get(pv.pvUuid);
      if (device !== undefined) vgOfDevice.set(device, vg.vgName);
    }
  }
  return { result, labels, deviceOf, vgOfDevice };
}

/** The names of all VGs found, sorted as LVM2 lists them. */
export function vgNames(scan: HostScan): string[] {
  return scan.result.vgs.map((vg) => vg.vgName).sort();
}

// Imported and validated VGs by their parsed metadata section. The scan hands out the same
// (immutable) parsed section for metadata it parsed before, and import and validation are
// functions of it, so each command after the first skips both; the model is immutable too.
const importedVgs = new WeakMap<ConfigSection, VolumeGroup>();

/** Imports a scanned VG and ties its PVs to devices; throws {@link LvmCommandError} on bad metadata. */
export function importScannedVg(scan: HostScan, scanned: ScannedVg): VgHandle {
  const section = scanned.summary.section;
  let vg = importedVgs.get(section);
  if (vg === undefined) {
    vg = importValidVg(scanned);
    importedVgs.set(section, vg);
  }
  const missing: string[] = [];
  const pvs: PhysicalVolume[] = vg.pvs.map((pv) => {
    const placed = placePv(pv, scan.deviceOf);
    if (placed.device === undefined) missing.push(pv.name);
    return placed.pv;
  });
  return { vg: { ...vg, pvs }, scanned, missing };
}

/** A PV of an imported VG tied to the device that carries it now, and that device. */
interface PlacedPv {
  readonly uuid: string;
  readonly device: string | undefined;
  readonly pv: PhysicalVolume;
}

// The last placement of each imported PV: a function of the PV and its device, so while the device
// stays the same every command gets the same PV object back, and a VG write exports it only once.
const placedPvs = new WeakMap<PhysicalVolume, PlacedPv>();

function placePv(pv: PhysicalVolume, deviceOf: ReadonlyMap<string, string>): PlacedPv {
  const known = placedPvs.get(pv);
  const uuid = known?.uuid ?? parseUuid(pv.id);
  const device = deviceOf.get(uuid);
  if (known !== undefined && known.device === device) return known;
  const placed: PlacedPv =
    device === undefined
      ? // pv_dev_name() of a PV without a device is "[unknown]"; LVM2 writes that as its hint.
        {
          uuid,
          device,
          pv: { ...pv, deviceHint: "[unknown]", status: withFlag(pv.status, "MISSING", PV_STATUS_FLAGS) },
        }
      : { uuid, device, pv: { ...pv, deviceHint: device, status: pv.status.filter((s) => s !== "MISSING") } };
  placedPvs.set(pv, placed);
  return placed;
}

/** Imports the chosen copy and validates it, refusing unusable or invalid metadata. */
function importValidVg(scanned: ScannedVg): VolumeGroup {
  let vg: VolumeGroup;
  try {
    vg = importVg(scanned.summary.section);
  } catch (error) {
    if (isMetadataImportError(error) || isOnDiskFormatError(error)) {
      throw new LvmCommandError(
        `Cannot process volume group ${scanned.vgName}: metadata on ${scanned.source.device} mda${scanned.source.mdaIndex + 1} is unusable: ${(error as Error).message}`,
      );
    }
    throw error;
  }
  const issues = validateVg(vg);
  if (issues.length > 0) {
    const first = issues[0]!;
    throw new LvmCommandError(
      `Cannot process volume group ${vg.name}: metadata from ${scanned.source.device} fails validation at ${first.path}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}; restore a good copy with vgcfgrestore`,
    );
  }
  return vg;
}

/** The VG named `name` (or with this uuid), or undefined when no device holds it. */
export function findVg(scan: HostScan, name: string): VgHandle | undefined {
  const scanned =
    scan.result.vgs.find((vg) => vg.vgName === name) ??
    scan.result.vgs.find((vg) => formatUuid(vg.vgId) === name);
  return scanned === undefined ? undefined : importScannedVg(scan, scanned);
}

/**
 * The VG a modifying command works on, refusing what LVM2 refuses: not found, exported, or (unless
 * `allowMissing`) with missing PVs.
 */
export function requireVg(
  scan: HostScan,
  name: string,
  options: { readonly allowExported?: boolean; readonly allowMissing?: boolean } = {},
): VgHandle {
  const handle = findVg(scan, name);
  if (handle === undefined)
    throw new LvmCommandError(`Volume group "${name}" not found\n  Cannot process volume group ${name}`);
  if (!options.allowExported && handle.vg.status.includes("EXPORTED")) {
    throw new LvmCommandError(`Volume group ${handle.vg.name} is exported`);
  }
  if (!options.allowMissing && handle.missing.length > 0) {
    throw new LvmCommandError(
      `Cannot change VG ${handle.vg.name} while PVs are missing.\n  See vgreduce --removemissing and vgextend --restoremissing.\n  Cannot process volume group ${handle.vg.name}`,
    );
  }
  return handle;
}

/** The PV of `vg` on device `device`, or undefined. */
export function pvOnDevice(vg: VolumeGroup, device: string): PhysicalVolume | undefined {
  return vg.pvs.find((pv) => pv.deviceHint === device && !pv.status.includes("MISSING"));
}
