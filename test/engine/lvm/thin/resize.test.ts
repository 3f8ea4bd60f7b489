/**
 * lvextend of thin pools: data through VG/POOL or _tdata, metadata with --poolmetadatasize (the
 * spare follows), refusals as LVM2 words them, the kernel's space maps grown live, a full pool
 * writable again, and --use-policies arithmetic (`_adjust_amount`).
 */
import { describe, expect, it } from "vitest";
import { adjustAmount } from "../../../../engine/lvm/thin/resize.js";
import { livePool } from "../../../../engine/lvm/thin/status.js";
import { thinCheck, thinToolsUnavailable } from "../../persistent-data/thin-tools.js";
import { lvm } from "../helpers.js";
import { poolMetadataImage, thinHost, writeThin } from "./helpers.js";

function pooled(extra = "") {
  return thinHost(extra, [["thin1", 32]]);
}

const lines = (text: string) =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

describe("lvextend of a thin pool", () => {
  it("grows the data through the pool or _tdata and the live kernel's data space map", () => {
    const host = pooled();
    const r = lvm(host, "lvextend -L +4M vg0/pool");
    expect(lines(r.stdout)).toEqual([
      "Size of logical volume vg0/pool_tdata changed from 8.00 MiB (2 extents) to 12.00 MiB (3 extents).",
      "Logical volume vg0/pool successfully resized.",
    ]);
    expect(livePool(host, "vg0", "pool")!.usage().totalDataBlocks).toBe(192);
    expect(lvm(host, "lvextend -l +1 vg0/pool_tdata").exitCode).toBe(0);
    expect(livePool(host, "vg0", "pool")!.usage().totalDataBlocks).toBe(256);
    expect(lines(lvm(host, "lvs --noheadings -o lv_size vg0/pool").stdout)).toEqual(["16.00m"]);
  });

  it("grows the metadata with --poolmetadatasize, and the spare with it", () => {
    const host = pooled();
    const r = lvm(host, "lvextend --poolmetadatasize +4M vg0/pool");
    expect(lines(r.stdout)).toEqual([
      "Size of logical volume vg0/pool_tmeta changed from 4.00 MiB (1 extents) to 8.00 MiB (2 extents).",
      "Logical volume vg0/pool_tmeta successfully resized.",
    ]);
    expect(livePool(host, "vg0", "pool")!.usage().totalMetadataBlocks).toBe(2048);
    const sizes = lines(lvm(host, "lvs -a --noheadings -o lv_name,lv_size").stdout).map((l) =>
      l.replace(/\s+/g, " "),
    );
    expect(sizes).toContain("[lvol0_pmspare] 8.00m");
  });

  it("refuses what LVM2 refuses", () => {
    const host = pooled();
    expect(lvm(host, "lvreduce -L -4M vg0/pool").stderr).toContain(
      "Thin pool volumes vg0/pool_tdata cannot be reduced in size yet.",
    );
    expect(lvm(host, "lvextend --poolmetadatasize +4M vg0/pool").exitCode).toBe(0);
    expect(lvm(host, "lvresize --poolmetadatasize 4M vg0/pool").stderr).toContain(
      "Thin pool metadata volumes cannot be reduced.",
    );
    expect(lvm(host, "lvextend --poolmetadatasize +4M vg0/pool_tdata").stderr).toContain(
      "--poolmetadatasize can be used only with thin pools.",
    );
    expect(lvm(host, "lvextend --use-policies vg0/thin1").stderr).toContain(
      "Policy-based resize is supported only for snapshot, thin pool and vdo pool volumes.",
    );
  });

  it("makes a pool that ran out of data space writable again, with nothing lost", () => {
    const host = pooled("--errorwhenfull y");
    expect(() => writeThin(host, "thin1", 200)).toThrow(/out of data space/);
    const pool = livePool(host, "vg0", "pool")!;
    expect(pool.mode).toBe("out-of-data-space");
    expect(lvm(host, "lvextend -L +8M vg0/pool").exitCode).toBe(0);
    expect(pool.mode).toBe("write");
    writeThin(host, "thin1", 200);
    expect(pool.usage().usedDataBlocks).toBe(200);
  });

  it("grows an inactive pool through a temporary activation", () => {
    const host = pooled();
    lvm(host, "vgchange -an vg0");
    expect(lvm(host, "lvextend -L +4M vg0/pool").exitCode).toBe(0);
    expect(livePool(host, "vg0", "pool")).toBeUndefined();
    lvm(host, "vgchange -ay vg0");
    expect(livePool(host, "vg0", "pool")!.usage().totalDataBlocks).toBe(192);
  });

  it.skipIf(thinToolsUnavailable())("leaves grown metadata the real thin_check accepts", () => {
    const host = pooled();
    writeThin(host, "thin1", 50);
    lvm(host, "lvextend -L +8M --poolmetadatasize +4M vg0/pool");
    lvm(host, "vgchange -an vg0");
    const check = thinCheck(poolMetadataImage(host, "pool"));
    expect(check.status, check.stderr).toBe(0);
  });
});

describe("--use-policies", () => {
  it("computes LVM2's _adjust_amount: max(policy, what gets below the threshold)", () => {
    expect(adjustAmount(75e6, 75, 20)).toBe(0); // exactly at the threshold: nothing
    expect(adjustAmount(75.01e6, 75, 20)).toBe(20);
    expect(adjustAmount(99e6, 50, 20)).toBe(98); // needs 98% more to get back to 50%
    expect(adjustAmount(45e6, 0, 20)).toBe(0); // never at or below 50%
  });

  it("does nothing with the default threshold and grows above a configured one", () => {
    const host = pooled();
    writeThin(host, "thin1", 100); // 100 of 128 blocks: 78.12%
    const quiet = lvm(host, "lvextend --use-policies vg0/pool");
    expect(quiet.exitCode).toBe(0);
    expect(quiet.stdout).toBe("");
    const r = lvm(
      host,
      "lvextend --use-policies --config activation/thin_pool_autoextend_threshold=70 vg0/pool",
    );
    expect(lines(r.stdout)).toEqual([
      "Size of logical volume vg0/pool_tdata changed from 8.00 MiB (2 extents) to 12.00 MiB (3 extents).",
      "Logical volume vg0/pool successfully resized.",
    ]);
    lvm(host, "vgchange -an vg0");
    expect(lvm(host, "lvextend --use-policies vg0/pool").stderr).toContain(
      "Can't read state of locally inactive LV vg0/pool.",
    );
  });
});
