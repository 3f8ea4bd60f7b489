/**
 * A memory device's map from page index to page, with a "shared" flag per page (another holder may
 * reference it, so it is copied before it changes and never recycled). Pages live in chunks of 256
 * slots (1 MiB of device) held in a Map by chunk index: a region copy or a branch's borrowed disk
 * touches a chunk's plain arrays instead of inserting thousands of entries into a hash map, which
 * cost as much as the copies page sharing saved.
 */

import { ChunkMap } from "./chunk-map.js";

const CHUNK_PAGES = 256;

interface Chunk {
  readonly pages: (Uint8Array | undefined)[];
  /** 1 where the page is shared. */
  readonly shared: Uint8Array;
  /** Mapped pages in this chunk. */
  count: number;
}

function newChunk(): Chunk {
  return {
    pages: new Array<Uint8Array | undefined>(CHUNK_PAGES).fill(undefined),
    shared: new Uint8Array(CHUNK_PAGES),
    count: 0,
  };
}

/** Sparse page index → page, with a shared flag per page. */
export class PageTable {
  // The chunk last looked up answers at once: requests walk pages in order.
  readonly #chunks = new ChunkMap<Chunk>();
  #size = 0;
  #sharedSize = 0;

  /** Mapped pages. */
  get size(): number {
    return this.#size;
  }

  /** Mapped pages flagged shared. */
  get sharedSize(): number {
    return this.#sharedSize;
  }

  /** The page at `pageIndex`, or undefined when none is mapped. */
  get(pageIndex: number): Uint8Array | undefined {
    const chunkIndex = Math.floor(pageIndex / CHUNK_PAGES);
    return this.#chunks.get(chunkIndex)?.pages[pageIndex - chunkIndex * CHUNK_PAGES];
  }

  /** True when a page is mapped at `pageIndex`. */
  has(pageIndex: number): boolean {
    return this.get(pageIndex) !== undefined;
  }

  /** True when the page at `pageIndex` is mapped and shared. */
  isShared(pageIndex: number): boolean {
    const chunkIndex = Math.floor(pageIndex / CHUNK_PAGES);
    return this.#chunks.get(chunkIndex)?.shared[pageIndex - chunkIndex * CHUNK_PAGES] === 1;
  }

  /** Map `page` at `pageIndex` (replacing any page there), flagged shared or not. */
  set(pageIndex: number, page: Uint8Array, shared: boolean): void {
    const chunkIndex = Math.floor(pageIndex / CHUNK_PAGES);
    let chunk = this.#chunks.get(chunkIndex);
    if (chunk === undefined) {
      chunk = newChunk();
      this.#chunks.set(chunkIndex, chunk);
    }
    const slot = pageIndex - chunkIndex * CHUNK_PAGES;
    if (chunk.pages[slot] === undefined) {
      chunk.count += 1;
      this.#size += 1;
    }
    chunk.pages[slot] = page;
    const flag = shared ? 1 : 0;
    this.#sharedSize += flag - chunk.shared[slot]!;
    chunk.shared[slot] = flag;
  }

  /** Flag the mapped page at `pageIndex` shared (or not). */
  setShared(pageIndex: number, shared: boolean): void {
    const chunkIndex = Math.floor(pageIndex / CHUNK_PAGES);
    const chunk = this.#chunks.get(chunkIndex);
    const slot = pageIndex - chunkIndex * CHUNK_PAGES;
    if (chunk?.pages[slot] === undefined) throw new Error(`PageTable: no page ${pageIndex} to flag`);
    const flag = shared ? 1 : 0;
    this.#sharedSize += flag - chunk.shared[slot]!;
    chunk.shared[slot] = flag;
  }

  /** Unmap the page at `pageIndex`; returns whether it was shared (undefined when none was mapped). */
  delete(pageIndex: number): boolean | undefined {
    const chunkIndex = Math.floor(pageIndex / CHUNK_PAGES);
    const chunk = this.#chunks.get(chunkIndex);
    const slot = pageIndex - chunkIndex * CHUNK_PAGES;
    if (chunk?.pages[slot] === undefined) return undefined;
    const shared = chunk.shared[slot] === 1;
    chunk.pages[slot] = undefined;
    chunk.shared[slot] = 0;
    chunk.count -= 1;
    this.#size -= 1;
    if (shared) this.#sharedSize -= 1;
    if (chunk.count === 0) {
      this.#chunks.delete(chunkIndex);
    }
    return shared;
  }

  /** Calls `visit` for every mapped page in ascending index order; `visit` must not change the table. */
  forEach(visit: (pageIndex: number, page: Uint8Array, shared: boolean) => void): void {
    const chunkIndexes = this.#chunks.sortedIndexes();
    for (const chunkIndex of chunkIndexes) {
      const chunk = this.#chunks.get(chunkIndex)!;
      const base = chunkIndex * CHUNK_PAGES;
      for (let slot = 0; slot < CHUNK_PAGES; slot++) {
        const page = chunk.pages[slot];
        if (page !== undefined) visit(base + slot, page, chunk.shared[slot] === 1);
      }
    }
  }

  /** Mapped page indexes in [firstPage, endPage), ascending; walks chunks, not the whole range. */
  indexesIn(firstPage: number, endPage: number): number[] {
    const out: number[] = [];
    const firstChunk = Math.floor(firstPage / CHUNK_PAGES);
    const endChunk = Math.ceil(endPage / CHUNK_PAGES);
    const chunkIndexes =
      endChunk - firstChunk > this.#chunks.size
        ? this.#chunks.sortedIndexes(firstChunk, endChunk)
        : Array.from({ length: endChunk - firstChunk }, (_, i) => firstChunk + i);
    for (const chunkIndex of chunkIndexes) {
      const chunk = this.#chunks.get(chunkIndex);
      if (chunk === undefined) continue;
      const base = chunkIndex * CHUNK_PAGES;
      const from = Math.max(firstPage - base, 0);
      const to = Math.min(endPage - base, CHUNK_PAGES);
      for (let slot = from; slot < to; slot++) if (chunk.pages[slot] !== undefined) out.push(base + slot);
    }
    return out;
  }

  /** Map every page of `other` here too, flagged shared here (this table must be empty). */
  shareAllOf(other: PageTable): void {
    if (this.#size > 0) throw new Error("PageTable.shareAllOf needs an empty table");
    for (const [chunkIndex, chunk] of other.#chunks.entries()) {
      const copy: Chunk = {
        pages: chunk.pages.slice(),
        shared: new Uint8Array(CHUNK_PAGES),
        count: chunk.count,
      };
      for (let slot = 0; slot < CHUNK_PAGES; slot++)
        if (chunk.pages[slot] !== undefined) copy.shared[slot] = 1;
      this.#chunks.set(chunkIndex, copy);
    }
    this.#size = other.#size;
    this.#sharedSize = other.#size;
  }

  /** Flag every mapped page shared. */
  shareAll(): void {
    for (const chunk of this.#chunks.values()) {
      for (let slot = 0; slot < CHUNK_PAGES; slot++)
        if (chunk.pages[slot] !== undefined) chunk.shared[slot] = 1;
    }
    this.#sharedSize = this.#size;
  }

  /** Unmap everything. */
  clear(): void {
    this.#chunks.clear();
    this.#size = 0;
    this.#sharedSize = 0;
  }
}
