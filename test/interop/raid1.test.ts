/**
 * Real LVM2 (`--driverloaded n`, loop devices) reads the raid1 LVs lvmlab built — the same LVs,
 * rmeta/rimage sub-LVs, lv_attr, devices, layout, roles and segments, with clean vgck/pvck — and
 * lvmlab reads back what real LVM2's vgcfgbackup + vgcfgrestore rewrote, report for report. Real
 * LVM2 cannot create raid1 without device-mapper, so lvmlab creates it with its simulated kernel.
 */
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileDevice } from "../../engine/block/file.js";
import { Host } from "../../engine/lvm/host.js";
import { runLvm } from "../../engine/lvm/run.js";
import { lvmNoise, realLvm2Unavailable, withLoopDevices } from "../support/real-lvm2.js";
import { expectReportsAsReal } from "./same-reports.js";

const unavailable = realLvm2Unavailable();
const dir = mkdtempSync(join(tmpdir(), "lvmlab-raid1-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function images(tag: string): string[] {
  return ["a", "b", "c", "d"].map((n) => {
    const path = join(dir, `${tag}-${n}.img`);
    writeFileSync(path, "");
    truncateSync(path, 64 * 1024 * 1024);
    return path;
  });
}

/** lvmlab's commands (with its simulated device-mapper), DEVn standing for the n-th loop device. */
const SEQUENCE = [
  "pvcreate DEV0 DEV1 DEV2 DEV3",
  "vgcreate vg0 DEV0 DEV1 DEV2 DEV3",
  "lvcreate -m1 -L 8M -n r vg0",
  "lvcreate --type raid1 -m2 -R 512k -L 12M -n r3 vg0",
  "lvcreate --type raid1 --nosync -L 4M -n fast vg0 DEV2 DEV3",
  "lvcreate --type mirror -m1 -L 4M -n old vg0",
  "lvcreate -L 4M -n lin vg0",
];

const REPORTS = [
  "lvs -a -o lv_name,lv_attr,lv_size,devices,lv_layout,lv_role,copy_percent,raid_sync_action,raid_mismatch_count,lv_health_status --reportformat json",
  "lvs -a --segments -o lv_name,segtype,seg_start_pe,seg_size_pe,stripes,region_size,seg_pe_ranges --reportformat json",
  "lvs",
  "lvs -a",
  "vgs -o vg_name,lv_count,vg_free_count --reportformat json",
  "pvs -o pv_name,pv_used,pv_pe_alloc_count --reportformat json",
  "lvdisplay -a",
  "pvs --segments",
];

let runs = 0;

function lvmlab(
  paths: readonly string[],
  names: readonly string[],
  line: string,
  options: { driver: boolean },
): ReturnType<typeof runLvm> {
  runs += 1;
  const devices = paths.map((p, i) => FileDevice.open(p, { name: names[i]!, readOnly: false }));
  try {
    const host = new Host({
      devices: devices.map((d) => [d.name, d] as const),
      seed: `raid1-interop-${runs}`,
    });
    return runLvm(host, [...line.split(" "), ...(options.driver ? [] : ["--driverloaded", "n"])]);
  } finally {
    for (const d of devices) d.close();
  }
}

function build(paths: readonly string[], devices: readonly string[]): void {
  for (const step of SEQUENCE) {
    const line = step.replace(/DEV(\d)/g, (_, n: string) => devices[Number(n)]!);
    const result = lvmlab(paths, devices, line, { driver: true });
    expect(result.exitCode, `${line}\n${result.stderr}`).toBe(0);
  }
}

describe("real LVM2 reads lvmlab's raid1 LVs", () => {
  it("with the same LVs, lv_attr, devices, layouts, roles and segments, and clean vgck/pvck", (ctx) => {
    if (unavailable) {
      ctx.skip(true, unavailable);
      return;
    }
    const paths = images("made");
    withLoopDevices(paths, (set) => {
      build(paths, set.devices);
      expectReportsAsReal(set, REPORTS, (report) => lvmlab(paths, set.devices, report, { driver: false }));
      expect(set.lvm("lvs", ["-a"]).stdout).toContain("[r_rmeta_0]");
      const vgck = set.lvm("vgck", ["vg0"]);
      expect(vgck.status).toBe(0);
      expect(vgck.stderr.split("\n").filter((l) => l !== "" && !lvmNoise(l))).toEqual([]);
      for (const device of set.devices) expect(set.lvm("pvck", [device]).status).toBe(0);
    });
  });

  it("and lvmlab reads back what real LVM2's vgcfgbackup + vgcfgrestore rewrote, report for report", (ctx) => {
    if (unavailable) {
      ctx.skip(true, unavailable);
      return;
    }
    const paths = images("restored");
    withLoopDevices(paths, (set) => {
      build(paths, set.devices);
      const before = REPORTS.map((r) => lvmlab(paths, set.devices, r, { driver: false }).stdout);
      const file = join(dir, "vg0.backup");
      expect(set.lvm("vgcfgbackup", ["-f", file, "vg0"]).status).toBe(0);
      const restore = set.lvm("vgcfgrestore", ["-f", file, "vg0"]);
      expect(restore.status, restore.stderr).toBe(0);
      const after = REPORTS.map((r) => lvmlab(paths, set.devices, r, { driver: false }).stdout);
      expect(after).toEqual(before);
      const text = readFileSync(file, "utf8");
      expect(text).toContain('type = "raid1"');
      expect(text).toMatch(/raids = \[\n\t*"r_rmeta_0", "r_rimage_0",\n\t*"r_rmeta_1", "r_rimage_1"\n\t*\]/);
    });
  });

  it("and lvmlab refuses to create raid1 without device-mapper, as LVM2 does", (ctx) => {
    if (unavailable) {
      ctx.skip(true, unavailable);
      return;
    }
    const paths = images("nodm");
    withLoopDevices(paths, (set) => {
      for (const step of SEQUENCE.slice(0, 2)) {
        const line = step.replace(/DEV(\d)/g, (_, n: string) => set.devices[Number(n)]!);
        expect(lvmlab(paths, set.devices, line, { driver: false }).exitCode).toBe(0);
      }
      const real = set.lvm("lvcreate", ["-m1", "-L", "8M", "-n", "r", "vg0"]);
      const mine = lvmlab(paths, set.devices, "lvcreate -m1 -L 8M -n r vg0", { driver: false });
      expect(mine.exitCode).toBe(real.status);
      expect(mine.stderr).toContain("Can't create raid1 without using device-mapper kernel driver.");
      expect(real.stderr).toContain("Can't create raid1 without using device-mapper kernel driver.");
    });
  });
});
