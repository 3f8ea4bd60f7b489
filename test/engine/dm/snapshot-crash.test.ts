/**
 * Power cuts in the middle of copy-on-write and of merge: halt before every block write (and at
 * the named trace points), keep what the crash policy says survives, reload the exception store
 * from the COW image, and check the snapshot still shows the origin as it was at snapshot time and
 * that the origin holds only generations the workload allowed.
 */

import { describe, expect, it } from "vitest";
import { SNAPSHOT_SKIP_EXCEPTION_FLUSH } from "../../../engine/dm/snapshot/exception-store.js";
import { SnapshotMergeTarget } from "../../../engine/dm/snapshot/merge.js";
import { SnapshotTarget } from "../../../engine/dm/snapshot/snapshot.js";
import {
  SNAPSHOT_ORIGIN_BEFORE_COMMIT,
  SnapshotOriginTarget,
} from "../../../engine/dm/snapshot/snapshot-origin.js";
import { isSimulationHalt, SimulationHalt } from "../../../engine/sim/halt.js";
import type { Mutations } from "../../../engine/sim/mutations.js";
import { Trace } from "../../../engine/sim/trace.js";
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
const ORIGIN_BYTES = 128 * KiB;
const BLOCK = 4 * KiB;
const BLOCKS = ORIGIN_BYTES / BLOCK;
const CHUNK_SECTORS = 16; // 8 KiB chunks: two blocks per chunk, so partial-chunk writes happen
const COW_BYTES = 512 * KiB;

function prefilled(machine: Machine): TestDisk {
  const real = new TestDisk("vg-lv-real", ORIGIN_BYTES, machine);
  for (let b = 0; b < BLOCKS; b++) real.current.set(patternBlock(BLOCK, 1_000_000 + b), b * BLOCK);
  real.durable.set(real.current);
  return real;
}

interface Outcome {
  halted: boolean;
  problems: string[];
}

/** The snapshot's content and the origin's generations after a reboot, checked against what is allowed. */
function verify(
  real: TestDisk,
  cows: readonly TestDisk[],
  atSnapshot: Uint8Array,
  allowed: readonly Set<number>[],
  problems: string[],
): void {
  for (const cow of cows) {
    const snap = new SnapshotTarget(cow.name, { origin: real, cow, chunkSizeSectors: CHUNK_SECTORS });
    if (!snap.valid) {
      problems.push(`${cow.name}: snapshot invalid after reboot`);
      continue;
    }
    const view = new Uint8Array(ORIGIN_BYTES);
    snap.read(0, view);
    const at = firstDifference(view, atSnapshot);
    if (at >= 0) {
      problems.push(
        `${cow.name}: differs from the origin at snapshot time at byte ${at} (block ${Math.floor(at / BLOCK)})`,
      );
    }
  }
  for (let b = 0; b < BLOCKS; b++) {
    const g = generationOf(real.current.subarray(b * BLOCK, (b + 1) * BLOCK));
    if (!allowed[b]!.has(g)) problems.push(`origin block ${b}: generation ${g} not allowed`);
  }
}

function cowCrashRun(options: {
  haltAtWrite?: number;
  haltAtEvent?: { name: string; occurrence: number };
  policy: CrashPolicy;
  mutations?: Mutations;
  snapshots?: number;
}): Outcome {
  const machine = new Machine();
  const real = prefilled(machine);
  const trace = new Trace();
  const mutations = options.mutations;
  const origin = new SnapshotOriginTarget("vg-lv", { origin: real, ...(mutations ? { mutations } : {}) });
  const cows: TestDisk[] = [];
  for (let i = 0; i < (options.snapshots ?? 1); i++) {
    const cow = new TestDisk(`vg-snap${i}-cow`, COW_BYTES, machine);
    const snap = new SnapshotTarget(`vg-snap${i}`, {
      origin: real,
      cow,
      chunkSizeSectors: CHUNK_SECTORS,
      trace,
      ...(mutations ? { mutations } : {}),
    });
    cow.flush(); // lvcreate -s finishes with the new COW header durable.
    origin.register(snap);
    cows.push(cow);
  }
  const atSnapshot = real.current.slice();
  const allowed = Array.from({ length: BLOCKS }, (_, b) => new Set([1_000_000 + b]));
  const latest = Array.from({ length: BLOCKS }, (_, b) => 1_000_000 + b);
  if (options.haltAtWrite !== undefined) machine.haltAtWrite = machine.writes + options.haltAtWrite;
  const halt = options.haltAtEvent;
  if (halt !== undefined) {
    trace.subscribe((e) => {
      if (e.name === halt.name && e.occurrence === halt.occurrence)
        throw new SimulationHalt("power-cut", e.name);
    });
  }
  const random = rng("snap-crash");
  let generation = 0;
  let halted = false;
  try {
    for (let op = 0; op < 30; op++) {
      if (op % 7 === 6) {
        origin.flush();
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
      origin.write(block * BLOCK, data);
    }
  } catch (error) {
    if (!isSimulationHalt(error)) throw error;
    halted = true;
  }
  const problems: string[] = [];
  if (!halted) return { halted, problems };
  const [r, ...c] = rebootDisks([real, ...cows], options.policy).disks;
  verify(r!, c, atSnapshot, allowed, problems);
  return { halted, problems };
}

const POLICIES: readonly CrashPolicy[] = [
  "lose-unflushed",
  "keep-all",
  { subsetSeed: "a" },
  { subsetSeed: "b" },
];

function cowSweep(mutations?: Mutations, snapshots = 1, everyNth = 1): Outcome[] {
  const outcomes: Outcome[] = [];
  for (const policy of POLICIES) {
    for (let n = 1; n < 1000; n += everyNth) {
      const o = cowCrashRun({ haltAtWrite: n, policy, snapshots, ...(mutations ? { mutations } : {}) });
      if (!o.halted) break;
      outcomes.push(o);
      // A mutant only has to be caught once; stop sweeping at the first detection.
      if (mutations !== undefined && o.problems.length > 0) return outcomes;
    }
  }
  return outcomes;
}

describe("snapshot: power cut in the middle of copy-on-write", () => {
  it("at every block write the snapshot keeps the old data and the origin only allowed data", () => {
    const outcomes = cowSweep();
    expect(outcomes.length).toBeGreaterThan(200);
    for (const o of outcomes) expect(o.problems).toEqual([]);
  });

  it("with three snapshots of one origin, each keeps the old data at every third crash point", () => {
    // Every third crash point keeps this case fast; the one-snapshot sweep covers every point.
    const outcomes = cowSweep(undefined, 3, 3);
    expect(outcomes.length).toBeGreaterThan(100);
    for (const o of outcomes) expect(o.problems).toEqual([]);
  });

  it("after the copy, before the commit, and after the commit", () => {
    for (const name of ["snapshot.cow.copy", "snapshot.exception.commit"]) {
      for (let occurrence = 1; occurrence <= 8; occurrence++) {
        for (const policy of POLICIES) {
          const o = cowCrashRun({ haltAtEvent: { name, occurrence }, policy });
          expect(o.halted).toBe(true);
          expect(o.problems).toEqual([]);
        }
      }
    }
  });

  it("catches an origin write that lands before the exception is committed", () => {
    expect(
      cowSweep(new Set([SNAPSHOT_ORIGIN_BEFORE_COMMIT])).filter((o) => o.problems.length > 0).length,
    ).toBeGreaterThan(0);
  });

  it("catches an exception committed without flushing the copied chunk", () => {
    expect(
      cowSweep(new Set([SNAPSHOT_SKIP_EXCEPTION_FLUSH])).filter((o) => o.problems.length > 0).length,
    ).toBeGreaterThan(0);
  });
});

describe("snapshot: power cut while a metadata area fills", () => {
  /** 4 KiB chunks hold 256 exceptions per area; CoW 270 chunks in order and crash at write `n`. */
  function areaFillRun(n: number, policy: CrashPolicy): Outcome {
    const machine = new Machine();
    const bytes = 270 * 4096;
    const real = new TestDisk("real", bytes, machine);
    for (let c = 0; c < 270; c++) real.current.set(patternBlock(4096, 7_000 + c), c * 4096);
    real.durable.set(real.current);
    const cow = new TestDisk("cow", 300 * 4096, machine);
    // Garbage where area 1 will live: only the kernel's zeroing of the next area keeps it out.
    cow.current.fill(0xa5, 258 * 4096, 259 * 4096);
    cow.durable.set(cow.current);
    const snap = new SnapshotTarget("s", { origin: real, cow, chunkSizeSectors: 8 });
    cow.flush();
    const origin = new SnapshotOriginTarget("o", { origin: real });
    origin.register(snap);
    const atSnapshot = real.current.slice();
    machine.haltAtWrite = machine.writes + n;
    try {
      for (let c = 0; c < 270; c++) origin.write(c * 4096, patternBlock(4096, c + 1));
    } catch (error) {
      if (!isSimulationHalt(error)) throw error;
      const problems: string[] = [];
      const [r, cw] = rebootDisks([real, cow], policy).disks;
      const again = new SnapshotTarget("s", { origin: r!, cow: cw!, chunkSizeSectors: 8 });
      const view = new Uint8Array(bytes);
      again.read(0, view);
      const at = firstDifference(view, atSnapshot);
      if (at >= 0) problems.push(`snapshot differs at byte ${at}`);
      return { halted: true, problems };
    }
    return { halted: false, problems: [] };
  }

  it("the snapshot survives a crash at every write around the area boundary", () => {
    // Each CoW is three writes (copy, area, origin); the 256th fills area 0 and zeroes area 1.
    let crashes = 0;
    for (const policy of ["lose-unflushed", "keep-all", { subsetSeed: "f" }] as const) {
      for (let n = 3 * 250; n < 3 * 262; n++) {
        const o = areaFillRun(n, policy);
        expect(o.halted).toBe(true);
        expect(o.problems).toEqual([]);
        crashes += 1;
      }
    }
    expect(crashes).toBe(3 * 36);
  });
});

describe("snapshot: merge", () => {
  /** A snapshot with exceptions from origin writes and its own writes; returns its expected content. */
  function prepared(machine: Machine) {
    const real = prefilled(machine);
    const cow = new TestDisk("vg-snap-cow", COW_BYTES, machine);
    const snap = new SnapshotTarget("vg-snap", { origin: real, cow, chunkSizeSectors: CHUNK_SECTORS });
    const origin = new SnapshotOriginTarget("vg-lv", { origin: real });
    origin.register(snap);
    const expected = real.current.slice();
    const random = rng("merge-prep");
    for (let i = 0; i < 40; i++) {
      const block = randInt(random, BLOCKS);
      const data = patternBlock(BLOCK, 2_000_000 + i);
      if (i % 3 === 0) {
        snap.write(block * BLOCK, data);
        expected.set(data, block * BLOCK);
      } else {
        origin.write(block * BLOCK, data);
      }
    }
    origin.flush();
    snap.flush();
    return { real, cow, expected, exceptions: snap.store.exceptionCount };
  }

  it("merges step by step from the last exception, presenting the snapshot's view throughout", () => {
    const machine = new Machine();
    const { real, cow, expected, exceptions } = prepared(machine);
    expect(exceptions).toBeGreaterThan(10);
    const trace = new Trace();
    const merging = new SnapshotMergeTarget("vg-lv", {
      origin: real,
      cow,
      chunkSizeSectors: CHUNK_SECTORS,
      trace,
    });
    expect(merging.table()).toBe(
      `0 ${ORIGIN_BYTES / 512} snapshot-merge vg-lv-real vg-snap-cow P ${CHUNK_SECTORS}`,
    );
    const order: number[] = [];
    let remaining = exceptions;
    for (let i = 0; i < 100; i++) {
      const view = new Uint8Array(ORIGIN_BYTES);
      merging.read(0, view);
      expect(firstDifference(view, expected)).toBe(-1);
      const step = merging.mergeStep();
      if (step.done) break;
      order.push(step.oldChunk!);
      expect(step.remainingExceptions).toBe(remaining - step.mergedChunks);
      remaining = step.remainingExceptions;
    }
    expect(remaining).toBe(0);
    expect(trace.count("snapshot.merge.step")).toBe(order.length);
    expect(firstDifference(real.current, expected)).toBe(-1);
    // Merged completely: allocated == metadata sectors, the condition lvm2 polls for.
    const u = merging.store.usage();
    expect(u.sectorsAllocated).toBe(u.metadataSectors);
  });

  it("a crash at any write of the merge resumes on the next activation and ends with the snapshot's content", () => {
    let crashes = 0;
    for (const policy of POLICIES) {
      for (let n = 1; n < 400; n++) {
        const machine = new Machine();
        const { real, cow, expected } = prepared(machine);
        const merging = new SnapshotMergeTarget("vg-lv", {
          origin: real,
          cow,
          chunkSizeSectors: CHUNK_SECTORS,
        });
        machine.haltAtWrite = machine.writes + n;
        let halted = false;
        try {
          for (let i = 0; i < 200 && !merging.mergeStep().done; i++);
        } catch (error) {
          if (!isSimulationHalt(error)) throw error;
          halted = true;
        }
        if (!halted) break;
        crashes += 1;
        const [r, c] = rebootDisks([real, cow], policy).disks;
        const resumed = new SnapshotMergeTarget("vg-lv", {
          origin: r!,
          cow: c!,
          chunkSizeSectors: CHUNK_SECTORS,
        });
        const view = new Uint8Array(ORIGIN_BYTES);
        resumed.read(0, view);
        expect(firstDifference(view, expected)).toBe(-1);
        for (let i = 0; i < 200 && !resumed.mergeStep().done; i++);
        expect(resumed.store.exceptionCount).toBe(0);
        expect(firstDifference(r!.current, expected)).toBe(-1);
      }
    }
    expect(crashes).toBeGreaterThan(20);
  });

  it("other snapshots of the origin copy-on-write before the merge overwrites it", () => {
    const machine = new Machine();
    const { real, cow, expected } = prepared(machine);
    // A second snapshot taken after the first one's changes: it must keep today's origin.
    const cow2 = new TestDisk("vg-snap2-cow", COW_BYTES, machine);
    const other = new SnapshotTarget("vg-snap2", {
      origin: real,
      cow: cow2,
      chunkSizeSectors: CHUNK_SECTORS,
    });
    const before = real.current.slice();
    const merging = new SnapshotMergeTarget("vg-lv", {
      origin: real,
      cow,
      chunkSizeSectors: CHUNK_SECTORS,
      others: [other],
      maxChunksPerStep: 2,
    });
    for (let i = 0; i < 200 && !merging.mergeStep().done; i++);
    expect(firstDifference(real.current, expected)).toBe(-1);
    const view = new Uint8Array(ORIGIN_BYTES);
    other.read(0, view);
    expect(firstDifference(view, before)).toBe(-1);
    expect(other.store.exceptionCount).toBeGreaterThan(0);
  });

  it("refuses to merge an invalid snapshot", () => {
    const machine = new Machine();
    const real = prefilled(machine);
    const cow = new TestDisk("cow", 32 * KiB, machine);
    const snap = new SnapshotTarget("s", { origin: real, cow, chunkSizeSectors: CHUNK_SECTORS });
    snap.invalidate("test", 0);
    expect(
      () => new SnapshotMergeTarget("m", { origin: real, cow, chunkSizeSectors: CHUNK_SECTORS }),
    ).toThrow(/invalid and cannot be merged/);
  });
});
