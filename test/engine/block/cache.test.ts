import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import seedrandom from "seedrandom";
import { describe, expect, it } from "vitest";
import type { CrashOutcome } from "../../../engine/block/cache.js";
import { MUTATION_FUA_STAYS_VOLATILE, VolatileCache } from "../../../engine/block/cache.js";
import { type CrashPolicy, TORN_NEVER_TEARS } from "../../../engine/block/crash-state.js";
import { isBlockDeviceError } from "../../../engine/block/errors.js";
import { FileDevice } from "../../../engine/block/file.js";
import { MemoryDevice } from "../../../engine/block/memory.js";
import type { Mutations } from "../../../engine/sim/mutations.js";
import { Trace } from "../../../engine/sim/trace.js";
import { filled, firstDifference } from "./helpers.js";

const SECTOR = 512;
const SECTORS = 48;

/** Each sector of write `id` carries (id, sector) so an image says which write every sector came from. */
function tagged(id: number, firstSector: number, count: number): Uint8Array {
  const data = new Uint8Array(count * SECTOR);
  const view = new DataView(data.buffer);
  for (let i = 0; i < count; i++) {
    view.setUint32(i * SECTOR, id);
    view.setUint32(i * SECTOR + 4, firstSector + i);
    data.fill(id & 0xff, i * SECTOR + 8, (i + 1) * SECTOR);
  }
  return data;
}

/** The write id held by each sector of an image (0 = never written or discarded). */
function tagsOf(image: Uint8Array): number[] {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  return Array.from({ length: image.length / SECTOR }, (_, s) => view.getUint32(s * SECTOR));
}

interface PendingWrite {
  readonly id: number;
  readonly op: number;
  readonly firstSector: number;
  readonly count: number;
}

/**
 * An independent model of what must persist: per sector the durable write id and the op that made
 * it durable, plus the cached writes since the last flush.
 */
class Model {
  readonly durable = new Array<number>(SECTORS).fill(0);
  readonly durableOp = new Array<number>(SECTORS).fill(-1);
  readonly current = new Array<number>(SECTORS).fill(0);
  pending: PendingWrite[] = [];

  write(w: PendingWrite, fua: boolean): void {
    for (let s = w.firstSector; s < w.firstSector + w.count; s++) {
      this.current[s] = w.id;
      if (fua) {
        this.durable[s] = w.id;
        this.durableOp[s] = w.op;
      }
    }
    if (!fua) this.pending.push(w);
  }

  discard(op: number, firstSector: number, count: number): void {
    for (let s = firstSector; s < firstSector + count; s++) {
      this.current[s] = 0;
      this.durable[s] = 0;
      this.durableOp[s] = op;
    }
  }

  flush(): void {
    for (const w of this.pending) {
      for (let s = w.firstSector; s < w.firstSector + w.count; s++)
        if (this.liveIn(w, s)) this.durable[s] = w.id;
    }
    this.pending = [];
  }

  /** A pending write can still change sector s only if no durable request covered s after it. */
  liveIn(w: PendingWrite, s: number): boolean {
    return s >= w.firstSector && s < w.firstSector + w.count && w.op > this.durableOp[s]!;
  }

  /** What every sector must hold after a power cut that kept exactly `outcome.kept`. */
  expectedAfter(outcome: CrashOutcome): number[] {
    const expected = [...this.durable];
    const newest = new Array<number>(SECTORS).fill(-1);
    for (const kept of outcome.kept) {
      const w = this.pending[kept.logIndex]!;
      const keptSectors = new Set<number>();
      for (const [first, count] of kept.keptRuns ?? [[0, w.count] as const]) {
        for (let i = first; i < first + count; i++) keptSectors.add(w.firstSector + i);
      }
      for (const s of keptSectors) {
        if (this.liveIn(w, s) && w.op > newest[s]!) {
          newest[s] = w.op;
          expected[s] = w.id;
        }
      }
    }
    return expected;
  }
}

/** A seeded workload of writes, FUA writes, discards and flushes, checking reads as it goes. */
function runWorkload(seed: string, options: { mutations?: Mutations; trace?: Trace; ops?: number } = {}) {
  const random = seedrandom.alea(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const backing = new MemoryDevice("pv0", SECTORS * SECTOR);
  const cache = new VolatileCache(backing, {
    ...(options.mutations === undefined ? {} : { mutations: options.mutations }),
    ...(options.trace === undefined ? {} : { trace: options.trace }),
  });
  const model = new Model();
  let id = 0;
  const readMismatches: string[] = [];
  for (let op = 0; op < (options.ops ?? 60); op++) {
    const roll = random();
    const firstSector = int(SECTORS);
    const count = 1 + int(Math.min(8, SECTORS - firstSector));
    if (roll < 0.05) {
      cache.flush();
      model.flush();
    } else if (roll < 0.1) {
      cache.discard(firstSector * SECTOR, count * SECTOR);
      model.discard(op, firstSector, count);
    } else {
      id += 1;
      const fua = roll < 0.2;
      cache.write(firstSector * SECTOR, tagged(id, firstSector, count), { fua });
      model.write({ id, op, firstSector, count }, fua);
    }
    if (op % 7 === 0) {
      const image = new Uint8Array(SECTORS * SECTOR);
      cache.read(0, image);
      const tags = tagsOf(image);
      if (tags.join() !== model.current.join()) readMismatches.push(`op ${op}: ${tags} vs ${model.current}`);
    }
  }
  return { cache, backing, model, readMismatches };
}

const policies: readonly CrashPolicy[] = [
  { kind: "drop-all" },
  { kind: "keep-all" },
  { kind: "prefix", count: 0 },
  { kind: "prefix", count: 3 },
  { kind: "subset", seed: 1 },
  { kind: "subset", seed: "x" },
  { kind: "torn", seed: 7 },
  { kind: "torn", seed: 8 },
];

/** Cut power under `policy` after a seeded workload; list every violation of the crash contract. */
function crashViolations(seed: string, requested: CrashPolicy, mutations?: Mutations): string[] {
  const { cache, backing, model, readMismatches } = runWorkload(
    seed,
    mutations === undefined ? {} : { mutations },
  );
  // A prefix longer than the log is an error by design; sweep prefixes that fit.
  const policy: CrashPolicy =
    requested.kind === "prefix"
      ? { kind: "prefix", count: Math.min(requested.count, cache.pendingWrites) }
      : requested;
  const violations = [...readMismatches];
  const pending = model.pending;
  const outcome = cache.powerCut(policy);
  const image = new Uint8Array(SECTORS * SECTOR);
  backing.read(0, image);
  const actual = tagsOf(image);
  const expected = model.expectedAfter(outcome);
  for (let s = 0; s < SECTORS; s++) {
    if (actual[s] !== expected[s])
      violations.push(`${seed} ${policy.kind}: sector ${s} holds ${actual[s]}, expected ${expected[s]}`);
  }
  const live = pending.map((w, logIndex) => ({
    logIndex,
    live: [...Array(SECTORS).keys()].some((s) => model.liveIn(w, s)),
  }));
  const keptIndexes = outcome.kept.map((k) => k.logIndex);
  const liveIndexes = live.filter((w) => w.live).map((w) => w.logIndex);
  if (policy.kind === "drop-all" && keptIndexes.length > 0) violations.push(`drop-all kept ${keptIndexes}`);
  if (policy.kind === "keep-all" && keptIndexes.join() !== liveIndexes.join()) {
    violations.push(`keep-all kept ${keptIndexes}, live ${liveIndexes}`);
  }
  if (policy.kind === "prefix") {
    const want = liveIndexes.filter((i) => i < policy.count);
    if (keptIndexes.join() !== want.join())
      violations.push(`prefix(${policy.count}) kept ${keptIndexes}, want ${want}`);
  }
  if (policy.kind !== "torn" && outcome.kept.some((k) => k.keptRuns !== undefined)) {
    violations.push(`${policy.kind} tore a write`);
  }
  if (cache.pendingWrites !== 0) violations.push(`log not cleared: ${cache.pendingWrites}`);
  return violations;
}

describe("VolatileCache", () => {
  it("shows writes to reads at once but persists them only on flush", () => {
    const backing = new MemoryDevice("pv0", 1024 * 1024);
    const cache = new VolatileCache(backing);
    cache.write(4096, filled(8192, 3));
    cache.write(4096 + 512, filled(512, 4));
    const dst = new Uint8Array(8192 + 1024);
    cache.read(4096 - 512, dst);
    expect([dst[0], dst[512], dst[1024], dst[1536], dst[8192 + 512]]).toEqual([0, 3, 4, 3, 0]);
    const persisted = new Uint8Array(8192);
    backing.read(4096, persisted);
    expect(persisted.every((b) => b === 0)).toBe(true);
    expect(cache.pendingWrites).toBe(2);
    expect(cache.pendingBytes).toBe(8192 + 512);
    cache.flush();
    backing.read(4096, persisted);
    expect([persisted[0], persisted[512], persisted[1024]]).toEqual([3, 4, 3]);
    expect(cache.pendingWrites).toBe(0);
    expect(backing.stats.flushOps).toBe(1);
  });

  it("copies written data: later changes to the caller's buffer do not leak in", () => {
    const cache = new VolatileCache(new MemoryDevice("pv0", 8192));
    const data = filled(512, 1);
    cache.write(0, data);
    data.fill(9);
    cache.powerCut({ kind: "keep-all" });
    const dst = new Uint8Array(512);
    cache.read(0, dst);
    expect(dst[0]).toBe(1);
  });

  it("FUA writes persist at once and outlive older cached writes to the same sectors", () => {
    const backing = new MemoryDevice("pv0", 8192);
    const cache = new VolatileCache(backing);
    cache.write(0, filled(2048, 1));
    cache.write(512, filled(512, 2), { fua: true });
    const persisted = new Uint8Array(2048);
    backing.read(0, persisted);
    expect([persisted[0], persisted[512]]).toEqual([0, 2]);
    const dst = new Uint8Array(2048);
    cache.read(0, dst);
    expect([dst[0], dst[512], dst[1024]]).toEqual([1, 2, 1]);
    const outcome = cache.powerCut({ kind: "keep-all" });
    expect(outcome.keptSectors).toBe(3);
    backing.read(0, persisted);
    expect([persisted[0], persisted[512], persisted[1024]]).toEqual([1, 2, 1]);
  });

  it("every crash policy keeps all flushed and FUA data and nothing the policy dropped", () => {
    const violations: string[] = [];
    for (let run = 0; run < 25; run++) {
      for (const policy of policies) violations.push(...crashViolations(`w${run}`, policy));
    }
    expect(violations).toEqual([]);
  });

  it("the crash check catches the fua-stays-volatile mutation", () => {
    const mutations = new Set([MUTATION_FUA_STAYS_VOLATILE]);
    const violations: string[] = [];
    for (let run = 0; run < 5; run++)
      violations.push(...crashViolations(`w${run}`, { kind: "drop-all" }, mutations));
    expect(violations.length).toBeGreaterThan(0);
  });

  it("torn policies really tear some writes, and subset policies drop some", () => {
    let torn = 0;
    let dropped = 0;
    for (let run = 0; run < 10; run++) {
      torn += runWorkload(`t${run}`).cache.powerCut({ kind: "torn", seed: run }).tornWrites;
      dropped += runWorkload(`t${run}`).cache.powerCut({ kind: "subset", seed: run }).droppedWrites;
    }
    expect(torn).toBeGreaterThan(0);
    expect(dropped).toBeGreaterThan(0);
  });

  it("same seed gives the same bytes, the same outcome and the same event order", () => {
    const run = (seed: string) => {
      const trace = new Trace();
      const events: string[] = [];
      trace.subscribe((event) => events.push(`${event.index} ${event.name} ${JSON.stringify(event.data)}`));
      const { cache, backing } = runWorkload(seed, { trace });
      const outcome = cache.powerCut({ kind: "torn", seed });
      const image = new Uint8Array(backing.sizeBytes);
      backing.read(0, image);
      return { events, outcome, image };
    };
    const a = run("det-1");
    const b = run("det-1");
    const c = run("det-2");
    expect(a.events.length).toBeGreaterThan(50);
    expect(a.events).toEqual(b.events);
    expect(a.outcome).toEqual(b.outcome);
    expect(firstDifference(a.image, b.image)).toBe(-1);
    expect(a.events).not.toEqual(c.events);
    expect(a.events.at(-1)).toContain("block.powercut");
  });

  it("replays a recorded crash outcome exactly with the explicit policy", () => {
    const first = runWorkload("replay");
    const outcome = first.cache.powerCut({ kind: "torn", seed: 3 });
    const recorded = JSON.parse(JSON.stringify(outcome.kept));
    const second = runWorkload("replay");
    second.cache.powerCut({ kind: "explicit", kept: recorded });
    const a = new Uint8Array(first.backing.sizeBytes);
    const b = new Uint8Array(second.backing.sizeBytes);
    first.backing.read(0, a);
    second.backing.read(0, b);
    expect(firstDifference(a, b)).toBe(-1);
  });

  it("rejects prefix counts and explicit states that do not fit the log", () => {
    const make = (): VolatileCache => {
      const cache = new VolatileCache(new MemoryDevice("pv0", 8192));
      cache.write(0, filled(512, 1));
      cache.write(512, filled(512, 2));
      return cache;
    };
    expect(() => make().powerCut({ kind: "prefix", count: 3 })).toThrow(
      /prefix\(3\) is invalid for a log of 2 writes/,
    );
    expect(() => make().powerCut({ kind: "explicit", kept: [{ logIndex: 5 }] })).toThrow(/log index 5/);
    expect(() => make().powerCut({ kind: "explicit", kept: [{ logIndex: 1 }, { logIndex: 0 }] })).toThrow(
      /indexes must increase/,
    );
    expect(() => make().powerCut({ kind: "explicit", kept: [{ logIndex: 0, seq: 99 }] })).toThrow(/seq 99/);
    expect(() => make().powerCut({ kind: "explicit", kept: [{ logIndex: 0, keptRuns: [[0, 2]] }] })).toThrow(
      /outside the write/,
    );
  });

  it("writes back the oldest writes when the log passes its bounds, keeping reads correct", () => {
    const backing = new MemoryDevice("pv0", 1024 * 1024);
    const cache = new VolatileCache(backing, { maxLogWrites: 4, maxLogBytes: 8192 });
    for (let i = 0; i < 10; i++) cache.write(i * 1024, filled(1024, i + 1));
    expect(cache.pendingWrites).toBe(4);
    expect(cache.destagedWrites).toBe(6);
    const persisted = new Uint8Array(10 * 1024);
    backing.read(0, persisted);
    expect(persisted[5 * 1024]).toBe(6);
    expect(persisted[6 * 1024]).toBe(0);
    const dst = new Uint8Array(10 * 1024);
    cache.read(0, dst);
    for (let i = 0; i < 10; i++) expect(dst[i * 1024]).toBe(i + 1);
    cache.write(0, filled(16384, 0xaa));
    expect(cache.pendingBytes).toBeLessThanOrEqual(8192);
    cache.read(0, dst);
    expect(dst.every((b) => b === 0xaa)).toBe(true);
  });

  it("discard is durable and retires cached sectors it covers", () => {
    const backing = new MemoryDevice("pv0", 8192);
    backing.write(0, filled(8192, 5));
    const cache = new VolatileCache(backing);
    cache.write(0, filled(2048, 6));
    cache.discard(512, 1024);
    const dst = new Uint8Array(2048);
    cache.read(0, dst);
    expect([dst[0], dst[512], dst[1024], dst[1536]]).toEqual([6, 0, 0, 6]);
    cache.powerCut({ kind: "keep-all" });
    backing.read(0, dst);
    expect([dst[0], dst[512], dst[1024], dst[1536]]).toEqual([6, 0, 0, 6]);
  });

  it("counts the host's requests; the backing device counts what persisted", () => {
    const backing = new MemoryDevice("pv0", 65536);
    const cache = new VolatileCache(backing);
    cache.write(0, filled(4096, 1));
    cache.write(0, filled(4096, 2));
    cache.write(8192, filled(512, 3), { fua: true });
    cache.read(0, new Uint8Array(4096));
    cache.discard(16384, 4096);
    cache.flush();
    expect(cache.stats).toEqual({
      readOps: 1,
      readBytes: 4096,
      writeOps: 3,
      writeBytes: 8704,
      flushOps: 1,
      discardOps: 1,
      discardBytes: 4096,
    });
    expect(backing.stats.writeOps).toBe(3);
    expect(backing.stats.writeBytes).toBe(8704);
    // The first read was served entirely from the cache.
    expect(backing.stats.readOps).toBe(0);
  });

  it("rejects misaligned and out-of-range requests with EINVAL before logging them", () => {
    const cache = new VolatileCache(new MemoryDevice("pv9", 8192));
    for (const attempt of [
      () => cache.write(1, filled(512, 1)),
      () => cache.write(8192, filled(512, 1)),
      () => cache.read(0, new Uint8Array(10)),
      () => cache.discard(0, 9000),
    ]) {
      let caught: unknown;
      try {
        attempt();
      } catch (error) {
        caught = error;
      }
      expect(isBlockDeviceError(caught, "EINVAL")).toBe(true);
      expect(String(caught)).toContain("pv9");
    }
    expect(cache.pendingWrites).toBe(0);
    expect(() => new VolatileCache(new MemoryDevice("pv", 8192), { maxLogWrites: 0 })).toThrow(/invalid/);
  });

  it("a trace listener can halt the machine before a write is logged", () => {
    const trace = new Trace();
    const cache = new VolatileCache(new MemoryDevice("pv0", 8192), { trace });
    trace.subscribe((event) => {
      if (event.name === "block.write" && event.occurrence === 2) throw new Error("halt");
    });
    cache.write(0, filled(512, 1));
    expect(() => cache.write(512, filled(512, 2))).toThrow("halt");
    expect(cache.pendingWrites).toBe(1);
    expect(cache.stats.writeOps).toBe(1);
  });

  it("over an image file, a power cut leaves exactly the flushed data in the reopened image", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvmlab-cache-"));
    try {
      const file = path.join(dir, "pv0.img");
      const image = FileDevice.open(file, { create: { sizeBytes: 64 * 1024 } });
      const cache = new VolatileCache(image);
      cache.write(0, filled(4096, 1));
      cache.flush();
      cache.write(0, filled(512, 2));
      cache.write(8192, filled(4096, 3));
      cache.write(16384, filled(512, 4), { fua: true });
      const outcome = cache.powerCut({ kind: "drop-all" });
      expect(outcome.droppedWrites).toBe(2);
      image.close();
      const bytes = new Uint8Array(fs.readFileSync(file));
      expect([bytes[0], bytes[512], bytes[8192], bytes[16384]]).toEqual([1, 1, 0, 4]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the torn policy tears", () => {
  function tornWritesAfterCut(mutations: Mutations): number {
    const backing = new MemoryDevice("pv0", 1024 * 1024);
    const cache = new VolatileCache(backing, { mutations });
    for (let i = 0; i < 30; i++) cache.write(i * 8192, filled(8192, i + 1));
    return cache.powerCut({ kind: "torn", seed: 1 }).tornWrites;
  }

  it("tears some of 30 unflushed multi-sector writes", () => {
    expect(tornWritesAfterCut(new Set())).toBeGreaterThan(0);
  });

  it("block.crash-state.torn-never-tears keeps or drops every write whole", () => {
    expect(tornWritesAfterCut(new Set([TORN_NEVER_TEARS.name]))).toBe(0);
  });
});

describe("VolatileCache.adoptLogForPowerCut (crash-point branching)", () => {
  function cacheWithLog(): { media: MemoryDevice; cache: VolatileCache } {
    const media = new MemoryDevice("pv0", 1 << 20);
    const cache = new VolatileCache(media);
    cache.write(0, new Uint8Array(4096).fill(1));
    cache.flush();
    cache.write(0, new Uint8Array(512).fill(2));
    cache.write(4096, new Uint8Array(1024).fill(3));
    return { media, cache };
  }

  for (const policy of [{ kind: "keep-all" }, { kind: "drop-all" }, { kind: "subset", seed: 7 }] as const) {
    it(`resolves a ${policy.kind} cut onto the branch's media exactly as the original cache would`, () => {
      const original = cacheWithLog();
      const twin = cacheWithLog();
      const media = new MemoryDevice("pv0", 1 << 20);
      media.borrowContentsOf(original.media);
      const branch = new VolatileCache(media);
      branch.adoptLogForPowerCut(original.cache);
      const fromBranch = branch.powerCut(policy);
      const fromTwin = twin.cache.powerCut(policy);
      expect(fromBranch).toEqual(fromTwin);
      const [a, b] = [new Uint8Array(8192), new Uint8Array(8192)];
      media.read(0, a);
      twin.media.read(0, b);
      expect(a).toEqual(b);
      // The original cache still holds its log: the branch only read it.
      expect(original.cache.pendingWrites).toBe(2);
    });
  }

  it("refuses requests until the power cut, and any after release", () => {
    const { cache } = cacheWithLog();
    const branch = new VolatileCache(new MemoryDevice("pv0", 1 << 20));
    branch.adoptLogForPowerCut(cache);
    expect(() => branch.read(0, new Uint8Array(512))).toThrow(/for a power cut and took a request first/);
    branch.powerCut({ kind: "drop-all" });
    expect(() => branch.read(0, new Uint8Array(512))).not.toThrow();
    branch.release();
    expect(() => branch.write(0, new Uint8Array(512))).toThrow(/was released/);
  });
});
