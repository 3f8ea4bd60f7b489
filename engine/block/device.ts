/**
 * The BlockDevice contract every layer of the engine speaks: PVs, device-mapper targets and the
 * LVs they expose are all BlockDevices, so targets stack exactly as mapped devices do.
 *
 * Requests are synchronous and byte-addressed but must be aligned to 512-byte sectors. Each call
 * takes an issue time in virtual nanoseconds and returns the completion time, so stacked targets
 * can express parallel sub-requests (completion = the latest child) and serial ones (chain them).
 * Untimed devices complete at the issue time.
 */

/** Sector size in bytes; LVM2 and device-mapper count in these. */
export const SECTOR_BYTES = 512;

/** Options for a single request. */
export interface IoOptions {
  /** Virtual time at which the request is issued, in nanoseconds. Defaults to 0. */
  readonly issueNs?: number;
}

/** Options for a write. */
export interface WriteOptions extends IoOptions {
  /** Forced Unit Access: the write is durable when it completes, cache or not. */
  readonly fua?: boolean;
}

/** Per-device I/O accounting, used for write amplification. */
export interface IoStats {
  readOps: number;
  readBytes: number;
  writeOps: number;
  writeBytes: number;
  flushOps: number;
  discardOps: number;
  discardBytes: number;
}

/** A block device: a PV image, a cache layer, a mapped device. */
export interface BlockDevice {
  /** Name used in errors and reports, e.g. "pv0.img" or "vg0-lv0". */
  readonly name: string;
  /** Size in bytes, a multiple of {@link SECTOR_BYTES}. */
  readonly sizeBytes: number;
  /** Counters since creation. */
  readonly stats: IoStats;
  /** Fill `dst` with the bytes at `offsetBytes`; returns the completion time in ns. */
  read(offsetBytes: number, dst: Uint8Array, options?: IoOptions): number;
  /** Write `data` at `offsetBytes`; returns the completion time in ns. */
  write(offsetBytes: number, data: Uint8Array, options?: WriteOptions): number;
  /** Make every completed write durable; returns the completion time in ns. */
  flush(options?: IoOptions): number;
  /** Forget the range (reads return zeros afterwards); returns the completion time in ns. */
  discard(offsetBytes: number, lengthBytes: number, options?: IoOptions): number;
}

/** Fresh zeroed counters. */
export function emptyIoStats(): IoStats {
  return {
    readOps: 0,
    readBytes: 0,
    writeOps: 0,
    writeBytes: 0,
    flushOps: 0,
    discardOps: 0,
    discardBytes: 0,
  };
}
