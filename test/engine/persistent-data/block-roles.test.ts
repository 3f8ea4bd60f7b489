import { describe, expect, it } from "vitest";
import { MemoryDevice } from "../../../engine/block/memory.js";
import { metadataBlockRoles, PoolMetadata } from "../../../engine/persistent-data/mod.js";

describe("metadataBlockRoles", () => {
  it("puts every allocated metadata block in exactly one structure", () => {
    const dev = new MemoryDevice("meta", 2 * 1024 * 1024);
    const md = PoolMetadata.format(dev, { dataBlockSizeSectors: 128, nrDataBlocks: 2000 });
    md.createThin(1);
    for (let v = 0; v < 700; v++) md.insert(1, v, md.allocDataBlock() as number);
    md.createSnap(2, 1);
    md.insert(1, 5, md.allocDataBlock() as number);
    md.commit(0);
    const roles = metadataBlockRoles(dev);
    expect(roles.superblock).toEqual([0]);
    expect(roles["space-map"].length).toBeGreaterThanOrEqual(6);
    expect(roles.details.length).toBe(1);
    // Top level, origin's shadowed internal node and leaf, the shared subtree of the snapshot.
    expect(roles.mapping.length).toBeGreaterThanOrEqual(6);
    const all = [...roles.superblock, ...roles["space-map"], ...roles.details, ...roles.mapping];
    expect(new Set(all).size).toBe(all.length);
    const allocated: number[] = [];
    for (let b = 0; b < md.metadataBlocksTotal; b++) if (md.metadataRefCount(b) > 0) allocated.push(b);
    expect([...all].sort((a, b) => a - b)).toEqual(allocated);
  });
});
