/**
 * The one request check every block backend runs before touching data, so that misaligned or
 * out-of-range requests fail the same way everywhere, naming the device, the range and the fix.
 */

import { SECTOR_BYTES } from "./device.js";
import { BlockDeviceError } from "./errors.js";

/** What a request does, for the error message. */
export type RequestKind = "read" | "write" | "discard";

/** The part of a device a request is checked against. */
export interface RequestTarget {
  readonly name: string;
  readonly sizeBytes: number;
}

/** Options for {@link validateRequest}. */
export interface ValidateOptions {
  /** The request kind, named in the error. Defaults to "read". */
  readonly kind?: RequestKind;
}

/**
 * Throw `BlockDeviceError("EINVAL")` unless `[offsetBytes, offsetBytes + lengthBytes)` is a
 * sector-aligned range of whole sectors inside the device. Zero-length requests are valid no-ops.
 */
export function validateRequest(
  target: RequestTarget,
  range: { readonly offsetBytes: number; readonly lengthBytes: number },
  options: ValidateOptions = {},
): void {
  const { offsetBytes, lengthBytes } = range;
  // The hot path is one combined test; only a failing request pays for building the message.
  if (
    Number.isSafeInteger(offsetBytes) &&
    Number.isSafeInteger(lengthBytes) &&
    offsetBytes >= 0 &&
    lengthBytes >= 0 &&
    offsetBytes % SECTOR_BYTES === 0 &&
    lengthBytes % SECTOR_BYTES === 0 &&
    offsetBytes + lengthBytes <= target.sizeBytes
  ) {
    return;
  }
  const kind = options.kind ?? "read";
  const fail = (detail: string): never => {
    throw new BlockDeviceError("EINVAL", target.name, offsetBytes, lengthBytes, detail);
  };
  if (!Number.isSafeInteger(offsetBytes) || offsetBytes < 0) {
    fail(`${kind} offset ${offsetBytes} is not a non-negative integer; pass a byte offset`);
  }
  if (!Number.isSafeInteger(lengthBytes) || lengthBytes < 0) {
    fail(`${kind} length ${lengthBytes} is not a non-negative integer; pass a byte length`);
  }
  if (offsetBytes % SECTOR_BYTES !== 0 || lengthBytes % SECTOR_BYTES !== 0) {
    fail(
      `${kind} is not aligned to ${SECTOR_BYTES}-byte sectors (offset % ${SECTOR_BYTES} = ` +
        `${offsetBytes % SECTOR_BYTES}, length % ${SECTOR_BYTES} = ${lengthBytes % SECTOR_BYTES}); ` +
        `round the request to whole sectors`,
    );
  }
  if (offsetBytes + lengthBytes > target.sizeBytes) {
    fail(
      `${kind} ends at byte ${offsetBytes + lengthBytes}, past the end of the device ` +
        `(${target.sizeBytes} bytes); keep requests within the device size`,
    );
  }
  throw new Error(`Request check on ${target.name} reached an impossible state; report this as a bug`);
}

/** Check a device size at construction: a positive safe integer multiple of the sector size. */
export function validateDeviceSize(name: string, sizeBytes: number): void {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes % SECTOR_BYTES !== 0) {
    throw new BlockDeviceError(
      "EINVAL",
      name,
      0,
      0,
      `device size ${sizeBytes} bytes is not a positive multiple of ${SECTOR_BYTES}; ` +
        `give a size in whole sectors`,
    );
  }
}

/** Read the issue time from request options, checking it is a finite non-negative number. */
export function issueTimeNs(name: string, issueNs: number | undefined): number {
  const atNs = issueNs ?? 0;
  if (!Number.isFinite(atNs) || atNs < 0) {
    throw new BlockDeviceError(
      "EINVAL",
      name,
      0,
      0,
      `issue time ${atNs} ns is not a finite non-negative number; pass the scheduler's nowNs`,
    );
  }
  return atNs;
}
