/**
 * Small local stand-ins for engine devices, so the workload tests depend only on the BlockDevice
 * contract: a flat memory device with an optional single-server timing model and EIO ranges, and
 * a volatile write cache whose crash states can be enumerated.
 */

import type { BlockDevice, IoOptions, IoStats, WriteOptions } from "../../engine/block/device.js";
import { emptyIoStats } from "../../engine/block/device.js";
import { BlockDeviceError } from "../../engine/block/errors.js";

/** Options of {@link FlatDevice}. */
export interface FlatDeviceOptions {
  /** Service time of every request; requests queue on one server (FIFO). */
  readonly serviceNs?: number;
  /** Extra service time per byte moved. */
  readonly nsPerByte?: number;
  /** Number of parallel servers (queue slots served at once). */
  readonly servers?: number;
}

/** A flat in-memory device with a simple FIFO timing model. */
export class FlatDevice implements BlockDevice {
  readonly stats: IoStats = emptyIoStats();
  readonly bytes: Uint8Array;
  readonly failReads = new Set<number>();
  readonly #serviceNs: number;
  readonly #nsPerByte: number;
  readonly #busyUntil: number[];

  constructor(
    readonly name: string,
    readonly sizeBytes: number,
    options: FlatDeviceOptions = {},
  ) {
    this.bytes = new Uint8Array(sizeBytes);
    this.#serviceNs = options.serviceNs ?? 0;
    this.#nsPerByte = options.nsPerByte ?? 0;
    this.#busyUntil = new Array(options.servers ?? 1).fill(0);
  }

  #complete(issueNs: number, bytes: number): number {
    let best = 0;
    for (let i = 1; i < this.#busyUntil.length; i++)
      if (this.#busyUntil[i]! < this.#busyUntil[best]!) best = i;
    const start = Math.max(issueNs, this.#busyUntil[best]!);
    const done = start + this.#serviceNs + Math.round(bytes * this.#nsPerByte);
    this.#busyUntil[best] = done;
    return done;
  }

  #check(offsetBytes: number, lengthBytes: number): void {
    if (offsetBytes % 512 !== 0 || lengthBytes % 512 !== 0 || offsetBytes + lengthBytes > this.sizeBytes) {
      throw new BlockDeviceError("EINVAL", this.name, offsetBytes, lengthBytes, "misaligned or out of range");
    }
  }

  read(offsetBytes: number, dst: Uint8Array, options: IoOptions = {}): number {
    this.#check(offsetBytes, dst.length);
    for (let s = offsetBytes; s < offsetBytes + dst.length; s += 512) {
      if (this.failReads.has(s / 512))
        throw new BlockDeviceError("EIO", this.name, s, 512, "injected read error");
    }
    dst.set(this.bytes.subarray(offsetBytes, offsetBytes + dst.length));
    this.stats.readOps += 1;
    this.stats.readBytes += dst.length;
    return this.#complete(options.issueNs ?? 0, dst.length);
  }

  write(offsetBytes: number, data: Uint8Array, options: WriteOptions = {}): number {
    this.#check(offsetBytes, data.length);
    this.bytes.set(data, offsetBytes);
    this.stats.writeOps += 1;
    this.stats.writeBytes += data.length;
    return this.#complete(options.issueNs ?? 0, data.length);
  }

  flush(options: IoOptions = {}): number {
    this.stats.flushOps += 1;
    return this.#complete(options.issueNs ?? 0, 0);
  }

  discard(offsetBytes: number, lengthBytes: number, options: IoOptions = {}): number {
    this.#check(offsetBytes, lengthBytes);
    this.bytes.fill(0, offsetBytes, offsetBytes + lengthBytes);
    this.stats.discardOps += 1;
    this.stats.discardBytes += lengthBytes;
    return options.issueNs ?? 0;
  }
}

/** One write sitting in the volatile cache. */
export interface CachedWrite {
  readonly offsetBytes: number;
  readonly data: Uint8Array;
}

/**
 * A volatile write cache in front of a persisted image: writes land in an ordered log until a
 * flush (or FUA) persists them. A crash keeps any subset of the log (the CrashMonkey model).
 */
export class CacheDouble implements BlockDevice {
  readonly stats: IoStats = emptyIoStats();
  readonly persisted: FlatDevice;
  readonly log: CachedWrite[] = [];

  constructor(
    readonly name: string,
    readonly sizeBytes: number,
  ) {
    this.persisted = new FlatDevice(`${name}-media`, sizeBytes);
  }

  read(offsetBytes: number, dst: Uint8Array, options: IoOptions = {}): number {
    this.persisted.read(offsetBytes, dst, options);
    for (const entry of this.log) {
      const lo = Math.max(offsetBytes, entry.offsetBytes);
      const hi = Math.min(offsetBytes + dst.length, entry.offsetBytes + entry.data.length);
      if (lo < hi)
        dst.set(entry.data.subarray(lo - entry.offsetBytes, hi - entry.offsetBytes), lo - offsetBytes);
    }
    return options.issueNs ?? 0;
  }

  write(offsetBytes: number, data: Uint8Array, options: WriteOptions = {}): number {
    this.stats.writeOps += 1;
    this.stats.writeBytes += data.length;
    if (options.fua === true) {
      this.persisted.write(offsetBytes, data);
      // A drive never writes back an older cached copy of an LBA over a newer FUA write.
      for (const entry of this.log) {
        const lo = Math.max(offsetBytes, entry.offsetBytes);
        const hi = Math.min(offsetBytes + data.length, entry.offsetBytes + entry.data.length);
        if (lo < hi)
          entry.data.set(data.subarray(lo - offsetBytes, hi - offsetBytes), lo - entry.offsetBytes);
      }
    } else {
      this.log.push({ offsetBytes, data: data.slice() });
    }
    return options.issueNs ?? 0;
  }

  flush(options: IoOptions = {}): number {
    for (const entry of this.log) this.persisted.write(entry.offsetBytes, entry.data);
    this.log.length = 0;
    this.stats.flushOps += 1;
    return options.issueNs ?? 0;
  }

  discard(): number {
    throw new Error("CacheDouble does not model discard");
  }

  /** The media after a crash that kept the log entries whose bit is set in `mask`, in log order. */
  crashState(mask: number): FlatDevice {
    const image = new FlatDevice(`${this.name}-crash-${mask}`, this.sizeBytes);
    image.bytes.set(this.persisted.bytes);
    this.log.forEach((entry, index) => {
      if ((mask >> index) & 1) image.bytes.set(entry.data, entry.offsetBytes);
    });
    return image;
  }
}
