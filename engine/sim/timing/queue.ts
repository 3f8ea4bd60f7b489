/**
 * A device's request queue: `parallelism` servers work on requests first come, first served, and
 * every data transfer also passes through the device's one shared data path (its bandwidth counts
 * reads and writes together) and, when the device sits behind one, a {@link Bus}. Deterministic,
 * with state bounded by the parallelism.
 */
import { type MutationInfo, type Mutations, NO_MUTATIONS } from "../mutations.js";
import { Rng } from "../rng.js";
import type { Bus } from "./bus.js";
import { type DeviceProfile, validateProfile } from "./profile.js";
import { type ServiceBreakdown, serviceBreakdownInto, type TimingOp, type TimingRequest } from "./service.js";

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

// The last read or write served, while later ones may still merge into it. Updated in place (a
// record per request was most of the queue's garbage), so adoptStateOf copies it.
interface LastRequest {
  op: "read" | "write";
  server: number;
  lengthBytes: number;
  endOffsetBytes: number;
  transferStartNs: number;
  transferEndNs: number;
  /** When its bytes left the data path (its transfer may end later, waiting for a request slot). */
  bytesEndNs: number;
}

// One request's timing, as the queue computes it into reused fields before anyone needs an object.
interface Served {
  startNs: number;
  transferStartNs: number;
  completeNs: number;
  queueWaitNs: number;
  transferWaitNs: number;
}

type MutableBreakdown = { -readonly [K in keyof ServiceBreakdown]: number };

/** A request may not be issued later than this (about 104 days of virtual time). */
const MAX_ISSUE_NS = 2 ** 53 / 1000;

/** First-come, first-served queue in front of one device. */
export class DeviceQueue {
  readonly profile: DeviceProfile;
  readonly bus: Bus | undefined;
  /** The stream the device was built with; each boot draws from its own fork of it. */
  readonly #bootRng: Rng | undefined;
  #rng: Rng | undefined;
  readonly #bandwidthPerServer: boolean;
  /** Time at which each server becomes free. */
  readonly #serverFreeNs: Float64Array;
  #dataPathFreeNs = 0;
  /** With separate IOPS and bandwidth budgets: when the next request slot is free. */
  #requestSlotFreeNs = 0;
  #headOffsetBytes = 0;
  /** The last read or write served, while later ones may still merge into it (when #hasLast). */
  readonly #last: LastRequest = {
    op: "read",
    server: 0,
    lengthBytes: 0,
    endOffsetBytes: 0,
    transferStartNs: 0,
    transferEndNs: 0,
    bytesEndNs: 0,
  };
  #hasLast = false;
  readonly #service: MutableBreakdown = {
    positioningNs: 0,
    latencyNs: 0,
    transferNs: 0,
    commitNs: 0,
    totalNs: 0,
  };
  readonly #served: Served = {
    startNs: 0,
    transferStartNs: 0,
    completeNs: 0,
    queueWaitNs: 0,
    transferWaitNs: 0,
  };
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
    this.#bootRng = options.rng;
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
    Object.assign(this.#last, other.#last);
    this.#hasLast = other.#hasLast;
    Object.assign(this.#counters, other.#counters);
    if (this.#rng !== undefined && other.#rng !== undefined) {
      // The run may have rebooted before the point: continue its boot's stream.
      if (this.#rng.seedPath !== other.#rng.seedPath) this.#rng = Rng.fromSeedPath(other.#rng.seedPath);
      this.#rng.adoptStateOf(other.#rng);
    } else if (this.#rng !== other.#rng)
      throw new Error("DeviceQueue cannot adopt a queue with a different timing stream");
  }

  /**
   * A reboot: the device comes back idle (nothing in flight, nothing to merge into, the head at
   * offset 0) and draws its jitter from boot `boot`'s own stream. What a boot does then depends on
   * what the disks hold, never on how much the run before the cut drew or queued, which is what
   * lets crash points with the same persisted state share one recovery (scenarios/branch-explore.ts).
   * The counters run on.
   */
  restartForBoot(boot: number): void {
    this.#serverFreeNs.fill(0);
    this.#dataPathFreeNs = 0;
    this.#requestSlotFreeNs = 0;
    this.#headOffsetBytes = 0;
    this.#hasLast = false;
    if (this.#bootRng !== undefined) this.#rng = this.#bootRng.fork(`boot${boot}`);
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
    this.#submit(request.op, request.offsetBytes, request.lengthBytes, request.fua === true, issueNs);
    const served = this.#served;
    return {
      issueNs,
      startNs: served.startNs,
      transferStartNs: served.transferStartNs,
      completeNs: served.completeNs,
      queueWaitNs: served.queueWaitNs,
      transferWaitNs: served.transferWaitNs,
      service: { ...this.#service },
    };
  }

  /**
   * {@link submit} returning only the completion time, with the request given field by field: the
   * path every block request of a run takes, which allocates nothing.
   */
  completeNs(op: TimingOp, offsetBytes: number, lengthBytes: number, fua: boolean, issueNs: number): number {
    this.#submit(op, offsetBytes, lengthBytes, fua, issueNs);
    return this.#served.completeNs;
  }

  #submit(op: TimingOp, offsetBytes: number, lengthBytes: number, fua: boolean, issueNs: number): void {
    if (!Number.isFinite(issueNs) || issueNs < 0 || issueNs > MAX_ISSUE_NS) {
      throw new RangeError(
        `Device ${this.profile.name}: issueNs must be a finite number in [0, ${MAX_ISSUE_NS}], got ${issueNs}`,
      );
    }
    const service = this.#service;
    serviceBreakdownInto(
      this.profile,
      op,
      offsetBytes,
      lengthBytes,
      fua,
      this.#rng,
      this.#headOffsetBytes,
      service,
    );
    if (this.#tryMerge(op, offsetBytes, lengthBytes, fua, issueNs)) {
      this.#counters.merges += 1;
      this.#counters.bytesTransferred += lengthBytes;
      this.#counters.lastCompleteNs = Math.max(this.#counters.lastCompleteNs, this.#served.completeNs);
      this.#headOffsetBytes = offsetBytes + lengthBytes;
      return;
    }
    if (op === "flush") this.#hasLast = false;
    if (op === "flush") this.#barrier(issueNs, service);
    else this.#serve(op, offsetBytes, lengthBytes, issueNs, service);
    const served = this.#served;
    if (!(served.completeNs >= issueNs + service.totalNs)) {
      throw new Error(
        `Device ${this.profile.name}: request ${op} at ${offsetBytes} completes at ${served.completeNs} ns, before issue ${issueNs} ns + service ${service.totalNs} ns`,
      );
    }
    this.#account(op, offsetBytes, lengthBytes);
  }

  /** A flush waits for every server, so it makes durable everything accepted before it (SATA's FLUSH CACHE is not queued either). */
  #barrier(issueNs: number, service: ServiceBreakdown): void {
    const served = this.#served;
    if (this.profile.flushIsBarrier === false) {
      // The flush covers writes already completed; queued requests neither wait for it nor it for them.
      const completeNs = issueNs + service.totalNs;
      served.startNs = issueNs;
      served.transferStartNs = completeNs;
      served.completeNs = completeNs;
      served.queueWaitNs = 0;
      served.transferWaitNs = 0;
      return;
    }
    let startNs = issueNs;
    for (const freeNs of this.#serverFreeNs) startNs = Math.max(startNs, freeNs);
    const completeNs = startNs + service.totalNs;
    this.#serverFreeNs.fill(completeNs);
    served.startNs = startNs;
    served.transferStartNs = completeNs;
    served.completeNs = completeNs;
    served.queueWaitNs = startNs - issueNs;
    served.transferWaitNs = 0;
  }

  /**
   * Merge the request into the last one when it continues it, the last one's transfer has not begun
   * at `issueNs`, nothing was queued on the data path since, and the merged size stays in the limit.
   * Returns false (changing nothing) when it cannot.
   */
  #tryMerge(op: TimingOp, offsetBytes: number, lengthBytes: number, fua: boolean, issueNs: number): boolean {
    const last = this.#last;
    const limit = this.profile.mergeLimitBytes;
    if (
      limit === undefined ||
      !this.#hasLast ||
      this.bus !== undefined ||
      fua ||
      op !== last.op ||
      offsetBytes !== last.endOffsetBytes ||
      !(last.transferStartNs > issueNs) ||
      this.#dataPathFreeNs !== last.bytesEndNs ||
      last.lengthBytes + lengthBytes > limit
    ) {
      return false;
    }
    const mergedBytes = last.lengthBytes + lengthBytes;
    let transferNs = (mergedBytes * 1e9) / this.profile.bandwidthBytesPerSec;
    const separate = this.profile.iopsBudgetSeparate === true;
    if (this.profile.iopsLimit !== undefined && !separate)
      transferNs = Math.max(transferNs, 1e9 / this.profile.iopsLimit);
    // A merged request pays its bytes and no new request slot (its slot ends where it did).
    const bytesEndNs = Math.max(last.bytesEndNs, last.transferStartNs + Math.round(transferNs));
    const endNs = Math.max(last.transferEndNs, bytesEndNs);
    const previousEndNs = last.transferEndNs;
    const addedNs = endNs - previousEndNs;
    this.#dataPathFreeNs = bytesEndNs;
    this.#serverFreeNs[last.server] = Math.max(this.#serverFreeNs[last.server]!, endNs);
    last.lengthBytes = mergedBytes;
    last.endOffsetBytes = last.endOffsetBytes + lengthBytes;
    last.transferEndNs = endNs;
    last.bytesEndNs = bytesEndNs;
    const served = this.#served;
    served.startNs = issueNs;
    served.transferStartNs = previousEndNs;
    served.completeNs = endNs;
    served.queueWaitNs = 0;
    served.transferWaitNs = previousEndNs - issueNs;
    const service = this.#service;
    service.positioningNs = 0;
    service.latencyNs = 0;
    service.transferNs = addedNs;
    service.commitNs = 0;
    service.totalNs = addedNs;
    return true;
  }

  #serve(
    op: TimingOp,
    offsetBytes: number,
    lengthBytes: number,
    issueNs: number,
    service: ServiceBreakdown,
  ): void {
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
        const busNs = this.bus.transferNs(lengthBytes);
        this.bus.occupy(busStartNs, busNs, {
          lengthBytes,
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
    if ((op !== "read" && op !== "write") || service.commitNs > 0 || service.transferNs === 0) {
      this.#hasLast = false;
    } else {
      const last = this.#last;
      last.op = op;
      last.server = server;
      last.lengthBytes = lengthBytes;
      last.endOffsetBytes = offsetBytes + lengthBytes;
      last.transferStartNs = transferStartNs;
      last.transferEndNs = transferEndNs;
      last.bytesEndNs = this.#dataPathFreeNs;
      this.#hasLast = true;
    }
    const served = this.#served;
    served.startNs = startNs;
    served.transferStartNs = transferStartNs;
    served.completeNs = completeNs;
    served.queueWaitNs = startNs - issueNs;
    served.transferWaitNs = transferEndNs - readyNs - service.transferNs;
  }

  #account(op: TimingOp, offsetBytes: number, lengthBytes: number): void {
    const served = this.#served;
    const c = this.#counters;
    c.requests += 1;
    c.busyNs += served.completeNs - served.startNs;
    c.queueWaitNs += served.queueWaitNs;
    c.transferWaitNs += served.transferWaitNs;
    c.lastCompleteNs = Math.max(c.lastCompleteNs, served.completeNs);
    switch (op) {
      case "read":
        c.reads += 1;
        c.bytesTransferred += lengthBytes;
        this.#headOffsetBytes = offsetBytes + lengthBytes;
        break;
      case "write":
        c.writes += 1;
        c.bytesTransferred += lengthBytes;
        this.#headOffsetBytes = offsetBytes + lengthBytes;
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
