/**
 * A pass-through BlockDevice that records every read and write's completion latency in one
 * histogram, so a mixed workload gets percentiles over all its I/Os rather than per direction.
 */

import type { BlockDevice, IoOptions, IoStats, WriteOptions } from "../../engine/block/device.js";
import { canQueueWrites, type QueuedDone, type QueuedWriter } from "../../engine/block/queued.js";
import { LatencyRecorder } from "../../workloads/measure.js";

/** Wraps `inner`; latency is completion minus issue time, exactly what the job engine sees. */
export class LatencyTap implements BlockDevice, QueuedWriter {
  readonly recorder = new LatencyRecorder();

  constructor(readonly inner: BlockDevice) {}

  /** The inner device's name. */
  get name(): string {
    return this.inner.name;
  }

  /** The inner device's size. */
  get sizeBytes(): number {
    return this.inner.sizeBytes;
  }

  /** The inner device's counters. */
  get stats(): IoStats {
    return this.inner.stats;
  }

  /** Read through and record the latency. */
  read(offsetBytes: number, dst: Uint8Array, options: IoOptions = {}): number {
    const issueNs = options.issueNs ?? 0;
    const doneNs = this.inner.read(offsetBytes, dst, options);
    this.recorder.record(doneNs - issueNs, dst.length);
    return doneNs;
  }

  /** Write through and record the latency. */
  write(offsetBytes: number, data: Uint8Array, options: WriteOptions = {}): number {
    const issueNs = options.issueNs ?? 0;
    const doneNs = this.inner.write(offsetBytes, data, options);
    this.recorder.record(doneNs - issueNs, data.length);
    return doneNs;
  }

  /** True when the inner device takes queued writes. */
  get queueing(): boolean {
    return canQueueWrites(this.inner);
  }

  /** Queue the write on the inner device and record its latency when it completes. */
  submitWrite(offsetBytes: number, data: Uint8Array, options: WriteOptions, done: QueuedDone): void {
    const inner = this.inner;
    if (!canQueueWrites(inner)) throw new Error(`Device ${inner.name} does not take queued writes`);
    const issueNs = options.issueNs ?? 0;
    inner.submitWrite(offsetBytes, data, options, (completion) => {
      if (completion.error === undefined) this.recorder.record(completion.completeNs - issueNs, data.length);
      done(completion);
    });
  }

  /** Flush through; flushes are not I/Os of the workload's latency figures. */
  flush(options: IoOptions = {}): number {
    return this.inner.flush(options);
  }

  /** Discard through. */
  discard(offsetBytes: number, lengthBytes: number, options: IoOptions = {}): number {
    return this.inner.discard(offsetBytes, lengthBytes, options);
  }
}
