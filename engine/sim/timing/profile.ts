/**
 * What a device timing model knows about a disk: fixed per-request latencies, one bandwidth shared
 * by reads and writes, internal parallelism, and for spinning disks the mechanics that make random
 * access slow. Profiles are plain data so scenarios can store and print them.
 */

/** Broad class of device, for reports; only "hdd" changes the model (it needs {@link HddMechanics}). */
export type DeviceKind = "nvme" | "ssd" | "hdd" | "virtual";

/** Head positioning of a spinning disk. Seek time grows with the distance the head travels. */
export interface HddMechanics {
  /** Spindle speed; one revolution takes 60e9 / rpm ns and the average rotational wait is half of it. */
  readonly rpm: number;
  /** Seek to the neighbouring track (datasheets: "single track" or "track-to-track"). */
  readonly trackToTrackSeekNs: number;
  /** Mean seek over all pairs of positions (datasheets weight by the number of seek combinations). */
  readonly averageSeekNs: number;
  /** Seek from the outermost to the innermost track. */
  readonly fullStrokeSeekNs: number;
  /** Capacity the seek distance is scaled against: a seek of `sizeBytes` is a full stroke. */
  readonly sizeBytes: number;
}

/** Timing parameters of one device. */
export interface DeviceProfile {
  /** Name shown in reports, e.g. "nvme" or "custom:bw=100MiB,lat=200us". */
  readonly name: string;
  readonly kind: DeviceKind;
  /** Fixed cost of a read before its data moves (command, flash read, controller). */
  readonly readLatencyNs: number;
  /** Fixed cost of a write before its data moves. */
  readonly writeLatencyNs: number;
  /** Cost of a cache flush, and the extra cost of a FUA write on a device with a volatile cache. */
  readonly flushLatencyNs: number;
  /** Transfer rate of the whole device, shared by reads and writes together. */
  readonly bandwidthBytesPerSec: number;
  /** Requests the device works on at once (internal channels, queue servers); 1 for a disk arm. */
  readonly parallelism: number;
  /** True when acknowledged writes sit in a volatile cache, so a FUA write pays a flush. */
  readonly volatileCache: boolean;
  /** With a jitter stream, fixed latencies vary uniformly by ± this fraction (0 disables). */
  readonly jitterFraction: number;
  /**
   * A request-rate limit counted over reads and writes together (QEMU's `iops-total` throttle):
   * each read or write holds the data path for at least `1e9 / iopsLimit` ns. Absent: no limit.
   */
  readonly iopsLimit?: number;
  /**
   * With `iopsLimit`: true when the request rate and the bandwidth are separate budgets, as QEMU's
   * throttle keeps one leaky bucket per limit (`iops-total` counts a request as one whatever its
   * size, `bps-total` its bytes) and a request waits until both have room, so small requests'
   * unused bandwidth serves large ones. False or absent: each request holds the data path for
   * `max(bytes / bandwidth, 1e9 / iopsLimit)` ns, one after another.
   */
  readonly iopsBudgetSeparate?: boolean;
  /**
   * False when a flush only covers writes already completed and does not wait for queued ones
   * (Linux's REQ_PREFLUSH on virtio-blk: no barrier since 2.6.37). True or absent: a flush is a
   * barrier that waits for every server, as SATA's non-queued FLUSH CACHE is.
   */
  readonly flushIsBarrier?: boolean;
  /**
   * The block layer merges a read or write that continues the previous one on the device while
   * that one still waits in the queue (plugging, elevator back-merge), up to this many bytes
   * (`max_sectors_kb`). A merged request pays one request slot and the transfer of all its bytes.
   * Absent: no merging.
   */
  readonly mergeLimitBytes?: number;
  /** Present exactly when `kind` is "hdd". */
  readonly hdd?: HddMechanics;
}

/** Upper bound on `parallelism`, which sizes per-device state. */
export const MAX_PARALLELISM = 1024;

/** Throw unless `value` is a finite number in [min, max]. */
function assertNumber(profile: string, field: string, value: number, min: number, max: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(
      `Device profile ${profile}: ${field} must be a number in [${min}, ${max}], got ${value}`,
    );
  }
}

/**
 * Check that a profile is usable and internally consistent; throws a RangeError naming the profile
 * and the field otherwise. Returns the profile for chaining.
 */
export function validateProfile(profile: DeviceProfile): DeviceProfile {
  const p = profile.name;
  if (typeof p !== "string" || p.length === 0)
    throw new RangeError(`Device profile name must be a non-empty string`);
  assertNumber(p, "readLatencyNs", profile.readLatencyNs, 0, 60e9);
  assertNumber(p, "writeLatencyNs", profile.writeLatencyNs, 0, 60e9);
  assertNumber(p, "flushLatencyNs", profile.flushLatencyNs, 0, 60e9);
  assertNumber(p, "bandwidthBytesPerSec", profile.bandwidthBytesPerSec, 1, 1e15);
  assertNumber(p, "jitterFraction", profile.jitterFraction, 0, 1);
  if (profile.iopsLimit !== undefined) assertNumber(p, "iopsLimit", profile.iopsLimit, 1, 1e9);
  if (profile.iopsBudgetSeparate === true && profile.iopsLimit === undefined)
    throw new RangeError(`Device profile ${p}: iopsBudgetSeparate needs iopsLimit`);
  if (profile.mergeLimitBytes !== undefined)
    assertNumber(p, "mergeLimitBytes", profile.mergeLimitBytes, 512, 2 ** 30);
  if (profile.flushIsBarrier !== undefined && typeof profile.flushIsBarrier !== "boolean") {
    throw new RangeError(`Device profile ${p}: flushIsBarrier must be true or false`);
  }
  if (
    !Number.isInteger(profile.parallelism) ||
    profile.parallelism < 1 ||
    profile.parallelism > MAX_PARALLELISM
  ) {
    throw new RangeError(
      `Device profile ${p}: parallelism must be an integer in [1, ${MAX_PARALLELISM}], got ${profile.parallelism}`,
    );
  }
  if ((profile.kind === "hdd") !== (profile.hdd !== undefined)) {
    throw new RangeError(
      `Device profile ${p}: kind "${profile.kind}" ${profile.hdd ? "must not have" : "needs"} hdd mechanics; set kind "hdd" exactly when rpm and seek times are given`,
    );
  }
  if (profile.hdd) validateMechanics(p, profile.hdd);
  return profile;
}

function validateMechanics(p: string, hdd: HddMechanics): void {
  assertNumber(p, "hdd.rpm", hdd.rpm, 1, 100_000);
  assertNumber(p, "hdd.trackToTrackSeekNs", hdd.trackToTrackSeekNs, 0, 1e9);
  assertNumber(p, "hdd.averageSeekNs", hdd.averageSeekNs, 0, 1e9);
  assertNumber(p, "hdd.fullStrokeSeekNs", hdd.fullStrokeSeekNs, 0, 1e9);
  assertNumber(p, "hdd.sizeBytes", hdd.sizeBytes, 512, 2 ** 60);
  const span = hdd.fullStrokeSeekNs - hdd.trackToTrackSeekNs;
  const averageAbove = hdd.averageSeekNs - hdd.trackToTrackSeekNs;
  // The seek curve t2t + a·√d + b·d must have a, b >= 0 to grow with distance and still hit all
  // three datasheet anchors; that holds exactly when the average sits in this band.
  if (span < 0 || averageAbove < span / 3 - 1e-6 || averageAbove > (8 * span) / 15 + 1e-6) {
    throw new RangeError(
      `Device profile ${p}: seek times are inconsistent (track-to-track ${hdd.trackToTrackSeekNs} ns, average ${hdd.averageSeekNs} ns, full stroke ${hdd.fullStrokeSeekNs} ns); the average must lie between t2t + (full - t2t)/3 and t2t + 8(full - t2t)/15`,
    );
  }
}

/**
 * The profile's parameters in one line, as reports print them under a table, e.g.
 * "realdm-100mib-1kiops: virtual, 100 MiB/s and 1000 IOPS shared by reads and writes, ...".
 */
export function describeProfile(profile: DeviceProfile): string {
  const bw = profile.bandwidthBytesPerSec;
  const bandwidth =
    bw % 2 ** 20 === 0 ? `${bw / 2 ** 20} MiB/s` : `${Number((bw / 1e6).toPrecision(4))} MB/s`;
  const limits =
    profile.iopsLimit === undefined
      ? `${bandwidth} shared by reads and writes`
      : `${bandwidth} and ${profile.iopsLimit} IOPS shared by reads and writes${profile.iopsBudgetSeparate === true ? " (separate budgets, as QEMU's throttle buckets)" : ""}`;
  const us = (ns: number) =>
    ns >= 1e6 ? `${Number((ns / 1e6).toPrecision(3))} ms` : `${Number((ns / 1000).toPrecision(3))} µs`;
  const parts = [
    `${profile.name}: ${profile.kind}`,
    limits,
    `read/write latency ${us(profile.readLatencyNs)}/${us(profile.writeLatencyNs)}`,
    `flush ${us(profile.flushLatencyNs)}${profile.flushIsBarrier === false ? " (not a barrier)" : " (a barrier)"}`,
    `${profile.parallelism} queue server${profile.parallelism === 1 ? "" : "s"}`,
    profile.volatileCache ? "volatile write cache" : "no volatile cache",
  ];
  if (profile.hdd !== undefined)
    parts.push(`${profile.hdd.rpm} rpm, average seek ${us(profile.hdd.averageSeekNs)}`);
  if (profile.jitterFraction > 0) parts.push(`latency jitter ±${Math.round(profile.jitterFraction * 100)}%`);
  return parts.join(", ");
}
