/**
 * Which logged write of a volatile cache holds the newest bytes of each sector: per sector, the
 * cache-wide seq of that write, 0 where the persisted layer holds the newest bytes (clean).
 *
 * Sectors live in chunks of 2048 (1 MiB of device), one Float64Array each, in a Map by chunk
 * index. A write marks a contiguous range of one array, where a record and a map entry per 4 KiB
 * page made the overlay the cache's largest source of garbage: a pvmove or resync region of
 * 128 pages cost 128 map insertions and records, and a flush threw them all away again.
 */

import { ChunkMap } from "./chunk-map.js";

/** Sectors per chunk: 1 MiB of device at 512 bytes a sector. */
const CHUNK_SECTORS = 2048;
// All-clean chunks kept for reuse across flushes (1 MiB of arrays).
const MAX_SPARE_CHUNKS = 64;

interface Chunk {
  /** Per sector, the seq of the write holding its newest bytes; 0 = clean. */
  readonly seq: Float64Array;
  /** Sectors of this chunk whose seq is not 0; a chunk reaching 0 is dropped (all zeros again). */
  cached: number;
}

/** A run of consecutive sectors whose newest bytes are in one logged write. */
export interface OverlayRun {
  firstSector: number;
  endSector: number;
  seq: number;
}

/** Per-sector seq of the newest logged write, sparse over the device. */
export class SectorOverlay {
  // The chunk last looked up answers at once: requests walk sectors in order.
  readonly #chunks = new ChunkMap<Chunk>();
  readonly #spare: Chunk[] = [];
  #cachedSectors = 0;

  /** Sectors whose newest bytes are in the log. */
  get cachedSectors(): number {
    return this.#cachedSectors;
  }

  /** True when every sector is clean. */
  get isEmpty(): boolean {
    return this.#cachedSectors === 0;
  }

  /** The seq holding `sector`'s newest bytes, 0 when clean. */
  seqAt(sector: number): number {
    const chunkIndex = Math.floor(sector / CHUNK_SECTORS);
    return this.#chunks.get(chunkIndex)?.seq[sector - chunkIndex * CHUNK_SECTORS] ?? 0;
  }

  /** Sectors [firstSector, endSector) now hold the bytes of write `seq` (> 0). */
  mark(firstSector: number, endSector: number, seq: number): void {
    if (!(seq > 0)) throw new RangeError(`SectorOverlay.mark: seq must be positive, got ${seq}`);
    let sector = firstSector;
    while (sector < endSector) {
      const chunkIndex = Math.floor(sector / CHUNK_SECTORS);
      const base = chunkIndex * CHUNK_SECTORS;
      const from = sector - base;
      const to = Math.min(endSector - base, CHUNK_SECTORS);
      let chunk = this.#chunks.get(chunkIndex);
      if (chunk === undefined) {
        chunk = this.#spare.pop() ?? { seq: new Float64Array(CHUNK_SECTORS), cached: 0 };
        this.#chunks.set(chunkIndex, chunk);
      }
      let newlyCached = to - from;
      if (chunk.cached > 0) {
        const seqs = chunk.seq;
        for (let s = from; s < to; s++) if (seqs[s] !== 0) newlyCached -= 1;
      }
      chunk.cached += newlyCached;
      this.#cachedSectors += newlyCached;
      chunk.seq.fill(seq, from, to);
      sector = base + to;
    }
  }

  /** Sectors in the range are clean (a durable request reached them). */
  clean(firstSector: number, endSector: number): void {
    this.#eachChunkIn(firstSector, endSector, (chunkIndex, chunk, from, to) => {
      const seqs = chunk.seq;
      let cleaned = 0;
      for (let s = from; s < to; s++) {
        if (seqs[s] !== 0) {
          seqs[s] = 0;
          cleaned += 1;
        }
      }
      this.#uncache(chunkIndex, chunk, cleaned);
    });
  }

  /** Sectors in the range that write `seq` was the newest writer of are clean (it was written back). */
  cleanSeq(firstSector: number, endSector: number, seq: number): void {
    this.#eachChunkIn(firstSector, endSector, (chunkIndex, chunk, from, to) => {
      const seqs = chunk.seq;
      let cleaned = 0;
      for (let s = from; s < to; s++) {
        if (seqs[s] === seq) {
          seqs[s] = 0;
          cleaned += 1;
        }
      }
      this.#uncache(chunkIndex, chunk, cleaned);
    });
  }

  /** True when some sector in the range is cached. */
  anyIn(firstSector: number, endSector: number): boolean {
    if (this.#cachedSectors === 0) return false;
    let any = false;
    this.#eachChunkIn(firstSector, endSector, (_chunkIndex, chunk, from, to) => {
      if (any) return;
      if (chunk.cached === CHUNK_SECTORS) {
        any = true;
        return;
      }
      const seqs = chunk.seq;
      for (let s = from; s < to; s++) {
        if (seqs[s] !== 0) {
          any = true;
          return;
        }
      }
    });
    return any;
  }

  /** True when every sector in the range is cached (an empty range is). */
  allIn(firstSector: number, endSector: number): boolean {
    if (endSector - firstSector > this.#cachedSectors) return false;
    let sector = firstSector;
    while (sector < endSector) {
      const chunkIndex = Math.floor(sector / CHUNK_SECTORS);
      const base = chunkIndex * CHUNK_SECTORS;
      const to = Math.min(endSector - base, CHUNK_SECTORS);
      const chunk = this.#chunks.get(chunkIndex);
      if (chunk === undefined) return false;
      if (chunk.cached !== CHUNK_SECTORS) {
        const seqs = chunk.seq;
        for (let s = sector - base; s < to; s++) if (seqs[s] === 0) return false;
      }
      sector = base + to;
    }
    return true;
  }

  /**
   * The first run of consecutive cached sectors of one seq in [fromSector, endSector), written into
   * `out` (a run does not cross a chunk boundary); false when no sector there is cached. Walking a
   * range with it allocates nothing.
   */
  nextRun(fromSector: number, endSector: number, out: OverlayRun): boolean {
    if (this.#cachedSectors === 0) return false;
    let sector = fromSector;
    while (sector < endSector) {
      const chunkIndex = Math.floor(sector / CHUNK_SECTORS);
      const base = chunkIndex * CHUNK_SECTORS;
      const to = Math.min(endSector - base, CHUNK_SECTORS);
      const chunk = this.#chunks.get(chunkIndex);
      if (chunk !== undefined) {
        const seqs = chunk.seq;
        for (let s = sector - base; s < to; s++) {
          const seq = seqs[s]!;
          if (seq === 0) continue;
          let end = s + 1;
          while (end < to && seqs[end] === seq) end += 1;
          out.firstSector = base + s;
          out.endSector = base + end;
          out.seq = seq;
          return true;
        }
      }
      sector = base + to;
    }
    return false;
  }

  /** Every sector clean; the chunks are kept (zeroed) for reuse. */
  clear(): void {
    for (const chunk of this.#chunks.values()) {
      if (this.#spare.length >= MAX_SPARE_CHUNKS) break;
      chunk.seq.fill(0);
      chunk.cached = 0;
      this.#spare.push(chunk);
    }
    this.#chunks.clear();
    this.#cachedSectors = 0;
  }

  /** Every sector clean and nothing kept for reuse (the cache is being dropped). */
  release(): void {
    this.#chunks.clear();
    this.#spare.length = 0;
    this.#cachedSectors = 0;
  }

  #uncache(chunkIndex: number, chunk: Chunk, cleaned: number): void {
    if (cleaned === 0) return;
    chunk.cached -= cleaned;
    this.#cachedSectors -= cleaned;
    if (chunk.cached > 0) return;
    // Every sector of the chunk is 0 again, so it can be reused as it is.
    this.#chunks.delete(chunkIndex);
    if (this.#spare.length < MAX_SPARE_CHUNKS) this.#spare.push(chunk);
  }

  // Visits each mapped chunk meeting the range with the part of it inside; a range wider than the
  // map (a whole-device discard) walks the map, not every chunk of the range.
  #eachChunkIn(
    firstSector: number,
    endSector: number,
    visit: (chunkIndex: number, chunk: Chunk, from: number, to: number) => void,
  ): void {
    if (this.#cachedSectors === 0 || endSector <= firstSector) return;
    const firstChunk = Math.floor(firstSector / CHUNK_SECTORS);
    const endChunk = Math.ceil(endSector / CHUNK_SECTORS);
    const visitChunk = (chunkIndex: number, chunk: Chunk): void => {
      const base = chunkIndex * CHUNK_SECTORS;
      visit(
        chunkIndex,
        chunk,
        Math.max(firstSector, base) - base,
        Math.min(endSector, base + CHUNK_SECTORS) - base,
      );
    };
    if (endChunk - firstChunk > this.#chunks.size) {
      for (const chunkIndex of this.#chunks.sortedIndexes(firstChunk, endChunk)) {
        const chunk = this.#chunks.get(chunkIndex);
        if (chunk !== undefined) visitChunk(chunkIndex, chunk);
      }
      return;
    }
    for (let chunkIndex = firstChunk; chunkIndex < endChunk; chunkIndex++) {
      const chunk = this.#chunks.get(chunkIndex);
      if (chunk !== undefined) visitChunk(chunkIndex, chunk);
    }
  }
}
