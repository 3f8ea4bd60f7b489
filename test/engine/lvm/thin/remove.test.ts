/**
 * lvremove of thin LVs and pools: the `delete` message reaches the kernel (active pool or a
 * temporary activation), the device leaves both btrees and frees what only it mapped, real
 * thin_check still passes; a pool that cannot be updated fails the removal unless -ff, which
 * leaves the message queued; a pool goes with its thin LVs, sub-LVs and the last spare.
 */
import { describe, expect, it } from "vitest";
import type { Host } from "../../../../engine/lvm/host.js";
import { livePool } from "../../../../engine/lvm/thin/status.js";
import { requireVg, scanHost } from "../../../../engine/lvm/vg-read.js";
import { findLv, type OtherSegment } from "../../../../engine/metadata/model.js";
import { thinPoolInfo, thinPoolSegment } from "../../../../engine/metadata/thin.js";
import { thinCheck, thinToolsUnavailable } from "../../persistent-data/thin-tools.js";
import { lvm } from "../helpers.js";
import { damagePoolMetadata, poolMetadataImage, thinHost, writeThin } from "./helpers.js";

function pooled() {
  const host = thinHost("", [
    ["thin1", 16],
    ["thin2", 16],
  ]);
  writeThin(host, "thin1", 30);
  writeThin(host, "thin2", 10);
  return host;
}

function poolInfo(host: Host) {
  const vg = requireVg(scanHost(host), "vg0").vg;
  return thinPoolInfo(thinPoolSegment(findLv(vg, "pool")) as OtherSegment);
}

describe("lvremove of a thin LV", () => {
  it("deletes the device in the live kernel and frees the blocks only it mapped", () => {
    const host = pooled();
    const pool = livePool(host, "vg0", "pool")!;
    expect(pool.usage().usedDataBlocks).toBe(40);
    const r = lvm(host, "lvremove -f vg0/thin1");
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('Logical volume "thin1" successfully removed.');
    expect(pool.metadata!.devices()).toEqual([2]);
    expect(pool.usage().usedDataBlocks).toBe(10);
    expect(pool.usage().transactionId).toBe(3);
    expect(poolInfo(host)).toMatchObject({ transactionId: 3, messages: [] });
    expect(pool.metadata!.check()).toEqual([]);
  });

  it("asks before removing an active thin LV", () => {
    const host = pooled();
    const r = lvm(host, "lvremove vg0/thin1");
    expect(r.exitCode).toBe(5);
    expect(r.stdout).toContain("Do you really want to remove active logical volume vg0/thin1? [y/n]: [n]");
  });

  it("activates an inactive pool to send the delete, then leaves it inactive", () => {
    const host = pooled();
    lvm(host, "vgchange -an vg0");
    expect(lvm(host, "lvremove vg0/thin2").exitCode).toBe(0);
    expect(livePool(host, "vg0", "pool")).toBeUndefined();
    expect(poolInfo(host).messages).toEqual([]);
    lvm(host, "vgchange -ay vg0");
    expect(livePool(host, "vg0", "pool")!.metadata!.devices()).toEqual([1]);
  });

  it.skipIf(thinToolsUnavailable())("leaves metadata the real thin_check accepts", () => {
    const host = pooled();
    lvm(host, "lvcreate -s vg0/thin1 -n snap");
    lvm(host, "lvremove -f vg0/thin1");
    lvm(host, "vgchange -an vg0");
    const check = thinCheck(poolMetadataImage(host, "pool"));
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout).toContain("TRANSACTION_ID=4");
  });

  it("fails when the pool cannot be updated, and with -ff leaves the delete queued", () => {
    const host = pooled();
    lvm(host, "vgchange -an vg0");
    damagePoolMetadata(host, "pool", "metadata-index");
    const failed = lvm(host, "lvremove -f vg0/thin1");
    expect(failed.exitCode).toBe(5);
    expect(failed.stderr).toContain("Failed to update pool vg0/pool.");
    const forced = lvm(host, "lvremove -ff vg0/thin2");
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(forced.stdout).toContain("Ignoring update failure of pool vg0/pool.");
    expect(poolInfo(host).messages).toEqual([{ delete: 1 }, { delete: 2 }]);
    expect(poolInfo(host).transactionId).toBe(3);
  });
});

describe("lvremove of a thin pool", () => {
  it("asks, then takes the thin LVs, the sub-LVs and the last spare with it", () => {
    const host = pooled();
    const asked = lvm(host, "lvremove vg0/pool");
    expect(asked.exitCode).toBe(5);
    expect(asked.stdout).toContain(
      "Removing pool vg0/pool will remove 2 dependent volume(s). Proceed? [y/n]: [n]",
    );
    const r = lvm(host, "lvremove -f vg0/pool");
    expect(r.exitCode, r.stderr).toBe(0);
    expect(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => l.trim()),
    ).toEqual([
      'Logical volume "thin1" successfully removed.',
      'Logical volume "thin2" successfully removed.',
      'Logical volume "pool" successfully removed.',
    ]);
    expect(requireVg(scanHost(host), "vg0").vg.lvs).toEqual([]);
    expect(livePool(host, "vg0", "pool")).toBeUndefined();
    expect(lvm(host, "lvremove vg0/pool_tdata").exitCode).toBe(5);
  });
});
