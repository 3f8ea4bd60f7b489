/**
 * `lvconvert --repair VG/POOL` as LVM2 2.03.16 does it: refused while active, thin_repair into the
 * spare, the spare and the metadata LV swapped by name and id, `POOL_meta0` kept, a new spare.
 */
import { describe, expect, it } from "vitest";
import { requireVg, scanHost } from "../../../../engine/lvm/vg-read.js";
import { findLv } from "../../../../engine/metadata/model.js";
import { thinCheck, thinToolsUnavailable } from "../../persistent-data/thin-tools.js";
import { lvm } from "../helpers.js";
import { damagePoolMetadata, poolMetadataImage, thinHost, writeThin } from "./helpers.js";

function pooled() {
  const host = thinHost();
  writeThin(host, "thin1", 20);
  return host;
}

describe("lvconvert --repair of a thin pool", () => {
  it("refuses an active pool", () => {
    const host = pooled();
    const r = lvm(host, "lvconvert --repair vg0/pool");
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain("Active pools cannot be repaired.  Use lvchange -an first.");
  });

  it("repairs a damaged space map: meta0 kept, ids swapped, new spare, data back", () => {
    const host = pooled();
    expect(lvm(host, "vgchange -an vg0").exitCode).toBe(0);
    damagePoolMetadata(host, "pool", "metadata-index");
    const failed = lvm(host, "vgchange -ay vg0");
    expect(failed.exitCode).toBe(5);
    expect(failed.stderr).toContain("Check of pool vg0/pool failed (status:1). Manual repair required!");
    expect(failed.stdout).toContain('0 logical volume(s) in volume group "vg0" now active');
    const before = requireVg(scanHost(host), "vg0").vg;
    const r = lvm(host, "lvconvert --repair vg0/pool");
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr.split("\n").filter(Boolean)).toEqual([
      "  WARNING: LV vg0/pool_meta0 holds a backup of the unrepaired metadata. Use lvremove when no longer required.",
      "  WARNING: New metadata LV vg0/pool_tmeta might use different PVs.  Move it with pvmove if required.",
    ]);
    const after = requireVg(scanHost(host), "vg0").vg;
    const oldMeta = findLv(before, "pool_tmeta")!;
    const oldSpare = findLv(before, "lvol0_pmspare")!;
    expect(findLv(after, "pool_tmeta")!.id).toBe(oldMeta.id);
    expect(findLv(after, "pool_tmeta")!.segments).toEqual(oldSpare.segments);
    expect(findLv(after, "pool_meta0")!.id).toBe(oldSpare.id);
    expect(findLv(after, "pool_meta0")!.segments).toEqual(oldMeta.segments);
    expect(findLv(after, "pool_meta0")!.status).toContain("VISIBLE");
    expect(findLv(after, "lvol1_pmspare")).toBeDefined();
    expect(lvm(host, "vgchange -ay vg0").exitCode).toBe(0);
    const lvs = lvm(host, "lvs --noheadings -o lv_name,data_percent vg0/thin1").stdout.trim();
    expect(lvs.split(/\s+/)).toEqual(["thin1", "7.81"]);
  });

  it.skipIf(thinToolsUnavailable())(
    "leaves metadata the real thin_check accepts, and the damaged copy in meta0",
    () => {
      const host = pooled();
      lvm(host, "vgchange -an vg0");
      damagePoolMetadata(host, "pool", "metadata-index");
      expect(lvm(host, "lvconvert --repair vg0/pool").exitCode).toBe(0);
      const check = thinCheck(poolMetadataImage(host, "pool"));
      expect(check.status, check.stderr).toBe(0);
      expect(check.stdout).toContain("TRANSACTION_ID=1");
    },
  );

  it("fails as LVM2 does when thin_repair cannot read the superblock", () => {
    const host = pooled();
    lvm(host, "vgchange -an vg0");
    damagePoolMetadata(host, "pool", 0);
    const r = lvm(host, "lvconvert --repair vg0/pool");
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain(
      "Repair of thin metadata volume of thin pool vg0/pool failed (status:1). Manual repair required!",
    );
    expect(findLv(requireVg(scanHost(host), "vg0").vg, "pool_meta0")).toBeUndefined();
  });
});
