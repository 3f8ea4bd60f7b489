/**
 * The ordered log of writes a volatile cache holds since its last completed flush, with
 * sector-granular bookkeeping: a sector of a logged write stops being "live" when a later durable
 * request (a FUA write or a discard) covers it, because no crash can bring the older data back.
 */

import { SECTOR_BYTES } from "./device.js";

/** One write waiting in the volatile cache. */
export interface LoggedWrite {
  /** Cache-wide sequence number, increasing; never reused. */
  readonly seq: number;
  readonly offsetBytes: number;
  /** Length of the write; the same as `data.length`, without making a page-backed write copy its bytes. */
  readonly lengthBytes: number;
  /** The written bytes, never changed: the cache's own copy (or made on first use from lent pages). */
  readonly data: Uint8Array;
  /** Per-sector flags, 1 = live; null while every sector is live (the common case). */
  live: Uint8Array | null;
  /** How many sectors are still live. */
  liveSectors: number;
}

/** A run of sectors relative to the start of a write: [firstSector, sectorCount]. */
export type SectorRun = readonly [number, number];

/** Number of sectors a logged write covers. */
export function sectorCount(write: LoggedWrite): number {
  return write.lengthBytes / SECTOR_BYTES;
}

/** True when sector `index` (relative to the write) is live. */
export function isLive(write: LoggedWrite, index: number): boolean {
  return write.live === null ? index >= 0 && index < sectorCount(write) : write.live[index] === 1;
}

/** The live sectors of a write as maximal runs, in ascending order. */
export function liveRuns(write: LoggedWrite): SectorRun[] {
  const total = sectorCount(write);
  if (write.live === null) return total === 0 ? [] : [[0, total]];
  const runs: SectorRun[] = [];
  let start = -1;
  for (let i = 0; i <= total; i++) {
    const live = i < total && write.live[i] === 1;
    if (live && start < 0) start = i;
    else if (!live && start >= 0) {
      runs.push([start, i - start]);
      start = -1;
    }
  }
  return runs;
}

/**
 * Mark the sectors of `write` inside the absolute byte range as no longer live; returns how many
 * were live before. Used when a durable request overwrites or discards them.
 */
export function supersede(
  write: LoggedWrite,
  range: { readonly offsetBytes: number; readonly endBytes: number },
): number {
  const from = Math.max(range.offsetBytes, write.offsetBytes);
  const to = Math.min(range.endBytes, write.offsetBytes + write.lengthBytes);
  if (from >= to) return 0;
  const total = sectorCount(write);
  if (write.live === null) write.live = new Uint8Array(total).fill(1);
  let cleared = 0;
  for (let i = (from - write.offsetBytes) / SECTOR_BYTES; i < (to - write.offsetBytes) / SECTOR_BYTES; i++) {
    if (write.live[i] === 1) {
      write.live[i] = 0;
      cleared += 1;
    }
  }
  write.liveSectors -= cleared;
  if (write.liveSectors < 0) {
    throw new Error(`Write log corrupt: write seq ${write.seq} has ${write.liveSectors} live sectors`);
  }
  return cleared;
}

/** Convert runs to a canonical sorted, merged list, checking each lies inside `[0, totalSectors)`. */
export function normaliseRuns(runs: readonly SectorRun[], totalSectors: number): SectorRun[] {
  const sorted = [...runs].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [first, count] of sorted) {
    if (
      !Number.isInteger(first) ||
      !Number.isInteger(count) ||
      first < 0 ||
      count <= 0 ||
      first + count > totalSectors
    ) {
      throw new RangeError(
        `Sector run [${first}, ${count}] is outside the write's ${totalSectors} sectors; ` +
          "use runs recorded from the same log",
      );
    }
    const last = merged[merged.length - 1];
    if (last !== undefined && first <= last[0] + last[1])
      last[1] = Math.max(last[1], first + count - last[0]);
    else merged.push([first, count]);
  }
  return merged;
}

/** Runs covering the given sorted sector indexes (relative to a write). */
export function runsOf(sortedSectors: readonly number[]): SectorRun[] {
  const runs: [number, number][] = [];
  for (const sector of sortedSectors) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last[0] + last[1] === sector) last[1] += 1;
    else runs.push([sector, 1]);
  }
  return runs;
}
