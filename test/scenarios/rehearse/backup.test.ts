import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readBackup } from "../../../scenarios/rehearse/backup.js";

// Made by real LVM2 2.03.16 (vgcfgbackup on loop devices, device hints renamed).
const REAL = readFileSync(new URL("../../../scenarios/rehearse/plans/vg_data.vg", import.meta.url), "utf8");

describe("readBackup", () => {
  it("reads real LVM2's vgcfgbackup file: the VG, each PV's device and size, the visible LVs", () => {
    const backup = readBackup(REAL, { file: "vg_data.vg" });
    expect(backup.vgName).toBe("vg_data");
    expect(backup.extentSizeBytes).toBe(4 * 1024 * 1024);
    expect(backup.pvs.map((pv) => [pv.device, pv.sizeBytes, pv.peCount])).toEqual([
      ["/dev/sdb1", 64 * 1024 * 1024, 15],
      ["/dev/sdd1", 64 * 1024 * 1024, 15],
    ]);
    expect(backup.pvs[0]!.uuid).toMatch(/^[A-Za-z0-9]{6}(-[A-Za-z0-9]{4}){5}-[A-Za-z0-9]{6}$/);
    expect(backup.lvs).toEqual([
      { name: "lv_home", extents: 6 },
      { name: "lv_db", extents: 4 },
    ]);
  });

  it("names the file and line of a syntax error, and the file of a metadata error", () => {
    expect(() => readBackup("vg0 {\n  id = \n", { file: "broken.vg" })).toThrow(
      /^Cannot read backup broken\.vg:\d+:\d+: /,
    );
    expect(() => readBackup("vg0 {\n}\n", { file: "empty.vg" })).toThrow(
      /^Cannot read backup empty\.vg: Invalid VG metadata/,
    );
  });
});
