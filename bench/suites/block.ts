/**
 * Block-layer data path vs a raw `Uint8Array` copy measured in the same run: the sparse
 * MemoryDevice's reads and writes, and the VolatileCache's write + flush, for 4 KiB random and
 * 1 MiB sequential I/O over a 64 MiB working set. Targets: ≥ 0.50 of raw at 1 MiB, ≥ 0.25 at 4 KiB.
 */

import seedrandom from "seedrandom";
import { VolatileCache } from "../../engine/block/cache.js";
import { MemoryDevice } from "../../engine/block/memory.js";
import { nsPerOp } from "../measure.js";
import type { BenchRow, BenchSuite, BenchSuiteOptions } from "../suite.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const WORKING_SET_BYTES = 64 * MiB;
const OFFSET_COUNT = 1 << 14;
// The cache is flushed every this many 4 KiB writes, like a journal committing in batches.
const WRITES_PER_FLUSH = 256;

interface Case {
  readonly name: string;
  readonly bytesPerOp: number;
  readonly op: () => void;
}

function randomBytes(lengthBytes: number, seed: string): Uint8Array {
  const random = seedrandom.alea(seed);
  const bytes = new Uint8Array(lengthBytes);
  const words = new Uint32Array(bytes.buffer);
  for (let i = 0; i < words.length; i++) words[i] = Math.floor(random() * 0x1_0000_0000);
  return bytes;
}

/** Page-aligned random offsets inside the working set, the same list for every 4 KiB case. */
function randomOffsets(blockBytes: number): Float64Array {
  const random = seedrandom.alea("block-offsets");
  const blocks = WORKING_SET_BYTES / blockBytes;
  return Float64Array.from({ length: OFFSET_COUNT }, () => Math.floor(random() * blocks) * blockBytes);
}

function populated(name: string, image: Uint8Array): MemoryDevice {
  const device = new MemoryDevice(name, 2 ** 40);
  for (let at = 0; at < WORKING_SET_BYTES; at += MiB) device.write(at, image.subarray(at, at + MiB));
  return device;
}

async function runGroup(
  group: string,
  cases: readonly Case[],
  options: BenchSuiteOptions,
): Promise<BenchRow[]> {
  const [baseline, ...others] = cases;
  if (baseline === undefined)
    throw new Error(`Benchmark group ${group} has no cases; give it a baseline first`);
  const baseNs = await nsPerOp(baseline.op, { ...options, minCpuMs: 500 });
  const rows: BenchRow[] = [{ name: baseline.name, group, nsPerOp: baseNs, bytesPerOp: baseline.bytesPerOp }];
  const baseThroughput = baseline.bytesPerOp / baseNs;
  for (const c of others) {
    const ns = await nsPerOp(c.op, { ...options, minCpuMs: 500 });
    rows.push({
      name: c.name,
      group,
      nsPerOp: ns,
      bytesPerOp: c.bytesPerOp,
      baseline: baseline.name,
      ratioToBaseline: c.bytesPerOp / ns / baseThroughput,
    });
  }
  return rows;
}

const suite: BenchSuite = {
  name: "block",
  description: "sparse MemoryDevice and VolatileCache vs raw Uint8Array copy",
  async run(options) {
    const image = randomBytes(WORKING_SET_BYTES, "block-image");
    const arena = image.slice();
    const device = populated("bench-memory", image);
    const cache = new VolatileCache(populated("bench-cache", image));

    const small = randomBytes(4 * KiB, "block-4k");
    const smallDst = new Uint8Array(4 * KiB);
    const offsets = randomOffsets(4 * KiB);
    const mask = OFFSET_COUNT - 1;
    let i = 0;
    let writes = 0;
    const random4k: Case[] = [
      {
        name: "raw copy 4KiB",
        bytesPerOp: 4 * KiB,
        op: () => {
          arena.set(small, offsets[i++ & mask]!);
        },
      },
      {
        name: "MemoryDevice write 4KiB",
        bytesPerOp: 4 * KiB,
        op: () => void device.write(offsets[i++ & mask]!, small),
      },
      {
        name: "MemoryDevice read 4KiB",
        bytesPerOp: 4 * KiB,
        op: () => void device.read(offsets[i++ & mask]!, smallDst),
      },
      {
        name: `VolatileCache write 4KiB, flush/${WRITES_PER_FLUSH}`,
        bytesPerOp: 4 * KiB,
        op: () => {
          cache.write(offsets[i++ & mask]!, small);
          if (++writes % WRITES_PER_FLUSH === 0) cache.flush();
        },
      },
    ];

    const big = randomBytes(MiB, "block-1m");
    const bigDst = new Uint8Array(MiB);
    let at = 0;
    const next = (): number => {
      const offset = at;
      at = (at + MiB) % WORKING_SET_BYTES;
      return offset;
    };
    const sequential1m: Case[] = [
      {
        name: "raw copy 1MiB",
        bytesPerOp: MiB,
        op: () => {
          arena.set(big, next());
        },
      },
      { name: "MemoryDevice write 1MiB", bytesPerOp: MiB, op: () => void device.write(next(), big) },
      { name: "MemoryDevice read 1MiB", bytesPerOp: MiB, op: () => void device.read(next(), bigDst) },
      {
        name: "VolatileCache write 1MiB + flush",
        bytesPerOp: MiB,
        op: () => {
          cache.write(next(), big);
          cache.flush();
        },
      },
    ];

    const rows = [
      ...(await runGroup("4KiB random", random4k, options)),
      ...(await runGroup("1MiB sequential", sequential1m, options)),
    ];
    // The device must have done real work: the sequential pass covered the working set last.
    const check = new Uint8Array(4 * KiB);
    const offset = offsets[0]!;
    device.read(offset, check);
    const expected = big.subarray(offset % MiB, (offset % MiB) + 4 * KiB);
    if (check.some((b, k) => b !== expected[k])) {
      throw new Error(`Block benchmark read back unexpected bytes at ${offset}; the device lost a write`);
    }
    return rows;
  },
};

export default suite;
