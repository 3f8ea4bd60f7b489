/**
 * The thin-pool lv_attr state and health characters and the thin report fields LVM2 2.03.16
 * prints (`lv_attr_dup_with_info_and_seg_status`, `_lvwhenfull_disp`, `_lvcheckneeded_disp`):
 * `c` for a live pool with needs_check, `M` for read-only metadata, `D` out of data space.
 */
import { describe, expect, it } from "vitest";
import { livePool } from "../../../../engine/lvm/thin/status.js";
import { lvm } from "../helpers.js";
import { thinHost, writeThin } from "./helpers.js";

const report = (host: ReturnType<typeof thinHost>, lv = "vg0/pool") =>
  lvm(host, `lvs --noheadings -o lv_attr,lv_when_full,lv_check_needed ${lv}`).stdout.trim().split(/\s+/);

describe("thin pool lv_attr and health fields", () => {
  it("show a healthy pool, then one out of data space with error_if_no_space", () => {
    const host = thinHost("--errorwhenfull y", [["thin1", 16]]);
    expect(report(host)).toEqual(["twi-aotz--", "error"]);
    expect(() => writeThin(host, "thin1", 129)).toThrow(/ENOSPC|out of data space/);
    expect(report(host)).toEqual(["twi-aotzD-", "error"]);
  });

  it("show c and M for a live pool whose metadata needs check, and check needed", () => {
    const host = thinHost();
    expect(report(host)).toEqual(["twi-aotz--", "queue"]);
    const pool = livePool(host, "vg0", "pool")!;
    pool.metadata!.setNeedsCheck(host.scheduler.nowNs);
    // A fresh activation reads NEEDS_CHECK and keeps the pool read-only.
    expect(lvm(host, "vgchange -an vg0").exitCode).toBe(0);
    expect(lvm(host, "vgchange -ay vg0").exitCode).toBe(0);
    expect(report(host)).toEqual(["twi-cotzM-", "queue", "check", "needed"]);
    expect(lvm(host, "lvs --noheadings -o lv_check_needed vg0/thin1").stdout.trim()).toBe("unknown");
  });
});
