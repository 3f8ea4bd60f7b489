/**
 * A full pool, queue_if_no_space against error_if_no_space (dm-thin `alloc_data_block`,
 * `do_no_space_timeout`): the status the kernel reports before and after the 60 s timeout, the
 * trace events, what still works, and a grow that returns the pool to write mode.
 */
import { describe, expect, it } from "vitest";
import type { BlockDevice } from "../../../../engine/block/device.js";
import { MemoryDevice } from "../../../../engine/block/memory.js";
import { THIN_NO_SPACE_TIMEOUT_NS, ThinPoolTarget, ThinTarget } from "../../../../engine/dm/thin/mod.js";
import { Scheduler } from "../../../../engine/sim/scheduler.js";
import { Trace } from "../../../../engine/sim/trace.js";

const BLOCK = 64 * 1024;

/** A data device of 8 blocks that shows only `visibleBlocks` of them, as a `_tdata` before lvextend. */
function growable(visibleBlocks: { n: number }): BlockDevice {
  const inner = new MemoryDevice("data", 8 * BLOCK);
  return {
    name: "data",
    stats: inner.stats,
    get sizeBytes() {
      return visibleBlocks.n * BLOCK;
    },
    read: (o, d, x) => inner.read(o, d, x),
    write: (o, d, x) => inner.write(o, d, x),
    flush: (x) => inner.flush(x),
    discard: (o, l, x) => inner.discard(o, l, x),
  };
}

function fullPool(errorIfNoSpace: boolean, visible = { n: 4 }) {
  const trace = new Trace();
  const events: string[] = [];
  trace.subscribe((e) => events.push(e.name));
  const data = growable(visible);
  const pool = new ThinPoolTarget("vg0-pool-tpool", {
    metadata: new MemoryDevice("meta", 1024 * 1024),
    data,
    blockSizeSectors: 128,
    errorIfNoSpace,
    trace,
  });
  pool.message("create_thin 1", 0);
  const thin = new ThinTarget("vg0-thin", { pool, deviceId: 1, lengthSectors: 64 * 128 });
  for (let b = 0; b < 4; b++) thin.write(b * BLOCK, new Uint8Array(BLOCK).fill(b + 1), { issueNs: 0 });
  return { pool, thin, events };
}

const fields = (pool: ThinPoolTarget) => pool.statusParams().trim().split(" ");

describe("a full thin pool", () => {
  it("with error_if_no_space fails a write needing a block at once, and says so in its status", () => {
    const { pool, thin } = fullPool(true);
    expect(() => thin.write(10 * BLOCK, new Uint8Array(BLOCK), { issueNs: 1 })).toThrow(/error_if_no_space/);
    expect(pool.mode).toBe("out-of-data-space");
    expect(fields(pool).slice(3, 7)).toEqual([
      "-",
      "out_of_data_space",
      "discard_passdown",
      "error_if_no_space",
    ]);
  });

  it("with queue_if_no_space queues for no_space_timeout, then errors; mapped blocks stay writable", () => {
    const { pool, thin, events } = fullPool(false);
    expect(() => thin.write(10 * BLOCK, new Uint8Array(BLOCK), { issueNs: 1 })).toThrow(/no_space_timeout/);
    expect(fields(pool)[6]).toBe("queue_if_no_space");
    thin.write(0, new Uint8Array(BLOCK).fill(9), { issueNs: 2 });
    const back = new Uint8Array(BLOCK);
    thin.read(0, back, { issueNs: 3 });
    expect(back[0]).toBe(9);
    expect(events).not.toContain("thin.pool.no-space-timeout");
    thin.read(0, back, { issueNs: 1 + THIN_NO_SPACE_TIMEOUT_NS });
    expect(events).toContain("thin.pool.no-space-timeout");
    expect(fields(pool)[6]).toBe("error_if_no_space");
  });

  it("returns to write mode and the table's queue policy when its data device grows", () => {
    const visible = { n: 4 };
    const { pool, thin } = fullPool(false, visible);
    expect(() => thin.write(10 * BLOCK, new Uint8Array(BLOCK), { issueNs: 1 })).toThrow();
    thin.read(0, new Uint8Array(BLOCK), { issueNs: 1 + THIN_NO_SPACE_TIMEOUT_NS });
    expect(fields(pool)[6]).toBe("error_if_no_space");
    visible.n = 8;
    pool.resizeData(2 + THIN_NO_SPACE_TIMEOUT_NS);
    expect(pool.mode).toBe("write");
    expect(fields(pool)[6]).toBe("queue_if_no_space");
    thin.write(10 * BLOCK, new Uint8Array(BLOCK), { issueNs: 3 + THIN_NO_SPACE_TIMEOUT_NS });
    expect(pool.usage()).toMatchObject({ usedDataBlocks: 5, totalDataBlocks: 8 });
  });
});

/** A full pool with a scheduler, so a queued write to a new block is held (`retry_on_resume`). */
function heldPool(options: { errorIfNoSpace?: boolean; mutations?: ReadonlySet<string> } = {}) {
  const scheduler = new Scheduler();
  const trace = new Trace();
  const messages: string[] = [];
  trace.subscribe((e) => {
    if (typeof e.data.message === "string") messages.push(e.data.message);
  });
  const visible = { n: 4 };
  const pool = new ThinPoolTarget("vg0-pool-tpool", {
    metadata: new MemoryDevice("meta", 1024 * 1024),
    data: growable(visible),
    blockSizeSectors: 128,
    errorIfNoSpace: options.errorIfNoSpace ?? false,
    trace,
    scheduler,
    ...(options.mutations === undefined ? {} : { mutations: options.mutations }),
  });
  pool.message("create_thin 1", 0);
  const thin = new ThinTarget("vg0-thin", { pool, deviceId: 1, lengthSectors: 64 * 128 });
  for (let b = 0; b < 4; b++) thin.write(b * BLOCK, new Uint8Array(BLOCK).fill(b + 1), { issueNs: 0 });
  const outcomes: { block: number; completeNs: number; error?: string }[] = [];
  const submit = (block: number, atNs: number) =>
    scheduler.at(atNs, (t) =>
      thin.submitWrite(block * BLOCK, new Uint8Array(4096).fill(0x40 + block), { issueNs: t }, (done) =>
        outcomes.push({
          block,
          completeNs: done.completeNs,
          ...(done.error === undefined ? {} : { error: done.error.code }),
        }),
      ),
    );
  return { scheduler, pool, thin, visible, outcomes, submit, messages };
}

const SECOND = 1_000_000_000;

describe("writes held by a full queue_if_no_space pool", () => {
  it("complete when the pool grows inside no_space_timeout, with their data", () => {
    const { scheduler, pool, thin, visible, outcomes, submit, messages } = heldPool();
    submit(10, SECOND);
    submit(11, SECOND);
    scheduler.run(2 * SECOND);
    expect(outcomes).toEqual([]);
    expect(pool.heldNow).toBe(2);
    expect(pool.mode).toBe("out-of-data-space");
    expect(messages).toContain("vg0-pool-tpool: switching pool to out-of-data-space (queue IO) mode");
    scheduler.at(30 * SECOND, (t) => {
      visible.n = 8;
      pool.resizeData(t);
    });
    scheduler.run();
    expect(outcomes.map((o) => [o.block, o.error])).toEqual([
      [10, undefined],
      [11, undefined],
    ]);
    expect(outcomes[0]!.completeNs).toBeGreaterThanOrEqual(30 * SECOND);
    expect(pool.heldWrites()).toMatchObject({ held: 2, resumed: 2, timedOut: 0 });
    expect(messages).toContain("vg0-pool-tpool: switching pool to write mode");
    const back = new Uint8Array(4096);
    thin.read(11 * BLOCK, back, { issueNs: scheduler.nowNs });
    expect(back[0]).toBe(0x40 + 11);
  });

  it("fail with ENOSPC exactly no_space_timeout after the pool filled, and later writes fail at once", () => {
    const { scheduler, pool, outcomes, submit, messages } = heldPool();
    submit(10, SECOND);
    submit(11, 5 * SECOND);
    scheduler.run();
    expect(outcomes.map((o) => [o.block, o.error, o.completeNs])).toEqual([
      [10, "ENOSPC", SECOND + THIN_NO_SPACE_TIMEOUT_NS],
      [11, "ENOSPC", SECOND + THIN_NO_SPACE_TIMEOUT_NS],
    ]);
    expect(pool.heldWrites()).toMatchObject({ held: 2, resumed: 0, timedOut: 2 });
    expect(pool.heldWrites().timeoutAfterNs).toBe(THIN_NO_SPACE_TIMEOUT_NS);
    expect(messages).toContain("vg0-pool-tpool: switching pool to out-of-data-space (error IO) mode");
    expect(pool.statusParams()).toContain("out_of_data_space discard_passdown error_if_no_space");
    submit(12, scheduler.nowNs + SECOND);
    scheduler.run();
    expect(outcomes.at(-1)).toMatchObject({ block: 12, error: "ENOSPC" });
    expect(pool.heldWrites().held).toBe(2);
  });

  it("are never held with error_if_no_space: they fail at once", () => {
    const { scheduler, pool, outcomes, submit } = heldPool({ errorIfNoSpace: true });
    submit(10, SECOND);
    scheduler.run();
    expect(outcomes).toEqual([{ block: 10, completeNs: SECOND, error: "ENOSPC" }]);
    expect(pool.heldWrites().held).toBe(0);
  });

  it("mutations: failing at once, or acknowledging held writes unwritten, show", () => {
    const atOnce = heldPool({ mutations: new Set(["dm.thin.no-space-fails-at-once"]) });
    atOnce.submit(10, SECOND);
    atOnce.scheduler.run();
    expect(atOnce.outcomes[0]).toMatchObject({ error: "ENOSPC", completeNs: SECOND });
    const dropped = heldPool({ mutations: new Set(["dm.thin.resume-drops-held-writes"]) });
    dropped.submit(10, SECOND);
    dropped.scheduler.at(2 * SECOND, (t) => {
      dropped.visible.n = 8;
      dropped.pool.resizeData(t);
    });
    dropped.scheduler.run();
    expect(dropped.outcomes[0]?.error).toBeUndefined();
    const back = new Uint8Array(4096);
    dropped.thin.read(10 * BLOCK, back, { issueNs: dropped.scheduler.nowNs });
    expect(back[0]).toBe(0);
  });
});
