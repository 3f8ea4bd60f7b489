import { describe, expect, it } from "vitest";
import { MUTATION_FUA_STAYS_VOLATILE, VolatileCache } from "../../engine/block/cache.js";
import { MemoryDevice } from "../../engine/block/memory.js";
import { Rng } from "../../engine/sim/rng.js";
import { defineJob } from "../../workloads/job-spec.js";
import { ShadowOracle } from "../../workloads/oracle.js";
import { runJobs } from "../../workloads/runner.js";
import type { Classification } from "../../workloads/verify-header.js";

const SIZE = 64 * 1024;

/** Run a verifying job on a VolatileCache over a MemoryDevice and leave writes in the cache. */
function runOnCache(
  options: { fuaPercentage?: number; mutations?: ReadonlySet<string>; seed?: number } = {},
) {
  const media = new MemoryDevice("pv0", SIZE);
  const cache = new VolatileCache(
    media,
    options.mutations === undefined ? {} : { mutations: options.mutations },
  );
  const oracle = new ShadowOracle();
  const job = defineJob({
    name: "crashy",
    rw: "randwrite",
    numberIos: 16,
    fsync: 6,
    verify: "xxh64",
    norandommap: true,
    fuaPercentage: options.fuaPercentage ?? 0,
  });
  const result = runJobs([job], cache, { rng: Rng.fromSeed(options.seed ?? 17), oracle });
  expect(result.verifyFailures).toBe(0);
  return { media, cache, oracle };
}

/** Verify every crash state of the cache's log; return the classifications seen. */
function sweep(
  setup: ReturnType<typeof runOnCache>,
  options: { torn: boolean; limit?: number },
): Set<Classification> {
  const seen = new Set<Classification>();
  let states = 0;
  for (const state of setup.cache.enumerateCrashStates({
    torn: options.torn,
    limit: options.limit ?? 5000,
  })) {
    const image = setup.media.clone({ name: "crash" });
    setup.cache.applyCrashState(state, image);
    const report = setup.oracle.verifyDevice(image, 0, { allBlocks: true });
    for (const [classification, count] of Object.entries(report.counts)) {
      if (count > 0) seen.add(classification as Classification);
    }
    states += 1;
  }
  expect(states).toBeGreaterThan(1);
  return seen;
}

describe("the oracle against engine/block's VolatileCache", () => {
  it("accepts every whole-write crash state of the cache", () => {
    const setup = runOnCache();
    // 16 writes with a flush after every 6: the last 4 sit in the cache.
    expect(setup.cache.pendingWrites).toBe(4);
    expect([...sweep(setup, { torn: false })]).toEqual(["ok"]);
  });

  it("classifies per-sector torn crash states as torn, never as lost, stale or corrupt", () => {
    const seen = sweep(runOnCache(), { torn: true, limit: 400 });
    expect(seen.has("torn")).toBe(true);
    expect([...seen].every((c) => c === "ok" || c === "torn")).toBe(true);
  });

  it("accepts FUA writes' crash states, and catches the engine mutation that leaves FUA volatile", () => {
    for (let seed = 1; seed <= 6; seed++) {
      expect([...sweep(runOnCache({ fuaPercentage: 50, seed }), { torn: false })]).toEqual(["ok"]);
    }
    let caught = false;
    for (let seed = 1; seed <= 6 && !caught; seed++) {
      const seen = sweep(
        runOnCache({ fuaPercentage: 50, seed, mutations: new Set([MUTATION_FUA_STAYS_VOLATILE]) }),
        {
          torn: false,
        },
      );
      caught = seen.has("lost");
    }
    expect(caught).toBe(true);
  });
});
