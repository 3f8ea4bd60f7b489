/** Error codes a block device can raise, with the errno meanings Linux gives them. */
export type BlockErrorCode = "EIO" | "ENXIO" | "ENOSPC" | "EINVAL";

/**
 * A failed block request. Always names the device and the byte range, so that a report can say
 * exactly which sector of which PV failed.
 */
export class BlockDeviceError extends Error {
  override readonly name = "BlockDeviceError";

  constructor(
    readonly code: BlockErrorCode,
    readonly device: string,
    readonly offsetBytes: number,
    readonly lengthBytes: number,
    detail: string,
  ) {
    super(`${code} on ${device} at byte ${offsetBytes} (+${lengthBytes}): ${detail}`);
  }
}

/** True when the error is a {@link BlockDeviceError}, optionally with the given code. */
export function isBlockDeviceError(error: unknown, code?: BlockErrorCode): error is BlockDeviceError {
  return error instanceof BlockDeviceError && (code === undefined || error.code === code);
}
