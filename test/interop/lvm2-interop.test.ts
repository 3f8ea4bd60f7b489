import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileDevice } from "../../engine/block/file.js";
import { Host } from "../../engine/lvm/host.js";
import { inspectDevices } from "../../engine/lvm/inspect.js";
import { runLvm } from "../../engine/lvm/run.js";
import { cli } from "../engine/lvm/cli-run.js";
import { lvmNoise, realLvm2Unavailable, withLoopDevices } from "../support/real-lvm2.js";

const unavailable = realLvm2Unavailable();
const dir = mkdtempSync(join(tmpdir(), "lvmlab-interop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function images(tag: string): string[] {
  return ["a", "b", "c"].map((n) => {
    const path = join(dir, `${tag}-${n}.img`);
    writeFileSync(path, "");
    truncateSync(path, 64 * 1024 * 1024);
    return path;
  });
}

/** The command sequence, with DEVn standing for the n-th device name. */
const SEQUENCE = [
  "pvcreate DEV0 DEV1 DEV2",
  "vgcreate vg0 DEV0 DEV1 DEV2",
  "lvcreate -an -Zn -L 8M -n lin vg0",
  "lvcreate -an -Zn -i 3 -I 64k -l 6 -n st vg0",
  "lvcreate -an -Zn -l 2 -n pinned vg0 DEV2",
  "lvcreate -an -Zn -l 2 -n ranged vg0 DEV1:10-11",
  "lvextend -l +2 vg0/lin",
  "lvremove -f vg0/pinned",
  "lvcreate -an -Zn -l 3 -n reuse vg0",
  "lvcreate -an -Zn --alloc contiguous -l 4 -n cont vg0",
  "lvextend --alloc cling -l +1 vg0/cont",
  "lvcreate -an -Zn --alloc anywhere -i2 -l 2 -n any vg0 DEV1",
  "lvextend -l +3 vg0/reuse DEV2",
];

const REPORTS: readonly (readonly string[])[] = [
  [
    "lvs",
    "-a",
    "--segments",
    "--reportformat",
    "json",
    "--units",
    "b",
    "--nosuffix",
    "-o",
    "lv_name,vg_name,lv_size,segtype,seg_start_pe,seg_size_pe,stripes,stripe_size,seg_pe_ranges",
  ],
  ["pvs", "--reportformat", "json"],
  ["vgs", "--reportformat", "json"],
  [
    "pvs",
    "--reportformat",
    "json",
    "--units",
    "b",
    "-o",
    "pv_name,pe_start,pv_pe_count,pv_pe_alloc_count,dev_size,pv_mda_count",
  ],
  [
    "vgs",
    "--reportformat",
    "json",
    "-o",
    "vg_name,vg_extent_size,vg_extent_count,vg_free_count,vg_seqno,vg_mda_count",
  ],
];

function words(line: string, devices: readonly string[]): string[] {
  return line.split(" ").map((w) => w.replace(/DEV(\d)/g, (_, n: string) => devices[Number(n)]!));
}

/** Runs lvmlab's engine over image files (device names = the paths). */
function lvmlab(
  paths: readonly string[],
  argv: readonly string[],
): { exitCode: number; stdout: string; stderr: string } {
  const devices = paths.map((p) => FileDevice.open(p, { name: p }));
  try {
    const host = new Host({
      devices: devices.map((d) => [d.name, d] as const),
      seed: `interop-${argv.join("-")}`,
    });
    return runLvm(host, [...argv, "--driverloaded", "n"]);
  } finally {
    for (const d of devices) d.close();
  }
}

function mapNames(text: string, from: readonly string[], to: readonly string[]): string {
  let out = text;
  // Longest names first so /dev/loop1 never rewrites part of /dev/loop10.
  const order = from.map((f, i) => [f, to[i]!] as const).sort((x, y) => y[0].length - x[0].length);
  for (const [f, t] of order) out = out.split(f).join(t);
  return out;
}

function stripUuids(
  report: ReturnType<typeof inspectDevices>,
  from: readonly string[],
  to: readonly string[],
): unknown {
  return JSON.parse(
    mapNames(JSON.stringify(report), from, to)
      .replace(/"uuid":"[^"]*"/g, '"uuid":"-"')
      .replace(/[A-Za-z0-9]{6}(-[A-Za-z0-9]{4}){5}-[A-Za-z0-9]{6}/g, "UUID"),
  );
}

describe.skipIf(unavailable !== undefined)(`interop with real LVM2 ${unavailable ?? ""}`, () => {
  const real = images("real");
  const mine = images("lvmlab");
  const realReports: string[] = [];
  let loops: string[] = [];

  it("runs the same command sequence on real LVM2 and on lvmlab", () => {
    withLoopDevices(real, (set) => {
      loops = [...set.devices];
      for (const line of SEQUENCE) {
        const [cmd, ...args] = words(line, set.devices);
        const run = set.lvm(cmd!, args);
        expect(run.status, `${line}: ${run.stderr}`).toBe(0);
      }
      for (const report of REPORTS) {
        const run = set.lvm(report[0]!, report.slice(1));
        expect(run.status).toBe(0);
        realReports.push(mapNames(run.stdout, set.devices, mine));
      }
    });
    for (const line of SEQUENCE) {
      const run = lvmlab(mine, words(line, mine));
      expect(run.exitCode, `${line}: ${run.stderr}`).toBe(0);
    }
  });

  for (const [i, report] of REPORTS.entries()) {
    it(`(a) ${report.join(" ")} matches real LVM2 exactly`, () => {
      const run = lvmlab(mine, report);
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toBe(realReports[i]);
    });
  }

  it("(a) the issue's check through the CLI: lvmlab lvm --devices … prints what real LVM2 prints", async () => {
    for (const [i, report] of REPORTS.entries()) {
      const run = await cli(["lvm", "--devices", mine.join(","), ...report]);
      expect(run.code, report.join(" ")).toBe(0);
      expect(run.stdout).toBe(realReports[i]);
    }
  });

  it("(b) real pvs/vgs/lvs read lvmlab's images the same, and pvck/vgck find nothing wrong", () => {
    withLoopDevices(mine, (set) => {
      for (const [i, report] of REPORTS.entries()) {
        const run = set.lvm(report[0]!, report.slice(1));
        expect(run.status).toBe(0);
        expect(mapNames(run.stdout, set.devices, mine)).toBe(realReports[i]);
        expect(run.stderr.split("\n").filter((l) => l !== "" && !lvmNoise(l))).toEqual([]);
      }
      for (const device of set.devices) {
        const pvck = set.lvm("pvck", [device]);
        expect(pvck.status).toBe(0);
        expect(pvck.stderr.split("\n").filter((l) => l !== "" && !lvmNoise(l))).toEqual([]);
      }
      const vgck = set.lvm("vgck", ["vg0"]);
      expect(vgck.status).toBe(0);
      expect(vgck.stderr.split("\n").filter((l) => l !== "" && !lvmNoise(l))).toEqual([]);
    });
  });

  it("(b) vgcfgbackup writes the same backup file as real LVM2, header lines aside", () => {
    const header = /^(# Generated by|description = |creation_host = |creation_time = )/;
    const body = (text: string): string[] => text.split("\n").filter((l) => !header.test(l));
    const realFile = join(dir, "real-backup.vg");
    const mineFile = join(dir, "lvmlab-backup.vg");
    let realText = "";
    withLoopDevices(mine, (set) => {
      const run = set.lvm("vgcfgbackup", ["-f", realFile, "vg0"]);
      expect(run.status).toBe(0);
      realText = mapNames(readFileSync(realFile, "utf8"), set.devices, mine);
    });
    const devices = mine.map((p) => FileDevice.open(p, { name: p, readOnly: true }));
    try {
      const host = new Host({
        devices: devices.map((d) => [d.name, d] as const),
        files: { readText: (p) => readFileSync(p, "utf8"), writeText: (p, t) => writeFileSync(p, t) },
      });
      expect(runLvm(host, ["vgcfgbackup", "-f", mineFile, "vg0"]).exitCode).toBe(0);
    } finally {
      for (const d of devices) d.close();
    }
    const mineText = readFileSync(mineFile, "utf8");
    expect(mineText).toContain("extent_size = 8192\t\t# 4 Megabytes");
    expect(body(mineText)).toEqual(body(realText));
  });

  it("(c) lvmlab inspect reads real LVM2's images as it reads its own", () => {
    const open = (paths: readonly string[]) =>
      paths.map((p) => FileDevice.open(p, { name: p, readOnly: true }));
    const realDevices = open(real);
    const mineDevices = open(mine);
    try {
      const fromReal = inspectDevices(new Host({ devices: realDevices.map((d) => [d.name, d] as const) }));
      const fromMine = inspectDevices(new Host({ devices: mineDevices.map((d) => [d.name, d] as const) }));
      expect(fromReal.warnings).toEqual([]);
      expect(fromReal.vgs[0]?.lvs.length).toBeGreaterThan(5);
      expect(stripUuids(fromReal, real, mine)).toEqual(stripUuids(fromMine, mine, mine));
    } finally {
      for (const d of [...realDevices, ...mineDevices]) d.close();
    }
    expect(loops.length).toBe(3);
  });
});

describe.runIf(unavailable !== undefined)("interop with real LVM2", () => {
  it("says why it is skipped", (ctx) => {
    ctx.skip(true, unavailable);
  });
});
