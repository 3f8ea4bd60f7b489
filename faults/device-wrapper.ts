import {
  type BlockDevice,
  emptyIoStats,
  type IoOptions,
  type IoStats,
  SECTOR_BYTES,
  type WriteOptions,
} from "../engine/block/device.js";
import { BlockDeviceError } from "../engine/block/errors.js";
import {
  canSharePages,
  concatPages,
  type PageOp,
  type PageSharingDevice,
  type PagesRead,
  pagesLengthBytes,
  readPagesFrom,
  writePagesTo,
} from "../engine/block/mod.js";
import type { WriteTap } from "./trigger.js";

/**
 * `FaultyDevice` wraps one PV so device-level faults can act on its requests. Active faults are
 * effects with a stage; every request passes them in stage order, so faults on the same device
 * compose the same way every run: a lost device fails before a flakey one drops a write, a
 * misdirected write is redirected before it is torn, latency is added last.
 */

/** The order in which effects see a request; lower runs first. */
export const EffectStage = {
  loss: 10,
  flakey: 20,
  latent: 30,
  misdirect: 40,
  torn: 50,
  rot: 60,
  latency: 70,
} as const;

/** The kind of request an effect is looking at. */
export type IoKind = "read" | "write" | "flush" | "discard";

/** One request as effects see it. `offsetBytes`/`lengthBytes` are 0 for a flush. */
export interface IoRequest {
  readonly op: IoKind;
  readonly device: string;
  readonly offsetBytes: number;
  readonly lengthBytes: number;
  readonly issueNs: number;
  /** 1-based index of this write on this device (0 for other requests). */
  readonly writeIndex: number;
}

/** What an effect does to a write: let it through, swallow it, move it, change it, or tear it. */
export type WriteAction =
  | { readonly kind: "pass" }
  | { readonly kind: "drop" }
  | { readonly kind: "redirect"; readonly offsetBytes: number }
  | { readonly kind: "replace"; readonly data: Uint8Array }
  | { readonly kind: "keep-sectors"; readonly sectors: readonly number[] };

/** A device-level fault while it is active. Every hook is optional. */
export interface DeviceEffect {
  /** Names the fault in errors, e.g. "pv-loss#0". */
  readonly label: string;
  readonly stage: number;
  /** False for faults a reboot clears (a one-shot tear); true for a broken disk. Default true. */
  readonly survivesReboot?: boolean;
  /** Throw a BlockDeviceError to fail the request. */
  check?(request: IoRequest): void;
  /** Decide the fate of a write; `data` is what earlier effects left of it. */
  planWrite?(request: IoRequest, data: Uint8Array): WriteAction;
  /** Change what a successful read returns, in place. */
  afterRead?(request: IoRequest, dst: Uint8Array): void;
  /** Learn where a write really landed (e.g. to heal latent sectors). */
  afterWrite?(request: IoRequest, landedOffsetBytes: number, lengthBytes: number): void;
  /** Return the new service time for the request. */
  latency?(request: IoRequest, serviceNs: number): number;
}

/** Options for {@link FaultyDevice}. */
export interface FaultyDeviceOptions {
  /** Where block writes are announced before they happen (write triggers listen here). */
  readonly tap?: WriteTap;
}

/** Largest number of effects on one device, so a runaway scenario fails loudly. */
const EFFECTS_PER_DEVICE_MAX = 256;

/** A BlockDevice wrapper through which device-level faults act on one PV. */
export class FaultyDevice implements BlockDevice, PageSharingDevice {
  readonly name: string;
  readonly sizeBytes: number;
  readonly stats: IoStats = emptyIoStats();
  readonly #inner: BlockDevice;
  readonly #tap: WriteTap | undefined;
  #effects: DeviceEffect[] = [];
  #writes = 0;
  #powerLostAt: string | undefined;

  constructor(inner: BlockDevice, options: FaultyDeviceOptions = {}) {
    this.#inner = inner;
    this.name = inner.name;
    this.sizeBytes = inner.sizeBytes;
    this.#tap = options.tap;
  }

  /** The wrapped device (the media and cache below the faults). */
  get inner(): BlockDevice {
    return this.#inner;
  }

  /** Block writes issued to this device so far, including failed and dropped ones. */
  get writeCount(): number {
    return this.#writes;
  }

  /** The active effects in the order requests meet them. */
  get effects(): readonly DeviceEffect[] {
    return this.#effects;
  }

  /** Activate an effect; returns a function that removes it. */
  addEffect(effect: DeviceEffect): () => void {
    if (this.#effects.length >= EFFECTS_PER_DEVICE_MAX) {
      throw new RangeError(
        `Cannot add fault ${effect.label} to ${this.name}: already ${this.#effects.length} active faults`,
      );
    }
    // Stable insert keeps same-stage effects in activation order.
    const at = this.#effects.findIndex((e) => e.stage > effect.stage);
    const next = [...this.#effects];
    next.splice(at < 0 ? next.length : at, 0, effect);
    this.#effects = next;
    return () => {
      this.#effects = this.#effects.filter((e) => e !== effect);
    };
  }

  /**
   * Take over `other`'s write count and stats (crash-point branching). Its active effects cannot
   * be carried over, so a wrapper with any is refused, as is one that lost power.
   */
  adoptCountsOf(other: FaultyDevice): void {
    if (other.#effects.length > 0 || other.#powerLostAt !== undefined) {
      throw new Error(`Cannot branch from ${other.name}: it has active faults or no power`);
    }
    this.#writes = other.#writes;
    Object.assign(this.stats, other.stats);
  }

  /** Carry the faults that outlive a reboot (a lost PV stays lost) over from the old wrapper. */
  adoptEffects(from: FaultyDevice): void {
    for (const effect of from.effects) if (effect.survivesReboot !== false) this.addEffect(effect);
  }

  /** Refuse all further I/O: the machine lost power and must be rebooted. */
  powerOff(at: string): void {
    this.#powerLostAt = at;
  }

  /** Power is back after the reboot: accept I/O again and forget the one-shot faults a reboot clears. */
  powerOn(): void {
    this.#powerLostAt = undefined;
    this.#effects = this.#effects.filter((e) => e.survivesReboot !== false);
  }

  /** True between a power cut and the reboot. */
  get poweredOff(): boolean {
    return this.#powerLostAt !== undefined;
  }

  read(offsetBytes: number, dst: Uint8Array, options: IoOptions = {}): number {
    const request = this.#request("read", offsetBytes, dst.length, options, 0);
    if (this.#effects.length === 0) {
      const doneNs = this.#inner.read(offsetBytes, dst, options);
      this.stats.readOps += 1;
      this.stats.readBytes += dst.length;
      return doneNs;
    }
    for (const effect of this.#effects) effect.check?.(request);
    const doneNs = this.#inner.read(offsetBytes, dst, options);
    for (const effect of this.#effects) effect.afterRead?.(request, dst);
    this.stats.readOps += 1;
    this.stats.readBytes += dst.length;
    return this.#finish(request, doneNs);
  }

  write(offsetBytes: number, data: Uint8Array, options: WriteOptions = {}): number {
    const request = this.#request("write", offsetBytes, data.length, options, this.#writes + 1);
    this.#writes += 1;
    // Triggers fire here, before the write: a fault "at write N" affects write N itself.
    this.#tap?.observe(request);
    this.#assertPowered();
    if (this.#effects.length === 0) {
      const doneNs = this.#inner.write(offsetBytes, data, options);
      this.stats.writeOps += 1;
      this.stats.writeBytes += data.length;
      return doneNs;
    }
    return this.#writeThroughEffects(request, data, options);
  }

  /** Pages pass through while no fault acts on this device (one could change or fail the request). */
  canSharePages(op: PageOp, offsetBytes: number, lengthBytes: number): boolean {
    return (
      this.#effects.length === 0 &&
      this.#powerLostAt === undefined &&
      canSharePages(this.#inner, op, offsetBytes, lengthBytes)
    );
  }

  /** {@link read} handing the inner device's pages over; with faults active, read and split. */
  readPages(offsetBytes: number, lengthBytes: number, options: IoOptions = {}): PagesRead {
    if (this.#effects.length > 0) return readPagesFrom(this.#asBytes(), offsetBytes, lengthBytes, options);
    this.#request("read", offsetBytes, lengthBytes, options, 0);
    const read = readPagesFrom(this.#inner, offsetBytes, lengthBytes, options);
    this.stats.readOps += 1;
    this.stats.readBytes += lengthBytes;
    return read;
  }

  /** {@link write} of pages: taps and counts as a write; a fault the tap armed sees the bytes. */
  writePages(offsetBytes: number, pages: readonly Uint8Array[], options: WriteOptions = {}): number {
    const lengthBytes = pagesLengthBytes(pages);
    const request = this.#request("write", offsetBytes, lengthBytes, options, this.#writes + 1);
    this.#writes += 1;
    this.#tap?.observe(request);
    this.#assertPowered();
    if (this.#effects.length > 0) return this.#writeThroughEffects(request, concatPages(pages), options);
    const doneNs = writePagesTo(this.#inner, offsetBytes, pages, options);
    this.stats.writeOps += 1;
    this.stats.writeBytes += lengthBytes;
    return doneNs;
  }

  // This device as plain read/write, for the fallbacks of the page methods.
  #asBytes(): BlockDevice {
    return {
      name: this.name,
      sizeBytes: this.sizeBytes,
      stats: this.stats,
      read: (offsetBytes, dst, options) => this.read(offsetBytes, dst, options),
      write: (offsetBytes, data, options) => this.write(offsetBytes, data, options),
      flush: (options) => this.flush(options),
      discard: (offsetBytes, lengthBytes, options) => this.discard(offsetBytes, lengthBytes, options),
    };
  }

  #writeThroughEffects(request: IoRequest, data: Uint8Array, options: WriteOptions): number {
    const { offsetBytes } = request;
    const effects = this.#effects;
    for (const effect of effects) effect.check?.(request);
    let landedOffsetBytes = offsetBytes;
    let payload = data;
    let keep: Set<number> | undefined;
    for (const effect of effects) {
      if (effect.planWrite === undefined) continue;
      const action = effect.planWrite({ ...request, offsetBytes: landedOffsetBytes }, payload);
      if (action.kind === "drop") return this.#countWrite(request, request.issueNs, data.length);
      if (action.kind === "redirect") {
        this.#assertRange(`write redirected by ${effect.label}`, action.offsetBytes, payload.length);
        landedOffsetBytes = action.offsetBytes;
      } else if (action.kind === "replace") {
        if (action.data.length !== payload.length) {
          throw new RangeError(
            `Fault ${effect.label} replaced a ${payload.length}-byte write on ${this.name} with ${action.data.length} bytes`,
          );
        }
        payload = action.data;
      } else if (action.kind === "keep-sectors") {
        const mine = new Set(action.sectors);
        keep = keep === undefined ? mine : new Set([...keep].filter((s) => mine.has(s)));
      }
    }
    const doneNs =
      keep === undefined
        ? this.#inner.write(landedOffsetBytes, payload, options)
        : this.#writeSectors(landedOffsetBytes, payload, keep, options);
    for (const effect of effects) effect.afterWrite?.(request, landedOffsetBytes, payload.length);
    return this.#countWrite(request, doneNs, data.length);
  }

  flush(options: IoOptions = {}): number {
    const request = this.#request("flush", 0, 0, options, 0);
    for (const effect of this.#effects) effect.check?.(request);
    const doneNs = this.#inner.flush(options);
    this.stats.flushOps += 1;
    return this.#finish(request, doneNs);
  }

  discard(offsetBytes: number, lengthBytes: number, options: IoOptions = {}): number {
    const request = this.#request("discard", offsetBytes, lengthBytes, options, 0);
    for (const effect of this.#effects) effect.check?.(request);
    const doneNs = this.#inner.discard(offsetBytes, lengthBytes, options);
    this.stats.discardOps += 1;
    this.stats.discardBytes += lengthBytes;
    return this.#finish(request, doneNs);
  }

  #request(op: IoKind, offsetBytes: number, lengthBytes: number, options: IoOptions, writeIndex: number) {
    this.#assertPowered();
    if (op !== "flush") this.#assertRange(op, offsetBytes, lengthBytes);
    const request: IoRequest = {
      op,
      device: this.name,
      offsetBytes,
      lengthBytes,
      issueNs: options.issueNs ?? 0,
      writeIndex,
    };
    return request;
  }

  #countWrite(request: IoRequest, doneNs: number, lengthBytes: number): number {
    this.stats.writeOps += 1;
    this.stats.writeBytes += lengthBytes;
    return this.#finish(request, doneNs);
  }

  // Only the kept sectors reach the device, each contiguous run as one request.
  #writeSectors(offsetBytes: number, data: Uint8Array, keep: ReadonlySet<number>, options: WriteOptions) {
    const sectors = data.length / SECTOR_BYTES;
    let doneNs = options.issueNs ?? 0;
    let s = 0;
    while (s < sectors) {
      if (!keep.has(s)) {
        s += 1;
        continue;
      }
      const first = s;
      while (s < sectors && keep.has(s)) s += 1;
      const part = data.subarray(first * SECTOR_BYTES, s * SECTOR_BYTES);
      doneNs = Math.max(doneNs, this.#inner.write(offsetBytes + first * SECTOR_BYTES, part, options));
    }
    return doneNs;
  }

  #finish(request: IoRequest, doneNs: number): number {
    if (!(doneNs >= request.issueNs)) {
      throw new RangeError(
        `Device ${this.name} completed a ${request.op} at ${doneNs} ns, before its issue time ${request.issueNs} ns`,
      );
    }
    let serviceNs = doneNs - request.issueNs;
    for (const effect of this.#effects) {
      if (effect.latency !== undefined) serviceNs = effect.latency(request, serviceNs);
    }
    return request.issueNs + serviceNs;
  }

  #assertPowered(): void {
    if (this.#powerLostAt !== undefined) {
      throw new Error(
        `Device ${this.name} lost power at ${this.#powerLostAt} and took another request; ` +
          "engine code must not catch SimulationHalt, and the runner must reboot after a power cut",
      );
    }
  }

  #assertRange(op: string, offsetBytes: number, lengthBytes: number): void {
    const aligned = offsetBytes % SECTOR_BYTES === 0 && lengthBytes % SECTOR_BYTES === 0;
    if (!aligned || offsetBytes < 0 || offsetBytes + lengthBytes > this.sizeBytes) {
      throw new BlockDeviceError(
        "EINVAL",
        this.name,
        offsetBytes,
        lengthBytes,
        `${op} must be 512-byte aligned and inside the ${this.sizeBytes}-byte device`,
      );
    }
  }
}
