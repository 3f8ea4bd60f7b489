/**
 * Real LVM2 (`--driverloaded n`, loop devices) reads the metadata of mirrors and snapshots lvmlab
 * made: the same LVs (hidden sub-LVs included), lv_attr, devices, logs and origins, and its
 * checkers find nothing wrong.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileDevice } from "../../engine/block/file.js";
import { Host } from "../../engine/lvm/host.js";
import { runLvm } from "../../engine/lvm/run.js";
import { lvmNoise, realLvm2Unavailable, sparseImages, withLoopDevices } from "../support/real-lvm2.js";

const unavailable = realLvm2Unavailable();
const dir = mkdtempSync(join(tmpdir(), "lvmlab-mirror-snap-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function images(tag: string): string[] {
  return sparseImages(dir, tag, { names: ["a", "b", "c", "d"], sizeBytes: 64 * 1024 * 1024 });
}

/** lvmlab's commands, DEVn standing for the n-th loop device. */
const SEQUENCE = [
  "pvcreate DEV0 DEV1 DEV2 DEV3",
  "vgcreate vg0 DEV0 DEV1 DEV2 DEV3",
  "lvcreate --type mirror -m1 -L 8M -n mir vg0",
  "lvcreate --type mirror -m2 --mirrorlog core -R 1M -L 12M -n core3 vg0",
  "lvcreate --type mirror -m1 --nosync -L 4M -n fast vg0",
  "lvcreate -L 8M -n lin vg0",
  "lvconvert --type mirror -m1 vg0/lin",
  "lvconvert --mirrorlog core vg0/lin",
  "lvcreate -L 8M -n base vg0",
  "lvcreate -s -L 4M -n snap vg0/base",
  "lvcreate -s -c 64k -L 4M -n snap2 vg0/base",
  "lvcreate -L 4M -n other vg0",
  "lvcreate -s -L 4M -n osnap vg0/other",
  "lvconvert --merge vg0/osnap",
  "lvcreate -L 4M -n down vg0",
  "lvconvert --type mirror -m2 vg0/down",
  "lvconvert -m0 vg0/down",
];

const REPORTS = [
  "lvs -a -o lv_name,lv_attr,lv_size,devices,mirror_log,origin,lv_layout,lv_role,copy_percent,snap_percent --reportformat json",
  "lvs -a --segments -o lv_name,segtype,seg_start_pe,seg_size_pe,stripes,region_size,chunk_size,seg_pe_ranges --reportformat json",
  "lvs",
  "lvs -a",
  "vgs -o vg_name,lv_count,snap_count,vg_free_count --reportformat json",
  "pvs -o pv_name,pv_used,pv_pe_alloc_count --reportformat json",
  "lvdisplay -a",
  "vgdisplay",
  "pvs --segments",
  "lvs -a -o lv_name,lv_active,copy_percent,snap_percent,sync_percent,data_percent --reportformat json",
];

let runs = 0;

/** Runs lvmlab over the image files; each run draws ids from its own seed, as separate commands do. */
function lvmlab(paths: readonly string[], names: readonly string[], line: string): ReturnType<typeof runLvm> {
  runs += 1;
  const devices = paths.map((p, i) => FileDevice.open(p, { name: names[i]!, readOnly: false }));
  try {
    const host = new Host({
      devices: devices.map((d) => [d.name, d] as const),
      seed: `mirror-snapshot-interop-${runs}`,
    });
    return runLvm(host, [...line.split(" "), "--driverloaded", "n"]);
  } finally {
    for (const d of devices) d.close();
  }
}

describe("real LVM2 reads lvmlab's mirrors and snapshots", () => {
  it("with the same LVs, lv_attr, devices, logs, origins and segments, and clean vgck/pvck", (ctx) => {
    if (unavailable) {
      ctx.skip(true, unavailable);
      return;
    }
    const paths = images("made");
    withLoopDevices(paths, (set) => {
      for (const step of SEQUENCE) {
        const line = step.replace(/DEV(\d)/g, (_, n: string) => set.devices[Number(n)]!);
        const result = lvmlab(paths, set.devices, line);
        expect(result.exitCode, `${line}\n${result.stderr}`).toBe(0);
      }
      for (const report of REPORTS) {
        const real = set.lvm(report.split(" ")[0]!, report.split(" ").slice(1));
        expect(real.status, `${report}\n${real.stderr}`).toBe(0);
        expect(
          real.stderr.split("\n").filter((l) => l !== "" && !lvmNoise(l)),
          report,
        ).toEqual([]);
        const mine = lvmlab(paths, set.devices, report);
        expect(mine.exitCode, mine.stderr).toBe(0);
        expect(mine.stdout, report).toBe(real.stdout);
      }
      const vgck = set.lvm("vgck", ["vg0"]);
      expect(vgck.status).toBe(0);
      expect(vgck.stderr.split("\n").filter((l) => l !== "" && !lvmNoise(l))).toEqual([]);
      for (const device of set.devices) {
        const pvck = set.lvm("pvck", [device]);
        expect(pvck.status, pvck.stderr).toBe(0);
        expect(pvck.stderr.split("\n").filter((l) => l !== "" && !lvmNoise(l))).toEqual([]);
      }
    });
  });

  it("and lvmlab reads back what real LVM2's vgcfgbackup + vgcfgrestore rewrote, report for report", (ctx) => {
    if (unavailable) {
      ctx.skip(true, unavailable);
      return;
    }
    const paths = images("restored");
    withLoopDevices(paths, (set) => {
      for (const step of SEQUENCE) {
        const line = step.replace(/DEV(\d)/g, (_, n: string) => set.devices[Number(n)]!);
        expect(lvmlab(paths, set.devices, line).exitCode, line).toBe(0);
      }
      const before = REPORTS.map((r) => lvmlab(paths, set.devices, r).stdout);
      const file = join(dir, "vg0.backup");
      expect(set.lvm("vgcfgbackup", ["-f", file, "vg0"]).status).toBe(0);
      const restore = set.lvm("vgcfgrestore", ["-f", file, "vg0"]);
      expect(restore.status, restore.stderr).toBe(0);
      // The restore wrote a new seqno with real LVM2's own text; lvmlab must read it the same way.
      const after = REPORTS.map((r) => lvmlab(paths, set.devices, r).stdout);
      const seqno = (text: string): string => text.replace(/(Metadata Sequence No\s+)\d+/, "$1N");
      expect(after.map(seqno)).toEqual(before.map(seqno));
      expect(after[REPORTS.indexOf("vgdisplay")]).not.toBe(before[REPORTS.indexOf("vgdisplay")]);
      expect(readFileSync(file, "utf8")).toContain('mirror_log = "mir_mlog"');
      expect(readFileSync(file, "utf8")).toContain('merging_store = "osnap"');
    });
  });

  it("and with a mirror leg's PV missing both mark the same LVs partial", (ctx) => {
    if (unavailable) {
      ctx.skip(true, unavailable);
      return;
    }
    const paths = images("partial");
    withLoopDevices(paths, (set) => {
      for (const step of SEQUENCE) {
        const line = step.replace(/DEV(\d)/g, (_, n: string) => set.devices[Number(n)]!);
        expect(lvmlab(paths, set.devices, line).exitCode, line).toBe(0);
      }
    });
    // Reattach without the second image: mir_mimage_1 (and more) lose their PV.
    const present = [paths[0]!, paths[2]!, paths[3]!];
    withLoopDevices(present, (set) => {
      const report = "lvs -a -o lv_name,lv_attr,devices,mirror_log --reportformat json";
      const real = set.lvm("lvs", report.split(" ").slice(1));
      expect(real.status, real.stderr).toBe(0);
      const mine = lvmlab(present, set.devices, report);
      expect(mine.stdout).toBe(real.stdout);
      expect(mine.stdout).toContain('"lv_attr":"mwi-XXm-p-"');
    });
  });
});
