/**
 * The scan LVM2 runs before every command (`label_scan`, `_text_read`, `lvmcache_update_vgname_and_id`,
 * `_vg_read`): find each device's label, read every metadata area's header and its committed
 * (slot 0) text, check checksums, parse, group copies by VG, keep the highest seqno (on an equal
 * seqno with different text the first device scanned wins and later ones are MISMATCH), and
 * report what LVM2 prints: ignored older copies, inconsistent metadata, bad headers and text,
 * missing PVs by uuid, and orphan PVs. Reading never writes.
 */
import type { BlockDevice } from "../block/device.js";
import { isBlockDeviceError } from "../block/errors.js";
import { parseConfig } from "./config-parse.js";
import { isConfigParseError } from "./config-parse-error.js";
import type { ConfigFile } from "./config-tree.js";
import { isOnDiskFormatError } from "./format-error.js";
import { findLabel } from "./label.js";
import {
  BAD_MDA,
  BAD_MDA_NOT_REPAIRABLE,
  badFieldNames,
  MDA_HEADER_BYTES,
  type MdaHeader,
  parseMdaHeader,
  RAW_LOCN_IGNORED,
} from "./mda-header.js";
import { readMetadataText } from "./mda-text.js";
import { decodePvLabel, type PvHeader } from "./pv-header.js";
import { formatUuid } from "./uuid.js";
import { summarizeVgText, type VgSummary, VgTextError } from "./vg-text.js";

/** What it takes to fix an mda, in LVM2's terms. */
export type MdaRepair = "none" | "vgck --updatemetadata" | "pvck --repair";

/** One metadata area as the scan found it. */
export interface MdaScanStatus {
  readonly device: string;
  readonly pvUuid: string;
  /** 0-based; LVM2 prints it as mda1/mda2. */
  readonly mdaIndex: number;
  readonly startBytes: number;
  /** bad_fields bits, including MISMATCH for a same-seqno copy that lost. */
  badFields: number;
  /** "ignored" (RAW_LOCN_IGNORED), "empty" (no committed copy), "bad", or "good". */
  state: "good" | "empty" | "ignored" | "bad";
  /** The committed copy's summary, for good areas. */
  seqno?: number;
  vgName?: string;
  vgId?: string;
  checksum?: number;
  sizeBytes?: number;
  /** Older than the VG's chosen seqno: the next write or vgck --updatemetadata rewrites it. */
  outdated: boolean;
  repair: MdaRepair;
}

/** A PV with a valid label. */
export interface ScannedPv {
  readonly device: BlockDevice;
  readonly header: PvHeader;
  readonly labelSector: number;
  readonly mdas: readonly MdaScanStatus[];
}

/** A VG assembled from the highest-seqno copy. */
export interface ScannedVg {
  readonly vgName: string;
  readonly vgId: string;
  readonly seqno: number;
  /** The chosen copy: raw text without its NUL, the parsed tree and summary. */
  readonly text: string;
  readonly file: ConfigFile;
  readonly summary: VgSummary;
  /** Where the chosen copy was read (first in scan order among the highest). */
  readonly source: { readonly device: string; readonly mdaIndex: number };
  /** PV uuids (32 characters) the metadata names but no scanned device carries. */
  readonly missingPvUuids: readonly string[];
  /** Some copy disagreed (older seqno, mismatch) or was unreadable. */
  readonly inconsistent: boolean;
}

/** Everything the scan learned. */
export interface ScanResult {
  readonly vgs: readonly ScannedVg[];
  readonly pvs: readonly ScannedPv[];
  /** PVs with a label but in no VG (pvcreate'd only), by device name. */
  readonly orphans: readonly { readonly device: string; readonly pvUuid: string }[];
  /** Devices with no valid label (not PVs, or a damaged label: LVM2 silently skips those). */
  readonly unlabelled: readonly string[];
  /** LVM2's warnings, verbatim, in the order it prints them. */
  readonly warnings: readonly string[];
  /** Quieter log lines (skipped labels) that LVM2 prints only with -v. */
  readonly notes: readonly string[];
}

const MAX_DEVICES = 65536;

interface GoodCopy {
  readonly status: MdaScanStatus;
  readonly summary: VgSummary;
  readonly text: string;
  readonly file: ConfigFile;
}

function repairFor(badFields: number, outdated: boolean): MdaRepair {
  if ((badFields & BAD_MDA_NOT_REPAIRABLE) !== 0) return "pvck --repair";
  return badFields !== 0 || outdated ? "vgck --updatemetadata" : "none";
}

const textDecoder = new TextDecoder("utf-8", { fatal: false });

/** Scans devices in the given order (the order decides which equal-seqno copy wins). */
export function scanDevices(devices: readonly BlockDevice[]): ScanResult {
  if (devices.length > MAX_DEVICES)
    throw new RangeError(`Cannot scan ${devices.length} devices; limit ${MAX_DEVICES}`);
  const warnings: string[] = [];
  const notes: string[] = [];
  const pvs: ScannedPv[] = [];
  const unlabelled: string[] = [];
  const copies: GoodCopy[] = [];

  for (const device of devices) {
    let found: ReturnType<typeof findLabel>;
    try {
      found = findLabel(device);
    } catch (error) {
      if (!isBlockDeviceError(error)) throw error;
      warnings.push(`WARNING: Failed to read label on ${device.name}: ${error.message}`);
      unlabelled.push(device.name);
      continue;
    }
    notes.push(...found.notes);
    if (found.label === undefined) {
      unlabelled.push(device.name);
      continue;
    }
    let header: PvHeader;
    try {
      header = decodePvLabel(found.label.sectorBytes, { device: device.name, sector: found.label.sector });
    } catch (error) {
      if (!isOnDiskFormatError(error)) throw error;
      warnings.push(`WARNING: ${error.message}`);
      unlabelled.push(device.name);
      continue;
    }
    const mdas = header.metadataAreas.map((area, mdaIndex) => {
      const read = readArea(
        device,
        { pvUuid: header.pvUuid, mdaIndex, startBytes: area.offsetBytes },
        warnings,
      );
      if (read.copy !== undefined) copies.push(read.copy);
      return read.status;
    });
    pvs.push({ device, header, labelSector: found.label.sector, mdas });
  }

  const vgs = assembleVgs(copies, pvs, warnings);
  const members = new Set(vgs.flatMap((vg) => vg.summary.pvs.map((pv) => pv.pvUuid)));
  const orphans = pvs
    .filter((pv) => !members.has(pv.header.pvUuid) && pv.mdas.every((m) => m.state !== "good"))
    .map((pv) => ({ device: pv.device.name, pvUuid: pv.header.pvUuid }));
  return { vgs, pvs, orphans, unlabelled, warnings, notes };
}

function readArea(
  device: BlockDevice,
  where: { readonly pvUuid: string; readonly mdaIndex: number; readonly startBytes: number },
  warnings: string[],
): { readonly status: MdaScanStatus; readonly copy?: GoodCopy } {
  const status: MdaScanStatus = {
    device: device.name,
    pvUuid: where.pvUuid,
    mdaIndex: where.mdaIndex,
    startBytes: where.startBytes,
    badFields: 0,
    state: "bad",
    outdated: false,
    repair: "none",
  };
  const copy = readCopy(device, where, status, warnings);
  return copy === undefined ? { status } : { status, copy };
}

function readCopy(
  device: BlockDevice,
  where: { readonly startBytes: number; readonly mdaIndex: number },
  status: MdaScanStatus,
  warnings: string[],
): GoodCopy | undefined {
  const mdaNum = where.mdaIndex + 1;
  const markBad = (bits: number, lines: readonly string[]): undefined => {
    status.badFields |= bits;
    status.state = "bad";
    status.repair = repairFor(status.badFields, false);
    warnings.push(
      ...lines,
      `WARNING: Scanning ${device.name} mda${mdaNum} failed to read metadata summary.`,
      `WARNING: Repair VG metadata on ${device.name} with vgck --updatemetadata.`,
    );
    return undefined;
  };

  const bytes = new Uint8Array(MDA_HEADER_BYTES);
  try {
    if (where.startBytes + MDA_HEADER_BYTES > device.sizeBytes || where.startBytes % 512 !== 0) {
      return markBad(BAD_MDA.READ | BAD_MDA.HEADER, [
        `Failed to read metadata area header on ${device.name} at ${where.startBytes}.`,
        `WARNING: Bad metadata header on ${device.name} at ${where.startBytes}.`,
      ]);
    }
    device.read(where.startBytes, bytes);
  } catch (error) {
    if (!isBlockDeviceError(error)) throw error;
    return markBad(BAD_MDA.READ | BAD_MDA.HEADER, [
      `Failed to read metadata area header on ${device.name} at ${where.startBytes}.`,
      `WARNING: Bad metadata header on ${device.name} at ${where.startBytes}.`,
    ]);
  }
  const parsed = parseMdaHeader(bytes, { device: device.name, expectedStartBytes: where.startBytes });
  if (parsed.badFields !== 0) {
    return markBad(parsed.badFields | BAD_MDA.HEADER, [
      ...parsed.warnings,
      `WARNING: Bad metadata header on ${device.name} at ${where.startBytes}.`,
    ]);
  }
  const header: MdaHeader = parsed.header;
  if ((header.committed.flags & RAW_LOCN_IGNORED) !== 0) {
    status.state = "ignored";
    return undefined;
  }
  if (header.committed.offsetBytes === 0) {
    status.state = "empty";
    return undefined;
  }
  let text: Uint8Array;
  try {
    const read = readMetadataText(
      device,
      { startBytes: where.startBytes, sizeBytes: header.sizeBytes },
      header.committed,
    );
    if (!read.ok) {
      return markBad(BAD_MDA.TEXT, [
        read.warning,
        `WARNING: Bad metadata text on ${device.name} in mda${mdaNum}.`,
      ]);
    }
    text = read.text;
  } catch (error) {
    if (!isBlockDeviceError(error)) throw error;
    return markBad(BAD_MDA.TEXT, [`WARNING: Bad metadata text on ${device.name} in mda${mdaNum}.`]);
  }
  const at = where.startBytes + header.committed.offsetBytes;
  let file: ConfigFile;
  let summary: VgSummary;
  try {
    file = parseConfig(text, { fileName: `${device.name} mda${mdaNum} at ${at}` });
    summary = summarizeVgText(file);
  } catch (error) {
    if (!isConfigParseError(error) && !(error instanceof VgTextError)) throw error;
    return markBad(BAD_MDA.TEXT, [
      `WARNING: Invalid metadata text from ${device.name} at ${at}: ${error.message}`,
      `WARNING: Bad metadata text on ${device.name} in mda${mdaNum}.`,
    ]);
  }
  status.state = "good";
  status.seqno = summary.seqno;
  status.vgName = summary.vgName;
  status.vgId = summary.vgId;
  status.checksum = header.committed.checksum;
  status.sizeBytes = header.committed.sizeBytes;
  const nul = text.indexOf(0);
  return { status, summary, file, text: textDecoder.decode(nul < 0 ? text : text.subarray(0, nul)) };
}

function assembleVgs(
  copies: readonly GoodCopy[],
  pvs: readonly ScannedPv[],
  warnings: string[],
): ScannedVg[] {
  const byVg = new Map<string, GoodCopy[]>();
  for (const copy of copies) {
    const key = `${copy.summary.vgName}/${copy.summary.vgId}`;
    const list = byVg.get(key) ?? [];
    list.push(copy);
    byVg.set(key, list);
  }
  const present = new Set(pvs.map((pv) => pv.header.pvUuid));
  const vgs: ScannedVg[] = [];
  for (const list of byVg.values()) {
    // Label scan (lvmcache_update_vgname_and_id): a higher seqno replaces the summary; an equal
    // seqno with a different checksum or size loses to the copy scanned first.
    let best = list[0]!;
    for (const copy of list.slice(1)) {
      if (copy.summary.seqno > best.summary.seqno) {
        best = copy;
      } else if (
        copy.summary.seqno === best.summary.seqno &&
        (copy.status.checksum !== best.status.checksum || copy.status.sizeBytes !== best.status.sizeBytes)
      ) {
        copy.status.badFields |= BAD_MDA.MISMATCH;
        copy.status.state = "bad";
        copy.status.repair = repairFor(copy.status.badFields, false);
        warnings.push(
          `WARNING: Scanning ${copy.status.device} mda${copy.status.mdaIndex + 1} found mismatch with other metadata.`,
        );
      }
    }
    // Re-check mismatches against the final winner: copies scanned before a higher seqno appeared.
    for (const copy of list) {
      if (copy === best || copy.status.state !== "good" || copy.summary.seqno !== best.summary.seqno)
        continue;
      if (copy.status.checksum !== best.status.checksum || copy.status.sizeBytes !== best.status.sizeBytes) {
        copy.status.badFields |= BAD_MDA.MISMATCH;
        copy.status.state = "bad";
        copy.status.repair = repairFor(copy.status.badFields, false);
        warnings.push(
          `WARNING: Scanning ${copy.status.device} mda${copy.status.mdaIndex + 1} found mismatch with other metadata.`,
        );
      }
    }
    const { vgName, vgId, seqno } = best.summary;
    // vg_read: every good copy with a lower seqno is ignored, loudly.
    let inconsistent = list.some((c) => (c.status.badFields & BAD_MDA.MISMATCH) !== 0);
    for (const copy of list) {
      if (copy.status.state !== "good" || copy.summary.seqno >= seqno) continue;
      copy.status.outdated = true;
      copy.status.repair = repairFor(copy.status.badFields, true);
      inconsistent = true;
      warnings.push(
        `WARNING: ignoring metadata seqno ${copy.summary.seqno} on ${copy.status.device} for seqno ${seqno} on ${best.status.device} for VG ${vgName}.`,
      );
    }
    const memberUuids = new Set(best.summary.pvs.map((pv) => pv.pvUuid));
    const badMemberMdas = pvs.some(
      (pv) => memberUuids.has(pv.header.pvUuid) && pv.mdas.some((m) => m.state === "bad"),
    );
    if (inconsistent || badMemberMdas) {
      warnings.push(
        `WARNING: Inconsistent metadata found for VG ${vgName}.`,
        "See vgck --updatemetadata to correct inconsistency.",
      );
    }
    const missing = best.summary.pvs.filter((pv) => !present.has(pv.pvUuid));
    for (const pv of missing)
      warnings.push(`WARNING: Couldn't find device with uuid ${formatUuid(pv.pvUuid)}.`);
    for (const pv of missing) {
      warnings.push(
        `WARNING: VG ${vgName} is missing PV ${formatUuid(pv.pvUuid)} (last written to ${pv.deviceHint ?? "[unknown]"}).`,
      );
    }
    vgs.push({
      vgName,
      vgId,
      seqno,
      text: best.text,
      file: best.file,
      summary: best.summary,
      source: { device: best.status.device, mdaIndex: best.status.mdaIndex },
      missingPvUuids: missing.map((pv) => pv.pvUuid),
      inconsistent: inconsistent || badMemberMdas,
    });
  }
  return vgs;
}

/** Names of an mda's bad_fields bits plus its repair, for reports: `CHECKSUM|HEADER -> vgck --updatemetadata`. */
export function describeMdaStatus(status: MdaScanStatus): string {
  const bits = badFieldNames(status.badFields).join("|") || "ok";
  return `${status.device} mda${status.mdaIndex + 1}: ${status.state}${status.outdated ? " (outdated)" : ""}, ${bits} -> ${status.repair}`;
}
