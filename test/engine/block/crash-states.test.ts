import seedrandom from "seedrandom";
import { describe, expect, it } from "vitest";
import { VolatileCache } from "../../../engine/block/cache.js";
import { MUTATION_COUNT_ASSUMES_DISJOINT } from "../../../engine/block/crash-states.js";
import { MemoryDevice } from "../../../engine/block/memory.js";
import type { Mutations } from "../../../engine/sim/mutations.js";
import { filled } from "./helpers.js";

const SECTOR = 512;

type Op =
  | {
      readonly kind: "write";
      readonly sector: number;
      readonly fills: readonly number[];
      readonly fua: boolean;
    }
  | { readonly kind: "discard"; readonly sector: number; readonly count: number };

function dataOf(fills: readonly number[]): Uint8Array {
  const data = new Uint8Array(fills.length * SECTOR);
  fills.forEach((byte, i) => {
    data.fill(byte, i * SECTOR, (i + 1) * SECTOR);
  });
  return data;
}

function key(image: Uint8Array): string {
  return Buffer.from(image).toString("latin1");
}

/** A random small log: a few sectors, a tiny alphabet so identical content happens often. */
function randomCase(seed: string): { sectors: number; initial: Uint8Array; ops: Op[] } {
  const random = seedrandom.alea(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const sectors = 2 + int(5);
  const initial = dataOf(Array.from({ length: sectors }, () => int(3)));
  const ops: Op[] = [];
  const writes = 1 + int(8);
  let cached = 0;
  while (cached < writes) {
    const roll = random();
    const sector = int(sectors);
    if (roll < 0.1) {
      ops.push({ kind: "discard", sector, count: 1 + int(Math.min(2, sectors - sector)) });
      continue;
    }
    const count = 1 + int(Math.min(3, sectors - sector));
    const fua = roll < 0.25;
    ops.push({ kind: "write", sector, fills: Array.from({ length: count }, () => int(3)), fua });
    if (!fua) cached += 1;
  }
  return { sectors, initial, ops };
}

/** Run the ops on a cache over a memory device holding `initial`; nothing is flushed. */
function build(
  testCase: { sectors: number; initial: Uint8Array; ops: Op[] },
  mutations?: Mutations,
): { cache: VolatileCache; backing: MemoryDevice } {
  const backing = new MemoryDevice("pv", testCase.sectors * SECTOR);
  backing.write(0, testCase.initial);
  const cache = new VolatileCache(backing, mutations === undefined ? {} : { mutations });
  for (const op of testCase.ops) {
    if (op.kind === "write") cache.write(op.sector * SECTOR, dataOf(op.fills), { fua: op.fua });
    else cache.discard(op.sector * SECTOR, op.count * SECTOR);
  }
  return { cache, backing };
}

/**
 * Brute force, independent of the cache: replay the ops from the initial image, letting each
 * cached (non-FUA) write sector through only if `keep(writeIndex, sectorInWrite)` says so.
 */
function bruteForce(
  testCase: { sectors: number; initial: Uint8Array; ops: Op[] },
  torn: boolean,
): Set<string> {
  const cachedWrites = testCase.ops.filter((op) => op.kind === "write" && !op.fua) as Extract<
    Op,
    { kind: "write" }
  >[];
  const slots: [number, number][] = [];
  cachedWrites.forEach((op, w) => {
    if (torn) for (let j = 0; j < op.fills.length; j++) slots.push([w, j]);
    else slots.push([w, -1]);
  });
  const images = new Set<string>();
  for (let mask = 0; mask < 2 ** slots.length; mask++) {
    const keep = new Set<string>();
    slots.forEach(([w, j], bit) => {
      if (mask & (1 << bit)) keep.add(`${w}:${j}`);
    });
    const image = testCase.initial.slice();
    let w = -1;
    for (const op of testCase.ops) {
      if (op.kind === "discard") {
        image.fill(0, op.sector * SECTOR, (op.sector + op.count) * SECTOR);
        continue;
      }
      if (!op.fua) w += 1;
      op.fills.forEach((byte, j) => {
        if (op.fua || keep.has(`${w}:${torn ? j : -1}`)) {
          image.fill(byte, (op.sector + j) * SECTOR, (op.sector + j + 1) * SECTOR);
        }
      });
    }
    images.add(key(image));
  }
  return images;
}

const expectedSizes: number[] = [];

/** Compare the cache's count and enumeration with brute force; returns the mismatches found. */
function crossCheck(seed: string, torn: boolean, mutations?: Mutations): string[] {
  const testCase = randomCase(seed);
  const { cache, backing } = build(testCase, mutations);
  const expected = bruteForce(testCase, torn);
  expectedSizes.push(expected.size);
  const problems: string[] = [];
  const counted = cache.countCrashStates({ torn });
  if (counted.count !== expected.size || counted.limitHit) {
    problems.push(
      `${seed}: count ${counted.count} (limitHit ${counted.limitHit}) vs brute force ${expected.size}`,
    );
  }
  const enumerated: string[] = [];
  for (const state of cache.enumerateCrashStates({ torn })) {
    const target = backing.clone();
    cache.applyCrashState(state, target);
    const image = new Uint8Array(target.sizeBytes);
    target.read(0, image);
    enumerated.push(key(image));
  }
  const distinct = new Set(enumerated);
  if (distinct.size !== enumerated.length) problems.push(`${seed}: enumeration repeated a state`);
  if (distinct.size !== expected.size || [...distinct].some((image) => !expected.has(image))) {
    problems.push(`${seed}: enumeration gave ${distinct.size} states, brute force ${expected.size}`);
  }
  return problems;
}

function tornSlots(seed: string): number {
  return randomCase(seed)
    .ops.filter((op) => op.kind === "write" && !op.fua)
    .reduce((n, op) => n + (op.kind === "write" ? op.fills.length : 0), 0);
}

describe("crash-state counting and enumeration", () => {
  it("match brute force on 300 random small logs (whole writes)", () => {
    const problems: string[] = [];
    expectedSizes.length = 0;
    for (let i = 0; i < 300; i++) problems.push(...crossCheck(`subset-${i}`, false));
    expect(problems).toEqual([]);
    // The random logs must reach interesting sizes, not only trivial ones.
    expect(Math.max(...expectedSizes)).toBeGreaterThanOrEqual(32);
    expect(expectedSizes.filter((n) => n === 1).length).toBeGreaterThan(0);
  });

  it("match brute force on random small logs with torn writes", () => {
    const problems: string[] = [];
    let checked = 0;
    for (let i = 0; checked < 150 && i < 2000; i++) {
      if (tornSlots(`torn-${i}`) > 11) continue;
      checked += 1;
      problems.push(...crossCheck(`torn-${i}`, true));
    }
    expect(checked).toBe(150);
    expect(problems).toEqual([]);
  });

  it("the brute-force check catches the count-assumes-disjoint mutation", () => {
    const mutations = new Set([MUTATION_COUNT_ASSUMES_DISJOINT]);
    const problems: string[] = [];
    for (let i = 0; i < 50; i++) problems.push(...crossCheck(`subset-${i}`, false, mutations));
    expect(problems.length).toBeGreaterThan(0);
  });

  it("an empty log has exactly one state: what persisted", () => {
    const cache = new VolatileCache(new MemoryDevice("pv", 8192));
    expect(cache.countCrashStates()).toEqual({ count: 1, limitHit: false });
    expect(cache.countCrashStates({ torn: true })).toEqual({ count: 1, limitHit: false });
    expect([...cache.enumerateCrashStates()]).toEqual([{ kept: [] }]);
  });

  it("a write of bytes already persisted adds no state", () => {
    const backing = new MemoryDevice("pv", 8192);
    backing.write(0, filled(1024, 4));
    const cache = new VolatileCache(backing);
    cache.write(0, filled(1024, 4));
    expect(cache.crashStateCount).toBe(1);
    cache.write(4096, filled(512, 1));
    expect(cache.crashStateCount).toBe(2);
  });

  it("is fast for many disjoint writes: a product, not a search", () => {
    const cache = new VolatileCache(new MemoryDevice("pv", 64 * 1024 * 1024));
    for (let i = 0; i < 20; i++) cache.write(i * 4096, filled(4096, 1 + i));
    // A work budget of 40 search leaves is enough: each write is its own group of two states.
    expect(cache.countCrashStates({ limit: 2 ** 21, maxWork: 40 })).toEqual({
      count: 2 ** 20,
      limitHit: false,
    });
    expect(cache.countCrashStates({ limit: 2 ** 21, maxWork: 39 }).limitHit).toBe(true);
    // Torn: each sector independently old or new.
    expect(cache.countCrashStates({ torn: true, limit: 10 ** 9 / 10 })).toEqual({
      count: 10 ** 8,
      limitHit: true,
    });
    for (let i = 20; i < 2000; i++) cache.write(i * 4096, filled(4096, 1 + (i % 250)));
    expect(cache.countCrashStates()).toEqual({ count: 1_000_000, limitHit: true });
  });

  it("is fast for many writes to one sector: N writes give N+1 states, not 2^N", () => {
    const cache = new VolatileCache(new MemoryDevice("pv", 1024 * 1024));
    for (let i = 0; i < 500; i++) {
      const data = new Uint8Array(512);
      new DataView(data.buffer).setUint32(0, i + 1);
      cache.write(0, data);
    }
    // 501 search leaves, one per state: no 2^500 search hides behind the answer.
    expect(cache.countCrashStates({ maxWork: 501 })).toEqual({ count: 501, limitHit: false });
    expect(cache.countCrashStates({ torn: true })).toEqual({ count: 501, limitHit: false });
    expect([...cache.enumerateCrashStates()].length).toBe(501);
  });

  it("stops at the limit and says so, in counts and in enumeration", () => {
    const cache = new VolatileCache(new MemoryDevice("pv", 1024 * 1024));
    for (let i = 0; i < 10; i++) cache.write(i * 512, filled(512, 1 + i));
    expect(cache.countCrashStates({ limit: 1024 })).toEqual({ count: 1024, limitHit: false });
    expect(cache.countCrashStates({ limit: 100 })).toEqual({ count: 100, limitHit: true });
    const states = cache.enumerateCrashStates({ limit: 100 });
    const seen = new Set<string>();
    let next = states.next();
    while (next.done !== true) {
      seen.add(JSON.stringify(next.value.kept.map((k) => k.logIndex)));
      next = states.next();
    }
    expect(seen.size).toBe(100);
    expect(next.value).toEqual({ count: 100, limitHit: true });
    expect(() => cache.countCrashStates({ limit: 0 })).toThrow(/limit 0 is invalid/);
  });

  it("reports an incomplete search when the work budget runs out", () => {
    const cache = new VolatileCache(new MemoryDevice("pv", 1024 * 1024));
    // A chain of overlapping writes with identical bytes: many leaves, few distinct images.
    for (let i = 0; i < 24; i++) cache.write(i * 512, filled(1024, 7));
    const result = cache.countCrashStates({ maxWork: 100 });
    expect(result.limitHit).toBe(true);
    expect(result.count).toBeLessThanOrEqual(100);
  });

  it("refuses to continue an enumeration after the log changed", () => {
    const cache = new VolatileCache(new MemoryDevice("pv", 8192));
    cache.write(0, filled(512, 1));
    cache.write(512, filled(512, 2));
    const states = cache.enumerateCrashStates();
    states.next();
    cache.write(1024, filled(512, 3));
    expect(() => states.next()).toThrow(/changed while enumerating/);
  });
});
