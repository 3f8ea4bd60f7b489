/**
 * Engine throughput of the device-mapper targets, each as a ratio to linear measured in the same
 * run: 64 KiB sequential writes through linear (baseline), striped, 2- and 3-leg mirrors (core and
 * disk log), and an origin with 1 and 4 snapshots at 4 KiB, 64 KiB and 512 KiB chunks, all over
 * sparse MemoryDevices warmed by one lap. Snapshot cases measure first writes: every lap over the
 * origin starts with fresh snapshots, so each chunk is copied once per snapshot, as real first
 * writes are.
 */

import type { BlockDevice } from "../../engine/block/device.js";
import { MemoryDevice } from "../../engine/block/memory.js";
import { LinearTarget } from "../../engine/dm/linear.js";
import { MirrorTarget } from "../../engine/dm/mirror/mirror.js";
import { SnapshotTarget } from "../../engine/dm/snapshot/snapshot.js";
import { SnapshotOriginTarget } from "../../engine/dm/snapshot/snapshot-origin.js";
import { StripedTarget } from "../../engine/dm/striped.js";
import { nsPerOp } from "../measure.js";
import type { BenchRow, BenchSuite } from "../suite.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const IO_BYTES = 64 * KiB;
const LV_BYTES = 16 * MiB;
const LV_SECTORS = LV_BYTES / 512;
const GROUP = "dm write 64KiB sequential";

interface Case {
  readonly name: string;
  /** Issue one write; called repeatedly. */
  readonly op: () => void;
}

/** Sequential writes over `device`, wrapping at its end; `onLap` runs before each wrap-around. */
function sequentialWriter(device: BlockDevice, onLap?: () => void): () => void {
  const data = new Uint8Array(IO_BYTES).fill(0x5a);
  let offset = 0;
  return () => {
    if (offset + IO_BYTES > device.sizeBytes) {
      offset = 0;
      onLap?.();
    }
    device.write(offset, data);
    offset += IO_BYTES;
  };
}

function pv(name: string): MemoryDevice {
  return new MemoryDevice(name, LV_BYTES);
}

function mirrorCase(legs: number, disk: boolean): Case {
  const mirror = new MirrorTarget("bench-mirror", {
    lengthSectors: LV_SECTORS,
    regionSizeSectors: 4096,
    legs: Array.from({ length: legs }, (_, i) => ({ device: pv(`leg${i}`), offsetSectors: 0 })),
    ...(disk ? { logDevice: new MemoryDevice("mlog", 64 * KiB) } : {}),
    sync: "nosync",
  });
  return { name: `mirror ${legs} legs, ${disk ? "disk" : "core"} log`, op: sequentialWriter(mirror) };
}

/**
 * An origin with `count` snapshots of `chunkSectors`; every lap starts fresh snapshots on the same
 * COW devices (header wiped, as lvcreate -s does), so pages are reused and only dm work is measured.
 */
function snapshotCase(count: number, chunkSectors: number): Case {
  const real = pv("origin-real");
  const origin = new SnapshotOriginTarget("origin", { origin: real });
  // COWs big enough never to overflow within one lap (each chunk is copied at most once).
  const cows = Array.from({ length: count }, (_, i) => new MemoryDevice(`cow${i}`, LV_BYTES + 64 * MiB));
  const wipe = new Uint8Array(chunkSectors * 512);
  const fresh = () => {
    for (const s of [...origin.snapshots]) origin.unregister(s);
    cows.forEach((cow, i) => {
      cow.write(0, wipe);
      origin.register(new SnapshotTarget(`snap${i}`, { origin: real, cow, chunkSizeSectors: chunkSectors }));
    });
  };
  fresh();
  return {
    name: `origin + ${count} snapshot${count > 1 ? "s" : ""}, chunk ${(chunkSectors * 512) / KiB}KiB`,
    op: sequentialWriter(origin, fresh),
  };
}

/** One lap over the LV before measuring, so first-touch page allocation is not counted. */
function warm(c: Case): Case {
  for (let i = 0; i <= LV_BYTES / IO_BYTES; i++) c.op();
  return c;
}

const suite: BenchSuite = {
  name: "dm",
  description: "device-mapper targets: write throughput relative to linear in the same run",
  async run(options) {
    const cases: Case[] = [
      {
        name: "linear",
        op: sequentialWriter(
          new LinearTarget("bench-linear", {
            device: pv("pv0"),
            offsetSectors: 0,
            lengthSectors: LV_SECTORS,
          }),
        ),
      },
      {
        name: "striped 2 x 64KiB",
        op: sequentialWriter(
          new StripedTarget("bench-striped", {
            lengthSectors: LV_SECTORS,
            chunkSizeSectors: 128,
            stripes: [0, 1].map((i) => ({
              device: new MemoryDevice(`s${i}`, LV_BYTES / 2),
              offsetSectors: 0,
            })),
          }),
        ),
      },
      mirrorCase(2, false),
      mirrorCase(3, false),
      mirrorCase(2, true),
    ];
    for (const count of [1, 4]) for (const chunk of [8, 128, 1024]) cases.push(snapshotCase(count, chunk));
    const [baseline, ...others] = cases;
    if (baseline === undefined) throw new Error("The dm benchmark has no baseline case; add linear first");
    const baseNs = await nsPerOp(warm(baseline).op, options);
    const rows: BenchRow[] = [{ name: baseline.name, group: GROUP, nsPerOp: baseNs, bytesPerOp: IO_BYTES }];
    for (const c of others) {
      const ns = await nsPerOp(warm(c).op, options);
      rows.push({
        name: c.name,
        group: GROUP,
        nsPerOp: ns,
        bytesPerOp: IO_BYTES,
        baseline: baseline.name,
        ratioToBaseline: baseNs / ns,
      });
    }
    return rows;
  },
};

export default suite;
