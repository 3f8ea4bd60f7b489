/**
 * Where each I/O of a job goes: sequential (one cursor per direction, wrapping at the end of the
 * region, as fio's `last_pos`) or random over slots of the smallest block size, drawn from the
 * job's distribution. An I/O that would run past the region's end is shortened to fit, in whole
 * slots, so every request stays inside the job's region and aligned to the verify interval.
 */

import type { IndexSampler } from "./distributions.js";
import { createIndexSampler } from "./distributions.js";
import type { Direction, JobSpec } from "./job-spec.js";
import { isRandom } from "./job-spec.js";
import type { WorkloadRng } from "./random-source.js";

/** The byte range a job works in, resolved against its target. */
export interface JobRegion {
  readonly startBytes: number;
  readonly lengthBytes: number;
  /** Offsets and lengths are multiples of this (the smallest block size). */
  readonly slotBytes: number;
}

/** One placed request. */
export interface Placement {
  readonly offsetBytes: number;
  readonly lengthBytes: number;
}

/** Resolve `size`/`offset` (bytes or percent) against a device of `deviceBytes`. */
export function resolveRegion(job: JobSpec, deviceBytes: number, slotBytes: number): JobRegion {
  const resolve = (value: JobSpec["offset"]): number =>
    "percent" in value ? Math.floor((deviceBytes * value.percent) / 100) : value.bytes;
  const startBytes = Math.floor(resolve(job.offset) / slotBytes) * slotBytes;
  const available = deviceBytes - startBytes;
  const wanted = job.size === undefined ? available : resolve(job.size);
  const lengthBytes = Math.floor(Math.min(wanted, available) / slotBytes) * slotBytes;
  if (lengthBytes < slotBytes) {
    throw new RangeError(
      `Job "${job.name}": region at byte ${startBytes} of ${deviceBytes} holds less than one ${slotBytes}-byte block; ` +
        "lower offset or raise size",
    );
  }
  return { startBytes, lengthBytes, slotBytes };
}

/** Places a job's requests inside its region. */
export class OffsetGenerator {
  readonly #region: JobRegion;
  readonly #sampler: IndexSampler | undefined;
  readonly #cursor: Record<Direction, number> = { read: 0, write: 0, trim: 0 };

  constructor(job: JobSpec, region: JobRegion, options: { rng: WorkloadRng }) {
    this.#region = region;
    const slots = region.lengthBytes / region.slotBytes;
    this.#sampler = isRandom(job.rw)
      ? createIndexSampler(job.randomDistribution, slots, { rng: options.rng, randomMap: !job.norandommap })
      : undefined;
  }

  /** The next request of `lengthBytes` in `direction`, shortened at the region's end. */
  next(direction: Direction, lengthBytes: number): Placement {
    const { startBytes, lengthBytes: regionBytes, slotBytes } = this.#region;
    let relative: number;
    if (this.#sampler === undefined) {
      relative = this.#cursor[direction];
      if (relative >= regionBytes) relative = 0;
    } else {
      relative = this.#sampler.next() * slotBytes;
    }
    const length = Math.min(lengthBytes, regionBytes - relative);
    if (this.#sampler === undefined) this.#cursor[direction] = relative + length;
    return { offsetBytes: startBytes + relative, lengthBytes: length };
  }
}
