/**
 * The same crash checks as mirror-crash and snapshot-crash, but on engine/block's real parts:
 * MemoryDevice PVs behind VolatileCache write caches, halted at the Nth `block.write` trace event
 * and materialised with `powerCut` under drop-all, keep-all, subset and torn (per-sector) policies.
 */

import { describe, expect, it } from "vitest";
import { type CrashPolicy, MemoryDevice, VolatileCache } from "../../../engine/block/mod.js";
import { MIRROR_WRITE_BEFORE_MARK, MirrorTarget } from "../../../engine/dm/mirror/mirror.js";
import { SnapshotTarget } from "../../../engine/dm/snapshot/snapshot.js";
import {
  SNAPSHOT_ORIGIN_BEFORE_COMMIT,
  SnapshotOriginTarget,
} from "../../../engine/dm/snapshot/snapshot-origin.js";
import { isSimulationHalt, SimulationHalt } from "../../../engine/sim/halt.js";
import type { Mutations } from "../../../engine/sim/mutations.js";
import { Trace } from "../../../engine/sim/trace.js";
import { firstDifference, generationOf, patternBlock, randInt, rng } from "./harness.js";

const KiB = 1024;
const BLOCK = 4 * KiB;

const POLICIES: readonly CrashPolicy[] = [
  { kind: "drop-all" },
  { kind: "keep-all" },
  { kind: "subset", seed: 7 },
  { kind: "torn", seed: 11 },
];

/** Halts the machine before the Nth `block.write` on the bus. */
function haltAtBlockWrite(trace: Trace, n: number): void {
  trace.subscribe((e) => {
    if (e.name === "block.write" && e.occurrence === n)
      throw new SimulationHalt("power-cut", `block.write #${n}`);
  });
}

function readAll(device: { sizeBytes: number; read(o: number, d: Uint8Array): number }): Uint8Array {
  const all = new Uint8Array(device.sizeBytes);
  device.read(0, all);
  return all;
}

describe("crash consistency on MemoryDevice + VolatileCache", () => {
  const LEG_BYTES = 64 * KiB;
  const BLOCKS = LEG_BYTES / BLOCK;

  function mirrorRun(
    n: number,
    policy: CrashPolicy,
    mutations?: Mutations,
  ): { halted: boolean; problems: string[] } {
    const trace = new Trace();
    const pvs = [
      new MemoryDevice("pv0", LEG_BYTES),
      new MemoryDevice("pv1", LEG_BYTES),
      new MemoryDevice("mlog", 4 * KiB),
    ];
    const caches = pvs.map((pv) => new VolatileCache(pv, { trace }));
    const build = (devs: VolatileCache[], sync?: "nosync", m?: Mutations) =>
      new MirrorTarget("vg-lv", {
        lengthSectors: LEG_BYTES / 512,
        regionSizeSectors: 16,
        legs: [devs[0]!, devs[1]!].map((device) => ({ device, offsetSectors: 0 })),
        logDevice: devs[2]!,
        ...(sync ? { sync } : {}),
        ...(m ? { mutations: m } : {}),
      });
    const mirror = build(caches, "nosync", mutations);
    haltAtBlockWrite(trace, trace.count("block.write") + n);
    const allowed: Set<number>[] = Array.from({ length: BLOCKS }, () => new Set([0]));
    const latest = new Array<number>(BLOCKS).fill(0);
    const random = rng("mc");
    let halted = false;
    try {
      for (let op = 0; op < 24; op++) {
        if (op % 5 === 4) {
          mirror.flush();
          for (let b = 0; b < BLOCKS; b++) allowed[b] = new Set([latest[b]!]);
          continue;
        }
        const block = randInt(random, BLOCKS);
        allowed[block]!.add(op + 1);
        latest[block] = op + 1;
        mirror.write(block * BLOCK, patternBlock(BLOCK, op + 1));
      }
    } catch (error) {
      if (!isSimulationHalt(error)) throw error;
      halted = true;
    }
    if (!halted) return { halted, problems: [] };
    for (const cache of caches) cache.powerCut(policy);
    const again = build(pvs.map((pv) => new VolatileCache(pv)) as VolatileCache[]);
    for (let i = 0; i < 100 && !again.resyncStep().done; i++);
    const problems: string[] = [];
    const [leg0, leg1] = [readAll(pvs[0]!), readAll(pvs[1]!)];
    const at = firstDifference(leg0, leg1);
    if (at >= 0) problems.push(`legs differ at byte ${at}`);
    for (let b = 0; b < BLOCKS; b++) {
      const g = generationOf(leg0.subarray(b * BLOCK));
      if (!allowed[b]!.has(g)) problems.push(`block ${b}: generation ${g} not allowed`);
    }
    return { halted, problems };
  }

  it("mirror with a disk log: legs identical and only allowed data after every crash point", () => {
    let crashes = 0;
    for (const policy of POLICIES) {
      for (let n = 1; n < 300; n++) {
        const o = mirrorRun(n, policy);
        if (!o.halted) break;
        crashes += 1;
        expect(o.problems).toEqual([]);
      }
    }
    expect(crashes).toBeGreaterThan(100);
  });

  it("catches data written before the mark", () => {
    let caught = 0;
    for (const policy of POLICIES) {
      for (let n = 1; n < 300; n++) {
        const o = mirrorRun(n, policy, new Set([MIRROR_WRITE_BEFORE_MARK]));
        if (!o.halted) break;
        if (o.problems.length > 0) caught += 1;
        if (caught > 0) break;
      }
    }
    expect(caught).toBeGreaterThan(0);
  });

  const ORIGIN_BYTES = 64 * KiB;
  const OBLOCKS = ORIGIN_BYTES / BLOCK;

  function snapshotRun(
    n: number,
    policy: CrashPolicy,
    mutations?: Mutations,
  ): { halted: boolean; problems: string[] } {
    const trace = new Trace();
    const real = new MemoryDevice("vg-lv-real", ORIGIN_BYTES);
    for (let b = 0; b < OBLOCKS; b++) real.write(b * BLOCK, patternBlock(BLOCK, 500 + b));
    const cowPv = new MemoryDevice("vg-s-cow", 256 * KiB);
    const [realCache, cowCache] = [new VolatileCache(real, { trace }), new VolatileCache(cowPv, { trace })];
    const snap = new SnapshotTarget("vg-s", { origin: realCache, cow: cowCache, chunkSizeSectors: 16 });
    cowCache.flush();
    const origin = new SnapshotOriginTarget("vg-lv", {
      origin: realCache,
      ...(mutations ? { mutations } : {}),
    });
    origin.register(snap);
    const atSnapshot = readAll(real);
    haltAtBlockWrite(trace, trace.count("block.write") + n);
    const random = rng("sc");
    let halted = false;
    try {
      for (let op = 0; op < 20; op++) {
        if (op % 6 === 5) {
          origin.flush();
          continue;
        }
        origin.write(randInt(random, OBLOCKS) * BLOCK, patternBlock(BLOCK, op + 1));
      }
    } catch (error) {
      if (!isSimulationHalt(error)) throw error;
      halted = true;
    }
    if (!halted) return { halted, problems: [] };
    realCache.powerCut(policy);
    cowCache.powerCut(policy);
    const again = new SnapshotTarget("vg-s", { origin: real, cow: cowPv, chunkSizeSectors: 16 });
    const problems: string[] = [];
    const at = firstDifference(readAll(again), atSnapshot);
    if (at >= 0) problems.push(`snapshot differs from the origin at snapshot time at byte ${at}`);
    return { halted, problems };
  }

  it("snapshot: the old data survives a crash at every write of copy-on-write, torn writes included", () => {
    let crashes = 0;
    for (const policy of POLICIES) {
      for (let n = 1; n < 300; n++) {
        const o = snapshotRun(n, policy);
        if (!o.halted) break;
        crashes += 1;
        expect(o.problems).toEqual([]);
      }
    }
    expect(crashes).toBeGreaterThan(100);
  });

  it("catches the origin overwritten before the commit", () => {
    let caught = 0;
    for (const policy of POLICIES) {
      for (let n = 1; n < 300; n++) {
        const o = snapshotRun(n, policy, new Set([SNAPSHOT_ORIGIN_BEFORE_COMMIT]));
        if (!o.halted) break;
        if (o.problems.length > 0) caught += 1;
        if (caught > 0) break;
      }
    }
    expect(caught).toBeGreaterThan(0);
  });
});
