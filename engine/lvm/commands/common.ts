/** Helpers the command modules share: scanning with warnings, LV and PV arguments, new PV models. */
import { SECTOR_BYTES } from "../../block/device.js";
import { formatUuid } from "../../format/uuid.js";
import { lvSizeExtents } from "../../metadata/extent-map.js";
import {
  type LogicalVolume,
  type PhysicalVolume,
  segmentAreas,
  type VolumeGroup,
} from "../../metadata/model.js";
import { type CommandContext, LvmCommandError } from "../command.js";
import { formatSize, type Units } from "../units.js";
import { type HostScan, importScannedVg, scanHost, type VgHandle } from "../vg-read.js";

/** Units of messages such as "Size of logical volume … changed from 8.00 MiB". */
export const MESSAGE_UNITS: Units = { type: "r", factorBytes: 0, suffix: true };

/** Scans the host and prints the scan's warnings on stderr, as every LVM2 command does. */
export function scanWithWarnings(context: CommandContext): HostScan {
  const scan = scanHost(context.host);
  for (const line of scan.result.warnings) context.out.error(line);
  warnActiveLvsOnMissingPvs(context, scan);
  return scan;
}

/**
 * `_check_devs_used_correspond_with_lv` (vg_read): an LV the kernel has active with an area on a
 * PV that is gone gets "Couldn't find all devices for LV … while checking used and assumed
 * devices." once per LV.
 */
function warnActiveLvsOnMissingPvs(context: CommandContext, scan: HostScan): void {
  const active = context.host.activeLvs;
  if (context.driverLoaded === false || active.size === 0) return;
  for (const scanned of scan.result.vgs) {
    let handle: VgHandle;
    try {
      handle = importScannedVg(scan, scanned);
    } catch {
      continue; // The command that reads this VG reports why it cannot.
    }
    if (handle.missing.length === 0) continue;
    const missing = new Set(handle.missing);
    for (const lv of handle.vg.lvs) {
      if (!active.has(lv.id)) continue;
      const onMissing = lv.segments.some((seg) =>
        segmentAreas(seg).some((a) => a.kind === "pv" && missing.has(a.pv)),
      );
      if (onMissing) {
        context.out.warn(
          `Couldn't find all devices for LV ${handle.vg.name}/${lv.name} while checking used and assumed devices.`,
        );
      }
    }
  }
}

/** Splits `vg/lv`, `/dev/vg/lv` or (with a default VG) `lv`. */
export function splitLvArg(arg: string, defaultVg?: string): { vg: string; lv: string } {
  const path = arg.startsWith("/dev/") ? arg.slice(5) : arg;
  const slash = path.indexOf("/");
  if (slash >= 0) return { vg: path.slice(0, slash), lv: path.slice(slash + 1) };
  if (defaultVg !== undefined) return { vg: defaultVg, lv: path };
  throw new LvmCommandError("Please specify a logical volume path.", 3);
}

/** The LV, or LVM2's "Failed to find logical volume" failure. */
export function requireLv(vg: VolumeGroup, name: string): LogicalVolume {
  const lv = vg.lvs.find((l) => l.name === name);
  if (!lv) throw new LvmCommandError(`Failed to find logical volume "${vg.name}/${name}"`);
  return lv;
}

/** A device named on the command line, or LVM2's "Cannot use" failure. */
export function requireDevice(context: CommandContext, name: string): void {
  if (context.host.device(name) === undefined) {
    // LVM2's words; with lvmlab the cure is to list the image in --devices.
    throw new LvmCommandError(`No device found for ${name}.`);
  }
}

/** Where a PV's data area ends: its second mda, or the end of the device. */
function dataEndBytes(scan: HostScan, device: string, sizeBytes: number): number {
  const label = scan.labels.get(device);
  const peStartBytes = label?.header.dataAreas[0]?.offsetBytes ?? 0;
  let end = sizeBytes;
  for (const area of label?.header.metadataAreas ?? []) {
    if (area.offsetBytes > peStartBytes && area.offsetBytes < end) end = area.offsetBytes;
  }
  return end;
}

/** `pe_start` of a labelled device, in sectors. */
function peStartSectors(scan: HostScan, device: string): number {
  const label = scan.labels.get(device);
  if (label === undefined) throw new LvmCommandError(`No physical volume label read from ${device}`);
  return (label.header.dataAreas[0]?.offsetBytes ?? 0) / SECTOR_BYTES;
}

/** The metadata entry for a labelled device joining a VG with `extentSizeSectors` (`pv_setup`). */
export function newPvEntry(
  context: CommandContext,
  scan: HostScan,
  options: { readonly device: string; readonly name: string; readonly extentSizeSectors: number },
): PhysicalVolume {
  const label = scan.labels.get(options.device);
  const dev = context.host.device(options.device);
  if (label === undefined || dev === undefined)
    throw new LvmCommandError(`No physical volume label read from ${options.device}`);
  const peStart = peStartSectors(scan, options.device);
  const sizeBytes = label.header.deviceSizeBytes > 0 ? label.header.deviceSizeBytes : dev.sizeBytes;
  const dataSectors = dataEndBytes(scan, options.device, sizeBytes) / SECTOR_BYTES - peStart;
  return {
    name: options.name,
    id: formatUuid(label.header.pvUuid),
    deviceHint: options.device,
    status: ["ALLOCATABLE"],
    flags: [],
    tags: [],
    devSizeSectors: sizeBytes / SECTOR_BYTES,
    peStartSectors: peStart,
    peCount: Math.max(0, Math.floor(dataSectors / options.extentSizeSectors)),
    extra: [],
  };
}

/** Renumbers PVs `pv0…` in order and rewrites every PV reference to follow. */
export function renumberPvs(vg: VolumeGroup): VolumeGroup {
  const rename = new Map(vg.pvs.map((pv, i) => [pv.name, `pv${i}`] as const));
  const pvs = vg.pvs.map((pv) => ({ ...pv, name: rename.get(pv.name)! }));
  const lvs = vg.lvs.map((lv) => ({
    ...lv,
    segments: lv.segments.map((seg) =>
      seg.type === "striped" || seg.type === "mirror"
        ? {
            ...seg,
            areas: seg.areas.map((a) => (a.kind === "pv" ? { ...a, pv: rename.get(a.pv) ?? a.pv } : a)),
          }
        : seg,
    ),
  }));
  return { ...vg, pvs, lvs };
}

/** "8.00 MiB (2 extents)" as lvresize prints sizes. */
export function sizeAndExtents(vg: VolumeGroup, extents: number): string {
  const size = formatSize(extents * vg.extentSizeSectors, MESSAGE_UNITS, "short");
  return `${size} (${extents} extents)`;
}

/** The LV's size in extents. */
export function lvExtents(lv: LogicalVolume): number {
  return lvSizeExtents(lv);
}
