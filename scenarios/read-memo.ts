/**
 * Reads remembered for the judges of a shared recovery (scenarios/branch-explore.ts): every point
 * judged on one recovered machine reads the same LVs, which hold the same bytes for each of them
 * (judging never writes), so each span is read through the dm stack once and copied after that.
 * A point re-executed alone would read a machine nothing had read since recovery; the first read
 * of a span is that read, and the copies repeat it.
 */
import type { BlockDevice, IoOptions, WriteOptions } from "../engine/block/device.js";

/** Bytes a memo keeps at most; reads past it go to the device every time. */
const READ_MEMO_BUDGET_BYTES = 64 * 1024 * 1024;

/** Spans read so far, by device and offset. */
export class ReadMemo {
  readonly #byDevice = new Map<BlockDevice, Map<number, Uint8Array>>();
  #bytes = 0;

  /** `device` with its reads remembered here. */
  wrap(device: BlockDevice): BlockDevice {
    let spans = this.#byDevice.get(device);
    if (spans === undefined) {
      spans = new Map();
      this.#byDevice.set(device, spans);
    }
    return new RememberedReads(device, spans, this);
  }

  /** Whether `bytes` more fit the budget; counts them when they do. */
  admit(bytes: number): boolean {
    if (this.#bytes + bytes > READ_MEMO_BUDGET_BYTES) return false;
    this.#bytes += bytes;
    return true;
  }

  /** A write through a wrapped device: what was remembered may be stale. */
  forget(): void {
    for (const spans of this.#byDevice.values()) spans.clear();
    this.#bytes = 0;
  }
}

class RememberedReads implements BlockDevice {
  constructor(
    readonly inner: BlockDevice,
    /** Bytes read at each offset (a span's length is its bytes'). */
    readonly spans: Map<number, Uint8Array>,
    readonly memo: ReadMemo,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  get sizeBytes(): number {
    return this.inner.sizeBytes;
  }

  get stats() {
    return this.inner.stats;
  }

  read(offsetBytes: number, dst: Uint8Array, options?: IoOptions): number {
    const known = this.spans.get(offsetBytes);
    if (known !== undefined && known.length === dst.length) {
      dst.set(known);
      // No time is judged after recovery (the record ends there).
      return options?.issueNs ?? 0;
    }
    // A read that fails is not remembered: the next judge meets the same error.
    const doneNs = this.inner.read(offsetBytes, dst, options);
    if (known === undefined && this.memo.admit(dst.length)) this.spans.set(offsetBytes, dst.slice());
    return doneNs;
  }

  write(offsetBytes: number, data: Uint8Array, options?: WriteOptions): number {
    this.memo.forget();
    return this.inner.write(offsetBytes, data, options);
  }

  flush(options?: IoOptions): number {
    return this.inner.flush(options);
  }

  discard(offsetBytes: number, lengthBytes: number, options?: IoOptions): number {
    this.memo.forget();
    return this.inner.discard(offsetBytes, lengthBytes, options);
  }
}
