/**
 * pvmove interop with Debian's real LVM2 2.03.16 over loop devices (`--driverloaded n`): real LVM2
 * reads a move lvmlab interrupted right after its first checkpoint as LVM2 shows its own
 * (`[pvmove0]` with the `p` attr, the moved LV locked, the Move column), and lvmlab resumes to the
 * end a move whose metadata real LVM2 restored from the research §2.5 text.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileDevice } from "../../engine/block/file.js";
import { Host } from "../../engine/lvm/host.js";
import { configurePvmove } from "../../engine/lvm/pvmove/kernel.js";
import { runLvm } from "../../engine/lvm/run.js";
import { isSimulationHalt, SimulationHalt } from "../../engine/sim/halt.js";
import { lvmNoise, realLvm2Unavailable, withLoopDevices } from "../support/real-lvm2.js";
import { compare } from "./differential.js";
import { restoreMidMove } from "./mid-move.js";

const MiB = 1024 * 1024;
const unavailable = realLvm2Unavailable();
const dir = mkdtempSync(join(tmpdir(), "lvmlab-pvmove-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function images(tag: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const path = join(dir, `${tag}-${i}.img`);
    writeFileSync(path, "");
    truncateSync(path, 64 * MiB);
    return path;
  });
}

/** Runs `body` on a Host over the image files (writable), named by their paths. */
function withHost<T>(paths: readonly string[], body: (host: Host) => T): T {
  const devices = paths.map((p) => FileDevice.open(p, { name: p, readOnly: false }));
  try {
    const host = new Host({ devices: devices.map((d) => [d.name, d] as const), seed: "pvmove-interop" });
    configurePvmove(host, { syncSpeedBytesPerSecond: 64 * MiB, pollingIntervalSeconds: 1 });
    return body(host);
  } finally {
    for (const d of devices) d.close();
  }
}

/** lvmlab's stdout for `line` over the images, with the devices named as the loop devices. */
function withLoopNames(paths: readonly string[], names: readonly string[], line: string): string {
  const devices = paths.map((p, i) => FileDevice.open(p, { name: names[i]!, readOnly: true }));
  try {
    const host = new Host({ devices: devices.map((d) => [d.name, d] as const) });
    return runLvm(host, line.split(" ")).stdout;
  } finally {
    for (const d of devices) d.close();
  }
}

function ok(host: Host, line: string): string {
  const result = runLvm(host, line.split(" "));
  expect(result.exitCode, `${line}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

interface LvsRow {
  readonly lv_name: string;
  readonly lv_attr: string;
  readonly move_pv: string;
  readonly copy_percent: string;
  readonly devices: string;
}

function lvsRows(stdout: string): LvsRow[] {
  return (JSON.parse(stdout) as { report: { lv: LvsRow[] }[] }).report[0]!.lv;
}

describe.skipIf(unavailable !== undefined)("pvmove interop with real LVM2", () => {
  it("real LVM2 shows a move lvmlab interrupted after its first checkpoint", () => {
    const paths = images("cut", 2);
    const [a, b] = paths as [string, string];
    withHost(paths, (host) => {
      ok(host, `pvcreate ${a} ${b}`);
      ok(host, `vgcreate vg0 ${a} ${b}`);
      ok(host, `lvcreate -an -Zn -l 4 -n lv0 vg0 ${a}:0-1 ${a}:3-4`);
      ok(host, `lvcreate -an -Zn -l 1 -n lv1 vg0 ${a}:2`);
      host.trace.subscribe((event) => {
        if (event.name === "pvmove.checkpoint") throw new SimulationHalt("power-cut", "after checkpoint 1");
      });
      let halted = false;
      try {
        runLvm(host, ["pvmove", "-i", "1", "-n", "lv0", a, b]);
      } catch (error) {
        if (!isSimulationHalt(error)) throw error;
        halted = true;
      }
      expect(halted).toBe(true);
    });
    withLoopDevices(paths, (set) => {
      const [loopA, loopB] = set.devices as [string, string];
      const lvs = set.lvm("lvs", [
        "-a",
        "-o",
        "lv_name,lv_attr,move_pv,copy_percent,devices",
        "--reportformat",
        "json",
      ]);
      expect(lvs.status, lvs.stderr).toBe(0);
      const rows = lvsRows(lvs.stdout);
      const pvmove = rows.find((r) => r.lv_name === "[pvmove0]");
      expect(pvmove, lvs.stdout).toBeDefined();
      expect(pvmove!.lv_attr[0]).toBe("p");
      expect(pvmove!.move_pv).toBe(loopA);
      // With a segment field (devices) lvs prints one row per segment: source and destination each.
      expect(rows.filter((r) => r.lv_name === "[pvmove0]").map((r) => r.devices)).toEqual([
        `${loopA}(0),${loopB}(0)`,
        `${loopA}(3),${loopB}(2)`,
      ]);
      const lv0 = rows.filter((r) => r.lv_name === "lv0");
      expect(lv0).toHaveLength(2);
      for (const row of lv0) {
        // A locked LV shows its permission letter in capitals, and maps through pvmove0.
        expect(row.lv_attr.slice(0, 3)).toBe("-wI");
        expect(row.devices).toMatch(/^pvmove0\(/);
      }
      const pvs = set.lvm("pvs", ["-o", "pv_name,pv_used", "--units", "m", "--noheadings", "--nosuffix"]);
      expect(pvs.status, pvs.stderr).toBe(0);
      // The source keeps lv0 (4 extents) and lv1 (1); the destination holds both moved-to segments.
      expect(
        pvs.stdout
          .trim()
          .split("\n")
          .map((l) => l.trim().split(/\s+/)),
      ).toEqual([
        [loopA, "20.00"],
        [loopB, "16.00"],
      ]);
      const vgck = set.lvm("vgck", ["vg0"]);
      expect(vgck.status, vgck.stderr).toBe(0);
      expect(vgck.stderr.split("\n").filter((l) => l !== "" && !lvmNoise(l))).toEqual([]);
      // lvmlab reports the same rows from the same images.
      const mine = withHost(paths, (host) =>
        runLvm(host, [
          "lvs",
          "-a",
          "-o",
          "lv_name,lv_attr,move_pv,copy_percent,devices",
          "--reportformat",
          "json",
          "--driverloaded",
          "n",
        ]),
      );
      const renamed = mine.stdout.split(a).join(loopA).split(b).join(loopB);
      // The default `lvs -a` (with the Move column) matches byte for byte under the same device names.
      const realDefault = set.lvm("lvs", ["-a"]);
      expect(realDefault.status, realDefault.stderr).toBe(0);
      expect(realDefault.stdout).toContain(" Move ");
      const mineDefault = withLoopNames(paths, set.devices, "lvs -a --driverloaded n");
      expect(mineDefault).toBe(realDefault.stdout);
      expect(lvsRows(renamed).map((r) => [r.lv_name, r.move_pv, r.devices])).toEqual(
        rows.map((r) => [r.lv_name, r.move_pv, r.devices]),
      );
    });
  });

  it("lvmlab resumes and finishes a move real LVM2 restored with vgcfgrestore (§2.5)", () => {
    const paths = images("restore", 2);
    const [a, b] = paths as [string, string];
    const { data, destinationOffsetBytes } = restoreMidMove([a, b], { dir, seed: 5 });
    withHost(paths, (host) => {
      const skipped = ok(host, "pvmove");
      expect(skipped).toBe(`  ${a}: Skipping inactive LV. Try lvchange or vgchange.\n`);
      ok(host, "vgchange -ay vg0");
      host.scheduler.run();
      expect(host.trace.count("pvmove.checkpoint")).toBe(0);
      expect(host.trace.count("pvmove.finish")).toBe(1);
    });
    const copied = new Uint8Array(data.length);
    const dest = FileDevice.open(b, { name: b, readOnly: true });
    dest.read(destinationOffsetBytes, copied);
    dest.close();
    expect(Buffer.compare(copied, data)).toBe(0);
    withLoopDevices(paths, (set) => {
      const lvs = set.lvm("lvs", ["-a", "-o", "lv_name,lv_attr,move_pv,devices", "--reportformat", "json"]);
      expect(lvs.status, lvs.stderr).toBe(0);
      const rows = lvsRows(lvs.stdout);
      expect(rows.map((r) => r.lv_name)).toEqual(["lv0", "lv1"]);
      expect(rows[0]!.lv_attr.slice(0, 3)).toBe("-wi");
      expect(rows[0]!.devices).toBe(`${set.devices[1]}(0)`);
      const vgck = set.lvm("vgck", ["vg0"]);
      expect(vgck.status, vgck.stderr).toBe(0);
    });
    expect(readFileSync(a).length).toBe(64 * MiB);
  });
});

describe.skipIf(unavailable !== undefined)("pvmove's orphan error LV, with real LVM2", () => {
  it("a cut between the two finishing writes leaves [pvmove0] that only lvremove clears, as in real LVM2", () => {
    const mine = images("orphan-mine", 2);
    const [a, b] = mine as [string, string];
    withHost(mine, (host) => {
      ok(host, `pvcreate ${a} ${b}`);
      ok(host, `vgcreate vg0 ${a} ${b}`);
      ok(host, `lvcreate -an -Zn -l 2 -n lv0 vg0 ${a}`);
      // The move commits setup, write A (pvmove0 an error LV) and write B (pvmove0 gone): halt as
      // write B's text reaches its first metadata area, so every header still points at write A.
      const seqnos = new Set<number>();
      host.trace.subscribe((event) => {
        if (event.name !== "metadata.write") return;
        seqnos.add(event.data.seqno as number);
        if (seqnos.size === 3) throw new SimulationHalt("power-cut", "before pvmove's write B");
      });
      expect(() => runLvm(host, ["pvmove", "-i", "1", a, b])).toThrow(SimulationHalt);
    });
    const real = images("orphan-real", 2);
    for (const [i, path] of real.entries()) copyFileSync(mine[i]!, path);
    const lvs = "lvs -a -o lv_name,lv_attr,segtype,lv_size,devices vg0";
    const outputs: string[] = [];
    const differences = compare(
      real,
      mine,
      [
        lvs,
        "pvmove DEV0 DEV1",
        "pvmove",
        "pvmove --abort",
        "lvremove vg0/pvmove0",
        lvs,
        "lvremove vg0/pvmove0",
      ],
      { lvmlabOutputs: outputs, ignore: /lvmpolld/ },
    );
    expect(differences).toEqual([]);
    // Not a vacuous match: the orphan was there, pvmove had nothing to move, lvremove took it quietly.
    expect(outputs[0]).toMatch(/\[pvmove0\] +v\S+ +error/);
    expect(outputs[1]).toContain("No data to move for vg0.");
    expect(outputs[4]).not.toContain("pvmove0");
    expect(outputs[5]).not.toContain("pvmove0");
    expect(outputs[6]).toContain('Failed to find logical volume "vg0/pvmove0"');
  });

  it("without device-mapper pvmove commits its setup and stops at once, as real LVM2 does", () => {
    const mine = images("nodm-mine", 2);
    const real = images("nodm-real", 2);
    const setup = ["pvcreate DEV0 DEV1", "vgcreate vg0 DEV0 DEV1", "lvcreate -an -Zn -l 2 -n lv0 vg0 DEV0"];
    const lvs = "lvs -a -o lv_name,lv_attr,move_pv,devices vg0";
    const outputs: string[] = [];
    const differences = compare(real, mine, [...setup, "pvmove DEV0 DEV1", lvs, "pvmove"], {
      lvmlabOutputs: outputs,
      ignore: /lvmpolld/,
    });
    expect(differences).toEqual([]);
    expect(outputs[3]).toContain("Interrupted: No longer active.");
    expect(outputs[4]).toContain("[pvmove0]");
    expect(outputs[5]).toContain("Skipping inactive LV. Try lvchange or vgchange.");
  });
});

describe.runIf(unavailable !== undefined)("pvmove interop", () => {
  it("says why it is skipped", (ctx) => {
    ctx.skip(true, unavailable);
  });
});
