/**
 * Where a MemoryDevice gets its 4 KiB pages. Pages are carved out of chunks that double in size
 * (64 KiB up to 32 MiB) instead of being allocated one by one, because a lone 4 KiB ArrayBuffer
 * comes from malloc 16-byte aligned, and copying into memory that is not cache-line aligned runs
 * at about half speed; large chunks are mmap'd and page aligned. Doubling keeps memory within
 * about twice what was written, and untouched parts of a fresh chunk cost no physical memory.
 */

/** Page size handed out by the pool. */
export const POOL_PAGE_BYTES = 4096;
const FIRST_CHUNK_BYTES = 64 * 1024;
// glibc always mmaps allocations this large (its dynamic threshold stops at 32 MiB on 64-bit).
const MAX_CHUNK_BYTES = 32 * 1024 * 1024;
// Free pages kept for reuse; beyond this a freed page is dropped (its chunk stays referenced).
const MAX_FREE_PAGES = 1 << 16;
// Pages of dropped devices kept for any pool of this thread (64 MiB). Crash-point exploration
// builds and drops a machine per point; without this every machine paid for fresh chunks (calloc,
// page faults) and the collector for the old ones.
const MAX_RECYCLED_PAGES = 16_384;
const recycled: Uint8Array[] = [];

/** A source of zeroed 4 KiB pages with a free list, owned by one device. */
export class PagePool {
  #chunk: Uint8Array | undefined;
  #usedBytes = 0;
  #nextChunkBytes = FIRST_CHUNK_BYTES;
  #allocatedBytes = 0;
  readonly #free: Uint8Array[] = [];

  /** Bytes of chunks this pool allocated. */
  get allocatedBytes(): number {
    return this.#allocatedBytes;
  }

  /** Bytes allocated but not handed out: free pages plus the unused tail of the current chunk. */
  get spareBytes(): number {
    const tail = this.#chunk === undefined ? 0 : this.#chunk.length - this.#usedBytes;
    return this.#free.length * POOL_PAGE_BYTES + tail;
  }

  /** A page; zero-filled unless `options.zeroed` is false (the caller overwrites all of it). */
  take(options: { readonly zeroed?: boolean } = {}): Uint8Array {
    const reused = this.#free.pop() ?? recycled.pop();
    if (reused !== undefined) {
      if (options.zeroed !== false) reused.fill(0);
      return reused;
    }
    let chunk = this.#chunk;
    if (chunk === undefined || this.#usedBytes === chunk.length) {
      chunk = new Uint8Array(this.#nextChunkBytes);
      this.#allocatedBytes += chunk.length;
      this.#nextChunkBytes = Math.min(this.#nextChunkBytes * 2, MAX_CHUNK_BYTES);
      this.#chunk = chunk;
      this.#usedBytes = 0;
    }
    const page = chunk.subarray(this.#usedBytes, this.#usedBytes + POOL_PAGE_BYTES);
    this.#usedBytes += POOL_PAGE_BYTES;
    return page;
  }

  /**
   * Hand the pages of a device being dropped to every pool of this thread (a bounded number is
   * kept; the rest go to the collector). No one may reference them afterwards; a pool zeroes a
   * page when it is taken zeroed.
   */
  static recycle(pages: Iterable<Uint8Array>): void {
    for (const page of pages) {
      if (recycled.length >= MAX_RECYCLED_PAGES) return;
      if (page.length !== POOL_PAGE_BYTES) {
        throw new RangeError(
          `PagePool.recycle got a ${page.length}-byte page; only ${POOL_PAGE_BYTES}-byte pages belong here`,
        );
      }
      recycled.push(page);
    }
  }

  /** Gives this pool's free pages to every pool of this thread (the pool's device is being dropped). */
  recycleFree(): void {
    PagePool.recycle(this.#free.splice(0));
  }

  /** Return a page no one else references; it is zeroed when taken again. */
  give(page: Uint8Array): void {
    if (page.length !== POOL_PAGE_BYTES) {
      throw new RangeError(
        `PagePool.give got a ${page.length}-byte page; only ${POOL_PAGE_BYTES}-byte pages belong here`,
      );
    }
    if (this.#free.length < MAX_FREE_PAGES) this.#free.push(page);
  }
}
