/**
 * The verify header every written block carries, and the check that classifies a block read back.
 *
 * Layout (64 bytes, little-endian, at the start of each verify unit):
 *
 * | offset | size | field                                                      |
 * |--------|------|------------------------------------------------------------|
 * | 0      | 4    | magic 0x766d766c ("lvmv")                                  |
 * | 4      | 1    | version (1)                                                |
 * | 5      | 1    | checksum kind: 1 xxh64, 2 crc32c, 3 pattern                |
 * | 6      | 2    | header length in bytes (64)                                |
 * | 8      | 4    | LV id                                                      |
 * | 12     | 4    | unit length in bytes (header + payload)                    |
 * | 16     | 8    | block offset in bytes within the LV                        |
 * | 24     | 8    | write generation (fio's numberio; 0 is never used)         |
 * | 32     | 8    | seed of the payload                                        |
 * | 40     | 8    | payload checksum (xxh64; crc32c in the low 4 bytes; 0 for pattern) |
 * | 48     | 12   | reserved, zero                                             |
 * | 60     | 4    | header checksum: MurmurHash3 x86_32 of bytes 0–59          |
 *
 * The payload (the rest of the unit) is derived from (seed, LV, offset, generation), see
 * payload.ts, or is fio's `verify_pattern` repeated. Payload checksums are native
 * (@node-rs/xxhash, @node-rs/crc32). The 60-byte header is hashed inline in JS: a native call
 * costs about three times as much as hashing 60 bytes here, and the header is checked on every
 * read.
 *
 * Classification of a unit read back, given the generations the oracle allows there:
 * - ok: a valid header naming this block whose generation is allowed (or zeros where "never
 *   written" is allowed);
 * - lost: zeros, or a valid older generation, where an acknowledged and flushed generation must be;
 * - stale: a valid header naming this block with a generation newer than the durable one that the
 *   oracle does not allow here (e.g. origin data written after a snapshot, seen in the snapshot);
 * - misdirected: a valid header naming another LV or another offset;
 * - torn: every 512-byte sector matches some known image of this block (a candidate generation or
 *   zeros) but not all the same one;
 * - corrupt: anything else: bad magic or header checksum, payload checksum mismatch, wrong seed or
 *   length, sectors matching no known image;
 * - unreadable: the read failed with EIO (decided by the caller, who did the read).
 */

import { crc32c } from "@node-rs/crc32";
import { xxh64 } from "@node-rs/xxhash";
import type { VerifyKind } from "./job-spec.js";
import { chunkStart, fillPayload, PAYLOAD_CHUNK_BYTES, POOL_STARTS, payloadPool } from "./payload.js";

/** Bytes of the header at the start of every verify unit. */
export const HEADER_BYTES = 64;
/** "lvmv" read as a little-endian u32. */
const HEADER_MAGIC = 0x766d766c;
/** Header layout version. */
const HEADER_VERSION = 1;
const HEADER_CRC_OFFSET = 60;
const SECTOR = 512;
/** Largest verify unit; bigger blocks are split into several units, each with its header. */
export const MAX_UNIT_BYTES = 16 << 20;

/** How a block read back compares with what the oracle allows. */
export type Classification = "ok" | "lost" | "stale" | "torn" | "misdirected" | "corrupt" | "unreadable";

/** Every classification, in report order. */
export const CLASSIFICATIONS: readonly Classification[] = [
  "ok",
  "lost",
  "stale",
  "torn",
  "misdirected",
  "corrupt",
  "unreadable",
];

/** Verify kinds that write a header (everything but "none"). */
export type HeaderVerifyKind = Exclude<VerifyKind, "none">;

const KIND_CODE: Readonly<Record<HeaderVerifyKind, number>> = { xxh64: 1, crc32c: 2, pattern: 3 };
const KIND_NAME: readonly (HeaderVerifyKind | undefined)[] = [undefined, "xxh64", "crc32c", "pattern"];

/** What identifies one written unit. */
export interface BlockIdentity {
  readonly lvId: number;
  /** Byte offset of the unit within its LV. */
  readonly offsetBytes: number;
  readonly generation: number;
  readonly seed: number;
  readonly verify: HeaderVerifyKind;
  /** fio's verify_pattern bytes, for `verify: "pattern"`. */
  readonly pattern?: Uint8Array;
}

/** A parsed header. */
export interface VerifyHeader {
  readonly magic: number;
  readonly version: number;
  readonly kind: HeaderVerifyKind | undefined;
  readonly headerBytes: number;
  readonly lvId: number;
  readonly lengthBytes: number;
  readonly offsetBytes: number;
  readonly generation: number;
  readonly seed: number;
  readonly checksumLo: number;
  readonly checksumHi: number;
  readonly storedCrc: number;
  readonly computedCrc: number;
}

// Checksums of single-chunk payloads, per (seed, payload length, kind), indexed by pool start:
// the payload is a pure function of those, so filling never hashes the same bytes twice. Arrays
// indexed by small integers keep the lookup off V8's slow heap-number Map keys.
type ChecksumTable = (readonly [number, number] | undefined)[];
const checksumTables = new Map<string, ChecksumTable>();
const MAX_CHECKSUM_TABLES = 64;
let lastSeed = -1;
let lastLength = -1;
let lastKind: HeaderVerifyKind | undefined;
let lastTable: ChecksumTable = [];
const patternCache = new Map<string, Uint8Array>();
const MAX_CACHED_PATTERNS = 64;

/** MurmurHash3 x86_32 of the header's first 60 bytes (15 little-endian words). */
function headerChecksum(buf: Uint8Array): number {
  let h = 0x9747b28c;
  for (let i = 0; i < HEADER_CRC_OFFSET; i += 4) {
    let k = buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= HEADER_CRC_OFFSET;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function payloadChecksum(payload: Uint8Array, kind: HeaderVerifyKind): bigint | number {
  if (kind === "xxh64") return xxh64(payload);
  if (kind === "crc32c") return crc32c(payload);
  return 0;
}

function cachedChecksum(
  seed: number,
  poolStart: number,
  payload: Uint8Array,
  kind: HeaderVerifyKind,
): readonly [number, number] {
  let table = lastTable;
  if (seed !== lastSeed || payload.length !== lastLength || kind !== lastKind) {
    const tableKey = `${seed}:${payload.length}:${kind}`;
    let found = checksumTables.get(tableKey);
    if (found === undefined) {
      if (checksumTables.size >= MAX_CHECKSUM_TABLES) checksumTables.clear();
      found = new Array<readonly [number, number] | undefined>(POOL_STARTS).fill(undefined);
      checksumTables.set(tableKey, found);
    }
    table = found;
    lastSeed = seed;
    lastLength = payload.length;
    lastKind = kind;
    lastTable = table;
  }
  const index = poolStart / 8;
  let sum = table[index];
  if (sum === undefined) {
    sum = splitChecksum(payloadChecksum(payload, kind));
    table[index] = sum;
  }
  return sum;
}

function patternBuffer(pattern: Uint8Array, lengthBytes: number): Uint8Array {
  const key = `${pattern.join(",")}:${lengthBytes}`;
  let buf = patternCache.get(key);
  if (buf === undefined) {
    buf = new Uint8Array(lengthBytes);
    Buffer.from(buf.buffer, buf.byteOffset, buf.length).fill(pattern);
    if (patternCache.size >= MAX_CACHED_PATTERNS) patternCache.clear();
    patternCache.set(key, buf);
  }
  return buf;
}

function splitChecksum(sum: bigint | number): [number, number] {
  if (typeof sum === "number") return [sum >>> 0, 0];
  return [Number(sum & 0xffffffffn), Number(sum >> 32n)];
}

function assertUnit(buf: Uint8Array, identity: { offsetBytes: number; generation: number }): void {
  if (buf.length < HEADER_BYTES + 8 || buf.length % SECTOR !== 0 || buf.length > MAX_UNIT_BYTES) {
    throw new RangeError(
      `Verify unit of ${buf.length} bytes at offset ${identity.offsetBytes}: must be a multiple of 512 bytes, ` +
        `at least 512 and at most ${MAX_UNIT_BYTES}`,
    );
  }
  if (!Number.isSafeInteger(identity.generation) || identity.generation < 1) {
    throw new RangeError(`Generation must be a positive safe integer, got ${identity.generation}`);
  }
}

function fillPatternPayload(payload: Uint8Array, pattern: Uint8Array | undefined): void {
  if (pattern === undefined || pattern.length === 0) {
    throw new RangeError("verify=pattern needs a non-empty pattern; set verify_pattern");
  }
  payload.set(patternBuffer(pattern, payload.length));
}

/**
 * Fill `buf` (one verify unit) with the header and seed-derived payload for `identity`. The buffer
 * is written in place; nothing is allocated on the fast path.
 */
export function fillBlock(buf: Uint8Array, identity: BlockIdentity): void {
  assertUnit(buf, identity);
  const payload = buf.subarray(HEADER_BYTES);
  let sum: readonly [number, number];
  if (identity.verify === "pattern") {
    fillPatternPayload(payload, identity.pattern);
    sum = [0, 0];
  } else if (payload.length <= PAYLOAD_CHUNK_BYTES) {
    const start = chunkStart(identity.lvId, identity.offsetBytes, identity.generation, 0);
    payload.set(payloadPool(identity.seed).subarray(start, start + payload.length));
    sum = cachedChecksum(identity.seed, start, payload, identity.verify);
  } else {
    fillPayload(payload, identity);
    sum = splitChecksum(payloadChecksum(payload, identity.verify));
  }
  const [lo, hi] = sum;
  put32(buf, 0, HEADER_MAGIC);
  buf[4] = HEADER_VERSION;
  buf[5] = KIND_CODE[identity.verify];
  buf[6] = HEADER_BYTES;
  buf[7] = 0;
  put32(buf, 8, identity.lvId);
  put32(buf, 12, buf.length);
  put64(buf, 16, identity.offsetBytes);
  put64(buf, 24, identity.generation);
  put64(buf, 32, identity.seed);
  put32(buf, 40, lo);
  put32(buf, 44, hi);
  buf.fill(0, 48, HEADER_CRC_OFFSET);
  put32(buf, HEADER_CRC_OFFSET, headerChecksum(buf));
}

function put32(buf: Uint8Array, at: number, value: number): void {
  buf[at] = value & 0xff;
  buf[at + 1] = (value >>> 8) & 0xff;
  buf[at + 2] = (value >>> 16) & 0xff;
  buf[at + 3] = (value >>> 24) & 0xff;
}

function put64(buf: Uint8Array, at: number, value: number): void {
  put32(buf, at, value >>> 0);
  put32(buf, at + 4, Math.floor(value / 0x1_0000_0000));
}

function u32(buf: Uint8Array, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;
}

function u64(buf: Uint8Array, at: number): number {
  return u32(buf, at + 4) * 0x1_0000_0000 + u32(buf, at);
}

/** Parse the header at the start of `buf` without judging it. */
export function readHeader(buf: Uint8Array): VerifyHeader {
  return {
    magic: u32(buf, 0),
    version: buf[4]!,
    kind: KIND_NAME[buf[5]!],
    headerBytes: buf[6]! | (buf[7]! << 8),
    lvId: u32(buf, 8),
    lengthBytes: u32(buf, 12),
    offsetBytes: u64(buf, 16),
    generation: u64(buf, 24),
    seed: u64(buf, 32),
    checksumLo: u32(buf, 40),
    checksumHi: u32(buf, 44),
    storedCrc: u32(buf, HEADER_CRC_OFFSET),
    computedCrc: headerChecksum(buf),
  };
}

/** What the oracle expects of one unit. */
export interface BlockExpectation {
  readonly lvId: number;
  readonly offsetBytes: number;
  readonly seed: number;
  readonly verify: HeaderVerifyKind;
  readonly pattern?: Uint8Array;
  /** Generations allowed here; 0 means "never written" (zeros) is allowed. */
  readonly allowed: readonly number[];
  /** The acknowledged and flushed generation (0 if none): anything older is lost. */
  readonly durable: number;
  /** More generations whose sectors may legitimately appear in a torn unit. */
  readonly candidates?: readonly number[];
  /**
   * Generations another LV wrote (a snapshot's block it still shares with its origin): generation
   * → that LV's id, which their headers and payloads carry instead of `lvId`.
   */
  readonly writers?: ReadonlyMap<number, number>;
}

/** The LV id a unit of `generation` carries where `expected` allows it. */
function writerOf(expected: BlockExpectation, generation: number): number {
  return expected.writers?.get(generation) ?? expected.lvId;
}

/** A run of sectors that came from one source, in a torn unit. */
export interface SectorRun {
  readonly firstSector: number;
  readonly lastSector: number;
  /** Generation the sectors match; 0 = zeros. */
  readonly generation: number;
}

/** The verdict on one unit. */
export interface BlockCheck {
  readonly classification: Classification;
  /** Generation found in a valid header (undefined when the header is not valid). */
  readonly foundGeneration?: number;
  readonly foundLvId?: number;
  readonly foundOffsetBytes?: number;
  /** fio's wording of the first mismatch, e.g. "bad header offset 8192, wanted 4096". */
  readonly fioReason: string;
  /** lvmlab's explanation of the likely cause. */
  readonly detail: string;
  /** For torn units: which sectors came from where. */
  readonly sectors?: readonly SectorRun[];
}

function isZero(buf: Uint8Array): boolean {
  const words =
    buf.byteOffset % 4 === 0 ? new Uint32Array(buf.buffer, buf.byteOffset, buf.length >>> 2) : undefined;
  if (words !== undefined) {
    for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
    return true;
  }
  for (let i = 0; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

// The payload is a pure function of the identity in the (checksummed) header, so comparing it
// with the regenerated bytes natively is exact and cheaper than hashing it; the stored checksum is
// recomputed only to explain a mismatch.
function payloadMatches(buf: Uint8Array, expected: BlockExpectation, header: VerifyHeader): boolean {
  const payload = buf.subarray(HEADER_BYTES);
  if (expected.verify === "pattern") {
    return (
      expected.pattern !== undefined && sameBytes(payload, patternBuffer(expected.pattern, payload.length))
    );
  }
  const pool = payloadPool(header.seed);
  for (let at = 0, chunk = 0; at < payload.length; at += PAYLOAD_CHUNK_BYTES, chunk++) {
    const length = Math.min(PAYLOAD_CHUNK_BYTES, payload.length - at);
    const start = chunkStart(header.lvId, header.offsetBytes, header.generation, chunk);
    if (!sameBytes(payload.subarray(at, at + length), pool.subarray(start, start + length))) return false;
  }
  return true;
}

function checksumText(lo: number, hi: number, kind: HeaderVerifyKind): string {
  return kind === "crc32c" ? lo.toString(16) : `${hi.toString(16)}${lo.toString(16).padStart(8, "0")}`;
}

/** Sector-by-sector attribution to candidate images; undefined when some sector matches none. */
function attributeSectors(
  buf: Uint8Array,
  expected: BlockExpectation,
  generations: Set<number>,
): SectorRun[] | undefined {
  const sectors = buf.length / SECTOR;
  const owner = new Array<number | undefined>(sectors).fill(undefined);
  const scratch = new Uint8Array(buf.length);
  const zero = new Uint8Array(SECTOR);
  for (const generation of [...generations].sort((a, b) => b - a)) {
    if (generation === 0) continue;
    fillBlock(scratch, { ...expected, lvId: writerOf(expected, generation), generation });
    for (let s = 0; s < sectors; s++) {
      if (owner[s] !== undefined) continue;
      const span = s * SECTOR;
      if (sameBytes(buf.subarray(span, span + SECTOR), scratch.subarray(span, span + SECTOR)))
        owner[s] = generation;
    }
  }
  for (let s = 0; s < sectors; s++) {
    const span = s * SECTOR;
    if (owner[s] === undefined && sameBytes(buf.subarray(span, span + SECTOR), zero)) owner[s] = 0;
  }
  if (owner.some((o) => o === undefined)) return undefined;
  const runs: SectorRun[] = [];
  for (let s = 0; s < sectors; s++) {
    const generation = owner[s]!;
    const last = runs.at(-1);
    if (last !== undefined && last.generation === generation && last.lastSector === s - 1) {
      runs[runs.length - 1] = { ...last, lastSector: s };
    } else {
      runs.push({ firstSector: s, lastSector: s, generation });
    }
  }
  return runs;
}

function describeRuns(runs: readonly SectorRun[]): string {
  return runs
    .map((r) => {
      const span =
        r.firstSector === r.lastSector
          ? `sector ${r.firstSector}`
          : `sectors ${r.firstSector}-${r.lastSector}`;
      return `${span} ${r.generation === 0 ? "zeros" : `from generation ${r.generation}`}`;
    })
    .join(", ");
}

function tornOrCorrupt(
  buf: Uint8Array,
  expected: BlockExpectation,
  header: VerifyHeader | undefined,
  fioReason: string,
  corruptDetail: string,
): BlockCheck {
  const sources = new Set<number>([0, ...expected.allowed, ...(expected.candidates ?? [])]);
  if (expected.durable > 0) sources.add(expected.durable);
  if (header !== undefined && header.generation > 0 && Number.isSafeInteger(header.generation)) {
    sources.add(header.generation);
  }
  const runs = attributeSectors(buf, expected, sources);
  const distinct = runs === undefined ? 0 : new Set(runs.map((r) => r.generation)).size;
  const found = header === undefined ? {} : { foundGeneration: header.generation };
  if (runs !== undefined && distinct >= 2) {
    return {
      classification: "torn",
      ...found,
      fioReason,
      detail: `torn write: ${describeRuns(runs)}`,
      sectors: runs,
    };
  }
  return { classification: "corrupt", ...found, fioReason, detail: corruptDetail };
}

function hex(value: number): string {
  return value.toString(16);
}

/**
 * Classify one unit read back against what the oracle allows there. Never returns "unreadable":
 * the caller, who did the read, knows about EIO.
 */
export function checkBlock(buf: Uint8Array, expected: BlockExpectation): BlockCheck {
  const header = readHeader(buf);
  const allowed = expected.allowed;
  if (
    header.magic !== HEADER_MAGIC ||
    header.version !== HEADER_VERSION ||
    header.storedCrc !== header.computedCrc
  ) {
    if (isZero(buf)) {
      if (allowed.includes(0)) return { classification: "ok", fioReason: "", detail: "", foundGeneration: 0 };
      return {
        classification: "lost",
        fioReason: `bad magic header 0, wanted ${hex(HEADER_MAGIC)}`,
        detail: `lost write: the unit reads as zeros but generation ${expected.durable} was acknowledged and flushed`,
      };
    }
    const fioReason =
      header.magic !== HEADER_MAGIC
        ? `bad magic header ${hex(header.magic)}, wanted ${hex(HEADER_MAGIC)}`
        : header.version !== HEADER_VERSION
          ? `unsupported header version ${hex(header.version)}, wanted ${hex(HEADER_VERSION)}`
          : `bad header crc ${hex(header.storedCrc)}, calculated ${hex(header.computedCrc)}`;
    return tornOrCorrupt(buf, expected, undefined, fioReason, `corrupt header: ${fioReason}`);
  }
  const found = {
    foundGeneration: header.generation,
    foundLvId: header.lvId,
    foundOffsetBytes: header.offsetBytes,
  };
  // A unit another LV wrote is where it belongs when that LV wrote some generation allowed here.
  const wantedLvId =
    expected.writers !== undefined && [...expected.writers.values()].includes(header.lvId)
      ? header.lvId
      : expected.lvId;
  if (header.lvId !== wantedLvId || header.offsetBytes !== expected.offsetBytes) {
    const fioReason =
      header.offsetBytes !== expected.offsetBytes
        ? `bad header offset ${header.offsetBytes}, wanted ${expected.offsetBytes}`
        : `bad header lv ${header.lvId}, wanted ${wantedLvId}`;
    return {
      classification: "misdirected",
      ...found,
      fioReason,
      detail: `misdirected: the unit holds LV ${header.lvId} offset ${header.offsetBytes} generation ${header.generation}`,
    };
  }
  if (header.seed !== expected.seed) {
    const fioReason = `bad header rand_seed ${header.seed}, wanted ${expected.seed}`;
    return { classification: "corrupt", ...found, fioReason, detail: `foreign data: ${fioReason}` };
  }
  if (
    header.lengthBytes !== buf.length ||
    header.kind !== expected.verify ||
    header.headerBytes !== HEADER_BYTES
  ) {
    const fioReason = `bad header length ${header.lengthBytes}, wanted ${buf.length}`;
    return { classification: "corrupt", ...found, fioReason, detail: `inconsistent header: ${fioReason}` };
  }
  if (!payloadMatches(buf, expected, header)) {
    const fioReason = `${expected.verify}: verify failed`;
    const [lo, hi] = splitChecksum(payloadChecksum(buf.subarray(HEADER_BYTES), expected.verify));
    return tornOrCorrupt(
      buf,
      expected,
      header,
      fioReason,
      `corrupt payload of generation ${header.generation}: expected ${expected.verify} ` +
        `${checksumText(header.checksumLo, header.checksumHi, expected.verify)}, received ${checksumText(lo, hi, expected.verify)}`,
    );
  }
  if (allowed.includes(header.generation)) {
    // A plain literal: spreading two objects here costs more than the hash on V8.
    return {
      classification: "ok",
      fioReason: "",
      detail: "",
      foundGeneration: header.generation,
      foundLvId: header.lvId,
      foundOffsetBytes: header.offsetBytes,
    };
  }
  const wanted = Math.max(...allowed);
  const fioReason = `bad header numberio ${header.generation}, wanted ${wanted}`;
  if (header.generation < expected.durable) {
    return {
      classification: "lost",
      ...found,
      fioReason,
      detail: `lost write: generation ${header.generation} found, but generation ${expected.durable} was acknowledged and flushed`,
    };
  }
  return {
    classification: "stale",
    ...found,
    fioReason,
    detail: `stale: generation ${header.generation} is not allowed here (allowed: ${allowed.join(", ")})`,
  };
}
