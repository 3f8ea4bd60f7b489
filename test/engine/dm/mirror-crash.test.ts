/**
 * Power cuts in the middle of mirror writes: halt before every block write of a seeded workload,
 * keep what the crash policy says survives, reactivate, resync, and check that the legs are
 * identical and that no block holds a generation the workload never allowed there.
 */

import { describe, expect, it } from "vitest";
import {
  MIRROR_ACK_AFTER_ONE_LEG,
  MIRROR_WRITE_BEFORE_MARK,
  MirrorTarget,
} from "../../../engine/dm/mirror/mirror.js";
import { testBitLe } from "../../../engine/dm/mirror/region-log.js";
import { isSimulationHalt } from "../../../engine/sim/halt.js";
import type { Mutations } from "../../../engine/sim/mutations.js";
import {
  type CrashPolicy,
  firstDifference,
  generationOf,
  Machine,
  patternBlock,
  randInt,
  rebootDisks,
  rng,
  TestDisk,
} from "./harness.js";

const KiB = 1024;
const LEG_BYTES = 128 * KiB;
const BLOCK = 4 * KiB;
const BLOCKS = LEG_BYTES / BLOCK;
const REGION_SECTORS = 32; // 16 KiB regions: 8 regions
const REGIONS = LEG_BYTES / (REGION_SECTORS * 512);

interface CrashOutcome {
  halted: boolean;
  problems: string[];
  resyncedRegions: number;
  dirtyOnDisk: number;
}

function build(
  disks: TestDisk[],
  disk: boolean,
  sync: "nosync" | "default",
  mutations?: Mutations,
): MirrorTarget {
  return new MirrorTarget("vg-lv", {
    lengthSectors: LEG_BYTES / 512,
    regionSizeSectors: REGION_SECTORS,
    legs: [disks[0]!, disks[1]!].map((device) => ({ device, offsetSectors: 0 })),
    ...(disk ? { logDevice: disks[2]! } : {}),
    ...(sync === "nosync" ? { sync } : {}),
    ...(mutations === undefined ? {} : { mutations }),
  });
}

function crashRun(options: {
  disk: boolean;
  haltAtWrite: number;
  policy: CrashPolicy;
  mutations?: Mutations;
  seed: string;
}): CrashOutcome {
  const machine = new Machine();
  const disks = [
    new TestDisk("pv0", LEG_BYTES, machine),
    new TestDisk("pv1", LEG_BYTES, machine),
    new TestDisk("mlog", 4 * KiB, machine),
  ];
  // Fresh zeroed legs are identical, so `nosync` is honest here and the test starts from a synced mirror.
  const mirror = build(disks, options.disk, "nosync", options.mutations);
  machine.haltAtWrite = machine.writes + options.haltAtWrite;
  // Generations each block may hold after a crash: the one at the last completed flush plus every later one.
  const allowed: Set<number>[] = Array.from({ length: BLOCKS }, () => new Set([0]));
  const latest = new Array<number>(BLOCKS).fill(0);
  const random = rng(options.seed);
  let generation = 0;
  let halted = false;
  try {
    for (let op = 0; op < 40; op++) {
      if (op % 6 === 5) {
        mirror.flush();
        for (let b = 0; b < BLOCKS; b++) allowed[b] = new Set([latest[b]!]);
        continue;
      }
      const block = randInt(random, BLOCKS);
      const count = 1 + randInt(random, Math.min(3, BLOCKS - block));
      const data = new Uint8Array(count * BLOCK);
      for (let i = 0; i < count; i++) {
        generation += 1;
        data.set(patternBlock(BLOCK, generation), i * BLOCK);
        allowed[block + i]!.add(generation);
        latest[block + i] = generation;
      }
      mirror.write(block * BLOCK, data);
    }
  } catch (error) {
    if (!isSimulationHalt(error)) throw error;
    halted = true;
  }
  if (!halted) return { halted, problems: [], resyncedRegions: 0, dirtyOnDisk: 0 };
  const rebooted = rebootDisks(disks, options.policy).disks;
  const logImage = rebooted[2]!.current.subarray(1024);
  let dirtyOnDisk = 0;
  for (let r = 0; r < REGIONS; r++) if (!testBitLe(logImage, r)) dirtyOnDisk += 1;
  const again = build(rebooted, options.disk, "default");
  let resyncedRegions = 0;
  for (let i = 0; i <= REGIONS; i++) {
    const step = again.resyncStep();
    if (step.done) break;
    resyncedRegions += 1;
  }
  const problems: string[] = [];
  const [leg0, leg1] = [rebooted[0]!.current, rebooted[1]!.current];
  for (let b = 0; b < BLOCKS; b++) {
    const g0 = generationOf(leg0.subarray(b * BLOCK, (b + 1) * BLOCK));
    const g1 = generationOf(leg1.subarray(b * BLOCK, (b + 1) * BLOCK));
    if (g0 !== g1) problems.push(`block ${b}: legs differ after resync (${g0} vs ${g1})`);
    if (!allowed[b]!.has(g0))
      problems.push(`block ${b}: generation ${g0} not allowed (${[...allowed[b]!].join(",")})`);
  }
  return { halted, problems, resyncedRegions, dirtyOnDisk };
}

/** Sweep every crash point under the given policies; returns outcomes of runs that halted. */
function sweep(disk: boolean, policies: readonly CrashPolicy[], mutations?: Mutations): CrashOutcome[] {
  const outcomes: CrashOutcome[] = [];
  for (const policy of policies) {
    for (let n = 1; n < 400; n++) {
      const outcome = crashRun({
        disk,
        haltAtWrite: n,
        policy,
        seed: "mirror-crash",
        ...(mutations ? { mutations } : {}),
      });
      if (!outcome.halted) break;
      outcomes.push(outcome);
      // A mutant only has to be caught once; stop sweeping at the first detection.
      if (mutations !== undefined && outcome.problems.length > 0) return outcomes;
    }
  }
  return outcomes;
}

const POLICIES: readonly CrashPolicy[] = [
  "lose-unflushed",
  "keep-all",
  { subsetSeed: "s1" },
  { subsetSeed: "s2" },
];

describe("mirror: power cut in the middle of writes", () => {
  it("disk log: resyncs exactly the regions dirty on disk, and the legs end identical with only allowed data", () => {
    const outcomes = sweep(true, POLICIES);
    expect(outcomes.length).toBeGreaterThan(100);
    for (const o of outcomes) {
      expect(o.problems).toEqual([]);
      expect(o.resyncedRegions).toBe(o.dirtyOnDisk);
    }
    // The point of a disk log: most crashes resync only part of the mirror.
    expect(outcomes.filter((o) => o.resyncedRegions < REGIONS).length).toBeGreaterThan(outcomes.length / 2);
  });

  it("core log: resyncs the whole mirror on reactivation", () => {
    const outcomes = sweep(false, ["keep-all", { subsetSeed: "c1" }]);
    expect(outcomes.length).toBeGreaterThan(50);
    for (const o of outcomes) {
      expect(o.problems).toEqual([]);
      expect(o.resyncedRegions).toBe(REGIONS);
    }
  });

  it("catches data written before the region is marked", () => {
    const failures = sweep(true, POLICIES, new Set([MIRROR_WRITE_BEFORE_MARK])).filter(
      (o) => o.problems.length > 0,
    );
    expect(failures.length).toBeGreaterThan(0);
  });

  it("catches a write acknowledged after one leg", () => {
    const failures = sweep(true, POLICIES, new Set([MIRROR_ACK_AFTER_ONE_LEG])).filter(
      (o) => o.problems.length > 0,
    );
    expect(failures.length).toBeGreaterThan(0);
  });
});

describe("mirror: power cut in the middle of resync", () => {
  it("resumes after reactivation and ends with every leg equal to the default leg's data", () => {
    let crashes = 0;
    for (const policy of POLICIES) {
      for (let n = 1; n < 200; n++) {
        const machine = new Machine();
        const disks = [
          new TestDisk("pv0", LEG_BYTES, machine),
          new TestDisk("pv1", LEG_BYTES, machine),
          new TestDisk("mlog", 4 * KiB, machine),
        ];
        // Different content on the legs: only the default leg's may survive.
        for (let b = 0; b < BLOCKS; b++) disks[0]!.current.set(patternBlock(BLOCK, 100 + b), b * BLOCK);
        disks[0]!.durable.set(disks[0]!.current);
        disks[1]!.current.fill(0x77);
        disks[1]!.durable.set(disks[1]!.current);
        const leg0 = disks[0]!.current.slice();
        const mirror = build(disks, true, "default");
        machine.haltAtWrite = machine.writes + n;
        let halted = false;
        try {
          for (let i = 0; i <= REGIONS && !mirror.resyncStep().done; i++);
        } catch (error) {
          if (!isSimulationHalt(error)) throw error;
          halted = true;
        }
        if (!halted) break;
        crashes += 1;
        const rebooted = rebootDisks(disks, policy).disks;
        const again = build(rebooted, true, "default");
        for (let i = 0; i <= REGIONS && !again.resyncStep().done; i++);
        expect(again.syncPercent).toBe(100);
        expect(firstDifference(rebooted[0]!.current, leg0)).toBe(-1);
        expect(firstDifference(rebooted[1]!.current, leg0)).toBe(-1);
      }
    }
    expect(crashes).toBeGreaterThan(20);
  });
});
