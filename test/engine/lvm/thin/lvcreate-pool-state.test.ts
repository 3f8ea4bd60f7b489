/**
 * lvcreate of a thin LV in a live pool that cannot take one (`pool_below_threshold`'s status half,
 * run by `_lv_create_an_lv` before the VG is written): a pool with read-only metadata refuses it,
 * and the VG keeps no abandoned LV, no queued message and its transaction_id.
 */
import { describe, expect, it } from "vitest";
import type { Host } from "../../../../engine/lvm/host.js";
import { THIN_LVCREATE_IGNORES_POOL_STATE } from "../../../../engine/lvm/thin/lvcreate.js";
import { livePool } from "../../../../engine/lvm/thin/status.js";
import { requireVg, scanHost } from "../../../../engine/lvm/vg-read.js";
import { findLv, type OtherSegment } from "../../../../engine/metadata/model.js";
import { thinPoolInfo, thinPoolSegment } from "../../../../engine/metadata/thin.js";
import { lvm, makeHost } from "../helpers.js";
import { writeThin } from "./helpers.js";

/** A pool whose metadata ran out under a write: the commit failed and the pool is read-only. */
function readOnlyPool(mutations: ReadonlySet<string> = new Set()) {
  const host = makeHost(["pv0", "pv1"], { mutations });
  for (const line of [
    "pvcreate pv0 pv1",
    "vgcreate vg0 pv0 pv1",
    "lvcreate -T -L 8M vg0/pool",
    "lvcreate -V 16M -T vg0/pool -n thin1",
  ])
    expect(lvm(host, line).exitCode).toBe(0);
  writeThin(host, "thin1", 4);
  const pool = livePool(host, "vg0", "pool")!;
  pool.setMetadataFreeBlocks(0);
  try {
    writeThin(host, "thin1", 40, 9);
  } catch {
    // The flush fails once the commit finds no free metadata block.
  }
  expect(pool.mode).toBe("read-only");
  return host;
}

function poolInfo(host: Host) {
  const vg = requireVg(scanHost(host), "vg0").vg;
  return { vg, info: thinPoolInfo(thinPoolSegment(findLv(vg, "pool")) as OtherSegment) };
}

describe("lvcreate in a pool that cannot take a thin LV", () => {
  it("refuses a thin snapshot before writing the VG", () => {
    const host = readOnlyPool();
    const before = poolInfo(host).info.transactionId;
    const r = lvm(host, "lvcreate -s -K vg0/thin1 -n late");
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain("WARNING: Thin pool vg0/pool needs check has read-only metadata.");
    expect(r.stderr).toContain(
      "Cannot create new thin volume, free space in thin pool vg0/pool reached threshold.",
    );
    const after = poolInfo(host);
    expect(findLv(after.vg, "late")).toBeUndefined();
    expect(after.info).toMatchObject({ transactionId: before, messages: [] });
  });

  it("refuses a new thin LV the same way", () => {
    const host = readOnlyPool();
    const r = lvm(host, "lvcreate -V 8M -T vg0/pool -n thin2");
    expect(r.exitCode).toBe(5);
    expect(findLv(poolInfo(host).vg, "thin2")).toBeUndefined();
  });

  it("mutant: ignoring the pool's state leaves the new LV abandoned in the VG with its message queued", () => {
    const host = readOnlyPool(new Set([THIN_LVCREATE_IGNORES_POOL_STATE.name]));
    const r = lvm(host, "lvcreate -s -K vg0/thin1 -n late");
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain("Cannot send messages to thin pool vg0-pool-tpool which needs check first.");
    const after = poolInfo(host);
    expect(findLv(after.vg, "late")).toBeDefined();
    expect(after.info.messages).toEqual([{ create: "late" }]);
  });
});
