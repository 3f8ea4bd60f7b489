/**
 * Storage for the bytes of a write-cache log. Copies are packed into 1 MiB chunks instead of one
 * ArrayBuffer per write, because allocating (and later collecting) a backing store per 4 KiB
 * write cost more than everything else the cache does. The log is consumed oldest first, so a
 * chunk is recycled as soon as every copy in it has been released.
 */

/** Size of one arena chunk; larger writes get a buffer of their own. */
export const LOG_CHUNK_BYTES = 1024 * 1024;
// Recycled chunks kept for the next epoch; beyond this they go back to the garbage collector.
const MAX_SPARE_CHUNKS = 16;
// Chunks of dropped arenas kept for any arena of this thread (one machine per explored crash point
// would otherwise allocate, and the collector free, its chunks again and again).
const MAX_RECYCLED_CHUNKS = 32;
const recycledChunks: Uint8Array[] = [];

interface Chunk {
  readonly bytes: Uint8Array;
  usedBytes: number;
  liveCopies: number;
  /** A buffer made for one large write: never reused. */
  readonly dedicated: boolean;
}

/** A first-in-first-out arena of byte copies. */
export class LogArena {
  // Chunks in allocation order; only the last may still take new copies.
  #chunks: Chunk[] = [];
  #head = 0;
  readonly #spare: Uint8Array[] = [];
  #liveCopies = 0;

  /** Copies not yet released. */
  get liveCopies(): number {
    return this.#liveCopies;
  }

  /** Bytes of chunks held, in use or spare. */
  get heldBytes(): number {
    let total = this.#spare.length * LOG_CHUNK_BYTES;
    for (let i = this.#head; i < this.#chunks.length; i++) total += this.#chunks[i]!.bytes.length;
    return total;
  }

  /** Copy `data` into the arena; the view stays valid until it is released or the arena cleared. */
  copy(data: Uint8Array): Uint8Array {
    this.#liveCopies += 1;
    if (data.length > LOG_CHUNK_BYTES) {
      this.#chunks.push({ bytes: data.slice(), usedBytes: data.length, liveCopies: 1, dedicated: true });
      return this.#chunks[this.#chunks.length - 1]!.bytes;
    }
    let current = this.#chunks[this.#chunks.length - 1];
    if (
      current === undefined ||
      this.#chunks.length === this.#head ||
      current.dedicated ||
      current.usedBytes + data.length > current.bytes.length
    ) {
      current = {
        bytes: this.#spare.pop() ?? recycledChunks.pop() ?? new Uint8Array(LOG_CHUNK_BYTES),
        usedBytes: 0,
        liveCopies: 0,
        dedicated: false,
      };
      this.#chunks.push(current);
    }
    const view = current.bytes.subarray(current.usedBytes, current.usedBytes + data.length);
    view.set(data);
    current.usedBytes += data.length;
    current.liveCopies += 1;
    return view;
  }

  /** Release the oldest live copy (the log is consumed in order). */
  releaseOldest(): void {
    const chunk = this.#chunks[this.#head];
    if (chunk === undefined || chunk.liveCopies <= 0) {
      throw new Error(
        `LogArena released more copies than it holds (head ${this.#head}, live ${this.#liveCopies})`,
      );
    }
    chunk.liveCopies -= 1;
    this.#liveCopies -= 1;
    if (chunk.liveCopies > 0) return;
    if (this.#head === this.#chunks.length - 1 && !chunk.dedicated) {
      // The only chunk is empty again: start it over rather than allocate another.
      chunk.usedBytes = 0;
      return;
    }
    this.#retire(chunk);
    this.#head += 1;
    if (this.#head > 64 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Release every copy at once (a completed flush or a power cut). */
  clear(): void {
    for (let i = this.#head; i < this.#chunks.length; i++) this.#retire(this.#chunks[i]!);
    this.#chunks = [];
    this.#head = 0;
    this.#liveCopies = 0;
  }

  /** Drop the arena: its chunks go to every arena of this thread; no copy it made may be used again. */
  release(): void {
    this.clear();
    for (const bytes of this.#spare.splice(0)) {
      if (recycledChunks.length < MAX_RECYCLED_CHUNKS) recycledChunks.push(bytes);
    }
  }

  #retire(chunk: Chunk): void {
    if (!chunk.dedicated && this.#spare.length < MAX_SPARE_CHUNKS) this.#spare.push(chunk.bytes);
  }
}
