/**
 * Service time of one request on an idle device, split into the phases the queue needs: the head
 * positioning and fixed latency happen on one of the device's servers, the transfer also occupies
 * the device's shared data path (and a bus, if any), and a FUA commit follows the transfer.
 */
import type { Rng } from "../rng.js";
import { rotationalLatencyNs, seekNs } from "./hdd.js";
import type { DeviceProfile } from "./profile.js";

/** Kinds of request the timing model knows. */
export type TimingOp = "read" | "write" | "flush" | "discard";

/** One request as the timing model sees it: no data, only where and how much. */
export interface TimingRequest {
  readonly op: TimingOp;
  readonly offsetBytes: number;
  /** Bytes moved (reads, writes) or covered (discards); 0 for a flush. */
  readonly lengthBytes: number;
  /** Forced Unit Access write: pays a flush on a device with a volatile cache. */
  readonly fua?: boolean;
}

/** Phases of a request's service time, in ns, each rounded to a whole nanosecond. */
export interface ServiceBreakdown {
  /** Seek plus rotational latency on a spinning disk; 0 for flash and for sequential requests. */
  readonly positioningNs: number;
  /** The profile's fixed read, write or flush latency (jittered when a stream is given). */
  readonly latencyNs: number;
  /** `lengthBytes` at the device's bandwidth; reads and writes only. */
  readonly transferNs: number;
  /** Extra media commit of a FUA write on a device with a volatile cache. */
  readonly commitNs: number;
  /** Sum of the phases. */
  readonly totalNs: number;
}

/** Per-request context for {@link serviceBreakdown}. */
export interface ServiceOptions {
  /** Device timing stream: random rotational position and latency jitter. Without it, averages. */
  readonly rng?: Rng;
  /** Where the previous read or write on this device ended; the head starts parked at byte 0. */
  readonly headOffsetBytes?: number;
}

/** Largest single request the model accepts; bigger requests are split by the layers above. */
export const MAX_REQUEST_BYTES = 2 ** 40;

function jittered(profile: DeviceProfile, latencyNs: number, rng: Rng | undefined): number {
  if (rng === undefined || profile.jitterFraction === 0 || latencyNs === 0) return latencyNs;
  return latencyNs * (1 + profile.jitterFraction * (2 * rng.next() - 1));
}

/** Assert a request is well formed; throws naming the field and value otherwise. */
export function assertTimingRequest(profile: DeviceProfile, request: TimingRequest): void {
  assertRequestFields(profile, request.op, request.offsetBytes, request.lengthBytes);
}

function assertRequestFields(
  profile: DeviceProfile,
  op: TimingOp,
  offsetBytes: number,
  lengthBytes: number,
): void {
  if (op !== "read" && op !== "write" && op !== "flush" && op !== "discard") {
    throw new RangeError(`Timing request on ${profile.name}: unknown op ${String(op)}`);
  }
  if (!Number.isSafeInteger(offsetBytes) || offsetBytes < 0) {
    throw new RangeError(
      `Timing request on ${profile.name}: offsetBytes must be an integer >= 0, got ${offsetBytes}`,
    );
  }
  if (!Number.isSafeInteger(lengthBytes) || lengthBytes < 0 || lengthBytes > MAX_REQUEST_BYTES) {
    throw new RangeError(
      `Timing request on ${profile.name}: lengthBytes must be an integer in [0, ${MAX_REQUEST_BYTES}], got ${lengthBytes}`,
    );
  }
}

/**
 * The phases of serving `request` on an idle device. A read or write that starts where the
 * previous one ended pays no seek and no rotational latency (the head is already there).
 */
export function serviceBreakdown(
  profile: DeviceProfile,
  request: TimingRequest,
  options: ServiceOptions = {},
): ServiceBreakdown {
  const out = { positioningNs: 0, latencyNs: 0, transferNs: 0, commitNs: 0, totalNs: 0 };
  serviceBreakdownInto(
    profile,
    request.op,
    request.offsetBytes,
    request.lengthBytes,
    request.fua === true,
    options.rng,
    options.headOffsetBytes ?? 0,
    out,
  );
  return out;
}

/**
 * {@link serviceBreakdown} of a request given field by field, written into `out`: a device queue
 * serves every block request of a run, and the objects per request were a good part of its garbage.
 */
export function serviceBreakdownInto(
  profile: DeviceProfile,
  op: TimingOp,
  offsetBytes: number,
  lengthBytes: number,
  fua: boolean,
  rng: Rng | undefined,
  headOffsetBytes: number,
  out: { -readonly [K in keyof ServiceBreakdown]: number },
): void {
  assertRequestFields(profile, op, offsetBytes, lengthBytes);
  let positioningNs = 0;
  let latencyNs = 0;
  let transferNs = 0;
  let commitNs = 0;
  switch (op) {
    case "flush":
      latencyNs = jittered(profile, profile.flushLatencyNs, rng);
      break;
    case "discard":
      // A discard only updates the device's map: a command's cost, no data, no head movement.
      latencyNs = jittered(profile, profile.writeLatencyNs, rng);
      break;
    case "read":
    case "write": {
      if (profile.hdd !== undefined && offsetBytes !== headOffsetBytes) {
        positioningNs =
          seekNs(profile.hdd, offsetBytes - headOffsetBytes) + rotationalLatencyNs(profile.hdd, rng);
      }
      const fixedNs = op === "read" ? profile.readLatencyNs : profile.writeLatencyNs;
      latencyNs = jittered(profile, fixedNs, rng);
      transferNs = (lengthBytes * 1e9) / profile.bandwidthBytesPerSec;
      // A request-rate throttle holds the data path for at least one slot per request.
      // (With separate budgets the queue charges the slot on its own clock.)
      if (profile.iopsLimit !== undefined && profile.iopsBudgetSeparate !== true)
        transferNs = Math.max(transferNs, 1e9 / profile.iopsLimit);
      if (op === "write" && fua && profile.volatileCache) {
        commitNs = jittered(profile, profile.flushLatencyNs, rng);
      }
      break;
    }
  }
  positioningNs = Math.round(positioningNs);
  latencyNs = Math.round(latencyNs);
  transferNs = Math.round(transferNs);
  commitNs = Math.round(commitNs);
  out.positioningNs = positioningNs;
  out.latencyNs = latencyNs;
  out.transferNs = transferNs;
  out.commitNs = commitNs;
  out.totalNs = positioningNs + latencyNs + transferNs + commitNs;
}

/** Total service time of `request` on an idle device, in ns. */
export function serviceNs(
  profile: DeviceProfile,
  request: TimingRequest,
  options: ServiceOptions = {},
): number {
  return serviceBreakdown(profile, request, options).totalNs;
}
