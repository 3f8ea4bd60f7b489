import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileDevice } from "../../engine/block/file.js";
import { Host } from "../../engine/lvm/host.js";
import { inspectDevices } from "../../engine/lvm/inspect.js";
import { runLvm } from "../../engine/lvm/run.js";
import { lvmNoise, realLvm2Unavailable, withLoopDevices } from "../support/real-lvm2.js";

// Metadata with an in-progress pvmove, a mirror with a disk log and a snapshot (research §2.5/2.6).
const FIXTURE = readFileSync(
  new URL("../fixtures/lvm2/restore-mirror-snapshot-pvmove.vg", import.meta.url),
  "utf8",
);
const PV_UUIDS = [
  "hjuNzR-8wQY-8fCo-mrXB-1jKe-eyCo-lxfMIM",
  "0QOrc9-hTaD-Rq10-cINi-j3AG-j84v-9uaUiQ",
  "x2Wq9L-aaaa-bbbb-cccc-dddd-eeee-ffff00",
];
/** Reports and displays compared byte for byte between real LVM2 and lvmlab. */
const COMMANDS = [
  "lvs",
  "lvs -a",
  "pvs",
  "vgs",
  "pvs --segments",
  "pvdisplay -m",
  "vgdisplay",
  "lvdisplay -a",
  "lvs -a -o +devices,seg_pe_ranges",
  "lvs -a --segments -o lv_name,lv_attr,segtype,seg_start_pe,seg_size_pe,stripes,devices,mirror_log,origin,move_pv,region_size,chunk_size,lv_layout,lv_role --reportformat json",
  "lvs --units s -O -lv_size,lv_name",
  "vgs --separator : --noheadings -o vg_name,vg_attr,vg_free,vg_seqno --units m",
  "pvs -o pv_name,pv_uuid,pv_used,dev_size --nosuffix --units k",
  "lvs -a -o lv_name,lv_active,copy_percent,snap_percent,sync_percent,data_percent --reportformat json",
];

const unavailable = realLvm2Unavailable();
const dir = mkdtempSync(join(tmpdir(), "lvmlab-restore-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function images(tag: string): string[] {
  return ["a", "b", "c"].map((n) => {
    const path = join(dir, `${tag}-${n}.img`);
    writeFileSync(path, "");
    truncateSync(path, 64 * 1024 * 1024);
    return path;
  });
}

function withDevices(text: string, names: readonly string[]): string {
  return text.replace(/DEV(\d)/g, (_, n: string) => names[Number(n)]!);
}

function mapNames(text: string, from: readonly string[], to: readonly string[]): string {
  let out = text;
  const order = from.map((f, i) => [f, to[i]!] as const).sort((x, y) => y[0].length - x[0].length);
  for (const [f, t] of order) out = out.split(f).join(t);
  return out;
}

/** Runs lvmlab over image files; `names` (default: the paths) are the device names it prints. */
function lvmlab(
  paths: readonly string[],
  line: string,
  options: { readOnly?: boolean; names?: readonly string[] } = {},
): { exitCode: number; stdout: string; stderr: string } {
  const devices = paths.map((p, i) =>
    FileDevice.open(p, { name: options.names?.[i] ?? p, readOnly: options.readOnly ?? true }),
  );
  try {
    const host = new Host({
      devices: devices.map((d) => [d.name, d] as const),
      files: { readText: (p) => readFileSync(p, "utf8"), writeText: (p, t) => writeFileSync(p, t) },
    });
    return runLvm(host, [...line.split(" "), "--driverloaded", "n"]);
  } finally {
    for (const d of devices) d.close();
  }
}

describe.skipIf(unavailable !== undefined)("(d) vgcfgrestore of mirror, snapshot and pvmove metadata", () => {
  const real = images("real");
  const mine = images("lvmlab");
  const realOutputs: string[] = [];
  let realLoops: readonly string[] = [];
  let realLvs: unknown;

  it("real LVM2 restores the metadata onto fresh PVs", () => {
    withLoopDevices(real, (set) => {
      realLoops = [...set.devices];
      set.devices.forEach((device, i) => {
        const run = set.lvm("pvcreate", ["--norestorefile", "-u", PV_UUIDS[i]!, device]);
        expect(run.status, run.stderr).toBe(0);
      });
      const file = join(dir, "real.vg");
      writeFileSync(file, withDevices(FIXTURE, set.devices));
      const restored = set.lvm("vgcfgrestore", ["-f", file, "vg0"]);
      expect(restored.status, restored.stderr).toBe(0);
      for (const line of COMMANDS) {
        const [cmd, ...args] = line.split(" ");
        const run = set.lvm(cmd!, args);
        expect(run.status, line).toBe(0);
        realOutputs.push(run.stdout);
      }
      const lvs = set.lvm("lvs", [
        "-a",
        "--segments",
        "--reportformat",
        "json",
        "-o",
        "lv_name,seg_start_pe,seg_size_pe,seg_pe_ranges",
      ]);
      realLvs = JSON.parse(mapNames(lvs.stdout, set.devices, real));
    });
    expect(realOutputs).toHaveLength(COMMANDS.length);
  });

  for (const [i, line] of COMMANDS.entries()) {
    it(`lvmlab prints what real LVM2 prints for: ${line}`, () => {
      // Same images, same device names: the output must match byte for byte, alignment included.
      const run = lvmlab(real, line, { names: realLoops });
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toBe(realOutputs[i]);
    });
  }

  it("lvmlab inspect reads the same LVs, segments and PE ranges as real lvs", () => {
    const devices = real.map((p) => FileDevice.open(p, { name: p, readOnly: true }));
    try {
      const report = inspectDevices(new Host({ devices: devices.map((d) => [d.name, d] as const) }));
      expect(report.warnings).toEqual([]);
      const rows = report.vgs[0]!.lvs.filter((lv) => lv.name !== "snapshot0")
        .flatMap((lv) =>
          lv.segments.map((seg) => ({
            lv_name: lv.visible ? lv.name : `[${lv.name}]`,
            seg_start_pe: String(seg.start),
            seg_size_pe: String(seg.extents),
            seg_pe_ranges: seg.peRanges,
            sortKey: lv.name,
          })),
        )
        .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0))
        .map(({ sortKey: _, ...row }) => row);
      expect({ report: [{ seg: rows }] }).toEqual(realLvs);
    } finally {
      for (const d of devices) d.close();
    }
  });

  it("lvmlab's own vgcfgrestore writes images real LVM2 reads the same way", () => {
    for (const [i, path] of mine.entries()) {
      const run = lvmlab([path], `pvcreate --norestorefile -u ${PV_UUIDS[i]} ${path}`, { readOnly: false });
      expect(run.exitCode, run.stderr).toBe(0);
    }
    const file = join(dir, "mine.vg");
    writeFileSync(file, withDevices(FIXTURE, mine));
    const restored = lvmlab(mine, `vgcfgrestore -f ${file} vg0`, { readOnly: false });
    expect(restored.exitCode, restored.stderr).toBe(0);
    expect(restored.stdout).toBe("  Restored volume group vg0.\n");
    withLoopDevices(mine, (set) => {
      for (const line of COMMANDS) {
        const [cmd, ...args] = line.split(" ");
        const run = set.lvm(cmd!, args);
        expect(run.status, line).toBe(0);
        expect(
          run.stderr.split("\n").filter((l) => l !== "" && !lvmNoise(l)),
          line,
        ).toEqual([]);
        expect(run.stdout, line).toBe(lvmlab(mine, line, { names: set.devices }).stdout);
        // JSON is not aligned, so with device names mapped it must equal the real restore's.
        if (line.includes("json")) {
          expect(mapNames(run.stdout, set.devices, realLoops), line).toBe(
            realOutputs[COMMANDS.indexOf(line)],
          );
        }
      }
      const vgck = set.lvm("vgck", ["vg0"]);
      expect(vgck.status).toBe(0);
    });
  });
});

describe.runIf(unavailable !== undefined)("(d) vgcfgrestore interop", () => {
  it("says why it is skipped", (ctx) => {
    ctx.skip(true, unavailable);
  });
});
