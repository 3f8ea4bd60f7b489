/**
 * The operator's sequence on images real LVM2 left mid-pvmove (`vgcfgrestore` of the research §2.5
 * metadata on loop devices): `lvmlab lvm pvmove` skips the inactive move, `lvmlab lvm vgchange -ay`
 * starts the background poll, and the move is finished by the time the next `lvmlab lvm pvmove`
 * runs — each a separate invocation on the same images. Real LVM2 then reads the result cleanly.
 */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileDevice } from "../../engine/block/file.js";
import { Host } from "../../engine/lvm/host.js";
import { runLvm } from "../../engine/lvm/run.js";
import { cli } from "../engine/lvm/cli-run.js";
import { realLvm2Unavailable, withLoopDevices } from "../support/real-lvm2.js";
import { restoreMidMove } from "./mid-move.js";

const MiB = 1024 * 1024;
const unavailable = realLvm2Unavailable();
const dir = mkdtempSync(join(tmpdir(), "lvmlab-machine-interop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(unavailable !== undefined)("lvmlab lvm finishes a move real LVM2 left on images", () => {
  it("vgchange -ay, then pvmove, each its own invocation, ends the move with the data on the destination", async () => {
    const paths = ["a", "b"].map((n) => {
      const path = join(dir, `${n}.img`);
      writeFileSync(path, "");
      truncateSync(path, 64 * MiB);
      return path;
    });
    const [a, b] = paths as [string, string];
    const { data, destinationOffsetBytes } = restoreMidMove([a, b], { dir, seed: 7 });
    const devices = ["--devices", `${a},${b}`];
    const skipped = await cli(["lvm", ...devices, "pvmove"]);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stdout).toBe(`  ${a}: Skipping inactive LV. Try lvchange or vgchange.\n`);
    const activated = await cli(["lvm", ...devices, "vgchange", "-ay", "vg0"]);
    expect(activated.code, activated.stderr).toBe(0);
    expect(activated.stdout).toContain(
      'Background polling started for 1 logical volume(s) in volume group "vg0"',
    );
    expect(activated.stdout).toContain("now active");
    const finished = await cli(["lvm", ...devices, "pvmove"]);
    expect(finished.code, finished.stderr).toBe(0);
    const lvs = await cli([
      "lvm",
      ...devices,
      "lvs",
      "-a",
      "-o",
      "lv_name,lv_attr,devices",
      "--reportformat",
      "json",
    ]);
    const rows = (JSON.parse(lvs.stdout) as { report: { lv: Record<string, string>[] }[] }).report[0]!.lv;
    expect(rows.map((r) => r.lv_name)).toEqual(["lv0", "lv1"]);
    expect(rows[0]!.lv_attr).toBe("-wi-a-----");
    expect(rows[0]!.devices).toBe(`${b}(0)`);
    const copied = new Uint8Array(data.length);
    const dest = FileDevice.open(b, { name: b, readOnly: true });
    dest.read(destinationOffsetBytes, copied);
    dest.close();
    expect(Buffer.compare(copied, data)).toBe(0);
    withLoopDevices(paths, (set) => {
      const vgck = set.lvm("vgck", ["vg0"]);
      expect(vgck.status, vgck.stderr).toBe(0);
      const real = set.lvm("lvs", ["-a", "--noheadings", "-o", "lv_name,devices"]);
      expect(real.stdout.trim().split("\n")[0]?.trim().split(/\s+/)).toEqual(["lv0", `${set.devices[1]}(0)`]);
    });
  });
});

describe.skipIf(unavailable !== undefined)("pvck --repair", () => {
  it("rewrites an mda whose header magic is gone from a backup file, and real LVM2 reads it cleanly", async () => {
    const paths = ["r0", "r1"].map((n) => {
      const path = join(dir, `${n}.img`);
      writeFileSync(path, "");
      truncateSync(path, 64 * MiB);
      return path;
    });
    const [a, b] = paths as [string, string];
    const devices = ["--devices", `${a},${b}`, "--machine", join(dir, "repair-machine.json")];
    expect((await cli(["lvm", ...devices, "vgcreate", "vg0", a, b])).code).toBe(0);
    expect(
      (await cli(["lvm", ...devices, "lvcreate", "-an", "-Zn", "-L", "8M", "-n", "lv0", "vg0"])).code,
    ).toBe(0);
    const backup = join(dir, "vg0.backup");
    expect((await cli(["lvm", ...devices, "vgcfgbackup", "-f", backup, "vg0"])).code).toBe(0);
    // The mda header's magic (bytes 4..19 of the header at 4096) is destroyed.
    const device = FileDevice.open(a, { name: a, readOnly: false });
    const sector = new Uint8Array(512);
    device.read(4096, sector);
    sector.fill(0, 4, 20);
    device.write(4096, sector);
    device.flush();
    device.close();
    const damaged = await cli(["lvm", ...devices, "pvck", a]);
    expect(damaged.code).toBe(5);
    const repaired = await cli(["lvm", ...devices, "pvck", "--repair", "-f", backup, a]);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(repaired.stdout).toMatch(
      /Writing metadata at 4608 length \d+ crc 0x[0-9a-f]{8} mda1\n {2}Writing mda_header at 4096 mda1/,
    );
    const clean = await cli(["lvm", ...devices, "pvck", a]);
    expect(clean.code, clean.stdout).toBe(0);
    // The repaired copy carries the backup's description, so the copies differ in text at the same
    // seqno (real LVM2 warns "mismatch with other metadata"); vgck --updatemetadata evens them out.
    const updated = await cli(["lvm", ...devices, "vgck", "--updatemetadata", "vg0"]);
    expect(updated.code, updated.stderr).toBe(0);
    withLoopDevices(paths, (set) => {
      const vgck = set.lvm("vgck", ["vg0"]);
      expect(vgck.status, vgck.stderr).toBe(0);
      expect(
        vgck.stderr.split("\n").filter((l) => l.includes("WARNING") && !l.includes("Activation disabled")),
      ).toEqual([]);
      const lvs = set.lvm("lvs", ["--noheadings", "-o", "lv_name"]);
      expect(lvs.stdout.trim()).toBe("lv0");
    });
  });

  it("says what it cannot do instead of pretending", async () => {
    const path = join(dir, "blank.img");
    writeFileSync(path, "");
    truncateSync(path, 64 * MiB);
    const run = await cli([
      "lvm",
      "--devices",
      path,
      "--machine",
      join(dir, "blank.json"),
      "pvck",
      "--repair",
      "-f",
      "x",
      path,
    ]);
    expect(run.code).toBe(5);
  });
});

describe.skipIf(unavailable !== undefined)("a PV whose only metadata copy is damaged", () => {
  it("shows in VG [unknown] with attr u-- and LVM2's warnings, as real pvs does", () => {
    const path = join(dir, "damaged.img");
    writeFileSync(path, "");
    truncateSync(path, 64 * MiB);
    const fields = ["-o", "pv_name,vg_name,pv_attr,pv_in_use,pv_size,pv_free"];
    withLoopDevices([path], (set) => {
      expect(set.lvm("pvcreate", [set.devices[0]!]).status).toBe(0);
      expect(set.lvm("vgcreate", ["vgy", set.devices[0]!]).status).toBe(0);
    });
    // Damage the metadata text (its checksum no longer matches).
    const device = FileDevice.open(path, { name: path, readOnly: false });
    const sector = new Uint8Array(512);
    device.read(4608, sector);
    sector.fill(0x58, 0, 64);
    device.write(4608, sector);
    device.flush();
    device.close();
    withLoopDevices([path], (set) => {
      const real = set.lvm("pvs", fields);
      const loop = set.devices[0]!;
      const mineDevice = FileDevice.open(path, { name: loop, readOnly: true });
      try {
        const host = new Host({ devices: [[loop, mineDevice]] });
        const mine = runLvm(host, ["pvs", ...fields]);
        // "Retrying metadata scan." is an artifact of LVM2's block cache that lvmlab does not model.
        expect(mine.stdout).toBe(real.stdout.replace("  Retrying metadata scan.\n", ""));
        const warnings = (text: string) =>
          text.split("\n").filter((l) => l.includes("marked in use") || l.includes("might need repairing"));
        expect(warnings(mine.stderr)).toEqual(warnings(real.stderr));
        expect(warnings(mine.stderr)).toHaveLength(2);
      } finally {
        mineDevice.close();
      }
    });
  });
});

describe.runIf(unavailable !== undefined)("lvm machine interop", () => {
  it("says why it is skipped", (ctx) => {
    ctx.skip(true, unavailable);
  });
});
