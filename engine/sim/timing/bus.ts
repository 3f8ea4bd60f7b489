/**
 * A shared bus or controller that several devices sit behind. The data transfer of every request
 * on those devices also occupies the bus, one at a time, so two disks on one bus split its
 * bandwidth; this is how a mirror whose legs share a controller writes slower than linear.
 */

/** Options for a {@link Bus}. */
export interface BusOptions {
  /** Transfer rate of the bus, shared by every device behind it, reads and writes together. */
  readonly bandwidthBytesPerSec: number;
}

/** Running totals of a bus, for utilisation reports. */
export interface BusCounters {
  /** Transfers carried. */
  transfers: number;
  /** Bytes carried. */
  bytes: number;
  /** Time the bus spent carrying data. */
  busyNs: number;
  /** Time transfers waited for the bus itself (not for their own device). */
  waitNs: number;
}

/** Bookkeeping for one transfer on the bus. */
export interface BusOccupancy {
  readonly lengthBytes: number;
  /** How long this transfer waited because the bus was busy. */
  readonly waitNs: number;
}

/** A shared transfer channel. Transfers are granted in the order devices reserve them. */
export class Bus {
  readonly bandwidthBytesPerSec: number;
  #freeAtNs = 0;
  readonly #counters: BusCounters = { transfers: 0, bytes: 0, busyNs: 0, waitNs: 0 };

  constructor(
    /** Name for reports, e.g. "sata0". */
    readonly name: string,
    options: BusOptions,
  ) {
    const bw = options.bandwidthBytesPerSec;
    if (typeof bw !== "number" || !Number.isFinite(bw) || bw < 1) {
      throw new RangeError(`Bus ${name}: bandwidthBytesPerSec must be a finite number >= 1, got ${bw}`);
    }
    this.bandwidthBytesPerSec = bw;
  }

  /** Time the bus needs to carry `lengthBytes`, rounded to a whole nanosecond. */
  transferNs(lengthBytes: number): number {
    return Math.round((lengthBytes * 1e9) / this.bandwidthBytesPerSec);
  }

  /** Earliest time a new transfer can start. */
  get freeAtNs(): number {
    return this.#freeAtNs;
  }

  /** Running totals (a live view; copy it to keep a snapshot). */
  get counters(): Readonly<BusCounters> {
    return this.#counters;
  }

  /** Take over `other`'s reservation and counters (crash-point branching). */
  adoptStateOf(other: Bus): void {
    this.#freeAtNs = other.#freeAtNs;
    Object.assign(this.#counters, other.#counters);
  }

  /** A reboot: nothing is on the bus any more (the counters run on). */
  restartForBoot(): void {
    this.#freeAtNs = 0;
  }

  /** Fraction of `elapsedNs` the bus spent carrying data. */
  utilisation(elapsedNs: number): number {
    return elapsedNs > 0 ? this.#counters.busyNs / elapsedNs : 0;
  }

  /** Reserve the bus from `startNs` for `durationNs`; the start must not overlap an earlier reservation. */
  occupy(startNs: number, durationNs: number, occupancy: BusOccupancy): void {
    if (!(startNs >= this.#freeAtNs) || !(durationNs >= 0) || !Number.isFinite(startNs + durationNs)) {
      throw new RangeError(
        `Bus ${this.name}: cannot occupy from ${startNs} ns for ${durationNs} ns; the bus is busy until ${this.#freeAtNs} ns`,
      );
    }
    this.#freeAtNs = startNs + durationNs;
    this.#counters.transfers += 1;
    this.#counters.bytes += occupancy.lengthBytes;
    this.#counters.busyNs += durationNs;
    this.#counters.waitNs += occupancy.waitNs;
  }
}
