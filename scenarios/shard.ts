/**
 * Stable sharding of a sweep: `--shard k/n` keeps the cases whose key hashes to k. A case's shard
 * depends only on its own key, never on which other cases exist, so CI matrix jobs or Kubernetes
 * indexed jobs split the same sweep identically and together cover every case exactly once.
 */

/** A 1-based shard index out of a count. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Parses `k/n` with 1 ≤ k ≤ n. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) throw new RangeError(`Bad shard "${text}": expected k/n, e.g. 2/8`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || index < 1 || index > count) {
    throw new RangeError(`Bad shard "${text}": k must be between 1 and n, and n at least 1`);
  }
  return { index, count };
}

/** FNV-1a, 32-bit: tiny, stable across versions and platforms. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** True when the case with this key belongs to the shard. */
export function inShard(caseKey: string, shard: Shard): boolean {
  return fnv1a32(caseKey) % shard.count === shard.index - 1;
}
