/**
 * The mirror's region hash (dm-region-hash.c): the in-memory state of each region with I/O in
 * flight, on top of the region log. A region written while CLEAN becomes DIRTY (its clean bit is
 * cleared in the log); when its last write completes it goes on the clean list and the next pass
 * sets the clean bit again. A region whose write failed on a leg is NOSYNC until it is recovered.
 */

import type { FlushLegs, RegionLog } from "./region-log.js";

/** Region states, named as in dm-region-hash.h. */
export type RegionState = "CLEAN" | "DIRTY" | "NOSYNC" | "RECOVERING";

interface RegionEntry {
  state: RegionState;
  pending: number;
}

/** Region states and pending counts, driving mark/clear on the log. */
export class RegionHash {
  readonly log: RegionLog;
  readonly #entries = new Map<number, RegionEntry>();
  /** Regions whose last write completed while DIRTY: cleared by the next {@link updateStates}. */
  readonly #cleanList = new Set<number>();
  /** Regions recovered since the last pass, with the copy's success. */
  readonly #recovered = new Map<number, boolean>();

  constructor(log: RegionLog) {
    this.log = log;
  }

  /** The region's state: its entry's, else CLEAN if the log says in sync, else NOSYNC. */
  getState(region: number): RegionState {
    const entry = this.#entries.get(region);
    if (entry !== undefined) return entry.state;
    return this.log.inSync(region) ? "CLEAN" : "NOSYNC";
  }

  /** Writes in flight in the region. */
  pending(region: number): number {
    return this.#entries.get(region)?.pending ?? 0;
  }

  /** Regions waiting on the clean list. */
  get cleanListSize(): number {
    return this.#cleanList.size;
  }

  /** A write is about to be dispatched to the region: count it and mark a CLEAN region dirty. */
  inc(region: number): void {
    const entry = this.#find(region);
    if (entry.state === "RECOVERING") {
      throw new Error(`Region ${region} is being recovered; writes to it must wait for the recovery to end`);
    }
    entry.pending += 1;
    if (entry.state === "CLEAN") {
      entry.state = "DIRTY";
      this.#cleanList.delete(region);
      this.log.markRegion(region);
    }
  }

  /** A write to the region completed; an idle DIRTY region goes on the clean list. */
  dec(region: number): void {
    const entry = this.#entries.get(region);
    if (entry === undefined || entry.pending <= 0) {
      throw new Error(
        `Region ${region}: write completion without a pending write (pending ${entry?.pending ?? 0})`,
      );
    }
    entry.pending -= 1;
    if (entry.pending === 0 && entry.state === "DIRTY") {
      entry.state = "CLEAN";
      this.#cleanList.add(region);
    } else if (entry.pending === 0 && entry.state === "NOSYNC" && !this.log.inSync(region)) {
      // The log already says out of sync; the entry adds nothing and would only grow the hash.
      this.#entries.delete(region);
    }
  }

  /** A write to the region failed on some leg: the legs differ, so the region is out of sync. */
  markNosync(region: number): void {
    this.log.setRegionSync(region, false);
    const entry = this.#find(region);
    entry.state = "NOSYNC";
    this.#cleanList.delete(region);
  }

  /** Persist marks made so far (before data writes are dispatched). */
  flush(issueNs: number, flushLegs: FlushLegs): number {
    return this.log.flush(issueNs, flushLegs);
  }

  /**
   * Start recovering the next out-of-sync region, or return undefined when none is left. The
   * caller copies the region and then calls {@link endRecovery}.
   */
  startRecovery(): number | undefined {
    const region = this.log.getResyncWork();
    if (region === undefined) return undefined;
    const entry = this.#find(region);
    // In this synchronous model no write is ever in flight between requests, so the region is quiesced.
    if (entry.pending !== 0) {
      throw new Error(`Region ${region} chosen for recovery with ${entry.pending} writes in flight`);
    }
    entry.state = "RECOVERING";
    this.#cleanList.delete(region);
    return region;
  }

  /** The copy of a recovering region finished; the next {@link updateStates} records the result. */
  endRecovery(region: number, success: boolean): void {
    const entry = this.#entries.get(region);
    if (entry?.state !== "RECOVERING") {
      throw new Error(`Region ${region}: recovery ended but it was ${entry?.state ?? "not in the hash"}`);
    }
    this.#recovered.set(region, success);
  }

  /**
   * The start of every mirror pass: recovered regions become clean and in sync (or stay out of
   * sync after a failed copy, when errors are handled), idle regions on the clean list get their
   * clean bit back, then the log is flushed (which flushes the legs first if bits were cleaned).
   */
  updateStates(
    issueNs: number,
    options: { readonly errorsHandled: boolean; readonly flushLegs: FlushLegs },
  ): number {
    for (const [region, success] of this.#recovered) {
      if (success) this.log.clearRegion(region);
      this.log.setRegionSync(region, success || !options.errorsHandled);
      this.#entries.delete(region);
    }
    this.#recovered.clear();
    for (const region of this.#cleanList) {
      this.log.clearRegion(region);
      this.#entries.delete(region);
    }
    this.#cleanList.clear();
    return this.log.flush(issueNs, options.flushLegs);
  }

  #find(region: number): RegionEntry {
    let entry = this.#entries.get(region);
    if (entry === undefined) {
      entry = { state: this.log.inSync(region) ? "CLEAN" : "NOSYNC", pending: 0 };
      this.#entries.set(region, entry);
    }
    return entry;
  }
}
