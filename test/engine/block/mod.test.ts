import { describe, expect, it } from "vitest";
import * as cache from "../../../engine/block/cache.js";
import * as crashState from "../../../engine/block/crash-state.js";
import * as crashStates from "../../../engine/block/crash-states.js";
import * as device from "../../../engine/block/device.js";
import * as errors from "../../../engine/block/errors.js";
import * as file from "../../../engine/block/file.js";
import * as memory from "../../../engine/block/memory.js";
import * as block from "../../../engine/block/mod.js";
import * as timed from "../../../engine/block/timed.js";
import * as validate from "../../../engine/block/validate.js";
import * as writeLog from "../../../engine/block/write-log.js";

describe("engine/block/mod.ts", () => {
  it("re-exports every runtime export of the defining modules, as the same objects", () => {
    const modules = [cache, crashState, crashStates, device, errors, file, memory, timed, validate, writeLog];
    const exported = block as Record<string, unknown>;
    for (const module of modules) {
      for (const [name, value] of Object.entries(module)) {
        expect(exported[name], name).toBe(value);
      }
    }
  });

  it("lists every mutation this folder supports with a description", () => {
    const mutations = [
      block.FUA_STAYS_VOLATILE,
      block.COUNT_ASSUMES_DISJOINT,
      block.DISCARD_FREES_PARTIAL_PAGES,
      block.FUA_KEEPS_OLDER_CACHED,
    ];
    expect(block.TORN_NEVER_TEARS.description.length).toBeGreaterThan(20);
    expect(mutations.map((m) => m.name)).toEqual([
      block.MUTATION_FUA_STAYS_VOLATILE,
      block.MUTATION_COUNT_ASSUMES_DISJOINT,
      block.MUTATION_DISCARD_FREES_PARTIAL_PAGES,
      block.MUTATION_FUA_KEEPS_OLDER_CACHED,
    ]);
    for (const m of mutations) expect(m.description.length).toBeGreaterThan(20);
  });
});
