/**
 * The thin-pool lv_attr state and health characters and the thin report fields LVM2 2.03.16
 * prints (`lv_attr_dup_with_info_and_seg_status`, `_lvwhenfull_disp`, `_lvcheckneeded_disp`):
 * `c` for a live pool with needs_check, `M` for read-only metadata, `D` out of data space.
 */
import { describe, expect, it } from "vitest";
import { thinPoolHealthStatus } from "../../../../engine/lvm/report/thin-fields.js";
import { livePool } from "../../../../engine/lvm/thin/status.js";
import { lvm } from "../helpers.js";
import { thinHost, writeThin } from "./helpers.js";

const health = (host: ReturnType<typeof thinHost>, lv = "vg0/pool") =>
  lvm(
    host,
    `lvs --noheadings --separator , -o lv_health_status,kernel_discards,discards ${lv}`,
  ).stdout.trim();

const report = (host: ReturnType<typeof thinHost>, lv = "vg0/pool") =>
  lvm(host, `lvs --noheadings -o lv_attr,lv_when_full,lv_check_needed ${lv}`).stdout.trim().split(/\s+/);

describe("thin pool lv_attr and health fields", () => {
  it("show a healthy pool, then one out of data space with error_if_no_space", () => {
    const host = thinHost("--errorwhenfull y", [["thin1", 16]]);
    expect(report(host)).toEqual(["twi-aotz--", "error"]);
    expect(health(host)).toBe(",passdown,passdown");
    expect(() => writeThin(host, "thin1", 129)).toThrow(/ENOSPC|out of data space/);
    expect(report(host)).toEqual(["twi-aotzD-", "error"]);
    expect(health(host)).toBe("out_of_data,passdown,passdown");
    // Health is the pool's alone: a thin LV of a pool out of data space reports none.
    expect(health(host, "vg0/thin1")).toBe(",,passdown");
  });

  it("report the kernel's discard handling only while the pool is live", () => {
    const host = thinHost("--discards nopassdown");
    expect(health(host)).toBe(",nopassdown,nopassdown");
    expect(lvm(host, "vgchange -an vg0").exitCode).toBe(0);
    expect(health(host)).toBe(",,nopassdown");
    expect(health(thinHost("--discards ignore"))).toBe(",ignore,ignore");
  });

  it("map each pool mode to the health string libdm's status parse gives", () => {
    expect(
      ["write", "out-of-data-space", "read-only", "out-of-metadata-space", "fail"].map(thinPoolHealthStatus),
    ).toEqual(["", "out_of_data", "metadata_read_only", "metadata_read_only", "failed"]);
    expect(thinPoolHealthStatus(undefined)).toBe("");
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
    expect(health(host)).toBe("metadata_read_only,passdown,passdown");
    expect(lvm(host, "lvs --noheadings -o lv_check_needed vg0/thin1").stdout.trim()).toBe("unknown");
  });
});
