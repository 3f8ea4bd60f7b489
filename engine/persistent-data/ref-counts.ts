/**
 * The in-core half of a space map (dm-space-map-disk.c / dm-space-map-metadata.c): a reference
 * count per block, plus the counts of the last commit. A block is allocated only when it is free in
 * both, so a block freed in this transaction is reused only after the commit — the rule that makes
 * the previous commit survive a crash intact.
 */
import { PersistentDataError } from "./block.js";

/** Blocks a space map may track here; dm-thin's own limit for data is far above what a model needs. */
const REF_COUNTS_MAX_BLOCKS = 1 << 26;

/** Reference counts of one space map, with the last committed copy. */
export class RefCounts {
  #counts: Uint32Array;
  #committed: Uint32Array;
  #allocated = 0;
  #cursor = 0;
  #limit: number | undefined;

  /** `what` names the space map in errors ("metadata" or "data"). */
  constructor(
    readonly what: string,
    nrBlocks: number,
  ) {
    checkSize(what, nrBlocks);
    this.#counts = new Uint32Array(nrBlocks);
    this.#committed = new Uint32Array(nrBlocks);
  }

  /** Blocks the map covers. */
  get nrBlocks(): number {
    return this.#counts.length;
  }

  /** Blocks with a non-zero count now (`nr_allocated` once committed). */
  get allocated(): number {
    return this.#allocated;
  }

  /** Free blocks as the kernel counts them: total minus allocated now, freed blocks included. */
  get free(): number {
    return this.#counts.length - this.#allocated;
  }

  /** The count of block `b` now. */
  count(b: number): number {
    this.#check(b);
    return this.#counts[b] ?? 0;
  }

  /** The count of block `b` at the last commit. */
  committedCount(b: number): number {
    this.#check(b);
    return this.#committed[b] ?? 0;
  }

  /**
   * Caps the blocks that may be allocated at once (undefined lifts it): allocation beyond fails as
   * if the device were full. A fault hook; the counts and `free` are unchanged.
   */
  setAllocationLimit(limit: number | undefined): void {
    this.#limit = limit;
  }

  /**
   * Takes a block free now and at the last commit, searching from a moving cursor with one wrap;
   * undefined when none. `reuseFreedNow` (a mutation only) also takes blocks freed in this
   * transaction, which the last commit still maps.
   */
  allocate(options: { readonly reuseFreedNow?: boolean } = {}): number | undefined {
    const ignoreCommitted = options.reuseFreedNow === true;
    if (this.#limit !== undefined && this.#allocated >= this.#limit) return undefined;
    const n = this.#counts.length;
    for (let pass = 0; pass < 2; pass++) {
      const from = pass === 0 ? this.#cursor : 0;
      const to = pass === 0 ? n : Math.min(this.#cursor, n);
      for (let b = from; b < to; b++) {
        if (this.#counts[b] === 0 && (ignoreCommitted || this.#committed[b] === 0)) {
          this.#counts[b] = 1;
          this.#allocated += 1;
          this.#cursor = b + 1;
          return b;
        }
      }
    }
    return undefined;
  }

  /** Adds one reference to block `b`. */
  inc(b: number): void {
    this.#check(b);
    if (this.#counts[b] === 0) this.#allocated += 1;
    this.#counts[b] = (this.#counts[b] ?? 0) + 1;
  }

  /** Drops one reference to block `b`; a count never goes below zero. */
  dec(b: number): void {
    this.#check(b);
    const was = this.#counts[b] ?? 0;
    if (was === 0) {
      throw new PersistentDataError(
        "EINVAL",
        `The ${this.what} space map cannot drop a reference to free block ${b}`,
        b,
      );
    }
    this.#counts[b] = was - 1;
    if (was === 1) this.#allocated -= 1;
  }

  /** Sets a count read from disk (open); also the committed count. */
  load(b: number, count: number): void {
    this.#check(b);
    if ((this.#counts[b] ?? 0) === 0 && count > 0) this.#allocated += 1;
    if ((this.#counts[b] ?? 0) > 0 && count === 0) this.#allocated -= 1;
    this.#counts[b] = count;
    this.#committed[b] = count;
  }

  /** The current counts become the committed ones. `resetCursor` restarts the search at block 0 (the metadata map does). */
  commit(options: { readonly resetCursor: boolean }): void {
    this.#committed.set(this.#counts);
    if (options.resetCursor) this.#cursor = 0;
  }

  /** Forgets this transaction: the counts return to the last commit. */
  rollback(): void {
    this.#counts.set(this.#committed);
    this.#allocated = 0;
    for (const c of this.#counts) if (c > 0) this.#allocated += 1;
    this.#cursor = 0;
  }

  /** Grows the map to `nrBlocks` (new blocks free); shrinking is refused as dm-thin refuses it. */
  resize(nrBlocks: number): void {
    checkSize(this.what, nrBlocks);
    if (nrBlocks < this.#counts.length) {
      throw new PersistentDataError(
        "EINVAL",
        `The ${this.what} space map cannot shrink from ${this.#counts.length} to ${nrBlocks} blocks`,
      );
    }
    const counts = new Uint32Array(nrBlocks);
    counts.set(this.#counts);
    const committed = new Uint32Array(nrBlocks);
    committed.set(this.#committed);
    this.#counts = counts;
    this.#committed = committed;
  }

  /** Calls `visit` for every block with a count, in block order. */
  forEachUsed(visit: (b: number, count: number) => void): void {
    this.#counts.forEach((count, b) => {
      if (count > 0) visit(b, count);
    });
  }

  #check(b: number): void {
    if (!Number.isInteger(b) || b < 0 || b >= this.#counts.length) {
      throw new PersistentDataError(
        "EIO",
        `Block ${b} is outside the ${this.what} space map (${this.#counts.length} blocks); the metadata is damaged`,
        b,
      );
    }
  }
}

function checkSize(what: string, nrBlocks: number): void {
  if (!Number.isSafeInteger(nrBlocks) || nrBlocks < 0 || nrBlocks > REF_COUNTS_MAX_BLOCKS) {
    throw new PersistentDataError(
      "EINVAL",
      `The ${what} space map cannot hold ${nrBlocks} blocks (at most ${REF_COUNTS_MAX_BLOCKS})`,
    );
  }
}
