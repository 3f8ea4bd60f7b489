/**
 * lvmlab's thin_repair against the real one: damage to a space map loses nothing, damage to a
 * mapping leaf loses exactly the mappings the real thin_repair loses, and a damaged superblock
 * cannot be repaired by either.
 */
import { describe, expect, it } from "vitest";
import type { BlockDevice } from "../../../engine/block/device.js";
import { MemoryDevice } from "../../../engine/block/memory.js";
import {
  isPersistentDataError,
  MUTATION_REPAIR_COUNTS_SHARED_ONCE,
  PoolMetadata,
  repairPoolMetadata,
  salvagePoolMetadata,
} from "../../../engine/persistent-data/mod.js";
import { decodeSuperblock } from "../../../engine/persistent-data/superblock.js";
import { imageOf, thinCheck, thinDump, thinRepair, thinToolsUnavailable } from "./thin-tools.js";

const MiB = 1024 * 1024;
const skip = thinToolsUnavailable();

/** Origin 1 with 600 mappings (several leaves), snapshot 2 sharing them, 40 overwritten in 1. */
function pool(): { dev: MemoryDevice; md: PoolMetadata } {
  const dev = new MemoryDevice("meta", 2 * MiB);
  const md = PoolMetadata.format(dev, { dataBlockSizeSectors: 128, nrDataBlocks: 4000 });
  md.createThin(1);
  for (let v = 0; v < 600; v++) md.insert(1, v * 3, md.allocDataBlock() as number);
  md.setTransactionId(0, 1);
  md.commit(0);
  md.createSnap(2, 1);
  for (let v = 0; v < 40; v++) md.insert(1, v * 3, md.allocDataBlock() as number);
  md.setTransactionId(1, 2);
  md.commit(0);
  return { dev, md };
}

function flipByte(dev: BlockDevice, blocknr: number, at = 100): void {
  const block = new Uint8Array(4096);
  dev.read(blocknr * 4096, block);
  block[at] = (block[at] as number) ^ 0xff;
  dev.write(blocknr * 4096, block);
}

function superblockOf(dev: BlockDevice) {
  const first = new Uint8Array(4096);
  dev.read(0, first);
  return decodeSuperblock(first, dev.name);
}

/** The first leaf of device `id`'s mapping tree (its subtree is internal, then leaves). */
function firstLeafOf(dev: BlockDevice, id: number): number {
  const sb = superblockOf(dev);
  const top = new Uint8Array(4096);
  dev.read(sb.mappingRoot * 4096, top);
  const view = new DataView(top.buffer);
  const nr = view.getUint32(16, true);
  const max = view.getUint32(20, true);
  let sub = -1;
  for (let i = 0; i < nr; i++) {
    if (Number(view.getBigUint64(32 + 8 * i, true)) === id)
      sub = Number(view.getBigUint64(32 + 8 * max + 8 * i, true));
  }
  expect(sub, `device ${id} in the top level`).toBeGreaterThan(0);
  const node = new Uint8Array(4096);
  dev.read(sub * 4096, node);
  const nv = new DataView(node.buffer);
  expect(nv.getUint32(4, true) & 1, "the subtree root is internal").toBe(1);
  return Number(nv.getBigUint64(32 + 8 * nv.getUint32(20, true), true));
}

describe("thin_repair", () => {
  it.skipIf(skip)(
    "rebuilds a damaged metadata space map with nothing lost, as the real thin_repair does",
    () => {
      const { dev } = pool();
      const before = thinDump(imageOf(dev));
      expect(before.status, before.stderr).toBe(0);
      flipByte(dev, superblockOf(dev).metadataSm.bitmapRoot);
      expect(thinCheck(imageOf(dev)).status, "the damage is real").not.toBe(0);
      const out = new MemoryDevice("out", 2 * MiB);
      const { salvaged } = repairPoolMetadata(dev, out);
      expect(salvaged.damage).toEqual([]);
      const check = thinCheck(imageOf(out));
      expect(check.status, check.stderr).toBe(0);
      expect(thinDump(imageOf(out)).stdout).toBe(before.stdout);
      const real = thinRepair(imageOf(dev), 2 * MiB);
      expect(real.run.status, real.run.stderr).toBe(0);
      expect(thinDump(real.output).stdout).toBe(before.stdout);
      expect(PoolMetadata.open(out, { dataBlockSizeSectors: 128 }).check()).toEqual([]);
    },
  );

  it.skipIf(skip)("drops the mappings of a damaged leaf, the same ones the real thin_repair drops", () => {
    const { dev } = pool();
    flipByte(dev, firstLeafOf(dev, 2));
    const out = new MemoryDevice("out", 2 * MiB);
    const { salvaged } = repairPoolMetadata(dev, out);
    expect(salvaged.damage.length).toBeGreaterThan(0);
    const check = thinCheck(imageOf(out));
    expect(check.status, check.stderr).toBe(0);
    const real = thinRepair(imageOf(dev), 2 * MiB);
    expect(real.run.status, real.run.stderr).toBe(0);
    const ours = thinDump(imageOf(out)).stdout;
    expect(ours).toBe(thinDump(real.output).stdout);
    expect(ours).not.toBe(thinDump(imageOf(pool().dev)).stdout);
  });

  it.skipIf(skip)("refuses a damaged superblock, as the real thin_repair does", () => {
    const { dev } = pool();
    flipByte(dev, 0, 50);
    expect(() => salvagePoolMetadata(dev)).toThrow(/checksum/i);
    expect(thinRepair(imageOf(dev), 2 * MiB).run.status).not.toBe(0);
  });

  it("counts a snapshot's shared blocks once per device; the mutation counts them once in all", () => {
    const { dev } = pool();
    const out = new MemoryDevice("out", 2 * MiB);
    repairPoolMetadata(dev, out);
    const md = PoolMetadata.open(out, { dataBlockSizeSectors: 128 });
    expect(md.check()).toEqual([]);
    expect(md.dataRefCount(md.lookup(2, 3 * 100)!.dataBlock)).toBe(2);
    const bad = new MemoryDevice("bad", 2 * MiB);
    repairPoolMetadata(dev, bad, { mutations: new Set([MUTATION_REPAIR_COUNTS_SHARED_ONCE]) });
    const problems = PoolMetadata.open(bad, { dataBlockSizeSectors: 128 }).check();
    expect(problems.some((p) => p.startsWith("data reference counts differ"))).toBe(true);
  });

  it("fails with ENOSPC when the output is too small for what was salvaged", () => {
    const { dev } = pool();
    const tiny = new MemoryDevice("tiny", 40 * 1024);
    try {
      repairPoolMetadata(dev, tiny);
      expect.unreachable("a 10-block output cannot hold 1200 mappings");
    } catch (error) {
      expect(isPersistentDataError(error, "ENOSPC")).toBe(true);
    }
  });
});
