/**
 * `pvck --dump headers|metadata|metadata_all|metadata_area PV` as LVM2 2.03.16 prints it
 * (`tools/pvck.c`: `_dump_headers`, `_dump_metadata`, `_dump_label_and_pv_header`,
 * `_dump_mda_header`, `_dump_raw_locn`, `_dump_current_text`, `_dump_all_text`, `_dump_meta_area`).
 * pvck reads the raw structures itself, field by field, so damaged headers still print; every
 * field that is not what LVM2 expects adds a `CHECK:` line and makes the command fail with "Found
 * bad header or metadata values.". Only the first device is dumped, as in LVM2.
 */

import type { BlockDevice } from "../block/device.js";
import { SECTOR_BYTES } from "../block/device.js";
import { parseConfig } from "../format/config-parse.js";
import { lvmCrc } from "../format/crc.js";
import { LABEL_ID, LVM2_LABEL_TYPE } from "../format/label.js";
import { FMTT_MAGIC, FMTT_VERSION, RAW_LOCN_IGNORED } from "../format/mda-header.js";
import { isValidUuid } from "../format/uuid.js";
import type { CommandOutput } from "./output.js";

/** The `--dump` values this module prints. */
export const PVCK_DUMP_KINDS = ["headers", "metadata", "metadata_all", "metadata_area"] as const;

/** One of {@link PVCK_DUMP_KINDS}. */
export type PvckDumpKind = (typeof PVCK_DUMP_KINDS)[number];

/** `--settings` keys pvck's dumps read (`_get_one_setting`; the others belong to repair and search). */
export interface PvckDumpSettings {
  /** `mda_num=2` (or `--pvmetadatacopies 2`): dump the second metadata area. */
  readonly mdaNum?: number;
  /** `metadata_offset=N`: metadata_all shows only the copy starting at this byte of the device. */
  readonly metadataOffset?: number;
  /** `seqno=N`: metadata_all shows only the first copy with this seqno. */
  readonly seqno?: number;
}

/** What a dump needs besides the device. */
export interface PvckDumpOptions {
  readonly out: CommandOutput;
  /** `--labelsector` (default 1). */
  readonly labelSector?: number;
  readonly settings?: PvckDumpSettings;
  /**
   * `-f FILE`: creates the file (failing if it exists, as `fopen(…, "wx")`) with these bytes;
   * returns an error message, or undefined when written.
   */
  readonly createFile?: (bytes: Uint8Array) => string | undefined;
  /** The `-f` path, for LVM2's "Failed to create file" message. */
  readonly fileName?: string;
  /** `-v`: metadata_all also prints each copy's description and creation_time lines. */
  readonly verbose?: boolean;
}

const PRINT_CURRENT = 1;
const PRINT_ALL = 2;
/** Bound on the `disk_locn` lists walked inside the 512-byte label sector. */
const LABEL_BYTES = 512;

interface Mdas {
  mda1Offset: number;
  mda1Size: number;
  mda2Offset: number;
  mda2Size: number;
  count: number;
}

/** One dump's state: its output and the count of problems (any makes the command fail). */
class Dump {
  bad = 0;
  constructor(
    readonly device: BlockDevice,
    readonly options: PvckDumpOptions,
  ) {}

  print(line: string): void {
    this.options.out.message(line);
  }

  read(offsetBytes: number, lengthBytes: number): Uint8Array | undefined {
    if (offsetBytes < 0 || lengthBytes < 0 || offsetBytes + lengthBytes > this.device.sizeBytes)
      return undefined;
    // Devices read whole sectors (LVM2's bcache does the same under _read_bytes).
    const startBytes = Math.floor(offsetBytes / SECTOR_BYTES) * SECTOR_BYTES;
    const endBytes = Math.ceil((offsetBytes + lengthBytes) / SECTOR_BYTES) * SECTOR_BYTES;
    if (endBytes > this.device.sizeBytes) return undefined;
    const bytes = new Uint8Array(endBytes - startBytes);
    if (bytes.length > 0) this.device.read(startBytes, bytes);
    return bytes.subarray(offsetBytes - startBytes, offsetBytes - startBytes + lengthBytes);
  }
}

function u32(bytes: Uint8Array, at: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(at, true);
}

function u64(bytes: Uint8Array, at: number): number {
  const value = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  return Number(value);
}

/** `_chars_to_str`: printable bytes as they are, others as `?`. */
function charsToStr(bytes: Uint8Array): string {
  return [...bytes].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : "?")).join("");
}

/** `_chars_to_hexstr`: `%x` per byte, so a byte below 0x10 prints one digit. */
function charsToHexstr(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16)).join("");
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** `_dump_label_and_pv_header`: prints (with `printFields`) and checks; returns the mda locations. */
function labelAndPvHeader(dump: Dump, printFields: boolean): Mdas {
  const mdas: Mdas = { mda1Offset: 0, mda1Size: 0, mda2Offset: 0, mda2Size: 0, count: 0 };
  const lhOffset = (dump.options.labelSector ?? 1) * SECTOR_BYTES;
  const buf = dump.read(lhOffset, LABEL_BYTES);
  if (buf === undefined) {
    dump.print(`CHECK: failed to read label_header at ${lhOffset}`);
    dump.bad++;
    return mdas;
  }
  const field = (line: string): void => {
    if (printFields) dump.print(line);
  };
  field(`label_header at ${lhOffset}`);
  field(`label_header.id ${charsToStr(buf.subarray(0, 8))}`);
  field(`label_header.sector ${u64(buf, 8)}`);
  field(`label_header.crc ${hex(u32(buf, 16))}`);
  field(`label_header.offset ${u32(buf, 20)}`);
  field(`label_header.type ${charsToStr(buf.subarray(24, 32))}`);
  // _check_label_header
  let labelBad = false;
  const check = (line: string): void => {
    dump.print(line);
    labelBad = true;
  };
  if (charsToStr(buf.subarray(0, 8)) !== LABEL_ID) check(`CHECK: label_header.id expected ${LABEL_ID}`);
  if (u64(buf, 8) !== (dump.options.labelSector ?? 1))
    check(`CHECK: label_header.sector expected ${dump.options.labelSector ?? 1}`);
  const crc = lvmCrc(buf.subarray(20));
  if (crc !== u32(buf, 16)) check(`CHECK: label_header.crc expected ${hex(crc)}`);
  if (u32(buf, 20) !== 32) check("CHECK: label_header.offset expected 32");
  if (charsToStr(buf.subarray(24, 32)) !== LVM2_LABEL_TYPE)
    check(`CHECK: label_header.type expected ${LVM2_LABEL_TYPE}`);
  // The pv_header is read right after the label_header, whatever label_header.offset says.
  const pvhOffset = lhOffset + 32;
  field(`pv_header at ${pvhOffset}`);
  field(`pv_header.pv_uuid ${charsToStr(buf.subarray(32, 64))}`);
  field(`pv_header.device_size ${u64(buf, 64)}`);
  if (!isValidUuid(String.fromCharCode(...buf.subarray(32, 64))))
    check("CHECK: pv_header.pv_uuid invalid format");
  if (labelBad) dump.bad++;
  let at = 72; // disk_locn[0], after the 40-byte pv_header
  let di = 0;
  const locn = (prefix: string, comment: string): void => {
    field(`${prefix}.disk_locn[${di}] at ${lhOffset + at} # ${comment}`);
    field(`${prefix}.disk_locn[${di}].offset ${u64(buf, at)}`);
    field(`${prefix}.disk_locn[${di}].size ${u64(buf, at + 8)}`);
  };
  const more = (): boolean => at + 16 <= LABEL_BYTES && u64(buf, at) !== 0;
  const endOfList = (prefix: string): void => {
    if (at + 16 <= LABEL_BYTES) locn(prefix, "location list end");
    di++;
    at += 16;
  };
  for (; more(); di++, at += 16) locn("pv_header", "location of data area");
  endOfList("pv_header");
  for (; more(); di++, at += 16) {
    locn("pv_header", "location of metadata area");
    if (mdas.count === 0) {
      mdas.mda1Offset = u64(buf, at);
      mdas.mda1Size = u64(buf, at + 8);
      if (![4096, 8192, 65536].includes(mdas.mda1Offset)) {
        dump.print(
          `WARNING: pv_header.disk_locn[${di}].offset ${mdas.mda1Offset} is unexpected # for first mda`,
        );
      }
    } else {
      mdas.mda2Offset = u64(buf, at);
      mdas.mda2Size = u64(buf, at + 8);
    }
    mdas.count++;
  }
  endOfList("pv_header");
  if (at + 8 <= LABEL_BYTES) {
    field(`pv_header_extension at ${lhOffset + at}`);
    field(`pv_header_extension.version ${u32(buf, at)}`);
    field(`pv_header_extension.flags ${u32(buf, at + 4)}`);
    at += 8;
    di = 0;
    for (; more(); di++, at += 16) locn("pv_header_extension", "bootloader area");
    if (at + 16 <= LABEL_BYTES) locn("pv_header_extension", "location list end");
  }
  return mdas;
}

interface RawLocnRead {
  offset: number;
  size: number;
  checksum: number;
}

/** `_dump_raw_locn`: one slot; returns where its text is, or undefined for an ignored slot. */
function rawLocn(
  dump: Dump,
  header: Uint8Array,
  slot: { index: number; mdaNum: number; mdaOffset: number; mdaSize: number; printFields: boolean },
): RawLocnRead | undefined {
  const at = 40 + 24 * slot.index;
  const offset = u64(header, at);
  let size = u64(header, at + 8);
  const checksum = u32(header, at + 16);
  const flags = u32(header, at + 20);
  const name = `mda_header_${slot.mdaNum}.raw_locn[${slot.index}]`;
  if (slot.printFields) {
    const wrapped = offset + size > slot.mdaSize ? " wrapped" : "";
    dump.print(`${name} at ${slot.mdaOffset + at} # ${slot.index === 0 ? "commit" : "precommit"}${wrapped}`);
    dump.print(`${name}.offset ${offset}`);
    dump.print(`${name}.size ${size}`);
    dump.print(`${name}.checksum ${hex(checksum)}`);
    dump.print(`${name}.flags ${hex(flags)}${(flags & RAW_LOCN_IGNORED) !== 0 ? " # RAW_LOCN_IGNORED" : ""}`);
  }
  if (slot.index === 1 && offset !== 0) dump.print(`CHECK: ${name} for precommit not empty`);
  if ((flags & RAW_LOCN_IGNORED) !== 0) return undefined;
  if (size > slot.mdaSize - 512) {
    dump.print(`CHECK: ${name}.size larger than metadata area size`);
    size = slot.mdaSize - 512;
  }
  return { offset, size, checksum };
}

/** `_dump_current_text`: the copy slot 0 points at, its crc, name and seqno, and (on request) its text. */
function currentText(
  dump: Dump,
  where: { mdaNum: number; mdaOffset: number; mdaSize: number },
  locn: RawLocnRead,
  print: { fields: boolean; metadata: boolean },
): void {
  const { mdaOffset, mdaSize, mdaNum } = where;
  const name = `mda_header_${mdaNum}.raw_locn[0]`;
  let text: Uint8Array | undefined;
  if (locn.offset + locn.size > mdaSize) {
    const wrap = locn.offset + locn.size - mdaSize;
    const a = dump.read(mdaOffset + locn.offset, locn.size - wrap);
    const b = dump.read(mdaOffset + 512, wrap);
    if (a === undefined || b === undefined) {
      const part =
        a === undefined
          ? `part_a ${mdaOffset + locn.offset} ${locn.size - wrap}`
          : `part_b ${mdaOffset + 512} ${wrap}`;
      dump.print(
        `CHECK: failed to read metadata text at ${name}.offset ${locn.offset} size ${locn.size} ${part}`,
      );
      dump.bad++;
      return;
    }
    text = new Uint8Array(locn.size);
    text.set(a);
    text.set(b, a.length);
  } else {
    text = dump.read(mdaOffset + locn.offset, locn.size);
    if (text === undefined) {
      dump.print(`CHECK: failed to read metadata text at ${name}.offset ${locn.offset} size ${locn.size}`);
      dump.bad++;
      return;
    }
  }
  const at = mdaOffset + locn.offset;
  const crc = lvmCrc(text);
  if (crc !== locn.checksum) {
    dump.print(`CHECK: metadata text at ${at} crc does not match ${name}.checksum`);
    dump.bad++;
  }
  // The text ends at its first NUL, as C strings do.
  const nul = text.indexOf(0);
  const raw = nul < 0 ? text : text.subarray(0, nul);
  // Printed as UTF-8 (what LVM2's bytes are on a UTF-8 terminal); files get the bytes themselves.
  const body = new TextDecoder().decode(raw);
  let vgName = "?";
  let seqno = 0;
  try {
    const parsed = parseConfig(body);
    const root = parsed.items[0];
    if (root !== undefined) {
      vgName = root.key;
      if (root.kind === "section") {
        const node = root.items.find((n) => n.kind === "assign" && n.key === "seqno");
        if (node?.kind === "assign" && node.value.kind === "int") seqno = node.value.value >>> 0;
      }
    }
  } catch {
    dump.print(`CHECK: failed to parse metadata text at ${at} size ${locn.size}`);
    dump.bad++;
  }
  if (print.fields || print.metadata)
    dump.print(`metadata text at ${at} crc ${hex(crc)} # vgname ${vgName} seqno ${seqno}`);
  if (!print.metadata) return;
  if (dump.options.createFile === undefined) {
    dump.print("---");
    dump.options.out.print(body);
    dump.print("---");
    return;
  }
  const failed = dump.options.createFile(raw);
  if (failed !== undefined) dump.options.out.error(`Failed to create file ${dump.options.fileName ?? ""}`);
}

/** `_check_vgname_start`: a line that begins `vgname {`; returns the name's length or 0. */
function vgNameLength(line: Uint8Array): number {
  let chars = 0;
  let space = false;
  for (let i = 0; i <= 128 + 2 && i < line.length; i++) {
    const c = line[i]!;
    const ch = String.fromCharCode(c);
    if (/[A-Za-z0-9._+-]/.test(ch)) {
      if (space) return 0;
      chars++;
    } else if (ch === " ") {
      if (chars === 0 || space) return 0;
      space = true;
    } else if (ch === "{") {
      return chars > 0 && space ? chars : 0;
    } else return 0;
  }
  return 0;
}

/** `_copy_line`: up to and including the first newline or NUL, at most `max` bytes. */
function lineAt(buf: Uint8Array, at: number, max = 127): Uint8Array {
  let i = 0;
  for (; i < max && at + i < buf.length; i++) {
    const c = buf[at + i]!;
    if (c === 0x0a || c === 0) {
      i++;
      break;
    }
  }
  return buf.subarray(at, at + i);
}

/** `_copy_out_metadata`: one copy from its start to its NUL, wrapping once past the end. */
function copyOut(
  buf: Uint8Array,
  start: number,
  firstStart: number,
  mdaSize: number,
): { text: Uint8Array; badEnd: boolean } | { skipped: number } | undefined {
  const stop = firstStart === 0 ? start : firstStart;
  let end = buf.indexOf(0, start);
  let text: Uint8Array;
  if (end >= 0 && end < mdaSize) {
    text = buf.slice(start, end + 1);
  } else {
    const tail = buf.indexOf(0, 512);
    if (tail < 0 || tail >= stop) return undefined;
    end = tail;
    text = new Uint8Array(mdaSize - start + (tail - 512) + 1);
    text.set(buf.subarray(start, mdaSize));
    text.set(buf.subarray(512, tail + 1), mdaSize - start);
  }
  if (text.length - 1 < 256) return { skipped: text.length - 1 };
  const n = text.length;
  const badEnd = text[n - 1] !== 0 || text[n - 2] !== 0x0a || text[n - 3] !== 0x0a;
  return { text, badEnd };
}

/** `_dump_all_text`: every copy found at a 512-byte boundary of the area, oldest placement first. */
function allText(dump: Dump, where: { mdaOffset: number; mdaSize: number }, buf: Uint8Array): void {
  const { mdaOffset, mdaSize } = where;
  const settings = dump.options.settings ?? {};
  const files: Uint8Array[] = [];
  let firstStart = 0;
  let firstId = "";
  let multipleVgs = false;
  let oneFound = false;
  const decoder = new TextDecoder();
  for (let count = 0; count < Math.floor((mdaSize - 512) / 512) && !oneFound; ) {
    const bufOff = 512 + count * 512;
    if (settings.metadataOffset !== undefined && settings.metadataOffset !== mdaOffset + bufOff) {
      count++;
      continue;
    }
    if (settings.metadataOffset !== undefined) oneFound = true;
    let p = bufOff;
    const first = lineAt(buf, p);
    p += first.length;
    const nameLength = vgNameLength(first);
    if (nameLength === 0) {
      count++;
      continue;
    }
    const vgName = decoder.decode(first.subarray(0, nameLength));
    const idLine = decoder.decode(lineAt(buf, p));
    p += lineAt(buf, p).length;
    if (!idLine.startsWith("id = ")) {
      count++;
      continue;
    }
    const id = idLine.slice(6, 6 + 38).replace(/\0.*$/, "");
    const seqnoLine = decoder.decode(lineAt(buf, p));
    const seqnoMatch = /^seqno = (\d+)/.exec(seqnoLine);
    if (seqnoMatch === null) {
      count++;
      continue;
    }
    const seqno = Number(seqnoMatch[1]) >>> 0;
    if (settings.seqno !== undefined && settings.seqno !== seqno) {
      count++;
      continue;
    }
    if (settings.seqno !== undefined) oneFound = true;
    const copied = copyOut(buf, bufOff, firstStart, mdaSize);
    if (copied === undefined || "skipped" in copied) {
      if (copied !== undefined) dump.print(`skip invalid metadata with len ${copied.skipped} at ${bufOff}`);
      // log_warn without a WARNING prefix.
      dump.options.out.error(`Failed to extract full metadata text at ${mdaOffset + bufOff}, skipping.`);
      count++;
      continue;
    }
    if (firstId === "") firstId = id;
    else if (firstId !== id) multipleVgs = true;
    const crc = lvmCrc(copied.text);
    dump.print(
      `metadata at ${mdaOffset + bufOff} length ${copied.text.length} crc ${crc.toString(16).padStart(8, "0")} vg ${vgName} seqno ${seqno} id ${id}`,
    );
    if (firstStart === 0) firstStart = bufOff;
    const body = decoder.decode(copied.text.subarray(0, copied.text.length - 1));
    try {
      parseConfig(body);
    } catch {
      dump.options.out.warn(`parse error for metadata at ${mdaOffset + bufOff}`);
    }
    if (copied.badEnd)
      dump.options.out.warn(`unexpected terminating bytes for metadata at ${mdaOffset + bufOff}`);
    if (dump.options.verbose === true) {
      const description = /description = [^\n]*/.exec(body);
      if (description !== null) {
        dump.print(description[0]);
        const created = /creation_time = [^\n]*/.exec(body.slice(description.index));
        if (created !== null) dump.print(`${created[0]}\n`);
      }
    }
    files.push(copied.text.subarray(0, copied.text.length - 1));
    const size = copied.text.length;
    count += size < 512 ? 1 : Math.ceil(size / 512);
  }
  if (multipleVgs) dump.options.out.warn("metadata from multiple VGs was found.");
  if (dump.options.createFile !== undefined) {
    const separator = new TextEncoder().encode("\n--\n");
    const parts = files.flatMap((f, i) => (i === 0 ? [f] : [separator, f]));
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.length;
    }
    const failed = dump.options.createFile(bytes);
    if (failed !== undefined) dump.options.out.error(`Failed to create file ${dump.options.fileName ?? ""}`);
  }
}

/** `_dump_mda_header`: one metadata area; returns the checksum slot 0 records (0 when none). */
function mdaHeader(
  dump: Dump,
  where: { mdaOffset: number; mdaSize: number },
  print: { fields: boolean; metadata: number; area: boolean },
): number {
  const { mdaOffset, mdaSize } = where;
  const mdaNum = mdaOffset === 4096 ? 1 : 2;
  const header = dump.read(mdaOffset, 512);
  if (header === undefined) {
    dump.print(`CHECK: failed to read mda_header at ${mdaOffset}`);
    dump.bad++;
    return 0;
  }
  const name = `mda_header_${mdaNum}`;
  if (print.fields) {
    dump.print(`${name} at ${mdaOffset} # metadata area`);
    dump.print(`${name}.checksum ${hex(u32(header, 0))}`);
    dump.print(`${name}.magic 0x${charsToHexstr(header.subarray(4, 20))}`);
    dump.print(`${name}.version ${u32(header, 20)}`);
    dump.print(`${name}.start ${u64(header, 24)}`);
    dump.print(`${name}.size ${u64(header, 32)}`);
  }
  // _check_mda_header
  let headerBad = false;
  const check = (line: string): void => {
    dump.print(line);
    headerBad = true;
  };
  const crc = lvmCrc(header.subarray(4));
  if (crc !== u32(header, 0)) check(`CHECK: ${name}.checksum expected ${hex(crc)}`);
  if (!FMTT_MAGIC.every((b, i) => header[4 + i] === b))
    check(`CHECK: ${name}.magic expected 0x${charsToHexstr(Uint8Array.from(FMTT_MAGIC))}`);
  if (u32(header, 20) !== FMTT_VERSION) check(`CHECK: ${name}.version expected ${FMTT_VERSION}`);
  if (u64(header, 24) !== mdaOffset)
    check(`CHECK: ${name}.start does not match pv_header.disk_locn.offset ${mdaOffset}`);
  if (u64(header, 32) !== mdaSize)
    check(`CHECK: ${name}.size does not match pv_header.disk_locn.size ${mdaSize}`);
  if (headerBad) dump.bad++;
  if (print.area) {
    // _dump_meta_area: the area from its header on, less its last sector, into the -f file.
    const area = dump.options.createFile === undefined ? undefined : dump.read(mdaOffset, mdaSize);
    if (dump.options.createFile === undefined) {
      dump.bad++;
    } else if (area === undefined) {
      dump.print(`CHECK: failed to read metadata area at offset ${mdaOffset} size ${mdaSize}`);
      dump.bad++;
    } else if (dump.options.createFile(area.subarray(0, mdaSize - 512)) !== undefined) {
      dump.options.out.error(`Failed to create file ${dump.options.fileName ?? ""}`);
      dump.bad++;
    }
    return 0;
  }
  const slot = { mdaNum, mdaOffset, mdaSize, printFields: print.fields };
  const committed = rawLocn(dump, header, { ...slot, index: 0 });
  rawLocn(dump, header, { ...slot, index: 1 });
  if (committed === undefined || committed.offset === 0) return committed?.checksum ?? 0;
  if (print.metadata <= PRINT_CURRENT) {
    currentText(dump, { mdaNum, mdaOffset, mdaSize }, committed, {
      fields: print.fields,
      metadata: print.metadata === PRINT_CURRENT,
    });
  }
  if (print.metadata === PRINT_ALL) {
    const area = dump.read(mdaOffset, mdaSize);
    if (area === undefined) {
      dump.print(`CHECK: failed to read metadata area at offset ${mdaOffset} size ${mdaSize}`);
      dump.bad++;
    } else allText(dump, { mdaOffset, mdaSize }, area);
  }
  return committed.checksum;
}

/**
 * Runs `pvck --dump KIND` on `device`; returns true when LVM2 would exit 0. A failing dump ends
 * with LVM2's "Found bad header or metadata values." on stderr.
 */
export function pvckDump(device: BlockDevice, kind: PvckDumpKind, options: PvckDumpOptions): boolean {
  const dump = new Dump(device, options);
  const headers = kind === "headers";
  const mdas = labelAndPvHeader(dump, headers);
  // As in LVM2, a PV without metadata areas (or an unreadable label) ends here, successfully.
  if (mdas.count === 0) {
    dump.print("zero metadata copies");
    return true;
  }
  if (headers) {
    const one = mdaHeader(
      dump,
      { mdaOffset: mdas.mda1Offset, mdaSize: mdas.mda1Size },
      { fields: true, metadata: 0, area: false },
    );
    if (mdas.mda2Offset !== 0) {
      const two = mdaHeader(
        dump,
        { mdaOffset: mdas.mda2Offset, mdaSize: mdas.mda2Size },
        { fields: true, metadata: 0, area: false },
      );
      if (one !== 0 && two !== 0 && one !== two)
        dump.print("CHECK: mdas have different raw_locn[0].checksum values");
    }
  } else {
    const print = {
      fields: false,
      metadata: kind === "metadata" ? PRINT_CURRENT : kind === "metadata_all" ? PRINT_ALL : 0,
      area: kind === "metadata_area",
    };
    const mdaNum = options.settings?.mdaNum ?? 1;
    if (mdaNum === 1) mdaHeader(dump, { mdaOffset: mdas.mda1Offset, mdaSize: mdas.mda1Size }, print);
    else if (mdaNum === 2) {
      if (mdas.mda2Offset === 0) {
        dump.print("CHECK: second mda not found");
        dump.bad++;
      } else mdaHeader(dump, { mdaOffset: mdas.mda2Offset, mdaSize: mdas.mda2Size }, print);
    }
  }
  if (dump.bad > 0) {
    options.out.error("Found bad header or metadata values.");
    return false;
  }
  return true;
}
