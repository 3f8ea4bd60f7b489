/**
 * LVM2's checksum (`lib/misc/crc.c`): the reflected CRC-32 table of zlib but with no pre- or
 * post-inversion and a custom seed, so it equals `~zlib.crc32(buf, ~seed)`. Using zlib's native
 * CRC keeps label, header and text checksums off the JS hot path.
 */
import * as zlib from "node:zlib";

/** LVM2's seed for every on-disk checksum (`INITIAL_CRC`). */
export const INITIAL_CRC = 0xf597a6cf;

type Crc32 = (data: Uint8Array, value?: number) => number;

// @types/node 20.9 predates zlib.crc32 (added in Node 20.15); the runtime has it.
const zlibCrc32 = (zlib as unknown as { crc32?: Crc32 }).crc32;

function nativeCrc32(): Crc32 {
  if (typeof zlibCrc32 !== "function") {
    throw new Error(
      `Node ${process.version} has no zlib.crc32; LVM2 checksums need Node 20.15 or later, upgrade Node`,
    );
  }
  return zlibCrc32;
}

/** LVM2's `calc_crc(initial, buf, len)` over all of `buf`. */
export function lvmCrc(buf: Uint8Array, initial: number = INITIAL_CRC): number {
  return ~nativeCrc32()(buf, ~initial >>> 0) >>> 0;
}

/**
 * LVM2's checksum chained over several buffers, as for a metadata copy that wraps around the end
 * of the circular buffer: `calc_crc(calc_crc(INITIAL_CRC, part1), part2)`.
 */
export function lvmCrcChain(parts: readonly Uint8Array[], initial: number = INITIAL_CRC): number {
  let crc = initial >>> 0;
  for (const part of parts) crc = lvmCrc(part, crc);
  return crc;
}
