/**
 * Seed-derived block payloads that never need storing. Each seed gets a pool of pseudo-random
 * bytes (xorshift128 over 32-bit words, generated once); a block's payload is a copy of 64 KiB
 * chunks of that pool at starts hashed from (LV, offset, generation, chunk), so filling a block
 * is a native memcpy and any generation's image can be rebuilt for comparison.
 */

/** Bytes copied from one pool start; a payload is a sequence of such chunks. */
export const PAYLOAD_CHUNK_BYTES = 64 * 1024;
/** Distinct 8-byte-aligned start positions in a pool. */
export const POOL_STARTS = 4096;
const POOL_BYTES = POOL_STARTS * 8 + PAYLOAD_CHUNK_BYTES;
/** Pools kept at once; a run uses one seed per LV. */
const MAX_POOLS = 16;

const pools = new Map<number, Uint8Array>();

function splitmix32(state: number): number {
  let z = (state + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function buildPool(seed: number): Uint8Array {
  const words = new Uint32Array(POOL_BYTES / 4);
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 0x1_0000_0000) >>> 0;
  let x = splitmix32(lo);
  let y = splitmix32(x ^ hi);
  let z = splitmix32(y + 1);
  let w = splitmix32(z + 2) | 1;
  for (let i = 0; i < words.length; i++) {
    const t = x ^ (x << 11);
    x = y;
    y = z;
    z = w;
    w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    words[i] = w;
  }
  return new Uint8Array(words.buffer);
}

/** The byte pool for `seed` (cached; at most {@link MAX_POOLS} seeds are kept). */
export function payloadPool(seed: number): Uint8Array {
  let pool = pools.get(seed);
  if (pool === undefined) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`Verify seed must be a non-negative safe integer, got ${seed}`);
    }
    if (pools.size >= MAX_POOLS) pools.delete(pools.keys().next().value!);
    pool = buildPool(seed);
    pools.set(seed, pool);
  }
  return pool;
}

/** Pool start (byte index) of chunk `chunk` of the payload of (lvId, offsetBytes, generation). */
export function chunkStart(lvId: number, offsetBytes: number, generation: number, chunk: number): number {
  let h = splitmix32(lvId ^ 0x5bd1e995);
  h = splitmix32(h ^ (offsetBytes >>> 0));
  h = splitmix32(h ^ Math.floor(offsetBytes / 0x1_0000_0000));
  h = splitmix32(h ^ (generation >>> 0));
  h = splitmix32(h ^ Math.floor(generation / 0x1_0000_0000));
  h = splitmix32(h ^ chunk);
  return (h % POOL_STARTS) * 8;
}

/** Write the payload of (lvId, offsetBytes, generation) for `seed` into `dst` (any length). */
export function fillPayload(
  dst: Uint8Array,
  key: { lvId: number; offsetBytes: number; generation: number; seed: number },
): void {
  const pool = payloadPool(key.seed);
  for (let at = 0, chunk = 0; at < dst.length; at += PAYLOAD_CHUNK_BYTES, chunk++) {
    const length = Math.min(PAYLOAD_CHUNK_BYTES, dst.length - at);
    const start = chunkStart(key.lvId, key.offsetBytes, key.generation, chunk);
    dst.set(pool.subarray(start, start + length), at);
  }
}
