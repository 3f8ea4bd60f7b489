/**
 * Queued writes: the asynchronous side of the BlockDevice contract, for targets whose kernel
 * counterpart hands writes to a worker thread and completes them later (dm-raid1's kmirrord,
 * dm-snapshot's pending exceptions). A caller that keeps many writes in flight (the job engine at
 * iodepth > 1) submits them here, so the target can batch every write queued in one worker pass
 * exactly as the kernel does; synchronous `write` stays the one-request-at-a-time path.
 */

import type { BlockDevice, WriteOptions } from "./device.js";
import type { BlockDeviceError } from "./errors.js";

/** How a queued write ended: its completion time and, when it failed, the error. */
export interface QueuedCompletion {
  readonly completeNs: number;
  readonly error?: BlockDeviceError;
}

/** Called once per queued write, from a scheduler event at `completeNs`. */
export type QueuedDone = (completion: QueuedCompletion) => void;

/** A device that can take writes into a queue served in virtual time. */
export interface QueuedWriter {
  /** True while a scheduler is attached and {@link submitWrite} may be used. */
  readonly queueing: boolean;
  /**
   * Queue a write issued at `options.issueNs`. The data is copied, so the caller may reuse its
   * buffer. `done` runs exactly once, from a scheduler event at the completion time.
   */
  submitWrite(offsetBytes: number, data: Uint8Array, options: WriteOptions, done: QueuedDone): void;
}

/** True when `device` takes queued writes right now. */
export function canQueueWrites(device: BlockDevice): device is BlockDevice & QueuedWriter {
  const candidate = device as Partial<QueuedWriter>;
  return typeof candidate.submitWrite === "function" && candidate.queueing === true;
}
