import type { IoOptions, IoStats, WriteOptions } from "../../block/device.js";
import { emptyIoStats } from "../../block/device.js";
import {
  canSharePages,
  type PageOp,
  type PageSharingDevice,
  type PagesRead,
  pagesLengthBytes,
  readPagesFrom,
  writePagesTo,
} from "../../block/page-share.js";
import { canQueueWrites, type QueuedDone, type QueuedWriter } from "../../block/queued.js";
import type { MappedDevice } from "../../dm/target.js";

/**
 * A device-mapper device as the kernel keeps it: a name whose table can be replaced (suspend, load,
 * resume) while the devices stacked on it keep pointing at the same device. pvmove checkpoints and
 * lvconvert reload tables this way without rebuilding their parents.
 */
export class DmDevice implements MappedDevice, PageSharingDevice, QueuedWriter {
  readonly stats: IoStats = emptyIoStats();
  #table: MappedDevice;
  #reloads = 0;

  constructor(
    readonly name: string,
    table: MappedDevice,
  ) {
    this.#table = table;
  }

  /** The live table. */
  get live(): MappedDevice {
    return this.#table;
  }

  /** Tables loaded after the first one. */
  get reloads(): number {
    return this.#reloads;
  }

  get sizeBytes(): number {
    return this.#table.sizeBytes;
  }

  get lengthSectors(): number {
    return this.#table.lengthSectors;
  }

  /** Replaces the table (the new one must not shrink under parents that map past its end). */
  reload(table: MappedDevice): void {
    this.#table = table;
    this.#reloads += 1;
  }

  table(): string {
    return this.#table.table();
  }

  status(): string {
    return this.#table.status();
  }

  read(offsetBytes: number, dst: Uint8Array, options?: IoOptions): number {
    const done = this.#table.read(offsetBytes, dst, options);
    this.stats.readOps += 1;
    this.stats.readBytes += dst.byteLength;
    return done;
  }

  write(offsetBytes: number, data: Uint8Array, options?: WriteOptions): number {
    const done = this.#table.write(offsetBytes, data, options);
    this.stats.writeOps += 1;
    this.stats.writeBytes += data.byteLength;
    return done;
  }

  /** Pages pass through to the live table when it passes them. */
  canSharePages(op: PageOp, offsetBytes: number, lengthBytes: number): boolean {
    return canSharePages(this.#table, op, offsetBytes, lengthBytes);
  }

  /** {@link read} handing the live table's pages over. */
  readPages(offsetBytes: number, lengthBytes: number, options?: IoOptions): PagesRead {
    const read = readPagesFrom(this.#table, offsetBytes, lengthBytes, options);
    this.stats.readOps += 1;
    this.stats.readBytes += lengthBytes;
    return read;
  }

  /** {@link write} of pages the live table may keep. */
  writePages(offsetBytes: number, pages: readonly Uint8Array[], options?: WriteOptions): number {
    const done = writePagesTo(this.#table, offsetBytes, pages, options);
    this.stats.writeOps += 1;
    this.stats.writeBytes += pagesLengthBytes(pages);
    return done;
  }

  /** True when the live table takes queued writes (a thin LV whose pool can hold them). */
  get queueing(): boolean {
    return canQueueWrites(this.#table);
  }

  /** Passes a queued write to the live table. */
  submitWrite(offsetBytes: number, data: Uint8Array, options: WriteOptions, done: QueuedDone): void {
    const table = this.#table;
    if (!canQueueWrites(table)) throw new Error(`Device ${this.name}: its table takes no queued writes`);
    table.submitWrite(offsetBytes, data, options, done);
    this.stats.writeOps += 1;
    this.stats.writeBytes += data.byteLength;
  }

  flush(options?: IoOptions): number {
    const done = this.#table.flush(options);
    this.stats.flushOps += 1;
    return done;
  }

  discard(offsetBytes: number, lengthBytes: number, options?: IoOptions): number {
    const done = this.#table.discard(offsetBytes, lengthBytes, options);
    this.stats.discardOps += 1;
    this.stats.discardBytes += lengthBytes;
    return done;
  }
}
