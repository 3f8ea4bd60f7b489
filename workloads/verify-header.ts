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
 * | 60     | 4    | crc32c of bytes 0–59                                       |
 *
 * The payload (the rest of the unit) is derived from (seed, LV, offset, generation), see
 * payload.ts, or is fio's `verify_pattern` repeated. Checksums are native (@node-rs/xxhash,
 * @node-rs/crc32).
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
import { chunkStart, fillPayload, PAYLOAD_CHUNK_BYTES, payloadPool } from "./payload.js";

/** Bytes of the header at the start of every verify unit. */
export const HEADER_BYTES = 64;
/** "lvmv" read as a little-endian u32. */
export const HEADER_MAGIC = 0x766d766c;
/** Header layout version. */
export const HEADER_VERSION = 1;
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

// Checksums of single-chunk payloads, keyed by (pool start, length, kind) per seed: the payload
// is a pure function of those, so filling never hashes the same bytes twice.
const checksumCache = new Map<number, Map<number, bigint | number>>();
const MAX_CACHED_CHECKSUMS = 1 << 16;
const patternCache = new Map<string, Uint8Array>();
const MAX_CACHED_PATTERNS = 64;

function payloadChecksum(payload: Uint8Array, kind: HeaderVerifyKind): bigint | number {
  if (kind === "xxh64") return xxh64(payload);
  if (kind === "crc32c") return crc32c(payload);
  return 0;
}

function cachedChecksum(identity: BlockIdentity, payload: Uint8Array): bigint | number {
  if (payload.length > PAYLOAD_CHUNK_BYTES || identity.verify === "pattern") {
    return payloadChecksum(payload, identity.verify);
  }
  const start = chunkStart(identity.lvId, identity.offsetBytes, identity.generation, 0);
  const key = ((start / 8) * (PAYLOAD_CHUNK_BYTES + 1) + payload.length) * 4 + KIND_CODE[identity.verify];
  let perSeed = checksumCache.get(identity.seed);
  if (perSeed === undefined) {
    if (checksumCache.size >= 16) checksumCache.clear();
    perSeed = new Map();
    checksumCache.set(identity.seed, perSeed);
  }
  let sum = perSeed.get(key);
  if (sum === undefined) {
    sum = payloadChecksum(payload, identity.verify);
    if (perSeed.size >= MAX_CACHED_CHECKSUMS) perSeed.clear();
    perSeed.set(key, sum);
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
  if (identity.verify === "pattern") fillPatternPayload(payload, identity.pattern);
  else fillPayload(payload, identity);
  const [lo, hi] = splitChecksum(cachedChecksum(identity, payload));
  const view = new DataView(buf.buffer, buf.byteOffset, HEADER_BYTES);
  view.setUint32(0, HEADER_MAGIC, true);
  view.setUint8(4, HEADER_VERSION);
  view.setUint8(5, KIND_CODE[identity.verify]);
  view.setUint16(6, HEADER_BYTES, true);
  view.setUint32(8, identity.lvId, true);
  view.setUint32(12, buf.length, true);
  setU64(view, 16, identity.offsetBytes);
  setU64(view, 24, identity.generation);
  setU64(view, 32, identity.seed);
  view.setUint32(40, lo, true);
  view.setUint32(44, hi, true);
  buf.fill(0, 48, HEADER_CRC_OFFSET);
  view.setUint32(HEADER_CRC_OFFSET, crc32c(buf.subarray(0, HEADER_CRC_OFFSET)), true);
}

function setU64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value >>> 0, true);
  view.setUint32(at + 4, Math.floor(value / 0x1_0000_0000), true);
}

function getU64(view: DataView, at: number): number {
  return view.getUint32(at + 4, true) * 0x1_0000_0000 + view.getUint32(at, true);
}

/** Parse the header at the start of `buf` without judging it. */
export function readHeader(buf: Uint8Array): VerifyHeader {
  const view = new DataView(buf.buffer, buf.byteOffset, HEADER_BYTES);
  return {
    magic: view.getUint32(0, true),
    version: view.getUint8(4),
    kind: KIND_NAME[view.getUint8(5)],
    headerBytes: view.getUint16(6, true),
    lvId: view.getUint32(8, true),
    lengthBytes: view.getUint32(12, true),
    offsetBytes: getU64(view, 16),
    generation: getU64(view, 24),
    seed: getU64(view, 32),
    checksumLo: view.getUint32(40, true),
    checksumHi: view.getUint32(44, true),
    storedCrc: view.getUint32(HEADER_CRC_OFFSET, true),
    computedCrc: crc32c(buf.subarray(0, HEADER_CRC_OFFSET)),
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

const OK: BlockCheck = { classification: "ok", fioReason: "", detail: "" };

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

function payloadMatches(buf: Uint8Array, expected: BlockExpectation, header: VerifyHeader): boolean {
  const payload = buf.subarray(HEADER_BYTES);
  if (expected.verify === "pattern") {
    return (
      expected.pattern !== undefined && sameBytes(payload, patternBuffer(expected.pattern, payload.length))
    );
  }
  const [lo, hi] = splitChecksum(payloadChecksum(payload, expected.verify));
  return lo === header.checksumLo && hi === header.checksumHi;
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
    fillBlock(scratch, { ...expected, generation });
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
      if (allowed.includes(0)) return { ...OK, foundGeneration: 0 };
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
  if (header.lvId !== expected.lvId || header.offsetBytes !== expected.offsetBytes) {
    const fioReason =
      header.offsetBytes !== expected.offsetBytes
        ? `bad header offset ${header.offsetBytes}, wanted ${expected.offsetBytes}`
        : `bad header lv ${header.lvId}, wanted ${expected.lvId}`;
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
    return tornOrCorrupt(
      buf,
      expected,
      header,
      fioReason,
      `corrupt payload of generation ${header.generation}`,
    );
  }
  if (allowed.includes(header.generation)) return { ...OK, ...found };
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

/** Touch the pool for `seed` so the first timed fill does not pay for building it. */
export function warmVerify(seed: number): void {
  payloadPool(seed);
}
