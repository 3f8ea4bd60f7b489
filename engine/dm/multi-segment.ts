/**
 * A mapped device made of several table lines, e.g. an LV with several segments: targets laid end
 * to end by sector, requests split at target boundaries exactly as dm core splits bios.
 */

import {
  type BlockDevice,
  emptyIoStats,
  type IoOptions,
  type IoStats,
  SECTOR_BYTES,
  type WriteOptions,
} from "../block/device.js";
import type { BlockDeviceError } from "../block/errors.js";
import {
  canSharePages,
  type PageOp,
  type PageSharingDevice,
  type PagesRead,
  pagesLengthBytes,
  readPagesFrom,
  writePagesTo,
} from "../block/page-share.js";
import { canQueueWrites, type QueuedDone, type QueuedWriter } from "../block/queued.js";
import { checkRequest, type MappedDevice, type Target, targetLine } from "./target.js";

/** Upper bound on table lines; LVM2's own limit on segments per LV is far below this. */
const MAX_SEGMENTS = 65_536;

/** Targets concatenated into one mapped device; each target keeps its own offsets starting at 0. */
export class MultiSegmentDevice implements MappedDevice, PageSharingDevice, QueuedWriter {
  readonly sizeBytes: number;
  readonly lengthSectors: number;
  readonly stats: IoStats = emptyIoStats();
  readonly #targets: readonly Target[];
  /** Start byte of each target, ascending; `#startsBytes[i + 1]` is target i's end. */
  readonly #startsBytes: number[];

  constructor(
    readonly name: string,
    targets: readonly Target[],
  ) {
    if (targets.length === 0 || targets.length > MAX_SEGMENTS) {
      throw new RangeError(`Mapped device ${name}: needs 1..${MAX_SEGMENTS} targets, got ${targets.length}`);
    }
    this.#targets = [...targets];
    this.#startsBytes = [0];
    let end = 0;
    for (const target of targets) {
      end += target.sizeBytes;
      this.#startsBytes.push(end);
    }
    this.sizeBytes = end;
    this.lengthSectors = end / SECTOR_BYTES;
  }

  /** The targets in table order. */
  get targets(): readonly Target[] {
    return this.#targets;
  }

  table(): string {
    return this.#targets
      .map((t, i) => targetLine(t, { startSectors: this.#startsBytes[i]! / SECTOR_BYTES, args: t.params() }))
      .join("\n");
  }

  status(): string {
    return this.#targets
      .map((t, i) =>
        targetLine(t, { startSectors: this.#startsBytes[i]! / SECTOR_BYTES, args: t.statusParams() }),
      )
      .join("\n");
  }

  read(offsetBytes: number, dst: Uint8Array, options: IoOptions = {}): number {
    checkRequest(this, { offsetBytes, lengthBytes: dst.byteLength });
    this.stats.readOps += 1;
    this.stats.readBytes += dst.byteLength;
    const issueNs = options.issueNs ?? 0;
    return this.#split(offsetBytes, dst.byteLength, issueNs, (t, off, at, len) =>
      t.read(off, dst.subarray(at, at + len), { issueNs }),
    );
  }

  write(offsetBytes: number, data: Uint8Array, options: WriteOptions = {}): number {
    checkRequest(this, { offsetBytes, lengthBytes: data.byteLength });
    this.stats.writeOps += 1;
    this.stats.writeBytes += data.byteLength;
    const issueNs = options.issueNs ?? 0;
    const fua = options.fua ?? false;
    return this.#split(offsetBytes, data.byteLength, issueNs, (t, off, at, len) =>
      t.write(off, data.subarray(at, at + len), { issueNs, fua }),
    );
  }

  /** True when every target takes queued writes (thin LVs over a pool that can hold them). */
  get queueing(): boolean {
    return this.#targets.every((t) => canQueueWrites(t));
  }

  /** Splits a queued write at target boundaries; it is done when every piece is, failed if any failed. */
  submitWrite(offsetBytes: number, data: Uint8Array, options: WriteOptions, done: QueuedDone): void {
    checkRequest(this, { offsetBytes, lengthBytes: data.byteLength });
    this.stats.writeOps += 1;
    this.stats.writeBytes += data.byteLength;
    const pieces: [Target & QueuedWriter, number, number, number][] = [];
    this.#split(offsetBytes, data.byteLength, 0, (t, off, at, len) => {
      if (!canQueueWrites(t))
        throw new Error(`Mapped device ${this.name}: target ${t.name} takes no queued writes`);
      pieces.push([t as Target & QueuedWriter, off, at, len]);
      return 0;
    });
    let left = pieces.length;
    let completeNs = 0;
    let error: BlockDeviceError | undefined;
    for (const [target, off, at, len] of pieces) {
      target.submitWrite(off, data.subarray(at, at + len), options, (piece) => {
        completeNs = Math.max(completeNs, piece.completeNs);
        error ??= piece.error;
        left -= 1;
        if (left === 0) done(error === undefined ? { completeNs } : { completeNs, error });
      });
    }
  }

  flush(options: IoOptions = {}): number {
    this.stats.flushOps += 1;
    const issueNs = options.issueNs ?? 0;
    let doneNs = issueNs;
    for (const target of this.#targets) doneNs = Math.max(doneNs, target.flush({ issueNs }));
    return doneNs;
  }

  discard(offsetBytes: number, lengthBytes: number, options: IoOptions = {}): number {
    checkRequest(this, { offsetBytes, lengthBytes });
    this.stats.discardOps += 1;
    this.stats.discardBytes += lengthBytes;
    const issueNs = options.issueNs ?? 0;
    return this.#split(offsetBytes, lengthBytes, issueNs, (t, off, _at, len) =>
      t.discard(off, len, { issueNs }),
    );
  }

  /** Pages pass through when the range lies within one target that passes them. */
  canSharePages(op: PageOp, offsetBytes: number, lengthBytes: number): boolean {
    if (offsetBytes < 0 || offsetBytes + lengthBytes > this.sizeBytes) return false;
    const index = this.#targetAt(offsetBytes);
    const start = this.#startsBytes[index]!;
    if (offsetBytes + lengthBytes > this.#startsBytes[index + 1]!) return false;
    return canSharePages(this.#targets[index]!, op, offsetBytes - start, lengthBytes);
  }

  /** {@link read} of a range within one target, handing its pages over. */
  readPages(offsetBytes: number, lengthBytes: number, options: IoOptions = {}): PagesRead {
    checkRequest(this, { offsetBytes, lengthBytes });
    this.stats.readOps += 1;
    this.stats.readBytes += lengthBytes;
    const issueNs = options.issueNs ?? 0;
    const index = this.#targetAt(offsetBytes);
    const read = readPagesFrom(this.#targets[index]!, offsetBytes - this.#startsBytes[index]!, lengthBytes, {
      issueNs,
    });
    return { pages: read.pages, doneNs: Math.max(issueNs, read.doneNs) };
  }

  /** {@link write} of pages within one target. */
  writePages(offsetBytes: number, pages: readonly Uint8Array[], options: WriteOptions = {}): number {
    const lengthBytes = pagesLengthBytes(pages);
    checkRequest(this, { offsetBytes, lengthBytes });
    this.stats.writeOps += 1;
    this.stats.writeBytes += lengthBytes;
    const issueNs = options.issueNs ?? 0;
    const index = this.#targetAt(offsetBytes);
    const doneNs = writePagesTo(this.#targets[index]!, offsetBytes - this.#startsBytes[index]!, pages, {
      issueNs,
      fua: options.fua ?? false,
    });
    return Math.max(issueNs, doneNs);
  }

  /** Index of the target holding byte `offsetBytes` (binary search over the starts). */
  #targetAt(offsetBytes: number): number {
    let lo = 0;
    let hi = this.#targets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#startsBytes[mid]! <= offsetBytes) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Issue the pieces in parallel: completion is the latest piece's. */
  #split(
    offsetBytes: number,
    lengthBytes: number,
    issueNs: number,
    io: (
      target: BlockDevice,
      targetOffsetBytes: number,
      bufferOffsetBytes: number,
      lengthBytes: number,
    ) => number,
  ): number {
    let doneNs = issueNs;
    let index = this.#targetAt(offsetBytes);
    let done = 0;
    while (done < lengthBytes) {
      const target = this.#targets[index]!;
      const start = this.#startsBytes[index]!;
      const end = this.#startsBytes[index + 1]!;
      const pos = offsetBytes + done;
      const len = Math.min(lengthBytes - done, end - pos);
      doneNs = Math.max(doneNs, io(target, pos - start, done, len));
      done += len;
      index += 1;
    }
    return doneNs;
  }
}
