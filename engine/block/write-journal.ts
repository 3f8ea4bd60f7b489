/**
 * A disk's volatile write cache that outlives the process: a write-through device that journals,
 * since its last completed flush, every write (and discard) in order plus the pre-image of every
 * sector they touched. The image always holds the newest data — what any reader of the running
 * machine sees, real LVM2 tools included — while the journal holds exactly what a power cut may
 * still take away. {@link powerCutJournal} rebuilds the persisted layer from the pre-images,
 * replays the journal into a {@link VolatileCache} and lets the cache's crash policy (drop-all,
 * keep-all, prefix, subset, torn) decide what survives, so a machine kept across `lvmlab lvm`
 * invocations crashes exactly as a scenario's PV does.
 */
import { type CrashOutcome, DEFAULT_MAX_LOG_BYTES, VolatileCache } from "./cache.js";
import type { CrashPolicy } from "./crash-state.js";
import {
  type BlockDevice,
  emptyIoStats,
  type IoOptions,
  type IoStats,
  SECTOR_BYTES,
  type WriteOptions,
} from "./device.js";
import { BlockDeviceError } from "./errors.js";

/** One journaled request, oldest first. */
export interface JournalEntry {
  readonly kind: "write" | "fua" | "discard";
  readonly offsetBytes: number;
  /** The written bytes (empty for a discard). */
  readonly data: Uint8Array;
  /** Discarded length (0 for writes). */
  readonly lengthBytes: number;
}

/** What one device holds in its volatile cache since its last completed flush. */
export interface WriteJournal {
  /** Sector index → the sector's persisted bytes before the first journaled request touched it. */
  readonly preimages: Map<number, Uint8Array>;
  readonly entries: JournalEntry[];
}

/** An empty journal (everything durable). */
export function emptyJournal(): WriteJournal {
  return { preimages: new Map(), entries: [] };
}

/** Bytes a journal holds (entries and pre-images), for its bound. */
export function journalBytes(journal: WriteJournal): number {
  let bytes = journal.preimages.size * SECTOR_BYTES;
  for (const entry of journal.entries) bytes += entry.data.length;
  return bytes;
}

/** Options for a {@link JournalingDevice}. */
export interface JournalingDeviceOptions {
  /** Write back the oldest journaled writes once the journal holds more bytes than this. */
  readonly maxJournalBytes?: number;
}

/** A write-through device that keeps a {@link WriteJournal} of what is not yet durable. */
export class JournalingDevice implements BlockDevice {
  readonly name: string;
  readonly sizeBytes: number;
  readonly stats: IoStats = emptyIoStats();
  readonly #maxBytes: number;
  #bytes: number;

  constructor(
    readonly backing: BlockDevice,
    readonly journal: WriteJournal,
    options: JournalingDeviceOptions = {},
  ) {
    this.name = backing.name;
    this.sizeBytes = backing.sizeBytes;
    this.#maxBytes = options.maxJournalBytes ?? 2 * DEFAULT_MAX_LOG_BYTES;
    this.#bytes = journalBytes(journal);
  }

  read(offsetBytes: number, dst: Uint8Array, options: IoOptions = {}): number {
    this.stats.readOps += 1;
    this.stats.readBytes += dst.length;
    return this.backing.read(offsetBytes, dst, options);
  }

  write(offsetBytes: number, data: Uint8Array, options: WriteOptions = {}): number {
    this.#remember(offsetBytes, data.length);
    const doneNs = this.backing.write(offsetBytes, data, options);
    this.#append({
      kind: options.fua === true ? "fua" : "write",
      offsetBytes,
      data: data.slice(),
      lengthBytes: 0,
    });
    this.stats.writeOps += 1;
    this.stats.writeBytes += data.length;
    return doneNs;
  }

  /** A completed flush makes everything durable: the journal empties. */
  flush(options: IoOptions = {}): number {
    const doneNs = this.backing.flush(options);
    this.journal.preimages.clear();
    this.journal.entries.length = 0;
    this.#bytes = 0;
    this.stats.flushOps += 1;
    return doneNs;
  }

  discard(offsetBytes: number, lengthBytes: number, options: IoOptions = {}): number {
    this.#remember(offsetBytes, lengthBytes);
    const doneNs = this.backing.discard(offsetBytes, lengthBytes, options);
    this.#append({ kind: "discard", offsetBytes, data: new Uint8Array(0), lengthBytes });
    this.stats.discardOps += 1;
    this.stats.discardBytes += lengthBytes;
    return doneNs;
  }

  /** Saves the persisted bytes of every sector in the range not touched since the last flush. */
  #remember(offsetBytes: number, lengthBytes: number): void {
    if (offsetBytes % SECTOR_BYTES !== 0 || lengthBytes % SECTOR_BYTES !== 0) {
      throw new BlockDeviceError(
        "EINVAL",
        this.name,
        offsetBytes,
        lengthBytes,
        "journaled requests must be whole sectors",
      );
    }
    const first = offsetBytes / SECTOR_BYTES;
    const count = lengthBytes / SECTOR_BYTES;
    let runStart = -1;
    const flushRun = (end: number): void => {
      if (runStart < 0) return;
      const bytes = new Uint8Array((end - runStart) * SECTOR_BYTES);
      this.backing.read(runStart * SECTOR_BYTES, bytes);
      for (let s = runStart; s < end; s++) {
        this.journal.preimages.set(
          s,
          bytes.slice((s - runStart) * SECTOR_BYTES, (s - runStart + 1) * SECTOR_BYTES),
        );
      }
      this.#bytes += bytes.length;
      runStart = -1;
    };
    for (let s = first; s < first + count; s++) {
      if (this.journal.preimages.has(s)) flushRun(s);
      else if (runStart < 0) runStart = s;
    }
    flushRun(first + count);
  }

  #append(entry: JournalEntry): void {
    this.journal.entries.push(entry);
    this.#bytes += entry.data.length;
    // A cache writes back its oldest data when it fills: that write is durable from then on.
    while (this.#bytes > this.#maxBytes && this.journal.entries.length > 1) {
      const oldest = this.journal.entries.shift()!;
      this.#bytes -= oldest.data.length;
      const first = oldest.offsetBytes / SECTOR_BYTES;
      const sectors = (oldest.kind === "discard" ? oldest.lengthBytes : oldest.data.length) / SECTOR_BYTES;
      for (let i = 0; i < sectors; i++) {
        if (!this.journal.preimages.has(first + i)) continue;
        // A discarded sector reads back as zeros (a punched hole).
        const bytes =
          oldest.kind === "discard"
            ? new Uint8Array(SECTOR_BYTES)
            : oldest.data.slice(i * SECTOR_BYTES, (i + 1) * SECTOR_BYTES);
        this.journal.preimages.set(first + i, bytes);
      }
    }
  }
}

/**
 * Loses power on a journaled device: puts the pre-images back on `backing` (the persisted layer),
 * replays the journal into a volatile cache over it, and lets `policy` decide which cached writes
 * survive. Returns the cache's outcome; the journal is empty afterwards.
 */
export function powerCutJournal(
  backing: BlockDevice,
  journal: WriteJournal,
  policy: CrashPolicy,
): CrashOutcome {
  for (const [sector, bytes] of journal.preimages) backing.write(sector * SECTOR_BYTES, bytes);
  const cache = new VolatileCache(backing, {
    maxLogBytes: Number.MAX_SAFE_INTEGER,
    maxLogWrites: Number.MAX_SAFE_INTEGER,
  });
  for (const entry of journal.entries) {
    if (entry.kind === "discard") cache.discard(entry.offsetBytes, entry.lengthBytes);
    else cache.write(entry.offsetBytes, entry.data, { fua: entry.kind === "fua" });
  }
  const outcome = cache.powerCut(policy);
  backing.flush();
  journal.preimages.clear();
  journal.entries.length = 0;
  return outcome;
}

const MAGIC = "LVMLABWJ";
const VERSION = 1;
const KIND_CODES = { write: 1, fua: 2, discard: 3 } as const;
const PREIMAGE_CODE = 4;

/** Serialises journals by device name (binary: magic, version, records). */
export function encodeJournals(journals: ReadonlyMap<string, WriteJournal>): Uint8Array {
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  const header = new Uint8Array(16);
  header.set(encoder.encode(MAGIC));
  const hv = new DataView(header.buffer);
  hv.setUint32(8, VERSION, true);
  hv.setUint32(12, journals.size, true);
  chunks.push(header);
  for (const [name, journal] of journals) {
    const nameBytes = encoder.encode(name);
    const head = new Uint8Array(12 + nameBytes.length);
    const v = new DataView(head.buffer);
    v.setUint32(0, nameBytes.length, true);
    v.setUint32(4, journal.preimages.size, true);
    v.setUint32(8, journal.entries.length, true);
    head.set(nameBytes, 12);
    chunks.push(head);
    for (const [sector, bytes] of journal.preimages)
      chunks.push(record(PREIMAGE_CODE, sector * SECTOR_BYTES, bytes, 0));
    for (const entry of journal.entries)
      chunks.push(record(KIND_CODES[entry.kind], entry.offsetBytes, entry.data, entry.lengthBytes));
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function record(code: number, offsetBytes: number, data: Uint8Array, lengthBytes: number): Uint8Array {
  const out = new Uint8Array(21 + data.length);
  const v = new DataView(out.buffer);
  v.setUint8(0, code);
  v.setFloat64(1, offsetBytes, true);
  v.setFloat64(9, lengthBytes, true);
  v.setUint32(17, data.length, true);
  out.set(data, 21);
  return out;
}

/** A journal file that cannot be read; the message says where it went wrong. */
export class JournalFormatError extends Error {
  override readonly name = "JournalFormatError";
}

/** Parses {@link encodeJournals}' bytes; throws {@link JournalFormatError} naming the byte offset. */
export function decodeJournals(bytes: Uint8Array): Map<string, WriteJournal> {
  const decoder = new TextDecoder();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (at: number, n: number, what: string): void => {
    if (at + n > bytes.length) throw new JournalFormatError(`truncated at byte ${at} (${what})`);
  };
  need(0, 16, "header");
  if (decoder.decode(bytes.subarray(0, 8)) !== MAGIC) throw new JournalFormatError("bad magic at byte 0");
  if (view.getUint32(8, true) !== VERSION)
    throw new JournalFormatError(`unknown version ${view.getUint32(8, true)} at byte 8`);
  const count = view.getUint32(12, true);
  const out = new Map<string, WriteJournal>();
  let at = 16;
  for (let d = 0; d < count; d++) {
    need(at, 12, "device header");
    const nameLength = view.getUint32(at, true);
    const preimages = view.getUint32(at + 4, true);
    const entries = view.getUint32(at + 8, true);
    need(at + 12, nameLength, "device name");
    const name = decoder.decode(bytes.subarray(at + 12, at + 12 + nameLength));
    at += 12 + nameLength;
    const journal = emptyJournal();
    for (let i = 0; i < preimages + entries; i++) {
      need(at, 21, "record header");
      const code = view.getUint8(at);
      const offsetBytes = view.getFloat64(at + 1, true);
      const lengthBytes = view.getFloat64(at + 9, true);
      const length = view.getUint32(at + 17, true);
      need(at + 21, length, "record data");
      const data = bytes.slice(at + 21, at + 21 + length);
      if (!Number.isSafeInteger(offsetBytes) || offsetBytes < 0 || offsetBytes % SECTOR_BYTES !== 0) {
        throw new JournalFormatError(`bad offset ${offsetBytes} at byte ${at + 1}`);
      }
      if (i < preimages) {
        if (code !== PREIMAGE_CODE || length !== SECTOR_BYTES)
          throw new JournalFormatError(`bad pre-image at byte ${at}`);
        journal.preimages.set(offsetBytes / SECTOR_BYTES, data);
      } else {
        const kind = Object.entries(KIND_CODES).find(([, c]) => c === code)?.[0] as
          | JournalEntry["kind"]
          | undefined;
        if (kind === undefined) throw new JournalFormatError(`unknown record kind ${code} at byte ${at}`);
        journal.entries.push({ kind, offsetBytes, data, lengthBytes });
      }
      at += 21 + length;
    }
    out.set(name, journal);
  }
  if (at !== bytes.length) throw new JournalFormatError(`${bytes.length - at} trailing bytes at byte ${at}`);
  return out;
}
