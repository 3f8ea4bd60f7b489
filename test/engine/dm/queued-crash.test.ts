/**
 * Queued writes through the kernel's worker batching, and power cuts inside a batch: dm-raid1's
 * pass marks every region of the writes it took with one log flush before any of them reaches a
 * leg; dm-snap-persistent commits every exception pending at that moment in one area write and
 * releases the held origin writes only after it. A cut at any block write must leave what the
 * kernel would: resync covers every region a leg may differ in, and the snapshot keeps old data.
 */

import { describe, expect, it } from "vitest";
import { MIRROR_WRITE_BEFORE_MARK, MirrorTarget } from "../../../engine/dm/mirror/mirror.js";
import { SNAPSHOT_SKIP_EXCEPTION_FLUSH } from "../../../engine/dm/snapshot/exception-store.js";
import { SnapshotTarget } from "../../../engine/dm/snapshot/snapshot.js";
import {
  SNAPSHOT_ORIGIN_BEFORE_COMMIT,
  SnapshotOriginTarget,
} from "../../../engine/dm/snapshot/snapshot-origin.js";
import { isSimulationHalt } from "../../../engine/sim/halt.js";
import type { Mutations } from "../../../engine/sim/mutations.js";
import { Scheduler } from "../../../engine/sim/scheduler.js";
import {
  type CrashPolicy,
  generationOf,
  Machine,
  patternBlock,
  randInt,
  rebootDisks,
  rng,
  TestDisk,
} from "./harness.js";

const KiB = 1024;
const BLOCK = 4 * KiB;
const POLICIES: readonly CrashPolicy[] = ["lose-unflushed", "keep-all", { subsetSeed: "q1" }];

/** Keep `depth` writes in flight until `total` were issued, each completion issuing the next (fio's iodepth). */
function queuedWorkload(options: {
  submit: (block: number, generation: number, done: () => void) => void;
  blocks: number;
  total: number;
  depth: number;
  seed: string;
  scheduler: Scheduler;
}): void {
  const random = rng(options.seed);
  const order = Array.from({ length: options.blocks }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = randInt(random, i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  let issued = 0;
  const next = (): void => {
    if (issued >= options.total) return;
    const block = order[issued % order.length]!;
    issued += 1;
    options.submit(block, issued, next);
  };
  for (let i = 0; i < options.depth; i++) next();
  options.scheduler.run();
}

describe("mirror worker: queued writes", () => {
  const LEG_BYTES = 256 * KiB;
  const REGION_SECTORS = 32; // 16 KiB: 16 regions
  const REGIONS = LEG_BYTES / (REGION_SECTORS * 512);

  function build(disks: TestDisk[], sync: "nosync" | "default", mutations?: Mutations): MirrorTarget {
    return new MirrorTarget("vg-m", {
      lengthSectors: LEG_BYTES / 512,
      regionSizeSectors: REGION_SECTORS,
      legs: [disks[0]!, disks[1]!].map((device) => ({ device, offsetSectors: 0 })),
      logDevice: disks[2]!,
      ...(sync === "nosync" ? { sync } : {}),
      ...(mutations === undefined ? {} : { mutations }),
    });
  }

  it("marks the regions of every write queued for one pass with a single log flush, before any leg write", () => {
    const machine = new Machine();
    const disks = [
      new TestDisk("pv0", LEG_BYTES, machine),
      new TestDisk("pv1", LEG_BYTES, machine),
      new TestDisk("mlog", 4 * KiB, machine),
    ];
    const mirror = build(disks, "nosync");
    const scheduler = new Scheduler();
    mirror.startQueueing(scheduler);
    machine.ops.length = 0;
    const completions: number[] = [];
    for (let r = 0; r < 8; r++) {
      mirror.submitWrite(r * REGION_SECTORS * 512, patternBlock(BLOCK, r + 1), { issueNs: 0 }, (c) => {
        expect(c.error).toBeUndefined();
        completions.push(c.completeNs);
      });
    }
    scheduler.run();
    expect(completions).toHaveLength(8);
    const firstLegWrite = machine.ops.findIndex((o) => o.device !== "mlog");
    const logOpsBefore = machine.ops.slice(0, firstLegWrite).map((o) => `${o.device} ${o.op}`);
    // One header+bitset write with all eight marks, one flush; then the data.
    expect(logOpsBefore).toEqual(["mlog W", "mlog F"]);
    // The lazy clear: once the writes ended, one pass flushes the legs and writes the log (no flush).
    const tail = machine.ops.slice(firstLegWrite + 16).map((o) => `${o.device} ${o.op}`);
    expect(tail).toEqual(["pv0 F", "pv1 F", "mlog W"]);
    expect(mirror.log.isClean(0)).toBe(true);
  });

  interface MirrorOutcome {
    halted: boolean;
    problems: string[];
    batchedMarks: number;
  }

  function crashRun(haltAtWrite: number, policy: CrashPolicy, mutations?: Mutations): MirrorOutcome {
    const machine = new Machine();
    const disks = [
      new TestDisk("pv0", LEG_BYTES, machine),
      new TestDisk("pv1", LEG_BYTES, machine),
      new TestDisk("mlog", 4 * KiB, machine),
    ];
    const mirror = build(disks, "nosync", mutations);
    const scheduler = new Scheduler();
    mirror.startQueueing(scheduler);
    machine.haltAtWrite = machine.writes + haltAtWrite;
    const blocks = LEG_BYTES / BLOCK;
    const issuedGenerations: Set<number>[] = Array.from({ length: blocks }, () => new Set([0]));
    let halted = false;
    try {
      queuedWorkload({
        blocks,
        total: 48,
        depth: 8,
        seed: "mirror-queued",
        scheduler,
        submit: (block, generation, done) => {
          issuedGenerations[block]!.add(generation);
          mirror.submitWrite(
            block * BLOCK,
            patternBlock(BLOCK, generation),
            { issueNs: scheduler.nowNs },
            () => done(),
          );
        },
      });
    } catch (error) {
      if (!isSimulationHalt(error)) throw error;
      halted = true;
    }
    const logFlushes = machine.ops.filter((o) => o.device === "mlog" && o.op === "F").length;
    if (!halted) return { halted, problems: [], batchedMarks: logFlushes };
    const rebooted = rebootDisks(disks, policy).disks;
    const again = build(rebooted, "default");
    for (let i = 0; i <= REGIONS; i++) if (again.resyncStep().done) break;
    const problems: string[] = [];
    const [leg0, leg1] = [rebooted[0]!.current, rebooted[1]!.current];
    for (let b = 0; b < blocks; b++) {
      const g0 = generationOf(leg0.subarray(b * BLOCK, (b + 1) * BLOCK));
      const g1 = generationOf(leg1.subarray(b * BLOCK, (b + 1) * BLOCK));
      if (g0 !== g1) problems.push(`block ${b}: legs differ after resync (${g0} vs ${g1})`);
      if (!issuedGenerations[b]!.has(g0))
        problems.push(`block ${b}: generation ${g0} was never written there`);
    }
    return { halted, problems, batchedMarks: logFlushes };
  }

  it("leaves, at a power cut on every block write, only regions that resync makes identical", () => {
    let crashes = 0;
    for (const policy of POLICIES.slice(0, 2)) {
      for (let n = 1; n < 400; n++) {
        const outcome = crashRun(n, policy);
        if (!outcome.halted) break;
        crashes += 1;
        expect(outcome.problems).toEqual([]);
      }
    }
    expect(crashes).toBeGreaterThan(100);
    // Batching happened: fewer log flushes than writes over a whole uncut run.
    const whole = crashRun(Number.POSITIVE_INFINITY, "keep-all");
    expect(whole.halted).toBe(false);
    expect(whole.batchedMarks).toBeLessThan(48 / 2);
  });

  it("catches data written before the batch's regions are marked", () => {
    let caught = false;
    for (const policy of POLICIES) {
      for (let n = 1; n < 400 && !caught; n++) {
        const outcome = crashRun(n, policy, new Set([MIRROR_WRITE_BEFORE_MARK]));
        if (!outcome.halted) break;
        if (outcome.problems.length > 0) caught = true;
      }
    }
    expect(caught).toBe(true);
  });
});

describe("snapshot: queued origin writes", () => {
  const ORIGIN_BYTES = 128 * KiB;
  const COW_BYTES = 256 * KiB;
  const CHUNK_SECTORS = 8;

  function activate(disks: TestDisk[], mutations?: Mutations) {
    const origin = new SnapshotOriginTarget("vg-o", {
      origin: disks[0]!,
      ...(mutations === undefined ? {} : { mutations }),
    });
    const snapshot = new SnapshotTarget("vg-s", {
      origin: disks[0]!,
      cow: disks[1]!,
      chunkSizeSectors: CHUNK_SECTORS,
      ...(mutations === undefined ? {} : { mutations }),
    });
    origin.register(snapshot);
    return { origin, snapshot };
  }

  interface SnapOutcome {
    halted: boolean;
    problems: string[];
    areaWrites: number;
    exceptions: number;
  }

  function crashRun(haltAtWrite: number, policy: CrashPolicy, mutations?: Mutations): SnapOutcome {
    const machine = new Machine();
    const blocks = ORIGIN_BYTES / BLOCK;
    const originImage = new Uint8Array(ORIGIN_BYTES);
    for (let b = 0; b < blocks; b++) originImage.set(patternBlock(BLOCK, 1000 + b), b * BLOCK);
    const disks = [
      new TestDisk("origin", ORIGIN_BYTES, machine, originImage),
      new TestDisk("cow", COW_BYTES, machine),
    ];
    const { origin, snapshot } = activate(disks, mutations);
    disks[0]!.flush();
    disks[1]!.flush();
    const scheduler = new Scheduler();
    origin.startQueueing(scheduler);
    machine.ops.length = 0;
    machine.haltAtWrite = machine.writes + haltAtWrite;
    let halted = false;
    try {
      queuedWorkload({
        blocks,
        total: 24,
        depth: 6,
        seed: "snapshot-queued",
        scheduler,
        submit: (block, generation, done) => {
          origin.submitWrite(
            block * BLOCK,
            patternBlock(BLOCK, generation),
            { issueNs: scheduler.nowNs },
            () => done(),
          );
        },
      });
    } catch (error) {
      if (!isSimulationHalt(error)) throw error;
      halted = true;
    }
    const areaWrites = machine.ops.filter((o) => o.device === "cow" && o.fua).length;
    const exceptions = snapshot.store.exceptionCount;
    if (!halted) return { halted, problems: [], areaWrites, exceptions };
    const rebooted = rebootDisks(disks, policy).disks;
    const again = activate(rebooted).snapshot;
    const problems: string[] = [];
    const view = new Uint8Array(BLOCK);
    for (let b = 0; b < blocks; b++) {
      again.read(b * BLOCK, view);
      const g = generationOf(view);
      if (g !== 1000 + b)
        problems.push(`block ${b}: the snapshot shows generation ${g}, not the original ${1000 + b}`);
    }
    return { halted, problems, areaWrites, exceptions };
  }

  it("commits every exception pending at that moment in one area write", () => {
    const whole = crashRun(Number.POSITIVE_INFINITY, "keep-all");
    expect(whole.halted).toBe(false);
    expect(whole.exceptions).toBe(24);
    expect(whole.areaWrites).toBeGreaterThan(0);
    expect(whole.areaWrites).toBeLessThan(24 / 2);
  });

  it("keeps the snapshot's old data at a power cut on every block write", () => {
    let crashes = 0;
    for (const policy of POLICIES) {
      for (let n = 1; n < 300; n++) {
        const outcome = crashRun(n, policy);
        if (!outcome.halted) break;
        crashes += 1;
        expect(outcome.problems).toEqual([]);
      }
    }
    expect(crashes).toBeGreaterThan(60);
  });

  for (const mutation of [SNAPSHOT_ORIGIN_BEFORE_COMMIT, SNAPSHOT_SKIP_EXCEPTION_FLUSH]) {
    it(`catches ${mutation} inside a batch`, () => {
      let caught = false;
      for (const policy of POLICIES) {
        for (let n = 1; n < 300 && !caught; n++) {
          const outcome = crashRun(n, policy, new Set([mutation]));
          if (!outcome.halted) break;
          if (outcome.problems.length > 0) caught = true;
        }
      }
      expect(caught).toBe(true);
    });
  }
});
