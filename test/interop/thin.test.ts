/**
 * Real LVM2 (`--driverloaded n`, loop devices) reads the thin pools, thin LVs and thin snapshots
 * lvmlab made — lv_attr, layout, role, pool_lv, transaction_id, thin_id, chunk size, devices — and
 * real `thin_check` accepts the pool metadata lvmlab's simulated kernel wrote into `_tmeta` on the
 * same images. Real LVM2 cannot create pools without device-mapper, so the other direction is
 * its vgcfgbackup + vgcfgrestore --force of the thin VG, which lvmlab reads report for report.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileDevice } from "../../engine/block/file.js";
import { Host } from "../../engine/lvm/host.js";
import { runLvm } from "../../engine/lvm/run.js";
import { thinToolsUnavailable } from "../engine/persistent-data/thin-tools.js";
import { lvmNoise, realLvm2Unavailable, sparseImages, withLoopDevices } from "../support/real-lvm2.js";

const unavailable = realLvm2Unavailable() ?? thinToolsUnavailable();
const dir = mkdtempSync(join(tmpdir(), "lvmlab-thin-interop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function images(tag: string): string[] {
  return sparseImages(dir, tag, { names: ["a", "b"], sizeBytes: 64 * 1024 * 1024 });
}

/** lvmlab's commands; thin ones run with lvmlab's simulated kernel (real LVM2 needs dm for them). */
const SEQUENCE = [
  "pvcreate DEV0 DEV1",
  "vgcreate vg0 DEV0 DEV1",
  "lvcreate -T -L 8M vg0/pool",
  "lvcreate -V 16M -T vg0/pool -n thin1",
  "lvcreate -s vg0/thin1 -n snap1",
  "lvcreate -an -V 4M --thinpool pool vg0 -n queued",
  "lvcreate --type thin-pool -L 12M -c 128k --zero n --discards nopassdown --errorwhenfull y -n pool2 vg0",
  "lvcreate -V 8M --thinpool pool2 vg0 -n thin2",
  "lvcreate -L 4M -n plain vg0",
];

const REPORTS = [
  "lvs -a -o lv_name,lv_attr,lv_size,pool_lv,origin,transaction_id,thin_id,lv_layout,lv_role --reportformat json",
  "lvs -a -o lv_name,lv_when_full,lv_check_needed,lv_attr,data_lv,metadata_lv,lv_metadata_size --reportformat json",
  "lvs -a --segments -o lv_name,segtype,thin_count,discards,zero --reportformat json",
  "lvs -o lv_name,data_lv,metadata_lv,lv_metadata_size,thin_count,discards,zero",
  "lvs -a --segments -o lv_name,segtype,seg_start_pe,seg_size_pe,chunk_size,devices,seg_pe_ranges --reportformat json",
  "lvs",
  "lvs -a",
  "vgs -o vg_name,lv_count,vg_free_count --reportformat json",
  "pvs -o pv_name,pv_used,pv_pe_alloc_count --reportformat json",
];

let runs = 0;

function lvmlab(paths: readonly string[], names: readonly string[], line: string, driver = true) {
  runs += 1;
  const devices = paths.map((p, i) => FileDevice.open(p, { name: names[i]!, readOnly: false }));
  try {
    const host = new Host({
      devices: devices.map((d) => [d.name, d] as const),
      seed: `thin-interop-${runs}`,
    });
    return runLvm(host, [...line.split(" "), ...(driver ? [] : ["--driverloaded", "n"])]);
  } finally {
    for (const d of devices) d.close();
  }
}

/** The bytes of `vg0/<lv>` (its linear segments in order) read from the loop devices. */
function lvBytes(
  set: { devices: readonly string[]; lvm: (c: string, a: readonly string[]) => { stdout: string } },
  paths: readonly string[],
  lv: string,
): Uint8Array {
  const ranges = set.lvm("lvs", ["--noheadings", "-a", "-o", "seg_pe_ranges", `vg0/${lv}`]).stdout;
  const extent = Number(
    set
      .lvm("vgs", ["--noheadings", "--nosuffix", "--units", "s", "-o", "vg_extent_size", "vg0"])
      .stdout.trim(),
  );
  const parts: Uint8Array[] = [];
  for (const range of ranges
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)) {
    const [device, span] = range.split(":") as [string, string];
    const [first, last] = span.split("-").map(Number) as [number, number];
    const peStart = Number(
      set.lvm("pvs", ["--noheadings", "--nosuffix", "--units", "s", "-o", "pe_start", device]).stdout.trim(),
    );
    const part = new Uint8Array((last - first + 1) * extent * 512);
    const fd = FileDevice.open(paths[set.devices.indexOf(device)]!, { name: device, readOnly: true });
    try {
      fd.read((peStart + first * extent) * 512, part);
    } finally {
      fd.close();
    }
    parts.push(part);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function thinCheckBytes(bytes: Uint8Array): ReturnType<typeof spawnSync> {
  const file = join(dir, `tmeta-${runs}.bin`);
  writeFileSync(file, bytes);
  return spawnSync("thin_check", [file], { encoding: "utf8" });
}

function build(paths: readonly string[], devices: readonly string[]): void {
  for (const step of SEQUENCE) {
    const line = step.replace(/DEV(\d)/g, (_, n: string) => devices[Number(n)]!);
    const result = lvmlab(paths, devices, line);
    expect(result.exitCode, `${line}\n${result.stderr}`).toBe(0);
  }
}

describe("real LVM2 reads lvmlab's thin pools", () => {
  it("with the same LVs, lv_attr, layout, role, transaction ids and devices, and thin_check accepts the pool metadata", (ctx) => {
    if (unavailable) {
      ctx.skip(true, unavailable);
      return;
    }
    const paths = images("made");
    withLoopDevices(paths, (set) => {
      build(paths, set.devices);
      for (const report of REPORTS) {
        const real = set.lvm(report.split(" ")[0]!, report.split(" ").slice(1));
        expect(real.status, `${report}\n${real.stderr}`).toBe(0);
        expect(
          real.stderr.split("\n").filter((l) => l !== "" && !lvmNoise(l)),
          report,
        ).toEqual([]);
        const mine = lvmlab(paths, set.devices, report, false);
        expect(mine.exitCode, mine.stderr).toBe(0);
        expect(mine.stdout, report).toBe(real.stdout);
      }
      const first = REPORTS[0]!;
      const text = lvmlab(paths, set.devices, first, false).stdout;
      expect(text).toContain('"lv_name":"pool", "lv_attr":"twi-XXtz--"');
      expect(text).toContain('"lv_name":"snap1", "lv_attr":"Vwi-XXtz-k"');
      // Both pools' metadata is in the kernel's format. vg0/pool's metadata says transaction 2
      // with two creates still queued (snap1 skips activation, "queued" was made with -an), so
      // its kernel transaction is still 1 until the pool is next activated.
      const kernelTid = (lv: string): string => {
        const check = thinCheckBytes(lvBytes(set, paths, lv));
        expect(check.status, String(check.stderr)).toBe(0);
        return String(check.stdout).split("\n")[0]!;
      };
      expect(kernelTid("pool_tmeta")).toBe("TRANSACTION_ID=1");
      expect(kernelTid("pool2_tmeta")).toBe("TRANSACTION_ID=1");
      expect(lvmlab(paths, set.devices, "lvchange -ay vg0/pool").exitCode).toBe(0);
      expect(kernelTid("pool_tmeta")).toBe("TRANSACTION_ID=2");
      const vgck = set.lvm("vgck", ["vg0"]);
      expect(vgck.status, vgck.stderr).toBe(0);
    });
  });

  it("and lvmlab reads back what real LVM2's vgcfgbackup + vgcfgrestore --force rewrote", (ctx) => {
    if (unavailable) {
      ctx.skip(true, unavailable);
      return;
    }
    const paths = images("restored");
    withLoopDevices(paths, (set) => {
      build(paths, set.devices);
      const before = REPORTS.map((r) => lvmlab(paths, set.devices, r, false).stdout);
      const file = join(dir, "vg0.backup");
      expect(set.lvm("vgcfgbackup", ["-f", file, "vg0"]).status).toBe(0);
      const text = readFileSync(file, "utf8");
      expect(text).toContain('type = "thin-pool"');
      expect(text).toContain('create = "queued"');
      const restore = set.lvm("vgcfgrestore", ["--force", "-f", file, "vg0"]);
      expect(restore.status, restore.stderr).toBe(0);
      const after = REPORTS.map((r) => lvmlab(paths, set.devices, r, false).stdout);
      expect(after).toEqual(before);
    });
  });

  it("after lvmlab grows, removes from and repairs pools, with the same reports and metadata thin_check accepts", (ctx) => {
    if (unavailable) {
      ctx.skip(true, unavailable);
      return;
    }
    const paths = images("changed");
    withLoopDevices(paths, (set) => {
      build(paths, set.devices);
      // Each lvmlab command is a fresh host: every pool is inactive, so each of these activates
      // the pool it needs (to grow its space maps, send the delete, or refuse nothing) and leaves it.
      for (const line of [
        "lvextend -L +4M vg0/pool",
        "lvextend --poolmetadatasize +4M vg0/pool2",
        "lvremove -f vg0/thin2",
        "lvconvert --repair vg0/pool",
      ]) {
        const result = lvmlab(paths, set.devices, line);
        expect(result.exitCode, `${line}\n${result.stderr}`).toBe(0);
      }
      for (const report of REPORTS) {
        const real = set.lvm(report.split(" ")[0]!, report.split(" ").slice(1));
        expect(real.status, `${report}\n${real.stderr}`).toBe(0);
        const mine = lvmlab(paths, set.devices, report, false);
        expect(mine.stdout, report).toBe(real.stdout);
      }
      const names = set.lvm("lvs", ["-a", "--noheadings", "-o", "lv_name", "vg0"]).stdout;
      expect(names).toContain("pool_meta0");
      expect(names).not.toContain("thin2");
      for (const lv of ["pool_tmeta", "pool2_tmeta"]) {
        const check = thinCheckBytes(lvBytes(set, paths, lv));
        expect(check.status, `${lv}: ${String(check.stderr)}`).toBe(0);
      }
      const vgck = set.lvm("vgck", ["vg0"]);
      expect(vgck.status, vgck.stderr).toBe(0);
    });
  });
});
