import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli } from "./cli-run.js";

const dir = mkdtempSync(join(tmpdir(), "lvmlab-cli-"));
const images = ["a.img", "b.img", "c.img"].map((n) => join(dir, n));
for (const image of images) {
  writeFileSync(image, "");
  truncateSync(image, 64 * 1024 * 1024);
}
const devices = ["--devices", images.join(",")];
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fingerprint(): string[] {
  return images.map(
    (i) =>
      `${statSync(i).mtimeMs}:${readFileSync(i)
        .subarray(0, 2 * 1024 * 1024)
        .toString("base64")}`,
  );
}

describe("lvmlab lvm", () => {
  it("builds a VG with LVM2's messages and exit codes", async () => {
    const created = await cli(["lvm", ...devices, "vgcreate", "vg0", ...images]);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(`Physical volume "${images[0]}" successfully created.`);
    expect(created.stdout).toContain('Volume group "vg0" successfully created');
    const lv = await cli([
      "lvm",
      ...devices,
      "lvcreate",
      "-an",
      "-Zn",
      "-i",
      "3",
      "-l",
      "6",
      "-n",
      "st",
      "vg0",
    ]);
    expect(lv.code).toBe(0);
    expect(lv.stdout).toContain('Logical volume "st" created.');
    const again = await cli(["lvm", ...devices, "vgcreate", "vg0", images[0]!]);
    expect(again.code).toBe(5);
    expect(again.stderr).toBe("  A volume group called vg0 already exists.\n");
  });

  it("reports with the command's own flags passed through", async () => {
    const run = await cli([
      "lvm",
      ...devices,
      "lvs",
      "-a",
      "--segments",
      "--reportformat",
      "json",
      "--units",
      "b",
      "--nosuffix",
      "-o",
      "lv_name,stripes,seg_size_pe",
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      report: [{ seg: [{ lv_name: "st", stripes: "3", seg_size_pe: "6" }] }],
    });
  });

  it("never writes to an image for report, display, inspect, pvck and vgcfgbackup", async () => {
    const before = fingerprint();
    const backup = join(dir, "vg0.backup");
    for (const argv of [
      ["lvm", ...devices, "pvs"],
      ["lvm", ...devices, "vgs", "-o", "+vg_uuid"],
      ["lvm", ...devices, "lvs", "-a"],
      ["lvm", ...devices, "pvdisplay", "-m"],
      ["lvm", ...devices, "vgdisplay"],
      ["lvm", ...devices, "lvdisplay"],
      ["lvm", ...devices, "pvck", images[0]!],
      ["lvm", ...devices, "vgck", "vg0"],
      ["lvm", ...devices, "vgcfgbackup", "-f", backup, "vg0"],
      ["inspect", ...images],
      ["inspect", "--json", ...images],
    ]) {
      const run = await cli(argv);
      expect(run.code, argv.join(" ")).toBe(0);
    }
    expect(fingerprint()).toEqual(before);
    expect(readFileSync(backup, "utf8")).toContain('description = "vgcfgbackup -f');
  });

  it("fails a command-line error with exit code 3 and writes nothing", async () => {
    const before = fingerprint();
    const run = await cli(["lvm", ...devices, "lvcreate", "--bogus", "vg0"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("unrecognized option '--bogus'");
    const full = await cli(["lvm", ...devices, "lvcreate", "-L", "1G", "-n", "big", "vg0"]);
    expect(full.code).toBe(5);
    expect(full.stderr).toContain('Volume group "vg0" has insufficient free space');
    expect(fingerprint()).toEqual(before);
  });

  it("refuses a missing image with a clear usage error", async () => {
    const run = await cli(["lvm", "--devices", join(dir, "nope.img"), "pvs"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("nope.img");
  });

  it("inspect --json summarises PVs, VGs and LVs", async () => {
    const run = await cli(["inspect", "--json", ...images]);
    const report = JSON.parse(run.stdout) as {
      vgs: { name: string; pvCount: number; lvs: { name: string; segments: { peRanges: string }[] }[] }[];
      pvs: unknown[];
    };
    expect(report.pvs).toHaveLength(3);
    expect(report.vgs[0]!.name).toBe("vg0");
    expect(report.vgs[0]!.pvCount).toBe(3);
    expect(report.vgs[0]!.lvs[0]!.segments[0]!.peRanges).toBe(
      `${images[0]}:0-1 ${images[1]}:0-1 ${images[2]}:0-1`,
    );
  });

  it("refuses a real block device unless --allow-block-devices is given", async (ctx) => {
    const device = "/dev/loop0";
    if (!existsSync(device) || !statSync(device).isBlockDevice()) {
      ctx.skip(true, `skipped: ${device} is not a block device here`);
      return;
    }
    for (const argv of [
      ["inspect", device],
      ["lvm", "--devices", device, "pvs"],
    ]) {
      const run = await cli(argv);
      expect(run.code, argv.join(" ")).toBe(2);
      expect(run.stderr).toContain(device);
    }
  });

  it("passes --help through to the LVM2 command and documents image creation in its own help", async () => {
    const run = await cli(["lvm", ...devices, "lvcreate", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("--extents VALUE");
    const help = await cli(["lvm", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("truncate -s 64M");
  });
});
