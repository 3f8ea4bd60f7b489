/** The `error` target: every read, write and discard fails with EIO (what LVM2 maps missing PVs to). */

import { BlockDeviceError } from "../block/errors.js";
import { Target } from "./target.js";

/** Fails every data request with EIO. */
export class ErrorTarget extends Target {
  readonly targetType = "error";

  params(): string {
    return "";
  }

  protected mapRead(offsetBytes: number, dst: Uint8Array): number {
    throw this.#eio(offsetBytes, dst.byteLength);
  }

  protected mapWrite(offsetBytes: number, data: Uint8Array): number {
    throw this.#eio(offsetBytes, data.byteLength);
  }

  /** dm core never sends empty flushes to a target without flush support, so a flush succeeds. */
  protected mapFlush(issueNs: number): number {
    return issueNs;
  }

  protected mapDiscard(offsetBytes: number, lengthBytes: number): number {
    throw this.#eio(offsetBytes, lengthBytes);
  }

  #eio(offsetBytes: number, lengthBytes: number): BlockDeviceError {
    return new BlockDeviceError(
      "EIO",
      this.name,
      offsetBytes,
      lengthBytes,
      "error target fails every request",
    );
  }
}
