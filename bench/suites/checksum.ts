/**
 * Checksum throughput vs a raw `Uint8Array` copy in the same run: Node's built-in zlib.crc32 (the
 * CRC LVM2's metadata uses), @node-rs/xxhash xxh64 and @node-rs/crc32 crc32c, on 4 KiB and 1 MiB
 * buffers, so verify headers and metadata checks can pick a hash with numbers from this machine.
 */

import zlib from "node:zlib";
import { crc32c } from "@node-rs/crc32";
import { xxh64 } from "@node-rs/xxhash";
import { do_not_optimize } from "mitata";
import seedrandom from "seedrandom";
import { nsPerOp } from "../measure.js";
import type { BenchRow, BenchSuite, BenchSuiteOptions } from "../suite.js";

// Node 20.20 has zlib.crc32 but the pinned @types/node (20.9) predates it.
const zlibCrc32 = (zlib as unknown as { crc32(data: Uint8Array): number }).crc32;

function randomBytes(lengthBytes: number, seed: string): Uint8Array {
  const random = seedrandom.alea(seed);
  const bytes = new Uint8Array(lengthBytes);
  for (let i = 0; i < lengthBytes; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

async function runSize(label: string, lengthBytes: number, options: BenchSuiteOptions): Promise<BenchRow[]> {
  const src = randomBytes(lengthBytes, `checksum-${label}`);
  const dst = new Uint8Array(lengthBytes);
  const group = label;
  const baseline = `raw copy ${label}`;
  const baseNs = await nsPerOp(() => dst.set(src), { ...options, minCpuMs: 500 });
  const rows: BenchRow[] = [{ name: baseline, group, nsPerOp: baseNs, bytesPerOp: lengthBytes }];
  const cases: [string, () => void][] = [
    [`zlib.crc32 ${label}`, () => do_not_optimize(zlibCrc32(src))],
    [`xxh64 ${label}`, () => do_not_optimize(xxh64(src))],
    [`crc32c ${label}`, () => do_not_optimize(crc32c(src))],
  ];
  for (const [name, op] of cases) {
    const ns = await nsPerOp(op, { ...options, minCpuMs: 500 });
    rows.push({ name, group, nsPerOp: ns, bytesPerOp: lengthBytes, baseline, ratioToBaseline: baseNs / ns });
  }
  return rows;
}

const suite: BenchSuite = {
  name: "checksum",
  description: "zlib.crc32, xxh64 and crc32c vs raw Uint8Array copy",
  async run(options) {
    return [...(await runSize("4KiB", 4096, options)), ...(await runSize("1MiB", 1024 * 1024, options))];
  },
};

export default suite;
