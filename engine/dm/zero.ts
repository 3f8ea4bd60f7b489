/** The `zero` target: reads return zeros, writes are discarded (like /dev/zero). */

import { Target } from "./target.js";

/** Reads zero-fill, writes and discards succeed and vanish. */
export class ZeroTarget extends Target {
  readonly targetType = "zero";

  params(): string {
    return "";
  }

  protected mapRead(_offsetBytes: number, dst: Uint8Array, issueNs: number): number {
    dst.fill(0);
    return issueNs;
  }

  protected mapWrite(_offsetBytes: number, _data: Uint8Array, issueNs: number): number {
    return issueNs;
  }

  protected mapFlush(issueNs: number): number {
    return issueNs;
  }

  protected mapDiscard(_offsetBytes: number, _lengthBytes: number, issueNs: number): number {
    return issueNs;
  }
}
