/**
 * A BlockDevice with a timing model: data goes to the wrapped device unchanged, and completion
 * times come from a device profile, the device's request queue and an optional shared bus.
 */
import {
  type Bus,
  type DeviceCounters,
  type DeviceProfile,
  DeviceQueue,
  type Mutations,
  type Rng,
} from "../sim/mod.js";
import type { BlockDevice, IoOptions, IoStats, WriteOptions } from "./device.js";
import {
  canSharePages,
  type PageOp,
  type PageSharingDevice,
  type PagesRead,
  pagesLengthBytes,
  readPagesFrom,
  writePagesTo,
} from "./page-share.js";

/** Options for a {@link TimedDevice}. */
export interface TimedDeviceOptions {
  /** Shared bus or controller this device sits behind. */
  readonly bus?: Bus;
  /** Device timing stream for rotational position and jitter, e.g. `rng.fork("timing").fork(name)`. */
  readonly rng?: Rng;
  /** Deliberate timing bugs to build in (see `MUTATION_BANDWIDTH_PER_SERVER`); empty in normal runs. */
  readonly mutations?: Mutations;
}

/**
 * Wraps `inner` with `profile`'s timing. The data path, errors and {@link IoStats} are the inner
 * device's; a request that fails there costs no modelled time. When the inner device reports a
 * later completion than the model (it is itself timed or delayed), the later time wins.
 */
export class TimedDevice implements BlockDevice, PageSharingDevice {
  /** The queue holding this device's timing state and utilisation counters. */
  readonly queue: DeviceQueue;

  constructor(
    readonly inner: BlockDevice,
    profile: DeviceProfile,
    options: TimedDeviceOptions = {},
  ) {
    this.queue = new DeviceQueue(profile, options);
  }

  /** The inner device's name. */
  get name(): string {
    return this.inner.name;
  }

  /** The inner device's size. */
  get sizeBytes(): number {
    return this.inner.sizeBytes;
  }

  /** The inner device's counters; timing adds no I/O of its own. */
  get stats(): IoStats {
    return this.inner.stats;
  }

  /** The timing profile in use. */
  get profile(): DeviceProfile {
    return this.queue.profile;
  }

  /** Utilisation counters of the device's queue. */
  get counters(): Readonly<DeviceCounters> {
    return this.queue.counters;
  }

  /** Read through the inner device; completes when the model says. */
  read(offsetBytes: number, dst: Uint8Array, options: IoOptions = {}): number {
    const issueNs = options.issueNs ?? 0;
    const innerNs = this.inner.read(offsetBytes, dst, { issueNs });
    return Math.max(innerNs, this.queue.completeNs("read", offsetBytes, dst.length, false, issueNs));
  }

  /** Write through the inner device; a FUA write pays a flush on a device with a volatile cache. */
  write(offsetBytes: number, data: Uint8Array, options: WriteOptions = {}): number {
    const issueNs = options.issueNs ?? 0;
    const fua = options.fua === true;
    const innerNs = this.inner.write(offsetBytes, data, { issueNs, fua });
    return Math.max(innerNs, this.queue.completeNs("write", offsetBytes, data.length, fua, issueNs));
  }

  /** Pages pass through when the inner device takes them; timing is the same as for bytes. */
  canSharePages(op: PageOp, offsetBytes: number, lengthBytes: number): boolean {
    return canSharePages(this.inner, op, offsetBytes, lengthBytes);
  }

  /** {@link read} handing the inner device's pages over. */
  readPages(offsetBytes: number, lengthBytes: number, options: IoOptions = {}): PagesRead {
    const issueNs = options.issueNs ?? 0;
    const { pages, doneNs } = readPagesFrom(this.inner, offsetBytes, lengthBytes, { issueNs });
    return {
      pages,
      doneNs: Math.max(doneNs, this.queue.completeNs("read", offsetBytes, lengthBytes, false, issueNs)),
    };
  }

  /** {@link write} of pages the inner device may keep. */
  writePages(offsetBytes: number, pages: readonly Uint8Array[], options: WriteOptions = {}): number {
    const issueNs = options.issueNs ?? 0;
    const fua = options.fua === true;
    const lengthBytes = pagesLengthBytes(pages);
    const innerNs = writePagesTo(this.inner, offsetBytes, pages, { issueNs, fua });
    return Math.max(innerNs, this.queue.completeNs("write", offsetBytes, lengthBytes, fua, issueNs));
  }

  /** Flush the inner device; waits for every request accepted before it. */
  flush(options: IoOptions = {}): number {
    const issueNs = options.issueNs ?? 0;
    const innerNs = this.inner.flush({ issueNs });
    return Math.max(innerNs, this.queue.completeNs("flush", 0, 0, false, issueNs));
  }

  /** Discard on the inner device; costs a command, no transfer. */
  discard(offsetBytes: number, lengthBytes: number, options: IoOptions = {}): number {
    const issueNs = options.issueNs ?? 0;
    const innerNs = this.inner.discard(offsetBytes, lengthBytes, { issueNs });
    return Math.max(innerNs, this.queue.completeNs("discard", offsetBytes, lengthBytes, false, issueNs));
  }
}
