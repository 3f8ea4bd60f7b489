/**
 * The common shape of device-mapper targets. A target maps a range of sectors of a mapped device
 * onto other BlockDevices; a mapped device is one or more targets laid end to end, and it is itself a
 * BlockDevice, so mapped devices stack exactly as they do in the kernel.
 */

import {
  type BlockDevice,
  emptyIoStats,
  type IoOptions,
  type IoStats,
  SECTOR_BYTES,
  type WriteOptions,
} from "../block/device.js";
import { BlockDeviceError } from "../block/errors.js";

/** A BlockDevice built from a device-mapper table, with `dmsetup table` / `dmsetup status` text. */
export interface MappedDevice extends BlockDevice {
  /** Length in 512-byte sectors. */
  readonly lengthSectors: number;
  /** The table as `dmsetup table` prints it: one `<start> <length> <type> <params>` line per target. */
  table(): string;
  /** The status as `dmsetup status` prints it, one line per target. */
  status(): string;
}

/** An underlying device plus the sector where this target's data starts on it (a table's `<dev> <offset>`). */
export interface DeviceRef {
  readonly device: BlockDevice;
  readonly offsetSectors: number;
}

/** How a device appears in table text; the kernel prints major:minor, we print the device name. */
export function deviceLabel(device: BlockDevice): string {
  return device.name;
}

/** A byte range of a request. */
export interface ByteRange {
  readonly offsetBytes: number;
  readonly lengthBytes: number;
}

/** Throw EINVAL unless `[offsetBytes, offsetBytes + lengthBytes)` is sector-aligned and inside `sizeBytes`. */
export function checkRequest(device: BlockDevice, range: ByteRange): void {
  const { offsetBytes, lengthBytes } = range;
  if (
    !Number.isSafeInteger(offsetBytes) ||
    !Number.isSafeInteger(lengthBytes) ||
    offsetBytes < 0 ||
    lengthBytes < 0 ||
    offsetBytes % SECTOR_BYTES !== 0 ||
    lengthBytes % SECTOR_BYTES !== 0
  ) {
    throw new BlockDeviceError(
      "EINVAL",
      device.name,
      offsetBytes,
      lengthBytes,
      `request must be a non-negative whole number of ${SECTOR_BYTES}-byte sectors; align offset and length`,
    );
  }
  if (offsetBytes + lengthBytes > device.sizeBytes) {
    throw new BlockDeviceError(
      "EINVAL",
      device.name,
      offsetBytes,
      lengthBytes,
      `request ends at byte ${offsetBytes + lengthBytes}, past the device end at ${device.sizeBytes}`,
    );
  }
}

/** Throw EINVAL unless `[offsetSectors, offsetSectors + lengthSectors)` of the referenced device exists. */
export function checkDeviceRef(
  ref: DeviceRef,
  options: { readonly target: string; readonly lengthSectors: number },
): void {
  const { target, lengthSectors } = options;
  const deviceSectors = Math.floor(ref.device.sizeBytes / SECTOR_BYTES);
  if (
    !Number.isSafeInteger(ref.offsetSectors) ||
    ref.offsetSectors < 0 ||
    ref.offsetSectors + lengthSectors > deviceSectors
  ) {
    throw new BlockDeviceError(
      "EINVAL",
      target,
      ref.offsetSectors * SECTOR_BYTES,
      lengthSectors * SECTOR_BYTES,
      `sectors ${ref.offsetSectors}+${lengthSectors} do not fit on ${ref.device.name} (${deviceSectors} sectors); fix the table`,
    );
  }
}

/**
 * Base class of every target: validates requests, counts them, and renders table/status lines.
 * Subclasses implement the `map*` methods with offsets already checked and relative to the target start.
 */
export abstract class Target implements MappedDevice {
  /** The target type as it appears in a table, e.g. "linear". */
  abstract readonly targetType: string;
  readonly sizeBytes: number;
  readonly stats: IoStats = emptyIoStats();

  constructor(
    readonly name: string,
    readonly lengthSectors: number,
  ) {
    if (!Number.isSafeInteger(lengthSectors) || lengthSectors <= 0) {
      throw new RangeError(
        `Target ${name}: length must be a positive whole number of sectors, got ${lengthSectors}`,
      );
    }
    this.sizeBytes = lengthSectors * SECTOR_BYTES;
  }

  /** The target-specific table arguments, e.g. "pv0 2048" for linear. */
  abstract params(): string;

  /** The target-specific status arguments; empty for targets that report nothing. */
  statusParams(): string {
    return "";
  }

  table(): string {
    return targetLine(this, { startSectors: 0, args: this.params() });
  }

  status(): string {
    return targetLine(this, { startSectors: 0, args: this.statusParams() });
  }

  read(offsetBytes: number, dst: Uint8Array, options: IoOptions = {}): number {
    checkRequest(this, { offsetBytes, lengthBytes: dst.byteLength });
    this.stats.readOps += 1;
    this.stats.readBytes += dst.byteLength;
    return this.mapRead(offsetBytes, dst, options.issueNs ?? 0);
  }

  write(offsetBytes: number, data: Uint8Array, options: WriteOptions = {}): number {
    checkRequest(this, { offsetBytes, lengthBytes: data.byteLength });
    this.stats.writeOps += 1;
    this.stats.writeBytes += data.byteLength;
    return this.mapWrite(offsetBytes, data, options.issueNs ?? 0, options.fua ?? false);
  }

  flush(options: IoOptions = {}): number {
    this.stats.flushOps += 1;
    return this.mapFlush(options.issueNs ?? 0);
  }

  discard(offsetBytes: number, lengthBytes: number, options: IoOptions = {}): number {
    checkRequest(this, { offsetBytes, lengthBytes });
    this.stats.discardOps += 1;
    this.stats.discardBytes += lengthBytes;
    return this.mapDiscard(offsetBytes, lengthBytes, options.issueNs ?? 0);
  }

  protected abstract mapRead(offsetBytes: number, dst: Uint8Array, issueNs: number): number;
  protected abstract mapWrite(offsetBytes: number, data: Uint8Array, issueNs: number, fua: boolean): number;
  protected abstract mapFlush(issueNs: number): number;
  protected abstract mapDiscard(offsetBytes: number, lengthBytes: number, issueNs: number): number;
}

/** One `dmsetup` line: `<start> <length> <type>[ <args>]`. */
export function targetLine(
  target: Target,
  options: { readonly startSectors: number; readonly args: string },
): string {
  const { startSectors, args } = options;
  const head = `${startSectors} ${target.lengthSectors} ${target.targetType}`;
  return args === "" ? head : `${head} ${args}`;
}
