/**
 * raid1 conversions against real LVM2 (`--driverloaded n`, loop devices). Real LVM2 cannot convert
 * a raid1 LV without device-mapper ("must be active"), so lvmlab converts with its simulated kernel
 * and real LVM2 then reads the result report for report. lvextend of an inactive raid1 LV does run
 * without device-mapper, so there real LVM2 is the oracle for the metadata itself: both run the same
 * commands on identical copies and must print the same lines and leave the same reports.
 */
import { copyFileSync } from "node:fs";

import { afterAll, describe, expect, it } from "vitest";
import { FileDevice } from "../../engine/block/file.js";
import { Host } from "../../engine/lvm/host.js";
import { runLvm } from "../../engine/lvm/run.js";
import { lvmNoise, realLvm2Unavailable, withLoopDevices } from "../support/real-lvm2.js";
import { compare, images, scratchDir } from "./differential.js";
import { expectReportsAsReal } from "./same-reports.js";

const unavailable = realLvm2Unavailable();
const scratch = scratchDir("lvmlab-raid1-convert-");
afterAll(() => scratch.remove());

/** Each conversion, run on one lvmlab machine (its kernel state carries over); RUN lets resyncs finish. */
const CONVERSIONS = [
  "pvcreate DEV0 DEV1 DEV2 DEV3",
  "vgcreate vg0 DEV0 DEV1 DEV2 DEV3",
  "lvcreate -m1 -L 8M -n r vg0",
  "RUN",
  "lvconvert -y -m2 vg0/r",
  "RUN",
  "lvconvert -y -m1 vg0/r DEV1",
  "lvcreate --type mirror -m1 -L 4M -n m vg0",
  "RUN",
  "lvconvert -y --type raid1 vg0/m",
  "lvcreate --type raid1 -m2 -L 4M -n s vg0",
  "RUN",
  "lvconvert -y --splitmirrors 1 --name sp vg0/s",
  "lvcreate -L 4M -n lin vg0",
  "lvconvert -y -m1 vg0/lin",
  "RUN",
  "lvcreate -m1 -L 4M -n z vg0",
  "RUN",
  "lvconvert -y -m0 vg0/z",
  "lvextend -L +4M vg0/r",
  "RUN",
  "vgchange -an vg0",
];

const REPORTS = [
  "lvs -a -o lv_name,lv_attr,lv_size,devices,lv_layout,lv_role,region_size --reportformat json",
  "lvs -a --segments -o lv_name,segtype,seg_start_pe,seg_size_pe,stripes,region_size,seg_pe_ranges",
  "lvs -a",
  "vgs -o vg_name,lv_count,vg_free_count",
  "pvs --segments",
  "lvdisplay -a",
];

/** Runs `lines` on one lvmlab machine over `paths`, the devices named `names`. */
function lvmlabMachine(paths: readonly string[], names: readonly string[], lines: readonly string[]): void {
  const devices = paths.map((p, i) => FileDevice.open(p, { name: names[i]!, readOnly: false }));
  try {
    const host = new Host({ devices: devices.map((d) => [d.name, d] as const), seed: "raid1-convert" });
    for (const step of lines) {
      if (step === "RUN") {
        host.scheduler.run();
        continue;
      }
      const line = step.replace(/DEV(\d)/g, (_, n: string) => names[Number(n)]!);
      const result = runLvm(host, line.split(" "));
      expect(result.exitCode, `${line}\n${result.stderr}`).toBe(0);
    }
  } finally {
    for (const d of devices) d.close();
  }
}

function lvmlabRead(paths: readonly string[], names: readonly string[], line: string) {
  const devices = paths.map((p, i) => FileDevice.open(p, { name: names[i]!, readOnly: true }));
  try {
    const host = new Host({ devices: devices.map((d) => [d.name, d] as const), seed: "raid1-convert-read" });
    return runLvm(host, [...line.split(" "), "--driverloaded", "n"]);
  } finally {
    for (const d of devices) d.close();
  }
}

describe("raid1 conversions and real LVM2", () => {
  it("real LVM2 reads every conversion's result as lvmlab does, with clean vgck/pvck", (ctx) => {
    if (unavailable) {
      ctx.skip(true, unavailable);
      return;
    }
    const paths = images(scratch.dir, "converted");
    withLoopDevices(paths, (set) => {
      lvmlabMachine(paths, set.devices, CONVERSIONS);
      expectReportsAsReal(set, REPORTS, (report) => lvmlabRead(paths, set.devices, report));
      const lvs = set.lvm("lvs", ["-a", "-o", "lv_name,segtype", "--noheadings"]).stdout;
      expect(lvs.split("\n").map((l) => l.trim().split(/\s+/).join(" "))).toEqual(
        expect.arrayContaining([
          "lin raid1",
          "m raid1",
          "r raid1",
          "s raid1",
          "sp linear",
          "z linear",
          "[r_rimage_1] linear",
          "[m_rmeta_1] linear",
        ]),
      );
      expect(lvs).not.toMatch(/r_rimage_2|m_mlog|s_rimage_2|z_r/);
      const vgck = set.lvm("vgck", ["vg0"]);
      expect(vgck.status).toBe(0);
      expect(vgck.stderr.split("\n").filter((l) => l !== "" && !lvmNoise(l))).toEqual([]);
      for (const device of set.devices) expect(set.lvm("pvck", [device]).status).toBe(0);
    });
  });

  it("lvextend of an inactive raid1 LV and the conversions that need it active: the same lines as real LVM2", (ctx) => {
    if (unavailable) {
      ctx.skip(true, unavailable);
      return;
    }
    const real = images(scratch.dir, "diff-real");
    const mine = images(scratch.dir, "diff-mine");
    const names = ["/dev/lab0", "/dev/lab1", "/dev/lab2", "/dev/lab3"];
    lvmlabMachine(real, names, [
      ...CONVERSIONS.slice(0, 4),
      "lvcreate --type mirror -m1 -L 4M -n m vg0",
      "lvcreate -L 4M -n lin vg0",
      "RUN",
      "vgchange -an vg0",
    ]);
    for (const [i, path] of real.entries()) copyFileSync(path, mine[i]!);
    const outputs: string[] = [];
    const differences = compare(
      real,
      mine,
      [
        "lvextend -L +4M vg0/r",
        "lvs -a --segments -o lv_name,segtype,seg_start_pe,seg_size_pe,seg_pe_ranges",
        "lvextend -l +2 vg0/r",
        "lvs -a -o lv_name,lv_size,devices",
        "pvs -o pv_name,pv_used",
        "lvextend -l +1 vg0/r DEV3",
        "lvconvert -y -m2 vg0/r",
        "lvconvert -y -m0 vg0/r",
        "lvconvert -y --type raid1 vg0/m",
        "lvconvert -y -m1 vg0/lin",
        "lvconvert -y --splitmirrors 1 --name sp vg0/r",
        "lvextend --nosync -L +4M vg0/r",
        "lvs -a",
      ],
      { lvmlabOutputs: outputs },
    );
    expect(differences).toEqual([]);
    // Something was compared: the extensions ran, the conversions were refused.
    expect(outputs[0]).toContain("Extending 2 mirror images.");
    expect(outputs[0]).toContain("Logical volume vg0/r successfully resized.");
    for (const i of [6, 7, 8, 9]) expect(outputs[i]).toContain("must be active to perform this operation.");
    expect(outputs[10]).toContain("Unable to split vg0/r while it is not in-sync.");
  });
});
