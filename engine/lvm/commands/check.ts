/**
 * `vgck [--updatemetadata] [VG...]`: read each VG (the scan prints what is wrong) and validate it;
 * `--updatemetadata` rewrites every mda with seqno + 1 over repairable bad headers.
 * `pvck DEV...`: report each device's label and metadata areas as LVM2 does.
 */

import type { BlockDevice } from "../../block/device.js";
import { SECTOR_BYTES } from "../../block/device.js";
import { lvmCrc } from "../../format/crc.js";
import { LABEL_ID, LVM2_LABEL_TYPE } from "../../format/label.js";
import {
  BAD_MDA,
  BAD_MDA_NOT_REPAIRABLE,
  FMTT_MAGIC,
  FMTT_VERSION,
  MDA_HEADER_BYTES,
  parseMdaHeader,
  RAW_LOCN_IGNORED,
} from "../../format/mda-header.js";
import { readMetadataText } from "../../format/mda-text.js";
import { isValidUuid } from "../../format/uuid.js";
import { hasOption, optionValue, type ParsedArgs } from "../args.js";
import {
  type CommandContext,
  ECMD_FAILED,
  ECMD_PROCESSED,
  type LvmCommandDef,
  LvmCommandError,
} from "../command.js";
import { PVCK_DUMP_KINDS, type PvckDumpKind, type PvckDumpSettings, pvckDump } from "../pvck-dump.js";
import { repairMdaFromFile } from "../pvck-repair.js";
import { requireVg, scanHost, vgNames } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { scanWithWarnings } from "./common.js";

/** The vgck command. */
export const vgckCommand: LvmCommandDef = {
  name: "vgck",
  readOnly: true,
  options: [{ long: "updatemetadata", value: false }],
  run(context, args) {
    const scan = scanWithWarnings(context);
    const names = args.positionals.length > 0 ? args.positionals : vgNames(scan);
    for (const name of names) {
      const handle = requireVg(scan, name, {
        allowExported: true,
        allowMissing: !hasOption(args, "updatemetadata"),
      });
      if (!hasOption(args, "updatemetadata")) continue;
      const repairable = BAD_MDA.CHECKSUM | BAD_MDA.VERSION | BAD_MDA.TEXT | BAD_MDA.MISMATCH;
      // vg_write_commit_bad_mdas: say which bad mdas of the VG's PVs get rewritten and which not.
      const members = new Set(handle.vg.pvs.map((pv) => pv.id.replaceAll("-", "")));
      for (const pv of scan.result.pvs) {
        if (!members.has(pv.header.pvUuid)) continue;
        for (const mda of pv.mdas) {
          if (mda.state !== "bad") continue;
          const bits = `0x${mda.badFields.toString(16)}`;
          if ((mda.badFields & BAD_MDA_NOT_REPAIRABLE) !== 0) {
            context.out.warn(
              `not repairing bad metadata (${bits}) for mda${mda.mdaIndex + 1} on ${mda.device}`,
            );
          } else {
            context.out.warn(
              `repairing bad metadata (${bits}) in mda${mda.mdaIndex + 1} at ${mda.startBytes} on ${mda.device}.`,
            );
          }
        }
      }
      writeVg(context, scan, handle.vg, { ignoreBadFields: repairable });
    }
    return ECMD_PROCESSED;
  },
};

/**
 * pvck's `_check_label_header` and `_check_pv_header` on sector 1 of a device without a label:
 * one CHECK line per field that is not what a label needs.
 */
function labelChecks(device: BlockDevice): string[] {
  const sector = new Uint8Array(SECTOR_BYTES);
  if (device.sizeBytes < 2 * SECTOR_BYTES) return [];
  device.read(SECTOR_BYTES, sector);
  const view = new DataView(sector.buffer, sector.byteOffset, sector.byteLength);
  const text = (from: number, to: number): string => String.fromCharCode(...sector.subarray(from, to));
  const lines: string[] = [];
  if (text(0, 8) !== LABEL_ID) lines.push(`CHECK: label_header.id expected ${LABEL_ID}`);
  if (view.getBigUint64(8, true) !== 1n) lines.push("CHECK: label_header.sector expected 1");
  const crc = lvmCrc(sector.subarray(20));
  if (crc !== view.getUint32(16, true)) lines.push(`CHECK: label_header.crc expected 0x${crc.toString(16)}`);
  const offset = view.getUint32(20, true);
  if (offset !== 32) lines.push("CHECK: label_header.offset expected 32");
  if (text(24, 32) !== LVM2_LABEL_TYPE) lines.push(`CHECK: label_header.type expected ${LVM2_LABEL_TYPE}`);
  // The pv_header sits where the label header says, whatever that is; LVM2 reads it there too.
  const at = offset <= SECTOR_BYTES - 32 ? offset : 0;
  if (!isValidUuid(text(at, at + 32))) lines.push("CHECK: pv_header.pv_uuid invalid format");
  return lines;
}

/** pvck's `_check_mda_header` for one metadata area of a labelled PV. */
function mdaChecks(
  device: BlockDevice,
  area: { offsetBytes: number; sizeBytes: number },
  mdaNum: number,
): string[] {
  if (area.offsetBytes + MDA_HEADER_BYTES > device.sizeBytes) return [];
  const bytes = new Uint8Array(MDA_HEADER_BYTES);
  device.read(area.offsetBytes, bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lines: string[] = [];
  const crc = lvmCrc(bytes.subarray(4));
  if (crc !== view.getUint32(0, true))
    lines.push(`CHECK: mda_header_${mdaNum}.checksum expected 0x${crc.toString(16)}`);
  if (!FMTT_MAGIC.every((b, i) => bytes[4 + i] === b)) {
    // _chars_to_hexstr: "%x" per byte, so bytes below 0x10 print as one digit.
    const hex = [...FMTT_MAGIC].map((b) => b.toString(16)).join("");
    lines.push(`CHECK: mda_header_${mdaNum}.magic expected 0x${hex}`);
  }
  if (view.getUint32(20, true) !== FMTT_VERSION)
    lines.push(`CHECK: mda_header_${mdaNum}.version expected ${FMTT_VERSION}`);
  if (view.getBigUint64(24, true) !== BigInt(area.offsetBytes)) {
    lines.push(
      `CHECK: mda_header_${mdaNum}.start does not match pv_header.disk_locn.offset ${area.offsetBytes}`,
    );
  }
  if (view.getBigUint64(32, true) !== BigInt(area.sizeBytes)) {
    lines.push(`CHECK: mda_header_${mdaNum}.size does not match pv_header.disk_locn.size ${area.sizeBytes}`);
  }
  return lines;
}

/** pvck's check of the committed copy's checksum (`raw_locn[0]`), when the header itself is sound. */
function textCheck(
  device: BlockDevice,
  area: { offsetBytes: number; sizeBytes: number },
  mdaNum: number,
): string | undefined {
  const bytes = new Uint8Array(MDA_HEADER_BYTES);
  device.read(area.offsetBytes, bytes);
  const parsed = parseMdaHeader(bytes, { device: device.name, expectedStartBytes: area.offsetBytes });
  const slot = parsed.header.committed;
  if (slot.offsetBytes === 0 || (slot.flags & RAW_LOCN_IGNORED) !== 0) return undefined;
  const read = readMetadataText(
    device,
    { startBytes: area.offsetBytes, sizeBytes: parsed.header.sizeBytes },
    slot,
  );
  if (read.ok || read.problem !== "checksum") return undefined;
  const at = area.offsetBytes + slot.offsetBytes;
  return `CHECK: metadata text at ${at} crc does not match mda_header_${mdaNum}.raw_locn[0].checksum`;
}

/** The pvck command. */
export const pvckCommand: LvmCommandDef = {
  name: "pvck",
  readOnly: true,
  options: [
    { long: "repair", value: false },
    { long: "repairtype", value: true },
    { long: "file", short: "f", value: true },
    { long: "dump", value: true },
    { long: "settings", value: true },
    { long: "pvmetadatacopies", value: true },
    { long: "labelsector", value: true },
  ],
  run(context, args) {
    if (args.positionals.length === 0) throw new LvmCommandError("Please enter a physical volume path", 3);
    if (hasOption(args, "repair") || optionValue(args, "repairtype") !== undefined) {
      return repairMetadata(context, args);
    }
    const dump = optionValue(args, "dump");
    if (dump !== undefined) return dumpCommand(context, args, dump);
    // pvck reads each device itself; the label scan's warnings are not its output.
    const scan = scanHost(context.host);
    let failed = false;
    for (const device of args.positionals) {
      if (context.host.device(device) === undefined) {
        context.out.error(`Cannot use ${device}: device not found (give it with --devices)`);
        failed = true;
        continue;
      }
      const pv = scan.labels.get(device);
      if (pv === undefined) {
        for (const line of labelChecks(context.host.device(device)!)) context.out.message(line);
        context.out.error(`Could not find LVM label on ${device}`);
        failed = true;
        continue;
      }
      for (const [i, area] of pv.header.metadataAreas.entries()) {
        const checks = mdaChecks(context.host.device(device)!, area, i + 1);
        // The area counts as found when its header has the right magic.
        if (!checks.some((line) => line.includes(".magic "))) {
          context.out.message(`Found text metadata area: offset=${area.offsetBytes}, size=${area.sizeBytes}`);
        }
        for (const line of checks) context.out.message(line);
        const text = checks.length === 0 ? textCheck(context.host.device(device)!, area, i + 1) : undefined;
        if (text !== undefined) context.out.message(text);
        if (checks.length > 0 || text !== undefined) failed = true;
      }
      context.out.message(`Found label on ${device}, sector ${pv.labelSector}, type=LVM2 001`);
    }
    return failed ? ECMD_FAILED : ECMD_PROCESSED;
  },
};

/** `_get_settings`: `key=value` pairs; the dump keys are kept, repair and search keys accepted. */
function dumpSettings(args: ParsedArgs): PvckDumpSettings {
  const text = optionValue(args, "settings") ?? "";
  const settings: { mdaNum?: number; metadataOffset?: number; seqno?: number } = {};
  const known = [
    "metadata_offset",
    "seqno",
    "backup_file",
    "mda_offset",
    "mda_size",
    "mda2_offset",
    "mda2_size",
    "device_size",
    "data_offset",
    "pv_uuid",
    "mda_num",
  ];
  const pattern = /\s*([^=]+?)\s*=\s*(\S+)\s*/y;
  for (let pos = 0; pos < text.length; ) {
    pattern.lastIndex = pos;
    const match = pattern.exec(text);
    if (match === null) throw new LvmCommandError(`Invalid setting at: ${text.slice(pos)}`);
    pos = pattern.lastIndex;
    const [, key, value] = match as unknown as [string, string, string];
    // _get_one_setting matches by prefix (strncmp), in this order.
    const name = known.find((k) => key.startsWith(k));
    const number = /^\d+/.exec(value);
    if (name === undefined || (name !== "backup_file" && name !== "pv_uuid" && number === null)) {
      throw new LvmCommandError(`Invalid setting: ${key}`);
    }
    if (name === "mda_num") settings.mdaNum = Number(number![0]);
    if (name === "metadata_offset") settings.metadataOffset = Number(number![0]);
    if (name === "seqno") settings.seqno = Number(number![0]);
  }
  const copies = optionValue(args, "pvmetadatacopies");
  if (settings.mdaNum === undefined && copies !== undefined) settings.mdaNum = Number(copies);
  return settings;
}

/** `pvck --dump headers|metadata|metadata_all|metadata_area [-f FILE] PV` (only the first PV). */
function dumpCommand(context: CommandContext, args: ParsedArgs, kind: string): number {
  const [name] = args.positionals;
  const device = context.host.device(name!);
  if (device === undefined) throw new LvmCommandError(`Cannot access ${name}.`);
  const settings = dumpSettings(args);
  if (!(PVCK_DUMP_KINDS as readonly string[]).includes(kind)) {
    if (kind === "metadata_search" || kind === "backup_to_raw") {
      throw new LvmCommandError(`pvck --dump ${kind} is not modelled by lvmlab; use --dump metadata_all`);
    }
    throw new LvmCommandError("Unknown dump value.");
  }
  const file = optionValue(args, "file");
  const files = context.host.files;
  const createFile =
    file === undefined
      ? undefined
      : (bytes: Uint8Array): string | undefined => {
          if (files?.createBytes === undefined) return "no file system on this host";
          try {
            files.createBytes(file, bytes);
            return undefined;
          } catch (error) {
            return (error as Error).message;
          }
        };
  const labelSector = optionValue(args, "labelsector");
  const ok = pvckDump(device, kind as PvckDumpKind, {
    out: context.out,
    settings,
    verbose: hasOption(args, "verbose"),
    ...(labelSector !== undefined ? { labelSector: Number(labelSector) } : {}),
    ...(createFile !== undefined ? { createFile, fileName: file! } : {}),
  });
  return ok ? ECMD_PROCESSED : ECMD_FAILED;
}

/**
 * `pvck --repair -f FILE PV` / `pvck --repairtype metadata -f FILE PV` (tools/pvck.c
 * `_repair_metadata`): with the label and pv_header intact, every mda of the PV gets the file's
 * metadata right after a fresh mda_header. Rebuilding a damaged label or pv_header
 * (`--repairtype pv_header`) is not modelled: that case fails with LVM2's own message.
 */
function repairMetadata(context: CommandContext, args: ParsedArgs): number {
  const type = optionValue(args, "repairtype") ?? "metadata";
  if (type !== "metadata") {
    throw new LvmCommandError(
      `pvck --repairtype ${type} is not modelled by lvmlab; repair the metadata with pvck --repairtype metadata -f FILE, or recreate the PV with pvcreate -u UUID --norestorefile and vgcfgrestore`,
    );
  }
  const [device] = args.positionals;
  const file = optionValue(args, "file");
  if (file === undefined) throw new LvmCommandError("Metadata input file is required.");
  const files = context.host.files;
  if (files === undefined)
    throw new LvmCommandError("No file system on this host: cannot read the metadata file");
  let text: string;
  try {
    text = files.readText(file);
  } catch (error) {
    throw new LvmCommandError(`Failed to read metadata file ${file}: ${(error as Error).message}`);
  }
  const dev = context.host.device(device!);
  if (dev === undefined)
    throw new LvmCommandError(`Cannot use ${device}: device not found (give it with --devices)`);
  const pv = scanHost(context.host).labels.get(device!);
  if (pv === undefined) {
    throw new LvmCommandError(
      "No lvm label found on device.\n  See --repairtype pv_header to repair headers.",
    );
  }
  if (pv.header.metadataAreas.length === 0) {
    throw new LvmCommandError(
      "No metadata areas found on device.\n  See --repairtype pv_header to repair headers.",
    );
  }
  for (const line of repairMdaFromFile(context, { device: dev, pv, text, fileName: file }))
    context.out.message(line);
  return ECMD_PROCESSED;
}
