import { describe, expect, it } from "vitest";
import { MemoryDevice } from "../../../engine/block/memory.js";
import {
  dumpThinXml,
  isPersistentDataError,
  MUTATION_SNAP_SKIPS_ROOT_INC,
  PoolMetadata,
} from "../../../engine/persistent-data/mod.js";
import { imageOf, thinCheck, thinDump, thinRestore, thinToolsUnavailable } from "./thin-tools.js";

const MiB = 1024 * 1024;
const skip = thinToolsUnavailable();

/** A small deterministic generator (tests only need variety, not quality). */
function lcg(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

/** Random creates, snapshots, inserts, overwrites, removes and deletes, committing now and then. */
function churn(md: PoolMetadata, seed: number, steps: number, onCommit: () => void): void {
  const rand = lcg(seed);
  let nextId = 1;
  for (let step = 0; step < steps; step++) {
    const ids = md.devices();
    const op = rand(100);
    if (ids.length === 0 || op < 4) {
      md.createThin(nextId++);
    } else if (op < 8) {
      md.createSnap(nextId++, ids[rand(ids.length)] as number);
    } else if (op < 10 && ids.length > 2) {
      md.deleteThin(ids[rand(ids.length)] as number);
    } else if (op < 80) {
      const b = md.allocDataBlock();
      if (b === undefined) continue;
      md.insert(ids[rand(ids.length)] as number, rand(2000), b);
    } else if (op < 97) {
      md.remove(ids[rand(ids.length)] as number, rand(2000));
    } else {
      md.setTransactionId(md.transactionId, md.transactionId + 1);
      md.commit(0);
      onCommit();
    }
  }
  md.commit(0);
  onCommit();
}

describe("pool metadata against thin-provisioning-tools", () => {
  it.skipIf(skip)("writes an empty pool that thin_check accepts and thin_dump prints as lvmlab does", () => {
    const dev = new MemoryDevice("meta", 2 * MiB);
    const md = PoolMetadata.format(dev, { dataBlockSizeSectors: 128, nrDataBlocks: 1000 });
    const check = thinCheck(imageOf(dev));
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout).toContain("TRANSACTION_ID=0");
    expect(thinDump(imageOf(dev)).stdout).toBe(dumpThinXml(md));
  });

  for (const seed of [1, 2]) {
    it.skipIf(skip)(
      `keeps thin_check clean through random provisioning, snapshots and deletes (seed ${seed})`,
      () => {
        const dev = new MemoryDevice("meta", 4 * MiB);
        const md = PoolMetadata.format(dev, { dataBlockSizeSectors: 128, nrDataBlocks: 40000 });
        let commits = 0;
        churn(md, seed, 2500, () => {
          commits += 1;
          if (commits % 40 !== 0) return;
          const check = thinCheck(imageOf(dev));
          expect(check.status, check.stderr).toBe(0);
        });
        const image = imageOf(dev);
        const check = thinCheck(image);
        expect(check.status, check.stderr).toBe(0);
        const mine = dumpThinXml(md);
        expect(mine).toContain("single_mapping");
        expect(thinDump(image).stdout).toBe(mine);
        // The reader sees exactly what the writer committed.
        expect(dumpThinXml(PoolMetadata.open(dev, { dataBlockSizeSectors: 128 }))).toBe(mine);
      },
    );
  }

  it.skipIf(skip)("reads metadata that thin_restore made from XML", () => {
    const xml = [
      '<superblock uuid="" time="1" transaction="3" flags="0" version="2" data_block_size="128" nr_data_blocks="20000">',
      '  <device dev_id="1" mapped_blocks="604" transaction="0" creation_time="0" snap_time="1">',
      '    <range_mapping origin_begin="0" data_begin="0" length="600" time="0"/>',
      '    <single_mapping origin_block="700" data_block="900" time="0"/>',
      '    <range_mapping origin_begin="701" data_begin="1000" length="3" time="1"/>',
      "  </device>",
      '  <device dev_id="7" mapped_blocks="600" transaction="2" creation_time="1" snap_time="1">',
      '    <range_mapping origin_begin="0" data_begin="0" length="600" time="0"/>',
      "  </device>",
      "</superblock>",
      "",
    ].join("\n");
    const dev = new MemoryDevice("meta", 4 * MiB);
    dev.write(0, thinRestore(xml, 4 * MiB));
    const md = PoolMetadata.open(dev, { dataBlockSizeSectors: 128 });
    expect(dumpThinXml(md)).toBe(xml);
    expect(md.lookup(1, 5)).toEqual({ dataBlock: 5, time: 0, shared: true });
    expect(md.lookup(1, 702)).toEqual({ dataBlock: 1001, time: 1, shared: false });
    expect(md.dataRefCount(5)).toBe(2);
    // lvmlab can go on writing it, and thin_check still agrees.
    const b = md.allocDataBlock() as number;
    md.insert(7, 5, b);
    md.deleteThin(1);
    md.commit(0);
    const check = thinCheck(imageOf(dev));
    expect(check.status, check.stderr).toBe(0);
    expect(md.dataRefCount(5)).toBe(0);
  });

  it.skipIf(skip)("a create_snap that forgets the shared root's reference is caught by thin_check", () => {
    const dev = new MemoryDevice("meta", 2 * MiB);
    const md = PoolMetadata.format(dev, {
      dataBlockSizeSectors: 128,
      nrDataBlocks: 100,
      mutations: new Set([MUTATION_SNAP_SKIPS_ROOT_INC]),
    });
    md.createThin(1);
    md.insert(1, 0, md.allocDataBlock() as number);
    md.createSnap(2, 1);
    md.commit(0);
    const check = thinCheck(imageOf(dev));
    expect(check.status).not.toBe(0);
    expect(check.stderr).toContain("metadata reference counts differ");
    // lvmlab's own recount (what the nightly scenarios use) finds the same thing.
    expect(PoolMetadata.open(dev, { dataBlockSizeSectors: 128 }).check().join("\n")).toContain(
      "metadata reference counts differ",
    );
  });
});

describe("pool metadata transactions", () => {
  it("loses exactly the uncommitted changes when reopened", () => {
    const dev = new MemoryDevice("meta", 2 * MiB);
    const md = PoolMetadata.format(dev, { dataBlockSizeSectors: 128, nrDataBlocks: 100 });
    md.createThin(1);
    md.insert(1, 3, md.allocDataBlock() as number);
    md.commit(0);
    md.insert(1, 4, md.allocDataBlock() as number);
    md.createSnap(2, 1);
    const reopened = PoolMetadata.open(dev, { dataBlockSizeSectors: 128 });
    expect(reopened.devices()).toEqual([1]);
    expect(reopened.lookup(1, 3)?.dataBlock).toBe(0);
    expect(reopened.lookup(1, 4)).toBeUndefined();
    expect(reopened.dataBlocksFree).toBe(99);
    md.abort();
    expect(dumpThinXml(md)).toBe(dumpThinXml(reopened));
  });

  it("commits a set_transaction_id alone as the superblock only, as the kernel does", () => {
    const dev = new MemoryDevice("meta", 2 * MiB);
    const md = PoolMetadata.format(dev, { dataBlockSizeSectors: 128, nrDataBlocks: 100 });
    md.createThin(1);
    md.insert(1, 3, md.allocDataBlock() as number);
    md.commit(0);
    // LVM2 sends create_snap, then set_transaction_id: dm-thin commits after each message.
    md.createSnap(2, 1);
    md.commit(0);
    const writesBefore = dev.stats.writeOps;
    md.setTransactionId(0, 1);
    md.commit(0);
    expect(dev.stats.writeOps - writesBefore).toBe(1);
    const reopened = PoolMetadata.open(dev, { dataBlockSizeSectors: 128 });
    expect(reopened.transactionId).toBe(1);
    expect(reopened.devices()).toEqual([1, 2]);
    expect(reopened.check()).toEqual([]);
    expect(dumpThinXml(reopened)).toBe(dumpThinXml(md));
    // Anything else in the transaction makes it a full commit.
    md.insert(2, 4, md.allocDataBlock() as number);
    md.setTransactionId(1, 2);
    const full = dev.stats.writeOps;
    md.commit(0);
    expect(dev.stats.writeOps - full).toBeGreaterThan(1);
    expect(PoolMetadata.open(dev, { dataBlockSizeSectors: 128 }).check()).toEqual([]);
  });

  it.skipIf(skip)("leaves metadata thin_check accepts after a superblock-only commit", () => {
    const dev = new MemoryDevice("meta", 2 * MiB);
    const md = PoolMetadata.format(dev, { dataBlockSizeSectors: 128, nrDataBlocks: 100 });
    md.createThin(1);
    md.insert(1, 3, md.allocDataBlock() as number);
    md.commit(0);
    md.setTransactionId(0, 1);
    md.commit(0);
    const check = thinCheck(imageOf(dev));
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout).toContain("TRANSACTION_ID=1");
    expect(thinDump(imageOf(dev)).stdout).toBe(dumpThinXml(md));
  });

  it("shares blocks between a snapshot and its origin until one is overwritten", () => {
    const dev = new MemoryDevice("meta", 2 * MiB);
    const md = PoolMetadata.format(dev, { dataBlockSizeSectors: 128, nrDataBlocks: 100 });
    md.createThin(1);
    md.insert(1, 0, md.allocDataBlock() as number);
    md.createSnap(2, 1);
    expect(md.lookup(1, 0)?.shared).toBe(true);
    expect(md.dataRefCount(0)).toBe(1);
    const b = md.allocDataBlock() as number;
    md.insert(1, 0, b);
    // Shadowing the shared leaf gave block 0 a second reference; the overwrite dropped the origin's.
    expect(md.lookup(1, 0)).toEqual({ dataBlock: b, time: 1, shared: false });
    expect(md.lookup(2, 0)?.dataBlock).toBe(0);
    expect(md.dataRefCount(0)).toBe(1);
    expect(md.details(2)?.mappedBlocks).toBe(1);
  });

  it("runs out of metadata space with ENOSPC", () => {
    const dev = new MemoryDevice("meta", 128 * 1024);
    const md = PoolMetadata.format(dev, { dataBlockSizeSectors: 128, nrDataBlocks: 20000 });
    md.createThin(1);
    let error: unknown;
    try {
      for (let v = 0; v < 20000; v++) md.insert(1, v * 2, md.allocDataBlock() as number);
    } catch (e) {
      error = e;
    }
    expect(isPersistentDataError(error, "ENOSPC")).toBe(true);
  });

  it("refuses damaged metadata with a message naming the block", () => {
    const dev = new MemoryDevice("meta", 2 * MiB);
    const md = PoolMetadata.format(dev, { dataBlockSizeSectors: 128, nrDataBlocks: 100 });
    md.createThin(1);
    md.commit(0);
    const sb = new Uint8Array(4096);
    dev.read(0, sb);
    sb[100] = (sb[100] ?? 0) ^ 0xff;
    dev.write(0, sb);
    expect(() => PoolMetadata.open(dev, { dataBlockSizeSectors: 128 })).toThrow(
      /Bad checksum in superblock block 0/,
    );
  });

  it("refuses a different data block size as the kernel does", () => {
    const dev = new MemoryDevice("meta", 2 * MiB);
    PoolMetadata.format(dev, { dataBlockSizeSectors: 128, nrDataBlocks: 100 });
    expect(() => PoolMetadata.open(dev, { dataBlockSizeSectors: 256 })).toThrow(
      "changing the data block size (from 128 to 256) is not supported",
    );
  });
});
