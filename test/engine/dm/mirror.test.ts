import { describe, expect, it } from "vitest";
import type { BlockDevice } from "../../../engine/block/device.js";
import { BlockDeviceError, isBlockDeviceError } from "../../../engine/block/errors.js";
import { LinearTarget } from "../../../engine/dm/linear.js";
import {
  MIRROR_ACK_AFTER_ONE_LEG,
  MIRROR_WRITE_BEFORE_MARK,
  type MirrorOptions,
  MirrorTarget,
} from "../../../engine/dm/mirror/mirror.js";
import { diskLogIoBytes, MIRROR_LOG_MAGIC, testBitLe } from "../../../engine/dm/mirror/region-log.js";
import { startMirrorResync } from "../../../engine/dm/mirror/resync-driver.js";
import { StripedTarget } from "../../../engine/dm/striped.js";
import type { Mutations } from "../../../engine/sim/mutations.js";
import { Scheduler } from "../../../engine/sim/scheduler.js";
import { Trace } from "../../../engine/sim/trace.js";
import { firstDifference, Machine, randInt, rng, TestDisk } from "./harness.js";

const KiB = 1024;
const LEG_BYTES = 256 * KiB;
const REGION_SECTORS = 64; // 32 KiB regions: 8 of them per leg

interface Rig {
  machine: Machine;
  legs: TestDisk[];
  log: TestDisk;
  mirror: MirrorTarget;
}

function rig(
  options: { legs?: number; disk?: boolean; mutations?: Mutations; extra?: Partial<MirrorOptions> } = {},
): Rig {
  const machine = new Machine();
  const legs = Array.from(
    { length: options.legs ?? 2 },
    (_, i) => new TestDisk(`pv${i}`, LEG_BYTES, machine),
  );
  const log = new TestDisk("mlog", 4 * KiB, machine);
  const mirror = new MirrorTarget("vg-lv", {
    lengthSectors: LEG_BYTES / 512,
    regionSizeSectors: REGION_SECTORS,
    legs: legs.map((device) => ({ device, offsetSectors: 0 })),
    ...(options.disk === false ? {} : { logDevice: log }),
    ...(options.mutations === undefined ? {} : { mutations: options.mutations }),
    ...options.extra,
  });
  return { machine, legs, log, mirror };
}

function resyncAll(mirror: MirrorTarget): number {
  let copied = 0;
  for (let i = 0; i < 1000; i++) {
    const step = mirror.resyncStep({ issueNs: 0 });
    if (step.done) return copied;
    copied += 1;
  }
  throw new Error("resync did not finish");
}

/**
 * Random 4 KiB-aligned writes and reads against a reference; returns the reference. Read mismatches
 * go to `problems` when given (so a mutant check can count them), else fail the test at once.
 */
function workload(
  mirror: BlockDevice,
  seed: string,
  ops: number,
  reference?: Uint8Array,
  problems?: string[],
): Uint8Array {
  const random = rng(seed);
  const ref = reference ?? new Uint8Array(mirror.sizeBytes);
  const blocks = mirror.sizeBytes / 4096;
  for (let i = 0; i < ops; i++) {
    const block = randInt(random, blocks);
    const count = 1 + randInt(random, Math.min(12, blocks - block));
    const offset = block * 4096;
    if (random() < 0.65) {
      const data = new Uint8Array(count * 4096);
      for (let b = 0; b < data.length; b += 512) data[b] = 1 + randInt(random, 255);
      mirror.write(offset, data);
      ref.set(data, offset);
    } else {
      const dst = new Uint8Array(count * 4096);
      mirror.read(offset, dst);
      const at = firstDifference(dst, ref.subarray(offset, offset + dst.length));
      if (problems === undefined) expect(at).toBe(-1);
      else if (at >= 0) problems.push(`read at ${offset} differs at +${at}`);
    }
  }
  return ref;
}

/** The suite's core checks on a mirror: every leg equals the reference. Returns the failures. */
function legsMatch(legs: readonly TestDisk[], reference: Uint8Array): string[] {
  const problems: string[] = [];
  legs.forEach((leg, i) => {
    const at = firstDifference(leg.current.subarray(0, reference.length), reference);
    if (at >= 0) problems.push(`leg ${i} differs at byte ${at}`);
  });
  return problems;
}

describe("mirror: data path", () => {
  it("resyncs a new mirror fully, then keeps every leg identical under random I/O (2 and 3 legs)", () => {
    for (const n of [2, 3]) {
      const { legs, mirror } = rig({ legs: n });
      // Legs start with different garbage: the initial sync must copy the default leg over the others.
      legs[0]!.current.fill(0x11);
      expect(mirror.inSync).toBe(false);
      expect(mirror.syncPercent).toBe(0);
      expect(resyncAll(mirror)).toBe(8);
      expect(mirror.syncPercent).toBe(100);
      const ref = legs[0]!.current.slice();
      workload(mirror, `mirror-${n}`, 300, ref);
      expect(legsMatch(legs, ref)).toEqual([]);
    }
  });

  it("prints dmsetup table and status in the kernel's layout", () => {
    const { mirror } = rig({ legs: 2, extra: { handleErrors: true } });
    expect(mirror.table()).toBe("0 512 mirror disk 2 mlog 64 2 pv0 0 pv1 0 1 handle_errors");
    expect(mirror.status()).toBe("0 512 mirror 2 pv0 pv1 0/8 1 AA 3 disk mlog A");
    resyncAll(mirror);
    expect(mirror.status()).toBe("0 512 mirror 2 pv0 pv1 8/8 1 AA 3 disk mlog A");
    const core = rig({ disk: false, extra: { sync: "nosync" } }).mirror;
    expect(core.table()).toBe("0 512 mirror core 2 64 nosync 2 pv0 0 pv1 0");
    expect(core.status()).toBe("0 512 mirror 2 pv0 pv1 8/8 1 AA 1 core");
  });

  it("writes to not-yet-synced regions go to the default leg only", () => {
    const { legs, mirror } = rig();
    mirror.write(0, new Uint8Array(4096).fill(5));
    expect(legs[0]!.current[0]).toBe(5);
    expect(legs[1]!.current[0]).toBe(0);
    resyncAll(mirror);
    expect(legs[1]!.current[0]).toBe(5);
  });

  it("stacks on striped legs", () => {
    const machine = new Machine();
    const pvs = Array.from({ length: 4 }, (_, i) => new TestDisk(`pv${i}`, 128 * KiB, machine));
    const legA = new StripedTarget("lv_mimage_0", {
      lengthSectors: 512,
      chunkSizeSectors: 16,
      stripes: [pvs[0]!, pvs[1]!].map((device) => ({ device, offsetSectors: 0 })),
    });
    const legB = new StripedTarget("lv_mimage_1", {
      lengthSectors: 512,
      chunkSizeSectors: 16,
      stripes: [pvs[2]!, pvs[3]!].map((device) => ({ device, offsetSectors: 0 })),
    });
    const mirror = new MirrorTarget("lv", {
      lengthSectors: 512,
      regionSizeSectors: 64,
      legs: [legA, legB].map((device) => ({ device, offsetSectors: 0 })),
      sync: "nosync",
    });
    const ref = workload(mirror, "stacked", 200);
    for (const leg of [legA, legB]) {
      const all = new Uint8Array(leg.sizeBytes);
      leg.read(0, all);
      expect(firstDifference(all, ref)).toBe(-1);
    }
    expect(mirror.table()).toBe("0 512 mirror core 2 64 nosync 2 lv_mimage_0 0 lv_mimage_1 0");
  });
});

describe("mirror: leg failures", () => {
  it("a failed discard reaches every leg, fails, and does not degrade the mirror", () => {
    const { legs, mirror } = rig({ extra: { sync: "nosync" } });
    mirror.write(0, new Uint8Array(8192).fill(3));
    legs[0]!.discard = () => {
      throw new BlockDeviceError("EIO", "pv0", 0, 0, "injected discard error");
    };
    expect(() => mirror.discard(0, 8192)).toThrow(/discard not supported/);
    expect(legs[1]!.current[0]).toBe(0);
    expect(mirror.legHealth()).toBe("AA");
  });

  it("retries a failed read on another in-sync leg and marks the failed leg R", () => {
    const { legs, mirror } = rig({ extra: { sync: "nosync" } });
    const ref = workload(mirror, "read-retry", 100);
    legs[0]!.failReads = true;
    const all = new Uint8Array(mirror.sizeBytes);
    mirror.read(0, all);
    expect(firstDifference(all, ref)).toBe(-1);
    expect(mirror.legHealth()).toBe("RA");
  });

  it("a non-default leg failing mid-stream: writes still succeed, the leg is D, reads keep working", () => {
    const trace = new Trace();
    const { legs, mirror } = rig({ disk: false, extra: { sync: "nosync", trace } });
    const ref = workload(mirror, "leg-fail-a", 80);
    legs[1]!.kill();
    workload(mirror, "leg-fail-b", 150, ref);
    expect(mirror.legHealth()).toBe("AD");
    expect(mirror.inSync).toBe(false);
    expect(mirror.syncPercent).toBeLessThan(100);
    expect(legsMatch([legs[0]!], ref)).toEqual([]);
    expect(trace.count("mirror.leg.fail")).toBe(1);
  });

  /** Default leg dies with handle_errors: the default moves, the failing write is held, repair requeues it. */
  function defaultLegFailure(mutations?: Mutations): string[] {
    const { legs, mirror } = rig({
      extra: { sync: "nosync", handleErrors: true },
      ...(mutations ? { mutations } : {}),
    });
    const ref = workload(mirror, "default-fail", 120);
    legs[0]!.kill();
    const problems: string[] = [];
    // Reads now come from leg 1 after one failed attempt on leg 0.
    const all = new Uint8Array(mirror.sizeBytes);
    try {
      mirror.read(0, all);
      const at = firstDifference(all, ref);
      if (at >= 0) problems.push(`read after default-leg failure differs at byte ${at}`);
    } catch (error) {
      problems.push(`read failed: ${String(error)}`);
    }
    if (mirror.defaultLeg !== 1) problems.push(`default leg is ${mirror.defaultLeg}, expected 1`);
    const data = new Uint8Array(8192).fill(0x5a);
    let held = false;
    try {
      mirror.write(65536, data);
    } catch (error) {
      held = isBlockDeviceError(error, "EIO") && /held by handle_errors/.test(error.message);
    }
    if (!held) problems.push("write to a mirror with a failed leg was not held");
    // lvconvert --repair with the "remove" policy: the survivor becomes a linear LV; requeue held writes.
    const repaired = new LinearTarget("vg-lv", {
      device: legs[1]!,
      offsetSectors: 0,
      lengthSectors: mirror.lengthSectors,
    });
    for (const w of mirror.takeHeldWrites()) {
      repaired.write(w.offsetBytes, w.data);
      ref.set(w.data, w.offsetBytes);
    }
    workload(repaired, "after-repair", 60, ref, problems);
    const at = firstDifference(legs[1]!.current, ref);
    if (at >= 0) problems.push(`surviving leg differs from the reference at byte ${at}`);
    return problems;
  }

  it("the default leg failing with handle_errors switches the default, holds the write, and survives repair", () => {
    expect(defaultLegFailure()).toEqual([]);
  });

  it("catches a mirror that acknowledges after one leg", () => {
    expect(defaultLegFailure(new Set([MIRROR_ACK_AFTER_ONE_LEG])).length).toBeGreaterThan(0);
    const { legs, mirror } = rig({
      extra: { sync: "nosync" },
      mutations: new Set([MIRROR_ACK_AFTER_ONE_LEG]),
    });
    const ref = workload(mirror, "ack-one", 50);
    expect(legsMatch(legs, ref).length).toBeGreaterThan(0);
  });
});

describe("mirror: disk log format and protocol", () => {
  it("writes the kernel's header and clean bits as one I/O", () => {
    const { log, mirror, machine } = rig();
    const bytes = log.durable;
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0x72, 0x52, 0x69, 0x4d]);
    const view = new DataView(bytes.buffer);
    expect(view.getUint32(0, true)).toBe(MIRROR_LOG_MAGIC);
    expect(view.getUint32(4, true)).toBe(2);
    expect(view.getBigUint64(8, true)).toBe(8n);
    // A new (zeroed) log: every region dirty, so everything resyncs.
    expect(bytes[1024]).toBe(0);
    resyncAll(mirror);
    // Clears are written without a log flush (only marks must be durable before data moves).
    expect(log.current[1024]).toBe(0xff);
    machine.ops.length = 0;
    mirror.write(3 * 32 * KiB, new Uint8Array(4096).fill(1));
    // Region 3 was marked: its bit is clear on disk (durably) before any data reached a leg.
    expect(testBitLe(log.durable.subarray(1024), 3)).toBe(false);
    expect(log.durable[1024]).toBe(0xff & ~(1 << 3));
    const logWrites = machine.ops.filter((o) => o.device === "mlog" && o.op === "W");
    expect(logWrites.map((o) => [o.offsetBytes, o.lengthBytes])).toEqual([[0, diskLogIoBytes(8)]]);
    mirror.flush();
    expect(log.current[1024]).toBe(0xff);
  });

  /** The ordering the protocol promises, checked on the disks' operation log. Returns violations. */
  function protocolViolations(mutations?: Mutations): string[] {
    const { mirror, machine } = rig({ extra: { sync: "nosync" }, ...(mutations ? { mutations } : {}) });
    machine.ops.length = 0;
    mirror.write(0, new Uint8Array(4096).fill(1));
    mirror.write(5 * 32 * KiB, new Uint8Array(4096).fill(2)); // clears region 0, marks region 5
    const ops = machine.ops.map((o) => `${o.op}:${o.device}`);
    const problems: string[] = [];
    const firstData = ops.findIndex((o) => o === "W:pv0" || o === "W:pv1");
    const markWrite = ops.indexOf("W:mlog");
    const markFlush = ops.indexOf("F:mlog");
    if (!(markWrite >= 0 && markWrite < markFlush && markFlush < firstData)) {
      problems.push(`mark not durable before data: ${ops.join(" ")}`);
    }
    // The clear of region 0: both legs flushed before the log write that sets its bit.
    const secondLogWrite = ops.indexOf("W:mlog", markFlush + 1);
    const legFlushes = ops.slice(0, secondLogWrite).filter((o) => o === "F:pv0" || o === "F:pv1").length;
    if (secondLogWrite < 0 || legFlushes < 2) problems.push(`clear not after a data flush: ${ops.join(" ")}`);
    return problems;
  }

  it("marks and flushes the log before data, and flushes the legs before clearing", () => {
    expect(protocolViolations()).toEqual([]);
  });

  it("catches data written before the mark", () => {
    expect(protocolViolations(new Set([MIRROR_WRITE_BEFORE_MARK]))).not.toEqual([]);
  });
});

describe("mirror: virtual time", () => {
  /** Completion time of one write to an in-sync region of a core-log mirror with a slow second leg. */
  function writeCompletionNs(mutations?: Mutations): number {
    const { legs, mirror } = rig({
      disk: false,
      extra: { sync: "nosync" },
      ...(mutations ? { mutations } : {}),
    });
    legs[0]!.latencyNs = 1_000;
    legs[1]!.latencyNs = 7_000;
    return mirror.write(0, new Uint8Array(4096), { issueNs: 100_000 });
  }

  it("a write completes when the slowest leg completes", () => {
    expect(writeCompletionNs()).toBe(107_000);
  });

  it("catches a write acknowledged after the default leg by its completion time", () => {
    expect(writeCompletionNs(new Set([MIRROR_ACK_AFTER_ONE_LEG]))).not.toBe(107_000);
  });

  it("with a disk log, data is issued only after the mark's log write and flush complete", () => {
    const { legs, log, mirror } = rig({ extra: { sync: "nosync" } });
    log.latencyNs = 2_000;
    log.flushLatencyNs = 3_000;
    for (const leg of legs) leg.latencyNs = 1_000;
    // Log write (2 µs) then log flush (3 µs), then both legs in parallel (1 µs).
    expect(mirror.write(0, new Uint8Array(4096), { issueNs: 0 })).toBe(6_000);
  });
});

describe("mirror: trace events", () => {
  it("emit mark, log flush and clear in protocol order, and leg failures once per kind", () => {
    const trace = new Trace();
    const { mirror, legs } = rig({ extra: { sync: "nosync", trace } });
    const names: string[] = [];
    trace.subscribe((e) => names.push(`${e.name}${e.data.region === undefined ? "" : `:${e.data.region}`}`));
    mirror.write(0, new Uint8Array(4096));
    mirror.write(32 * KiB, new Uint8Array(4096));
    expect(names).toEqual([
      "mirror.region.mark:0",
      "mirror.log.flush",
      "mirror.region.clear:0",
      "mirror.log.flush",
      "mirror.region.mark:1",
      "mirror.log.flush",
    ]);
    legs[1]!.failWrites = true;
    mirror.write(0, new Uint8Array(4096));
    mirror.write(4096, new Uint8Array(4096));
    expect(trace.count("mirror.leg.fail")).toBe(1);
  });
});

describe("mirror: resync on the scheduler", () => {
  it("stops when told to, leaving the mirror partly synced (a sync stall)", () => {
    const { mirror } = rig();
    const scheduler = new Scheduler();
    let handle: ReturnType<typeof startMirrorResync> | undefined;
    handle = startMirrorResync(mirror, scheduler, {
      onStep: (s) => {
        if (s.syncedRegions === 3) handle?.stop();
      },
    });
    scheduler.run();
    expect(handle.finished).toBe(false);
    expect(handle.steps).toBe(3);
    expect(mirror.syncPercent).toBe(37.5);
    expect(mirror.status()).toContain(" 3/8 1 AA ");
  });

  it("copies one region per step at the sync speed limit and emits mirror.resync.step", () => {
    const trace = new Trace();
    const { mirror } = rig({ extra: { syncSpeedBytesPerSecond: 32 * KiB * 10, trace } });
    const scheduler = new Scheduler();
    const percents: number[] = [];
    let doneAt = -1;
    const handle = startMirrorResync(mirror, scheduler, {
      onStep: (s) => percents.push((100 * s.syncedRegions) / s.totalRegions),
      onDone: (t) => {
        doneAt = t;
      },
    });
    scheduler.run();
    expect(handle.finished).toBe(true);
    expect(trace.count("mirror.resync.step")).toBe(8);
    expect(percents.slice(0, 8)).toEqual([12.5, 25, 37.5, 50, 62.5, 75, 87.5, 100]);
    // 10 regions per second of virtual time: the 8th copy starts at 0.7 s, so the finish is seen at 0.8 s.
    expect(doneAt).toBeGreaterThanOrEqual(800_000_000);
    expect(doneAt).toBeLessThan(801_000_000);
  });
});
