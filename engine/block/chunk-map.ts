/**
 * A map from chunk index to chunk that answers a lookup of the chunk looked up last without
 * hashing: a request walks its pages or sectors in order, so consecutive lookups mostly hit the
 * same chunk. Used by the memory device's page table and the cache's sector overlay.
 */
export class ChunkMap<C> {
  readonly #map = new Map<number, C>();
  #lastIndex = -1;
  #last: C | undefined;

  /** Chunks held. */
  get size(): number {
    return this.#map.size;
  }

  /** The chunk at `chunkIndex`, or undefined. */
  get(chunkIndex: number): C | undefined {
    if (chunkIndex === this.#lastIndex) return this.#last;
    const chunk = this.#map.get(chunkIndex);
    if (chunk !== undefined) {
      this.#lastIndex = chunkIndex;
      this.#last = chunk;
    }
    return chunk;
  }

  /** Hold `chunk` at `chunkIndex`, replacing any chunk there. */
  set(chunkIndex: number, chunk: C): void {
    this.#map.set(chunkIndex, chunk);
    this.#lastIndex = chunkIndex;
    this.#last = chunk;
  }

  /** Drop the chunk at `chunkIndex`, if any. */
  delete(chunkIndex: number): void {
    this.#map.delete(chunkIndex);
    if (chunkIndex === this.#lastIndex) {
      this.#lastIndex = -1;
      this.#last = undefined;
    }
  }

  /** Drop every chunk. */
  clear(): void {
    this.#map.clear();
    this.#lastIndex = -1;
    this.#last = undefined;
  }

  /** Chunk indexes held, ascending; with bounds, only those in [firstChunk, endChunk). */
  sortedIndexes(firstChunk = Number.NEGATIVE_INFINITY, endChunk = Number.POSITIVE_INFINITY): number[] {
    return [...this.#map.keys()].filter((c) => c >= firstChunk && c < endChunk).sort((a, b) => a - b);
  }

  /** The chunks held, in insertion order. */
  values(): IterableIterator<C> {
    return this.#map.values();
  }

  /** [chunk index, chunk] pairs, in insertion order. */
  entries(): IterableIterator<[number, C]> {
    return this.#map.entries();
  }
}
