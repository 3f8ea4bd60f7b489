import { describe, expect, it } from "vitest";
import { isBlockDeviceError } from "../../../engine/block/errors.js";
import {
  MUTATION_THIN_COMMIT_SKIPS_DATA_FLUSH,
  MUTATION_THIN_FLUSH_SKIPS_COMMIT,
  THIN_NO_SPACE_TIMEOUT_NS,
  ThinPoolTarget,
} from "../../../engine/dm/thin/pool.js";
import { ThinTarget } from "../../../engine/dm/thin/thin.js";
import { Trace } from "../../../engine/sim/trace.js";
import { imageOf, thinCheck, thinToolsUnavailable } from "../persistent-data/thin-tools.js";
import { Machine, TestDisk } from "./harness.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const BLOCK = 64 * KiB;

function pattern(bytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (i * 31 + seed * 7 + 1) & 0xff;
  return out;
}

/** Byte equality without vitest's slow element-by-element diff of large arrays. */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function makePool(
  options: {
    dataBytes?: number;
    metaBytes?: number;
    mutations?: string[];
    errorIfNoSpace?: boolean;
    zero?: boolean;
  } = {},
) {
  const machine = new Machine();
  const meta = new TestDisk("vg-pool_tmeta", options.metaBytes ?? 2 * MiB, machine);
  const data = new TestDisk("vg-pool_tdata", options.dataBytes ?? 4 * MiB, machine);
  const trace = new Trace();
  const open = (m = meta, d = data) =>
    new ThinPoolTarget("vg-pool-tpool", {
      metadata: m,
      data: d,
      blockSizeSectors: BLOCK / 512,
      trace,
      mutations: new Set(options.mutations ?? []),
      ...(options.errorIfNoSpace ? { errorIfNoSpace: true } : {}),
      ...(options.zero === false ? { zeroNewBlocks: false } : {}),
    });
  return { machine, meta, data, trace, pool: open(), open };
}

function thin(pool: ThinPoolTarget, id: number, sizeBytes = 16 * MiB): ThinTarget {
  return new ThinTarget(`vg-thin${id}`, { pool, deviceId: id, lengthSectors: sizeBytes / 512 });
}

/** The disks as a power cut leaves them (unflushed writes lost), reopened. */
function crash(t: ReturnType<typeof makePool>) {
  const meta = new TestDisk(
    t.meta.name,
    t.meta.sizeBytes,
    new Machine(),
    t.meta.crashImage("lose-unflushed"),
  );
  const data = new TestDisk(
    t.data.name,
    t.data.sizeBytes,
    new Machine(),
    t.data.crashImage("lose-unflushed"),
  );
  return { meta, data, pool: t.open(meta, data) };
}

describe("dm-thin: provisioning and sharing", () => {
  it("provisions on first write, zeroes the rest of a new block, and reads unmapped space as zeros", () => {
    const t = makePool();
    t.pool.message("create_thin 1", 0);
    const dev = thin(t.pool, 1);
    const data = pattern(4096, 1);
    dev.write(8192, data);
    const block = new Uint8Array(BLOCK);
    dev.read(0, block);
    expect(block.subarray(8192, 12288)).toEqual(data);
    expect(block.subarray(0, 8192).every((b) => b === 0)).toBe(true);
    expect(t.pool.usage().usedDataBlocks).toBe(1);
    expect(dev.statusParams()).toBe("128 127");
    const far = new Uint8Array(4096);
    dev.read(10 * MiB, far);
    expect(far.every((b) => b === 0)).toBe(true);
  });

  it("keeps a snapshot's view while its origin is overwritten, sharing untouched blocks", () => {
    const t = makePool();
    t.pool.message("create_thin 1", 0);
    const origin = thin(t.pool, 1);
    origin.write(0, pattern(2 * BLOCK, 1));
    t.pool.message("create_snap 2 1", 0);
    const snap = thin(t.pool, 2);
    origin.write(0, pattern(4096, 9));
    const seen = new Uint8Array(2 * BLOCK);
    snap.read(0, seen);
    expect(same(seen, pattern(2 * BLOCK, 1))).toBe(true);
    // Two blocks shared at first; one broke sharing and took a third block.
    expect(t.pool.usage().usedDataBlocks).toBe(3);
  });

  it("returns discarded unshared blocks to the pool", () => {
    const t = makePool();
    t.pool.message("create_thin 1", 0);
    const dev = thin(t.pool, 1);
    dev.write(0, pattern(4 * BLOCK, 2));
    dev.flush();
    expect(t.pool.usage().usedDataBlocks).toBe(4);
    dev.discard(BLOCK, 2 * BLOCK);
    dev.flush();
    expect(t.pool.usage().usedDataBlocks).toBe(2);
  });

  it.skipIf(thinToolsUnavailable())("leaves metadata that real thin_check accepts", () => {
    const t = makePool();
    t.pool.message("create_thin 1", 0);
    const dev = thin(t.pool, 1);
    dev.write(0, pattern(8 * BLOCK, 3));
    t.pool.message("create_snap 2 1", 0);
    dev.write(BLOCK, pattern(BLOCK, 4));
    t.pool.message("set_transaction_id 0 2", 0);
    dev.flush();
    const check = thinCheck(imageOf(t.meta));
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout).toContain("TRANSACTION_ID=2");
  });
});

describe("dm-thin: commits and crashes", () => {
  it("loses exactly the provisioning that no flush committed", () => {
    const t = makePool();
    t.pool.message("create_thin 1", 0);
    const dev = thin(t.pool, 1);
    dev.write(0, pattern(BLOCK, 1));
    dev.flush();
    dev.write(BLOCK, pattern(BLOCK, 2));
    const after = crash(t);
    const d = thin(after.pool, 1);
    const a = new Uint8Array(BLOCK);
    d.read(0, a);
    expect(same(a, pattern(BLOCK, 1))).toBe(true);
    d.read(BLOCK, a);
    expect(a.every((b) => b === 0)).toBe(true);
    expect(after.pool.usage().usedDataBlocks).toBe(1);
  });

  it("commits on FUA and on the periodic commit", () => {
    const t = makePool();
    t.pool.message("create_thin 1", 0);
    const dev = thin(t.pool, 1);
    dev.write(0, pattern(4096, 1), { fua: true });
    dev.write(BLOCK, pattern(4096, 2), { issueNs: 10 });
    dev.read(0, new Uint8Array(512), { issueNs: 2e9 }); // the waker commits after 1 s
    const after = crash(t);
    expect(after.pool.usage().usedDataBlocks).toBe(2);
  });

  for (const [mutation, what] of [
    [MUTATION_THIN_COMMIT_SKIPS_DATA_FLUSH, "a mapping whose data never reached the disk"],
    [MUTATION_THIN_FLUSH_SKIPS_COMMIT, "a flushed write whose mapping was never committed"],
  ] as const) {
    it(`mutation ${mutation} loses flushed data (${what})`, () => {
      const t = makePool({ mutations: [mutation] });
      t.pool.message("create_thin 1", 0);
      const dev = thin(t.pool, 1);
      dev.write(0, pattern(BLOCK, 5));
      dev.flush();
      const after = crash(t);
      const a = new Uint8Array(BLOCK);
      thin(after.pool, 1).read(0, a);
      expect(same(a, pattern(BLOCK, 5))).toBe(false);
    });
  }
});

describe("dm-thin: running out of space", () => {
  it("fails writes at once with error_if_no_space, and recovers after the data device grows", () => {
    const t = makePool({ dataBytes: 4 * BLOCK, errorIfNoSpace: true });
    t.pool.message("create_thin 1", 0);
    const dev = thin(t.pool, 1);
    dev.write(0, pattern(4 * BLOCK, 1));
    let error: unknown;
    try {
      dev.write(4 * BLOCK, pattern(4096, 2));
    } catch (e) {
      error = e;
    }
    expect(isBlockDeviceError(error, "ENOSPC")).toBe(true);
    expect(t.pool.mode).toBe("out-of-data-space");
    expect(t.pool.statusParams()).toContain("out_of_data_space discard_passdown error_if_no_space");
    // Writes to mapped blocks still work.
    dev.write(0, pattern(4096, 3));
  });

  it("fails a synchronous write it would hold, and errors after no_space_timeout (60 s)", () => {
    const t = makePool({ dataBytes: 2 * BLOCK });
    t.pool.message("create_thin 1", 0);
    const dev = thin(t.pool, 1);
    dev.write(0, pattern(2 * BLOCK, 1));
    expect(() => dev.write(2 * BLOCK, pattern(4096, 2), { issueNs: 1e9 })).toThrow(
      /queue_if_no_space holds it for no_space_timeout \(60 s\), but a synchronous write cannot wait/,
    );
    expect(t.pool.statusParams()).toContain("queue_if_no_space");
    dev.read(0, new Uint8Array(512), { issueNs: 1e9 + THIN_NO_SPACE_TIMEOUT_NS });
    expect(t.pool.statusParams()).toContain("error_if_no_space");
  });

  it("goes read-only with needs_check when the metadata fills", () => {
    const seen = new Set<string>();
    for (const metaKiB of [72, 80]) {
      const t = makePool({ metaBytes: metaKiB * KiB, dataBytes: 16 * MiB });
      t.pool.message("create_thin 1", 0);
      const dev = thin(t.pool, 1, 64 * MiB);
      let error: unknown;
      try {
        for (let b = 0; b < 256; b++) {
          dev.write(b * 2 * BLOCK, pattern(4096, b));
          if (b % 8 === 7) dev.flush();
        }
      } catch (e) {
        error = e;
      }
      if (error === undefined) continue; // everything fitted
      expect(isBlockDeviceError(error, "EIO")).toBe(true);
      expect(t.pool.statusParams()).toContain(" ro ");
      expect(() => t.pool.message("create_thin 2", 0)).toThrow(/READ_ONLY or FAIL mode/);
      if (t.pool.mode === "read-only") {
        expect(String(error)).toMatch(
          /metadata operation '(dm_thin_insert_block|commit)' failed: error = -28/,
        );
        expect(t.pool.statusParams()).toContain("needs_check");
        // The flag is on disk: a reboot comes back read-only.
        expect(crash(t).pool.mode).toBe("read-only");
      } else {
        expect(t.pool.mode).toBe("out-of-metadata-space");
      }
      seen.add(t.pool.mode);
    }
    expect(seen.has("read-only")).toBe(true);
  });
});
