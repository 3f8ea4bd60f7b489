/**
 * A device's request queue: `parallelism` servers work on requests first come, first served, and
 * every data transfer also passes through the device's one shared data path (its bandwidth counts
 * reads and writes together) and, when the device sits behind one, a {@link Bus}. Deterministic,
 * with state bounded by the parallelism.
 */
import { type MutationInfo, type Mutations, NO_MUTATIONS } from "../mutations.js";
import type { Rng } from "../rng.js";
import type { Bus } from "./bus.js";
import { type DeviceProfile, validateProfile } from "./profile.js";
import { type ServiceBreakdown, serviceBreakdown, type TimingRequest } from "./service.js";

/** Mutation: every server gets the whole device bandwidth, so parallelism multiplies throughput. */
export const MUTATION_BANDWIDTH_PER_SERVER = "sim.timing.bandwidth-per-server";

/** Catalogue entry for {@link MUTATION_BANDWIDTH_PER_SERVER}. */
export const BANDWIDTH_PER_SERVER: MutationInfo = {
  name: MUTATION_BANDWIDTH_PER_SERVER,
  description:
    "DeviceQueue lets transfers on different servers overlap, ignoring the shared device bandwidth",
};

/** Options for a {@link DeviceQueue}. */
export interface DeviceQueueOptions {
  /** Shared bus or controller the device's transfers also occupy. */
  readonly bus?: Bus;
  /** Device timing stream (fork "timing/<device>"); without it every request costs the averages. */
  readonly rng?: Rng;
  /** Deliberate bugs to build in; empty in normal runs. */
  readonly mutations?: Mutations;
}

/** When a request ran and why it waited. */
export interface QueueCompletion {
  readonly issueNs: number;
  /** When a server picked the request up. */
  readonly startNs: number;
  /** When the device's data path took the request (the end of positioning and latency when no data moves). */
  readonly transferStartNs: number;
  readonly completeNs: number;
  /** Time waiting for a free server. */
  readonly queueWaitNs: number;
  /** How much later the transfer ended than it would have on an idle data path and bus. */
  readonly transferWaitNs: number;
  readonly service: ServiceBreakdown;
}

/** Running totals of one device, for utilisation reports. */
export interface DeviceCounters {
  requests: number;
  reads: number;
  writes: number;
  flushes: number;
  discards: number;
  /** Reads and writes merged into the request before them (not counted in `requests`). */
  merges: number;
  /** Bytes read plus bytes written. */
  bytesTransferred: number;
  /** Server time spent on requests, summed over servers (issue to completion minus queue wait). */
  busyNs: number;
  /** Time requests waited for a free server. */
  queueWaitNs: number;
  /** Time requests waited for the data path or the bus. */
  transferWaitNs: number;
  /** Latest completion time handed out. */
  lastCompleteNs: number;
}

interface LastRequest {
  readonly op: "read" | "write";
  readonly server: number;
  readonly lengthBytes: number;
  readonly endOffsetBytes: number;
  readonly transferStartNs: number;
  readonly transferEndNs: number;
  /** When its bytes left the data path (its transfer may end later, waiting for a request slot). */
  readonly bytesEndNs: number;
}

/** A request may not be issued later than this (about 104 days of virtual time). */
const MAX_ISSUE_NS = 2 ** 53 / 1000;

/** First-come, first-served queue in front of one device. */
export class DeviceQueue {
  readonly profile: DeviceProfile;
  readonly bus: Bus | undefined;
  readonly #rng: Rng | undefined;
  readonly #bandwidthPerServer: boolean;
  /** Time at which each server becomes free. */
  readonly #serverFreeNs: Float64Array;
  #dataPathFreeNs = 0;
  /** With separate IOPS and bandwidth budgets: when the next request slot is free. */
  #requestSlotFreeNs = 0;
  #headOffsetBytes = 0;
  /** The last read or write served, while later ones may still merge into it. */
  #last: LastRequest | undefined;
  readonly #counters: DeviceCounters = {
    requests: 0,
    reads: 0,
    writes: 0,
    flushes: 0,
    discards: 0,
    merges: 0,
    bytesTransferred: 0,
    busyNs: 0,
    queueWaitNs: 0,
    transferWaitNs: 0,
    lastCompleteNs: 0,
  };

  constructor(profile: DeviceProfile, options: DeviceQueueOptions = {}) {
    this.profile = validateProfile(profile);
    this.bus = options.bus;
    this.#rng = options.rng;
    this.#bandwidthPerServer = (options.mutations ?? NO_MUTATIONS).has(MUTATION_BANDWIDTH_PER_SERVER);
    this.#serverFreeNs = new Float64Array(profile.parallelism);
  }

  /** Running totals (a live view; copy it to keep a snapshot). */
  get counters(): Readonly<DeviceCounters> {
    return this.#counters;
  }

  /**
   * Take over `other`'s timing state (servers, data path, head, merge candidate, counters and the
   * timing stream's position), so the next request completes here exactly as it would there.
   * Crash-point branching uses it; the bus is adopted separately (it may be shared).
   */
  adoptStateOf(other: DeviceQueue): void {
    if (other.#serverFreeNs.length !== this.#serverFreeNs.length) {
      throw new RangeError(
        `DeviceQueue with ${this.#serverFreeNs.length} servers cannot adopt one with ${other.#serverFreeNs.length}`,
      );
    }
    this.#serverFreeNs.set(other.#serverFreeNs);
    this.#dataPathFreeNs = other.#dataPathFreeNs;
    this.#requestSlotFreeNs = other.#requestSlotFreeNs;
    this.#headOffsetBytes = other.#headOffsetBytes;
    // LastRequest is never mutated, so sharing the object is safe.
    this.#last = other.#last;
    Object.assign(this.#counters, other.#counters);
    if (this.#rng !== undefined && other.#rng !== undefined) this.#rng.adoptStateOf(other.#rng);
    else if (this.#rng !== other.#rng)
      throw new Error("DeviceQueue cannot adopt a queue with a different timing stream");
  }

  /** Where the last read or write ended; the next request there is sequential. */
  get headOffsetBytes(): number {
    return this.#headOffsetBytes;
  }

  /** Fraction of the device's server capacity used over `elapsedNs` (1 = every server always busy). */
  utilisation(elapsedNs: number): number {
    return elapsedNs > 0 ? this.#counters.busyNs / (elapsedNs * this.profile.parallelism) : 0;
  }

  /**
   * Serve `request`, issued at `issueNs`, after every request submitted before it. Requests are
   * served in submission order, so callers submit in (roughly) issue order, as a block layer would.
   */
  submit(request: TimingRequest, issueNs: number): QueueCompletion {
    if (!Number.isFinite(issueNs) || issueNs < 0 || issueNs > MAX_ISSUE_NS) {
      throw new RangeError(
        `Device ${this.profile.name}: issueNs must be a finite number in [0, ${MAX_ISSUE_NS}], got ${issueNs}`,
      );
    }
    const service = serviceBreakdown(this.profile, request, {
      rng: this.#rng,
      headOffsetBytes: this.#headOffsetBytes,
    });
    const merged = this.#tryMerge(request, issueNs);
    if (merged !== undefined) {
      this.#counters.merges += 1;
      this.#counters.bytesTransferred += request.lengthBytes;
      this.#counters.lastCompleteNs = Math.max(this.#counters.lastCompleteNs, merged.completeNs);
      this.#headOffsetBytes = request.offsetBytes + request.lengthBytes;
      return merged;
    }
    if (request.op === "flush") this.#last = undefined;
    const completion =
      request.op === "flush" ? this.#barrier(issueNs, service) : this.#serve(request, issueNs, service);
    if (!(completion.completeNs >= issueNs + service.totalNs)) {
      throw new Error(
        `Device ${this.profile.name}: request ${request.op} at ${request.offsetBytes} completes at ${completion.completeNs} ns, before issue ${issueNs} ns + service ${service.totalNs} ns`,
      );
    }
    this.#account(request, completion);
    return completion;
  }

  /** A flush waits for every server, so it makes durable everything accepted before it (SATA's FLUSH CACHE is not queued either). */
  #barrier(issueNs: number, service: ServiceBreakdown): QueueCompletion {
    if (this.profile.flushIsBarrier === false) {
      // The flush covers writes already completed; queued requests neither wait for it nor it for them.
      const completeNs = issueNs + service.totalNs;
      return {
        issueNs,
        startNs: issueNs,
        transferStartNs: completeNs,
        completeNs,
        queueWaitNs: 0,
        transferWaitNs: 0,
        service,
      };
    }
    let startNs = issueNs;
    for (const freeNs of this.#serverFreeNs) startNs = Math.max(startNs, freeNs);
    const completeNs = startNs + service.totalNs;
    this.#serverFreeNs.fill(completeNs);
    return {
      issueNs,
      startNs,
      transferStartNs: completeNs,
      completeNs,
      queueWaitNs: startNs - issueNs,
      transferWaitNs: 0,
      service,
    };
  }

  /**
   * Merge `request` into the last one when it continues it, the last one's transfer has not begun
   * at `issueNs`, nothing was queued on the data path since, and the merged size stays in the limit.
   */
  #tryMerge(request: TimingRequest, issueNs: number): QueueCompletion | undefined {
    const last = this.#last;
    const limit = this.profile.mergeLimitBytes;
    if (
      limit === undefined ||
      last === undefined ||
      this.bus !== undefined ||
      request.fua === true ||
      request.op !== last.op ||
      request.offsetBytes !== last.endOffsetBytes ||
      !(last.transferStartNs > issueNs) ||
      this.#dataPathFreeNs !== last.bytesEndNs ||
      last.lengthBytes + request.lengthBytes > limit
    ) {
      return undefined;
    }
    const lengthBytes = last.lengthBytes + request.lengthBytes;
    let transferNs = (lengthBytes * 1e9) / this.profile.bandwidthBytesPerSec;
    const separate = this.profile.iopsBudgetSeparate === true;
    if (this.profile.iopsLimit !== undefined && !separate)
      transferNs = Math.max(transferNs, 1e9 / this.profile.iopsLimit);
    // A merged request pays its bytes and no new request slot (its slot ends where it did).
    const bytesEndNs = Math.max(last.bytesEndNs, last.transferStartNs + Math.round(transferNs));
    const endNs = Math.max(last.transferEndNs, bytesEndNs);
    const addedNs = endNs - last.transferEndNs;
    this.#dataPathFreeNs = bytesEndNs;
    this.#serverFreeNs[last.server] = Math.max(this.#serverFreeNs[last.server]!, endNs);
    this.#last = {
      ...last,
      lengthBytes,
      endOffsetBytes: last.endOffsetBytes + request.lengthBytes,
      transferEndNs: endNs,
      bytesEndNs,
    };
    return {
      issueNs,
      startNs: issueNs,
      transferStartNs: last.transferEndNs,
      completeNs: endNs,
      queueWaitNs: 0,
      transferWaitNs: last.transferEndNs - issueNs,
      service: { positioningNs: 0, latencyNs: 0, transferNs: addedNs, commitNs: 0, totalNs: addedNs },
    };
  }

  #serve(request: TimingRequest, issueNs: number, service: ServiceBreakdown): QueueCompletion {
    // Earliest free server; the lowest index wins ties, which keeps the choice deterministic.
    let server = 0;
    for (let i = 1; i < this.#serverFreeNs.length; i++) {
      if (this.#serverFreeNs[i]! < this.#serverFreeNs[server]!) server = i;
    }
    const startNs = Math.max(issueNs, this.#serverFreeNs[server]!);
    const readyNs = startNs + service.positioningNs + service.latencyNs;
    let transferStartNs = readyNs;
    let transferEndNs = readyNs;
    if (service.transferNs > 0) {
      transferStartNs = this.#bandwidthPerServer ? readyNs : Math.max(readyNs, this.#dataPathFreeNs);
      transferEndNs = transferStartNs + service.transferNs;
      if (this.bus !== undefined) {
        // The bus carries the bytes in one reservation of its own length. The transfer ends when
        // both the device and the bus have moved every byte: a fluid approximation that lets a
        // fast bus interleave several slow devices and a slow bus split itself between them.
        const busStartNs = Math.max(transferStartNs, this.bus.freeAtNs);
        const busNs = this.bus.transferNs(request.lengthBytes);
        this.bus.occupy(busStartNs, busNs, {
          lengthBytes: request.lengthBytes,
          waitNs: busStartNs - transferStartNs,
        });
        transferEndNs = Math.max(transferEndNs, busStartNs + busNs);
      }
      this.#dataPathFreeNs = transferEndNs;
      const iops = this.profile.iopsLimit;
      if (iops !== undefined && this.profile.iopsBudgetSeparate === true) {
        // QEMU's buckets: the request also takes one slot of the request-rate budget, on its own
        // clock; it ends when both its bytes and its slot are through.
        const slotStartNs = Math.max(readyNs, this.#requestSlotFreeNs);
        this.#requestSlotFreeNs = slotStartNs + Math.round(1e9 / iops);
        transferEndNs = Math.max(transferEndNs, this.#requestSlotFreeNs);
      }
    }
    const completeNs = transferEndNs + service.commitNs;
    this.#serverFreeNs[server] = completeNs;
    this.#last =
      request.op !== "read" && request.op !== "write"
        ? undefined
        : service.commitNs > 0 || service.transferNs === 0
          ? undefined
          : {
              op: request.op,
              server,
              lengthBytes: request.lengthBytes,
              endOffsetBytes: request.offsetBytes + request.lengthBytes,
              transferStartNs,
              transferEndNs,
              bytesEndNs: this.#dataPathFreeNs,
            };
    return {
      issueNs,
      startNs,
      transferStartNs,
      completeNs,
      queueWaitNs: startNs - issueNs,
      transferWaitNs: transferEndNs - readyNs - service.transferNs,
      service,
    };
  }

  #account(request: TimingRequest, completion: QueueCompletion): void {
    const c = this.#counters;
    c.requests += 1;
    c.busyNs += completion.completeNs - completion.startNs;
    c.queueWaitNs += completion.queueWaitNs;
    c.transferWaitNs += completion.transferWaitNs;
    c.lastCompleteNs = Math.max(c.lastCompleteNs, completion.completeNs);
    switch (request.op) {
      case "read":
        c.reads += 1;
        c.bytesTransferred += request.lengthBytes;
        this.#headOffsetBytes = request.offsetBytes + request.lengthBytes;
        break;
      case "write":
        c.writes += 1;
        c.bytesTransferred += request.lengthBytes;
        this.#headOffsetBytes = request.offsetBytes + request.lengthBytes;
        break;
      case "flush":
        c.flushes += 1;
        break;
      case "discard":
        c.discards += 1;
        break;
    }
  }
}
