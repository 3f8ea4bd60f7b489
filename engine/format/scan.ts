/**
 * The scan LVM2 runs before every command, modelled on Debian's lvm2 2.03.16 in two phases, with
 * its warnings verbatim:
 *
 * 1. Label scan (`label_scan`, `_text_read`, `lvmcache_update_vgname_and_id`): per device find the
 *    label, read each mda header, and read the committed (slot 0) text unless a copy with the
 *    same checksum and size was already seen. A higher seqno replaces the VG summary; an equal
 *    seqno with a different checksum or size loses to the copy scanned first (MISMATCH).
 * 2. VG read (`_vg_read`): read every good mda of the VG's PVs in order, keep the highest seqno,
 *    warn about each older copy ("ignoring metadata seqno …"), then name missing PVs by uuid.
 *
 * Each mda gets a status saying whether `vgck --updatemetadata` can repair it or the header needs
 * `pvck --repair`. Orphan PVs (label, no VG metadata) are listed. Reading never writes.
 */
import type { BlockDevice } from "../block/device.js";
import { isBlockDeviceError } from "../block/errors.js";
import { type MutationInfo, type Mutations, NO_MUTATIONS } from "../sim/mutations.js";
import { BytesMemo, ScratchBuffer, sameBytes } from "./bytes-memo.js";
import { parseConfig } from "./config-parse.js";
import { isConfigParseError } from "./config-parse-error.js";
import type { ConfigFile } from "./config-tree.js";
import { isOnDiskFormatError } from "./format-error.js";
import { type FoundLabel, findLabelIn, labelScanBytes } from "./label.js";
import {
  BAD_MDA,
  BAD_MDA_NOT_REPAIRABLE,
  badFieldNames,
  MDA_HEADER_BYTES,
  type ParsedMdaHeader,
  RAW_LOCN_IGNORED,
  type RawLocn,
  readMdaHeader,
} from "./mda-header.js";
import {
  metadataChecksumWarning,
  metadataTextBoundsWarning,
  metadataTextChecksumMatches,
  readMetadataBytes,
} from "./mda-text.js";
import { decodePvLabel, type PvHeader } from "./pv-header.js";
import { formatUuid } from "./uuid.js";
import { summarizeVgText, type VgSummary, VgTextError } from "./vg-text.js";

/** Mutation: the scan keeps the lowest seqno instead of the highest (no roll-forward). */
const MUTATION_SCAN_PREFERS_LOWER_SEQNO = "format.scan.prefers-lower-seqno";
/** Catalogue entry for {@link MUTATION_SCAN_PREFERS_LOWER_SEQNO}. */
export const SCAN_PREFERS_LOWER_SEQNO: MutationInfo = {
  name: MUTATION_SCAN_PREFERS_LOWER_SEQNO,
  description:
    "the metadata scan prefers the copy with the lower seqno, so a partly committed change rolls back",
};

/** Mutation: the scan reads only each PV's first metadata area. */
export const SCAN_FIRST_MDA_ONLY: MutationInfo = {
  name: "format.scan.first-mda-only",
  description:
    "the metadata scan reads only the first metadata area of each PV, so with --pvmetadatacopies 2 a VG whose first copies are damaged is not found although every disk's second copy holds it",
};

/** Options of a scan. */
export interface ScanOptions {
  /** Deliberate bugs (mutation testing). */
  readonly mutations?: Mutations;
}

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
  /** The committed copy's summary, for areas that had a readable one. */
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
  /** Where the chosen copy was read (the first in read order among the highest). */
  readonly source: { readonly device: string; readonly mdaIndex: number };
  /** PV uuids (32 characters) the metadata names but no scanned device carries. */
  readonly missingPvUuids: readonly string[];
  /** Some copy of a member PV was older, mismatched or unreadable. */
  readonly inconsistent: boolean;
}

/** Everything the scan learned. */
export interface ScanResult {
  readonly vgs: readonly ScannedVg[];
  readonly pvs: readonly ScannedPv[];
  /** PVs with a label but in no VG (pvcreate'd only). */
  readonly orphans: readonly { readonly device: string; readonly pvUuid: string }[];
  /** Devices with no valid label (not PVs, or a damaged label: LVM2 silently skips those). */
  readonly unlabelled: readonly string[];
  /** LVM2's warnings (stderr), verbatim, in the order it prints them. */
  readonly warnings: readonly string[];
  /** Quieter lines: skipped labels (-v) and "Retrying metadata scan." (stdout). */
  readonly notes: readonly string[];
}

const MAX_DEVICES = 65536;
const MAX_CACHED_COPIES = 64;
// NAME_LEN in LVM2 is 128 including the NUL.
const VG_NAME_MAX = 127;

/** LVM2's `validate_name`: [a-zA-Z0-9+_.-], not starting with '-', not "." or "..". */
function validName(name: string): boolean {
  return (
    /^[a-zA-Z0-9+_.][a-zA-Z0-9+_.-]*$/.test(name) &&
    name !== "." &&
    name !== ".." &&
    name.length <= VG_NAME_MAX
  );
}

function repairFor(badFields: number, outdated: boolean): MdaRepair {
  if ((badFields & BAD_MDA_NOT_REPAIRABLE) !== 0) return "pvck --repair";
  return badFields !== 0 || outdated ? "vgck --updatemetadata" : "none";
}

function markBad(status: MdaScanStatus, bits: number): void {
  status.badFields |= bits;
  status.state = "bad";
  status.repair = repairFor(status.badFields, status.outdated);
}

const textDecoder = new TextDecoder("utf-8", { fatal: false });

/** A good mda waiting for the VG read, with the header facts needed to read it again. */
interface InUseMda {
  readonly device: BlockDevice;
  readonly status: MdaScanStatus;
  readonly area: { readonly startBytes: number; readonly sizeBytes: number };
  readonly locn: RawLocn;
}

/** lvmcache's per-VG summary. */
interface VgInfo {
  readonly vgName: string;
  readonly vgId: string;
  seqno: number;
  checksum: number;
  sizeBytes: number;
  readonly mdas: InUseMda[];
  /** PVs attached to this VG, in scan order (what a rescan reads again). */
  readonly members: { readonly device: BlockDevice; readonly header: PvHeader }[];
  /** The label scan saw different seqnos or checksums (`scan_summary_mismatch`). */
  mismatch: boolean;
}

/** A copy read and parsed, or the warning lines explaining why not. */
type CopyRead =
  | { readonly ok: true; readonly text: string; readonly file: ConfigFile; readonly summary: VgSummary }
  | { readonly ok: false; readonly checksumLines: readonly string[]; readonly parseLine?: string };

type ParsedCopy = Extract<CopyRead, { ok: true }>;

/**
 * Parsed copies of one scan by their text: identical copies on several PVs are parsed once (LVM2's
 * skip_parse). Each is also found by its exact bytes, so a repeat costs a byte compare instead of
 * decoding and hashing the whole text; a copy is in both indexes or neither.
 */
class ParseCache {
  readonly #byText = new Map<string, ParsedCopy>();
  readonly #byLength = new Map<number, { readonly bytes: Uint8Array; readonly copy: ParsedCopy }[]>();

  byBytes(bytes: Uint8Array): ParsedCopy | undefined {
    return this.#byLength.get(bytes.length)?.find((entry) => sameBytes(entry.bytes, bytes))?.copy;
  }

  byText(text: string): ParsedCopy | undefined {
    return this.#byText.get(text);
  }

  /** Remember a copy first parsed (or found across scans) with these bytes and text. */
  add(bytes: Uint8Array, copy: ParsedCopy): void {
    if (this.#byText.size >= MAX_CACHED_COPIES || this.#byText.has(copy.text)) return;
    this.#byText.set(copy.text, copy);
    const list = this.#byLength.get(bytes.length);
    if (list === undefined) this.#byLength.set(bytes.length, [{ bytes, copy }]);
    else list.push({ bytes, copy });
  }
}

// Parsed copies across scans, by mda label and exact bytes (up to the NUL): every command scans
// again and mostly finds the copies the last scan parsed. Parsing is a function of exactly these
// two, and the parsed tree and summary are immutable, so a hit gives what parsing again would.
// A parsed tree and summary hold about 16 times the text's bytes: the budget counts them.
const parsedAcrossScans = new BytesMemo<ParsedCopy>({
  perKey: 16,
  totalBytes: 16 * 1024 * 1024,
  weight: 16,
});

// What the scan made of bytes it read before (see bytes-memo.ts): the label sectors of a device by
// its name, a copy's text by everything its outcome names (mda headers: mda-header.ts).
// Every read is still issued; only decoding identical bytes again is skipped.
const MEMO_LIMITS = { perKey: 16, totalBytes: 16 * 1024 * 1024 } as const;
const labelsRead = new BytesMemo<LabelRead>(MEMO_LIMITS);
const copiesRead = new BytesMemo<CopyRead>({ ...MEMO_LIMITS, weight: 16 });
const labelScratch = new ScratchBuffer();
const textScratch = new ScratchBuffer();

/** A device's label sectors decoded: the label found, and its pv_header or why it is unusable. */
interface LabelRead {
  readonly found: FoundLabel;
  readonly header?: PvHeader;
  readonly warning?: string;
}

/** `findLabel` and `decodePvLabel` of a device, decoding only label sectors not seen before. */
function readLabel(device: BlockDevice): LabelRead {
  const head = labelScratch.take(labelScanBytes(device));
  try {
    device.read(0, head);
    const known = labelsRead.get(device.name, head);
    if (known !== undefined) return known;
    const read = decodeLabel(head, device.name);
    labelsRead.set(device.name, head.slice(), read);
    return read;
  } finally {
    labelScratch.give(head);
  }
}

function decodeLabel(head: Uint8Array, deviceName: string): LabelRead {
  const found = findLabelIn(head, deviceName);
  if (found.label === undefined) return { found };
  try {
    return {
      found,
      header: decodePvLabel(found.label.sectorBytes, { device: deviceName, sector: found.label.sector }),
    };
  } catch (error) {
    if (!isOnDiskFormatError(error)) throw error;
    return { found, warning: `WARNING: ${error.message}` };
  }
}

function readCopy(
  mda: Omit<InUseMda, "status">,
  mdaLabel: string,
  cache: ParseCache,
  mutations: Mutations,
): CopyRead {
  const { device, area, locn } = mda;
  const bounds = metadataTextBoundsWarning(device, area, locn);
  if (bounds !== undefined) return { ok: false, checksumLines: [bounds] };
  let span: Uint8Array | undefined;
  try {
    let read: Uint8Array;
    try {
      read = readMetadataBytes(
        device,
        area,
        locn,
        (lengthBytes) => {
          span = textScratch.take(lengthBytes);
          return span;
        },
        mutations,
      );
    } catch (error) {
      if (!isBlockDeviceError(error)) throw error;
      return { ok: false, checksumLines: [`WARNING: ${error.message}`] };
    }
    // Everything the outcome depends on besides the bytes: the label names device, mda and offset.
    const key = `${mdaLabel}\n${area.sizeBytes}\n${locn.sizeBytes}\n${locn.checksum}`;
    const known = copiesRead.get(key, read);
    if (known !== undefined) return known;
    const text = read.slice();
    const copy = decodeCopy(mda, mdaLabel, cache, text);
    copiesRead.set(key, text, copy);
    return copy;
  } finally {
    if (span !== undefined) textScratch.give(span);
  }
}

/** What readCopy makes of the text of a copy, read in full (`bytes`, kept by the caches). */
function decodeCopy(
  mda: Omit<InUseMda, "status">,
  mdaLabel: string,
  cache: ParseCache,
  bytes: Uint8Array,
): CopyRead {
  const { device, area, locn } = mda;
  const read = metadataTextChecksumMatches(bytes, locn)
    ? { ok: true as const }
    : { ok: false as const, warning: metadataChecksumWarning(device, area, locn) };
  // config_file_read_fd checks that the text begins with a valid VG name before the checksum.
  // Like namebuf there: up to the first space, '{' or NUL, at most NAME_LEN - 1 characters.
  const nameEnd = bytes.findIndex((b) => b === 0 || b === 0x7b || b === 0x20 || (b >= 9 && b <= 13));
  const name = textDecoder.decode(
    bytes.subarray(0, Math.min(nameEnd < 0 ? bytes.length : nameEnd, VG_NAME_MAX)),
  );
  const lines = validName(name)
    ? []
    : [
        `WARNING: Metadata location on ${device.name} at offset ${area.startBytes + locn.offsetBytes} begins with invalid name.`,
      ];
  if (!read.ok) return { ok: false, checksumLines: [...lines, read.warning] };
  if (lines.length > 0) return { ok: false, checksumLines: lines };
  const nul = bytes.indexOf(0);
  const exact = nul < 0 ? bytes : bytes.subarray(0, nul);
  const seen = cache.byBytes(exact);
  if (seen !== undefined) return seen;
  const text = textDecoder.decode(exact);
  const cached = cache.byText(text);
  if (cached !== undefined) return cached;
  const parsed = parsedAcrossScans.get(mdaLabel, exact);
  if (parsed !== undefined) {
    cache.add(exact, parsed);
    return parsed;
  }
  try {
    const file = parseConfig(bytes, { fileName: mdaLabel });
    const copy = { ok: true as const, file, summary: summarizeVgText(file), text };
    cache.add(exact, copy);
    parsedAcrossScans.set(mdaLabel, exact, copy);
    return copy;
  } catch (error) {
    if (!isConfigParseError(error) && !(error instanceof VgTextError)) throw error;
    return { ok: false, checksumLines: [], parseLine: `WARNING: ${error.message}` };
  }
}

/** Scans devices in the given order (the order decides which equal-seqno copy wins). */
export function scanDevices(devices: readonly BlockDevice[], options: ScanOptions = {}): ScanResult {
  const mutations = options.mutations ?? NO_MUTATIONS;
  const prefersLower = mutations.has(MUTATION_SCAN_PREFERS_LOWER_SEQNO);
  if (devices.length > MAX_DEVICES)
    throw new RangeError(`Cannot scan ${devices.length} devices; limit ${MAX_DEVICES}`);
  const warnings: string[] = [];
  const notes: string[] = [];
  const pvs: ScannedPv[] = [];
  const unlabelled: string[] = [];
  const vgInfos = new Map<string, VgInfo>();
  const cache = new ParseCache();

  // Phase 1: label scan.
  for (const device of devices) {
    let label: LabelRead;
    try {
      label = readLabel(device);
    } catch (error) {
      if (!isBlockDeviceError(error)) throw error;
      warnings.push(`WARNING: ${error.message}`);
      unlabelled.push(device.name);
      continue;
    }
    const { found, header } = label;
    notes.push(...found.notes);
    if (found.label === undefined) {
      unlabelled.push(device.name);
      continue;
    }
    if (header === undefined) {
      warnings.push(label.warning!);
      unlabelled.push(device.name);
      continue;
    }
    const mdas = scanPv(device, header, { mutations, vgInfos, cache, warnings, notes });
    pvs.push({ device, header, labelSector: found.label.sector, mdas });
  }

  // Phase 2: read each VG from its good mdas, in VG name order as vgs reports them. A VG whose
  // label scan saw differing summaries is rescanned first (lvmcache_label_rescan_vg), which
  // repeats that scan's warnings, as LVM2 does.
  const present = new Set(pvs.map((pv) => pv.header.pvUuid));
  const vgs: ScannedVg[] = [];
  const ordered = [...vgInfos.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [key, first] of ordered) {
    let info = first;
    if (info.mismatch) {
      vgInfos.delete(key);
      for (const member of info.members) {
        const at = pvs.findIndex((pv) => pv.device === member.device);
        const mdas = scanPv(member.device, member.header, { mutations, vgInfos, cache, warnings, notes });
        if (at >= 0) pvs[at] = { ...pvs[at]!, mdas };
      }
      const rescanned = vgInfos.get(key);
      if (rescanned === undefined) continue;
      info = rescanned;
    }
    const vg = readVg(info, present, { warnings, cache, prefersLower, mutations });
    if (vg !== undefined) vgs.push(vg);
  }
  for (const vg of vgs) {
    const members = new Set(vg.summary.pvs.map((pv) => pv.pvUuid));
    Object.assign(vg, {
      inconsistent:
        vg.inconsistent ||
        pvs.some((pv) => members.has(pv.header.pvUuid) && pv.mdas.some((m) => m.state === "bad")),
    });
  }
  const members = new Set(vgs.flatMap((vg) => vg.summary.pvs.map((pv) => pv.pvUuid)));
  const orphans = pvs
    .filter((pv) => !members.has(pv.header.pvUuid) && pv.mdas.every((m) => m.state !== "good"))
    .map((pv) => ({ device: pv.device.name, pvUuid: pv.header.pvUuid }));
  return { vgs, pvs, orphans, unlabelled, warnings, notes };
}

function scanPv(device: BlockDevice, header: PvHeader, state: ScanState): MdaScanStatus[] {
  const areas = state.mutations.has(SCAN_FIRST_MDA_ONLY.name)
    ? header.metadataAreas.slice(0, 1)
    : header.metadataAreas;
  const mdas = areas.map((area, mdaIndex) =>
    scanMda(device, { pvUuid: header.pvUuid, mdaIndex, startBytes: area.offsetBytes }, state),
  );
  // label.c: a PV whose mdas all failed is still a PV, but LVM2 says it got no summary from it.
  if (mdas.some((m) => m.state === "bad") && !mdas.some((m) => m.state === "good")) {
    state.warnings.push(
      `WARNING: scan failed to get metadata summary from ${device.name} PVID ${header.pvUuid}`,
    );
  }
  // lvmcache attaches the PV to the VG its (first) good mda names.
  const named = mdas.find((m) => m.vgName !== undefined && m.vgId !== undefined);
  if (named !== undefined) {
    const info = state.vgInfos.get(`${named.vgName}/${named.vgId}`);
    if (info !== undefined && !info.members.some((m) => m.device === device))
      info.members.push({ device, header });
  }
  return mdas;
}

interface ScanState {
  readonly mutations: Mutations;
  readonly vgInfos: Map<string, VgInfo>;
  readonly cache: ParseCache;
  readonly warnings: string[];
  readonly notes: string[];
}

function scanMda(
  device: BlockDevice,
  where: { readonly pvUuid: string; readonly mdaIndex: number; readonly startBytes: number },
  state: ScanState,
): MdaScanStatus {
  const { warnings } = state;
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
  const mdaNum = where.mdaIndex + 1;
  const failed = (bits: number, lines: readonly string[]): MdaScanStatus => {
    markBad(status, bits);
    warnings.push(
      ...lines,
      `WARNING: scanning ${device.name} mda${mdaNum} failed to read metadata summary.`,
      `WARNING: repair VG metadata on ${device.name} with vgck --updatemetadata.`,
    );
    return status;
  };
  const badHeader = `WARNING: bad metadata header on ${device.name} at ${where.startBytes}.`;

  let parsed: ParsedMdaHeader;
  try {
    if (where.startBytes % 512 !== 0 || where.startBytes + MDA_HEADER_BYTES > device.sizeBytes) {
      return failed(BAD_MDA.READ | BAD_MDA.HEADER, [
        `Failed to read metadata area header on ${device.name} at ${where.startBytes}`,
        badHeader,
      ]);
    }
    parsed = readMdaHeader(device, where.startBytes);
  } catch (error) {
    if (!isBlockDeviceError(error)) throw error;
    return failed(BAD_MDA.READ | BAD_MDA.HEADER, [
      `Failed to read metadata area header on ${device.name} at ${where.startBytes}`,
      badHeader,
    ]);
  }
  if (parsed.badFields !== 0)
    return failed(parsed.badFields | BAD_MDA.HEADER, [...parsed.warnings, badHeader]);
  const header = parsed.header;
  const locn = header.committed;
  if ((locn.flags & RAW_LOCN_IGNORED) !== 0) {
    status.state = "ignored";
    return status;
  }
  if (locn.offsetBytes === 0) {
    status.state = "empty";
    return status;
  }
  const mda: Omit<InUseMda, "status"> = {
    device,
    area: { startBytes: where.startBytes, sizeBytes: header.sizeBytes },
    locn,
  };
  const at = where.startBytes + locn.offsetBytes;
  // lvmcache_lookup_mda: a copy whose checksum and size are already known is not read again here.
  let known: VgInfo | undefined;
  for (const info of state.vgInfos.values()) {
    if (info.checksum === locn.checksum && info.sizeBytes === locn.sizeBytes) {
      known = info;
      break;
    }
  }
  let vgName: string;
  let vgId: string;
  let seqno: number;
  if (known !== undefined) {
    ({ vgName, vgId, seqno } = known);
  } else {
    const copy = readCopy(mda, `${device.name} mda${mdaNum} at ${at}`, state.cache, state.mutations);
    if (!copy.ok) {
      // _read_mda_header_and_metadata retries once; the disk has not changed, so neither do the lines.
      const attempt = [
        ...copy.checksumLines,
        ...(copy.parseLine === undefined ? [] : [copy.parseLine]),
        `WARNING: invalid metadata text from ${device.name} at ${at}.`,
        `WARNING: metadata on ${device.name} at ${at} has invalid summary for VG.`,
      ];
      warnings.push(...attempt);
      state.notes.push("Retrying metadata scan.");
      return failed(BAD_MDA.TEXT, [
        ...attempt,
        `WARNING: bad metadata text on ${device.name} in mda${mdaNum}`,
      ]);
    }
    ({ vgName, vgId, seqno } = copy.summary);
    if (!validName(vgName)) {
      const line = `WARNING: metadata on ${device.name} at ${at} has invalid VG name.`;
      warnings.push(line);
      state.notes.push("Retrying metadata scan.");
      return failed(BAD_MDA.TEXT, [line, `WARNING: bad metadata text on ${device.name} in mda${mdaNum}`]);
    }
  }
  status.vgName = vgName;
  status.vgId = vgId;
  status.seqno = seqno;
  status.checksum = locn.checksum;
  status.sizeBytes = locn.sizeBytes;
  const key = `${vgName}/${vgId}`;
  const info = state.vgInfos.get(key);
  if (info === undefined) {
    state.vgInfos.set(key, {
      vgName,
      vgId,
      seqno,
      checksum: locn.checksum,
      sizeBytes: locn.sizeBytes,
      mdas: [],
      members: [],
      mismatch: false,
    });
  } else if (seqno > info.seqno) {
    Object.assign(info, { seqno, checksum: locn.checksum, sizeBytes: locn.sizeBytes, mismatch: true });
  } else if (seqno < info.seqno) {
    info.mismatch = true;
  } else if (info.checksum !== locn.checksum || info.sizeBytes !== locn.sizeBytes) {
    info.mismatch = true;
    // The PV stays attached to the VG (scanPv) although this mda is dropped: a rescan reads it again.
    markBad(status, BAD_MDA.MISMATCH);
    warnings.push(
      `WARNING: scan of VG ${vgName} from ${device.name} mda${mdaNum} found mda_checksum ${locn.checksum.toString(16)} ` +
        `mda_size ${locn.sizeBytes} vs ${info.checksum.toString(16)} ${info.sizeBytes}`,
      `WARNING: Scanning ${device.name} mda${mdaNum} found mismatch with other metadata.`,
    );
    return status;
  }
  status.state = "good";
  // Not `{ ...mda, status }`: a property added to a spread copy costs a new hidden class in V8.
  state.vgInfos.get(key)!.mdas.push({ device: mda.device, area: mda.area, locn: mda.locn, status });
  return status;
}

function readVg(
  info: VgInfo,
  present: ReadonlySet<string>,
  state: {
    readonly warnings: string[];
    readonly cache: ParseCache;
    readonly prefersLower: boolean;
    readonly mutations: Mutations;
  },
): ScannedVg | undefined {
  const { warnings } = state;
  let best: { readonly mda: InUseMda; readonly copy: Extract<CopyRead, { ok: true }> } | undefined;
  let foundOld = false;
  const good: { readonly mda: InUseMda; readonly seqno: number }[] = [];
  for (const mda of info.mdas) {
    const { device, status, locn, area } = mda;
    const mdaNum = status.mdaIndex + 1;
    const copy = readCopy(
      mda,
      `${device.name} mda${mdaNum} at ${area.startBytes + locn.offsetBytes}`,
      state.cache,
      state.mutations,
    );
    if (!copy.ok) {
      markBad(status, BAD_MDA.TEXT);
      warnings.push(
        ...copy.checksumLines,
        ...(copy.parseLine === undefined ? [] : [copy.parseLine]),
        `WARNING: couldn't read volume group metadata from ${device.name}.`,
        `WARNING: Failed to read metadata text at ${area.startBytes + locn.offsetBytes} off ${locn.offsetBytes} ` +
          `size ${locn.sizeBytes} VG ${info.vgName} on ${device.name}`,
        `WARNING: reading ${device.name} mda${mdaNum} failed to read metadata.`,
        `WARNING: repair VG metadata on ${device.name} with vgck --updatemetadata.`,
        `WARNING: Reading VG ${info.vgName} on ${device.name} failed.`,
      );
      continue;
    }
    good.push({ mda, seqno: copy.summary.seqno });
    if (best === undefined) {
      best = { mda, copy };
    } else if (state.prefersLower && copy.summary.seqno < best.copy.summary.seqno) {
      // Mutation: the older copy wins, undoing every commit that reached only some PVs.
      best = { mda, copy };
    } else if (!state.prefersLower && copy.summary.seqno > best.copy.summary.seqno) {
      warnings.push(
        `WARNING: ignoring metadata seqno ${best.copy.summary.seqno} on ${best.mda.device.name} for seqno ` +
          `${copy.summary.seqno} on ${device.name} for VG ${info.vgName}.`,
      );
      foundOld = true;
      best = { mda, copy };
    } else if (copy.summary.seqno < best.copy.summary.seqno) {
      warnings.push(
        `WARNING: ignoring metadata seqno ${copy.summary.seqno} on ${device.name} for seqno ` +
          `${best.copy.summary.seqno} on ${best.mda.device.name} for VG ${info.vgName}.`,
      );
      foundOld = true;
    }
  }
  if (foundOld) {
    warnings.push(
      `WARNING: Inconsistent metadata found for VG ${info.vgName}.`,
      "See vgck --updatemetadata to correct inconsistency.",
    );
  }
  if (best === undefined) return undefined;
  const chosen = best;
  for (const { mda, seqno } of good) {
    if (seqno < chosen.copy.summary.seqno) {
      mda.status.outdated = true;
      mda.status.repair = repairFor(mda.status.badFields, true);
    }
  }
  const summary = chosen.copy.summary;
  const missing = summary.pvs.filter((pv) => !present.has(pv.pvUuid));
  for (const pv of missing)
    warnings.push(`WARNING: Couldn't find device with uuid ${formatUuid(pv.pvUuid)}.`);
  for (const pv of missing) {
    warnings.push(
      pv.deviceHint === undefined
        ? `WARNING: VG ${summary.vgName} is missing PV ${formatUuid(pv.pvUuid)}.`
        : `WARNING: VG ${summary.vgName} is missing PV ${formatUuid(pv.pvUuid)} (last written to ${pv.deviceHint}).`,
    );
  }
  return {
    vgName: summary.vgName,
    vgId: summary.vgId,
    seqno: summary.seqno,
    text: chosen.copy.text,
    file: chosen.copy.file,
    summary,
    source: { device: chosen.mda.device.name, mdaIndex: chosen.mda.status.mdaIndex },
    missingPvUuids: missing.map((pv) => pv.pvUuid),
    inconsistent: foundOld,
  };
}

/** Names of an mda's bad_fields bits plus its repair, for reports: `CHECKSUM|HEADER -> vgck --updatemetadata`. */
export function describeMdaStatus(status: MdaScanStatus): string {
  const bits = badFieldNames(status.badFields).join("|") || "ok";
  return `${status.device} mda${status.mdaIndex + 1}: ${status.state}${status.outdated ? " (outdated)" : ""}, ${bits} -> ${status.repair}`;
}
