/**
 * What a pure decoder made of some exact bytes, found again by comparing bytes. The scan reads the
 * same labels, headers and metadata copies over and over (every command scans; exploration
 * branches replay the same recovery), and still performs every read so simulated time and traces
 * stay the same; only the decoding of bytes it has decoded before is skipped. Keying on the bytes
 * read, never on "nothing wrote there", keeps it right under bit rot, torn writes and any damage.
 *
 * A value must be a function of the key and the bytes alone (put every other input, such as the
 * device name printed in a warning, in the key) and must not be mutated by its users.
 */
import { Buffer } from "node:buffer";

/** Bounds of a {@link BytesMemo}. */
export interface BytesMemoLimits {
  /** Values kept per key; the least recently found goes first. */
  readonly perKey: number;
  /** Bytes kept in all; past it everything is dropped (a rare, cheap reset). */
  readonly totalBytes: number;
  /**
   * Memory one byte of a key's bytes stands for, values included (default 1): a parsed VG text
   * holds many times its bytes, so a memo of big texts must drop sooner than one of headers.
   */
  readonly weight?: number;
}

interface Entry<T> {
  readonly bytes: Uint8Array;
  readonly value: T;
}

/** True when `a` and `b` hold the same bytes (memcmp, no copy). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Values by key and exact bytes, bounded per key and in total bytes. */
export class BytesMemo<T> {
  readonly #limits: BytesMemoLimits;
  readonly #byKey = new Map<string, Entry<T>[]>();
  #bytesKept = 0;

  constructor(limits: BytesMemoLimits) {
    if (!(limits.perKey >= 1) || !(limits.totalBytes >= 1)) {
      throw new RangeError(
        `BytesMemo needs perKey >= 1 and totalBytes >= 1, got ${limits.perKey} and ${limits.totalBytes}`,
      );
    }
    this.#limits = limits;
  }

  /** The value remembered for `key` and exactly these bytes, if any. */
  get(key: string, bytes: Uint8Array): T | undefined {
    const list = this.#byKey.get(key);
    if (list === undefined) return undefined;
    for (let i = 0; i < list.length; i++) {
      const entry = list[i]!;
      if (!sameBytes(entry.bytes, bytes)) continue;
      if (i > 0) {
        list.splice(i, 1);
        list.unshift(entry);
      }
      return entry.value;
    }
    return undefined;
  }

  /**
   * Remembers `value` for `key` and `bytes`. The memo keeps `bytes` as given: pass a copy the
   * caller will never write to again.
   */
  set(key: string, bytes: Uint8Array, value: T): void {
    const cost = bytes.length * (this.#limits.weight ?? 1);
    if (cost > this.#limits.totalBytes) return;
    if (this.#bytesKept + cost > this.#limits.totalBytes) this.clear();
    let list = this.#byKey.get(key);
    if (list === undefined) {
      list = [];
      this.#byKey.set(key, list);
    }
    list.unshift({ bytes, value });
    this.#bytesKept += cost;
    while (list.length > this.#limits.perKey)
      this.#bytesKept -= list.pop()!.bytes.length * (this.#limits.weight ?? 1);
  }

  /** Bytes currently kept, weighted (for tests and bounds). */
  get bytesKept(): number {
    return this.#bytesKept;
  }

  /** Forgets everything. */
  clear(): void {
    this.#byKey.clear();
    this.#bytesKept = 0;
  }
}

/** Largest buffer a {@link ScratchBuffer} keeps between uses. */
const SCRATCH_KEPT_BYTES_MAX = 1024 * 1024;

/**
 * One reusable read buffer, so reads whose bytes are only compared or decoded allocate nothing.
 * `take` hands it out unless it is already out (a read that re-enters the scan, e.g. from a trace
 * listener, gets a fresh one); `give` returns it.
 */
export class ScratchBuffer {
  #free: Uint8Array | undefined;

  /** A buffer of exactly `length` bytes, with stale contents: read into all of it before use. */
  take(length: number): Uint8Array {
    const free = this.#free;
    this.#free = undefined;
    if (free === undefined || free.length < length) return new Uint8Array(length);
    return free.length === length ? free : free.subarray(0, length);
  }

  /** Hands back a buffer from {@link take}; its contents may be overwritten from now on. */
  give(buffer: Uint8Array): void {
    const whole =
      buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength
        ? buffer
        : new Uint8Array(buffer.buffer);
    if (whole.length > SCRATCH_KEPT_BYTES_MAX) return;
    if (this.#free === undefined || whole.length > this.#free.length) this.#free = whole;
  }
}
