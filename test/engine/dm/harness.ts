/**
 * Test-only devices for the dm suites: a RAM disk with a volatile write cache (writes since the last
 * flush may be lost at a power cut, FUA writes may not), switchable I/O errors, and a shared
 * "machine" that counts block writes across disks so a test can halt before the Nth one and log
 * the order of every operation. Stands in for engine/block's MemoryDevice + VolatileCache.
 */

import seedrandom from "seedrandom";
import {
  type BlockDevice,
  emptyIoStats,
  type IoOptions,
  type IoStats,
  type WriteOptions,
} from "../../../engine/block/device.js";
import { BlockDeviceError } from "../../../engine/block/errors.js";
import { SimulationHalt } from "../../../engine/sim/halt.js";

/** One operation as seen by the disks, in issue order. */
export interface OpRecord {
  readonly device: string;
  readonly op: "W" | "F" | "R";
  readonly offsetBytes: number;
  readonly lengthBytes: number;
  readonly fua: boolean;
}

/** Shared across a test's disks: write counter, halt point, operation log. */
export class Machine {
  writes = 0;
  haltAtWrite = Number.POSITIVE_INFINITY;
  readonly ops: OpRecord[] = [];
  recordReads = false;

  beforeWrite(device: string): void {
    if (this.writes + 1 >= this.haltAtWrite)
      throw new SimulationHalt("power-cut", `write ${this.writes + 1} to ${device}`);
    this.writes += 1;
  }
}

/** What survives a power cut. */
export type CrashPolicy = "lose-unflushed" | "keep-all" | { readonly subsetSeed: string };

interface PendingWrite {
  readonly offsetBytes: number;
  readonly data: Uint8Array;
}

/** A RAM disk with a volatile cache and injectable failures. */
export class TestDisk implements BlockDevice {
  readonly stats: IoStats = emptyIoStats();
  readonly current: Uint8Array;
  readonly durable: Uint8Array;
  readonly #pending: PendingWrite[] = [];
  failReads = false;
  failWrites = false;
  failFlushes = false;
  /** Service time of a read or write, in virtual ns. */
  latencyNs = 1000;
  /** Service time of a flush, in virtual ns. */
  flushLatencyNs = 5000;

  constructor(
    readonly name: string,
    readonly sizeBytes: number,
    readonly machine: Machine = new Machine(),
    image?: Uint8Array,
  ) {
    this.current = new Uint8Array(sizeBytes);
    if (image !== undefined) this.current.set(image);
    this.durable = this.current.slice();
  }

  /** Fail every request from now on, like a pulled disk. */
  kill(): void {
    this.failReads = true;
    this.failWrites = true;
    this.failFlushes = true;
  }

  read(offsetBytes: number, dst: Uint8Array, options: IoOptions = {}): number {
    this.#check(offsetBytes, dst.byteLength);
    if (this.machine.recordReads) this.#record("R", offsetBytes, dst.byteLength, false);
    if (this.failReads)
      throw new BlockDeviceError("EIO", this.name, offsetBytes, dst.byteLength, "injected read error");
    dst.set(this.current.subarray(offsetBytes, offsetBytes + dst.byteLength));
    this.stats.readOps += 1;
    this.stats.readBytes += dst.byteLength;
    return (options.issueNs ?? 0) + this.latencyNs;
  }

  write(offsetBytes: number, data: Uint8Array, options: WriteOptions = {}): number {
    this.#check(offsetBytes, data.byteLength);
    this.machine.beforeWrite(this.name);
    if (this.failWrites)
      throw new BlockDeviceError("EIO", this.name, offsetBytes, data.byteLength, "injected write error");
    this.#record("W", offsetBytes, data.byteLength, options.fua ?? false);
    this.current.set(data, offsetBytes);
    if (options.fua) this.durable.set(data, offsetBytes);
    else this.#pending.push({ offsetBytes, data: data.slice() });
    this.stats.writeOps += 1;
    this.stats.writeBytes += data.byteLength;
    return (options.issueNs ?? 0) + this.latencyNs;
  }

  flush(options: IoOptions = {}): number {
    if (this.failFlushes) throw new BlockDeviceError("EIO", this.name, 0, 0, "injected flush error");
    this.#record("F", 0, 0, false);
    for (const w of this.#pending)
      this.durable.set(
        this.current.subarray(w.offsetBytes, w.offsetBytes + w.data.byteLength),
        w.offsetBytes,
      );
    this.#pending.length = 0;
    this.stats.flushOps += 1;
    return (options.issueNs ?? 0) + this.flushLatencyNs;
  }

  discard(offsetBytes: number, lengthBytes: number, options: IoOptions = {}): number {
    this.#check(offsetBytes, lengthBytes);
    this.current.fill(0, offsetBytes, offsetBytes + lengthBytes);
    this.#pending.push({ offsetBytes, data: new Uint8Array(lengthBytes) });
    return options.issueNs ?? 0;
  }

  /** The image a power cut leaves behind under `policy`. */
  crashImage(policy: CrashPolicy): Uint8Array {
    if (policy === "keep-all") return this.current.slice();
    const image = this.durable.slice();
    if (policy === "lose-unflushed") return image;
    const rng = seedrandom(`${policy.subsetSeed}/${this.name}`);
    for (const w of this.#pending) if (rng() < 0.5) image.set(w.data, w.offsetBytes);
    return image;
  }

  #record(op: OpRecord["op"], offsetBytes: number, lengthBytes: number, fua: boolean): void {
    this.machine.ops.push({ device: this.name, op, offsetBytes, lengthBytes, fua });
  }

  #check(offsetBytes: number, lengthBytes: number): void {
    if (offsetBytes % 512 !== 0 || lengthBytes % 512 !== 0 || offsetBytes + lengthBytes > this.sizeBytes) {
      throw new BlockDeviceError("EINVAL", this.name, offsetBytes, lengthBytes, "bad test request");
    }
  }
}

/** Reboot a set of disks after a power cut: fresh disks on a fresh machine holding the crash images. */
export function rebootDisks(
  disks: readonly TestDisk[],
  policy: CrashPolicy,
): { machine: Machine; disks: TestDisk[] } {
  const machine = new Machine();
  return {
    machine,
    disks: disks.map((d) => new TestDisk(d.name, d.sizeBytes, machine, d.crashImage(policy))),
  };
}

/** Seeded random source for tests. */
export function rng(seed: string): () => number {
  return seedrandom(seed);
}

/** A random integer in [0, n). */
export function randInt(random: () => number, n: number): number {
  return Math.floor(random() * n);
}

/** A block whose bytes identify (tag, generation): the first 4 bytes hold the generation. */
export function patternBlock(lengthBytes: number, generation: number): Uint8Array {
  const block = new Uint8Array(lengthBytes);
  const fill = (generation * 2654435761) >>> 24 || 1;
  block.fill(fill);
  new DataView(block.buffer).setUint32(0, generation, true);
  return block;
}

/** The generation stored in a block made by {@link patternBlock} (0 for a never-written zero block). */
export function generationOf(block: Uint8Array): number {
  return new DataView(block.buffer, block.byteOffset, 4).getUint32(0, true);
}

/** First differing byte offset between two arrays, or -1. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.byteLength === b.byteLength ? -1 : n;
}
