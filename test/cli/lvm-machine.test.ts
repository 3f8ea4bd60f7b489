/**
 * `lvmlab lvm` as one running machine: the images plus lvmlab-machine.json carry activation,
 * background work, the virtual clock and /etc/lvm from one invocation to the next.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
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
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { parseElapse, takeDevicesOption } from "../../cli/cmd-lvm.js";
import { splitCommandLine } from "../../cli/lvm-shell-words.js";
import { cli } from "../engine/lvm/cli-run.js";

const root = mkdtempSync(join(tmpdir(), "lvmlab-machine-"));
const startCwd = process.cwd();
afterAll(() => {
  process.chdir(startCwd);
  rmSync(root, { recursive: true, force: true });
});
const MAIN = new URL("../../dist/cli/main.js", import.meta.url).pathname;

let dir = "";
let images: string[] = [];
let n = 0;
beforeEach(() => {
  dir = join(root, `m${n++}`);
  rmSync(dir, { recursive: true, force: true });
  spawnSync("mkdir", ["-p", dir]);
  images = ["a.img", "b.img", "c.img"].map((name) => join(dir, name));
  for (const image of images) {
    writeFileSync(image, "");
    truncateSync(image, 64 * 1024 * 1024);
  }
  // Like an operator, each test works in the folder that holds the images and the state file.
  process.chdir(dir);
});

const lvm = (...argv: string[]) => cli(["lvm", ...argv]);
/** mtime and a hash of the whole file: enough to see any write, without holding 64 MiB strings. */
const fingerprint = (file: string): string =>
  `${statSync(file).mtimeMs}:${createHash("sha256")
    .update(new Uint8Array(readFileSync(file)))
    .digest("hex")}`;
const machineFile = () => join(dir, "lvmlab-machine.json");

async function vg(): Promise<void> {
  expect((await lvm("--devices", images.join(","), "vgcreate", "vg0", ...images)).code).toBe(0);
}

function lvsRows(stdout: string): Record<string, string>[] {
  return (JSON.parse(stdout) as { report: { lv: Record<string, string>[] }[] }).report[0]!.lv;
}

describe("lvmlab lvm keeps one machine across invocations", () => {
  it("remembers activation: vgchange -ay, then lvs shows the LVs active", async () => {
    await vg();
    expect((await lvm("lvcreate", "-an", "-Zn", "-L", "8M", "-n", "lv0", "vg0")).code).toBe(0);
    const off = await lvm("lvs", "--noheadings", "-o", "lv_attr");
    expect(off.stdout.trim()).toBe("-wi-------");
    const on = await lvm("vgchange", "-ay", "vg0");
    expect(on.stdout).toContain('1 logical volume(s) in volume group "vg0" now active');
    expect((await lvm("lvs", "--noheadings", "-o", "lv_attr")).stdout.trim()).toBe("-wi-a-----");
    expect((await lvm("vgchange", "-an", "vg0")).code).toBe(0);
    expect((await lvm("lvs", "--noheadings", "-o", "lv_attr")).stdout.trim()).toBe("-wi-------");
  });

  it("finds its devices from the state file, takes LVM2's own --devices placement, and refuses none", async () => {
    await vg();
    const own = await lvm("pvs", "--noheadings", "-o", "pv_name", "--devices", images[0]!);
    expect(own.code).toBe(0);
    // Only a.img is visible to this command: the VG's other PVs are missing, as with LVM2's --devices.
    expect(own.stdout.trim().split(/\s+/).sort()).toEqual([images[0], "[unknown]", "[unknown]"].sort());
    const remembered = await lvm("--machine", machineFile(), "pvs", "--noheadings", "-o", "pv_name");
    expect(remembered.stdout.trim().split(/\s+/)).toHaveLength(3);
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const none = await lvm("pvs");
      expect(none.code).toBe(2);
      expect(none.stderr).toContain("No devices given");
      expect(none.stderr).toContain("--devices");
    } finally {
      process.chdir(cwd);
    }
  });

  it("lets background work run between invocations: pvmove --elapse 0 leaves a move, pvmove finishes it", async () => {
    await vg();
    expect((await lvm("lvcreate", "-L", "24M", "-n", "lv0", "vg0", images[0]!)).code).toBe(0);
    expect((await lvm("--elapse", "0", "pvmove", "-b", images[0]!, images[1]!)).code).toBe(0);
    const during = lvsRows(
      (await lvm("lvs", "-a", "-o", "lv_name,lv_attr,copy_percent", "--reportformat", "json")).stdout,
    );
    const pvmove0 = during.find((r) => r.lv_name === "[pvmove0]");
    expect(pvmove0?.lv_attr).toBe("p-C-aom---");
    const finished = await lvm("pvmove");
    expect(finished.code).toBe(0);
    expect(finished.stdout).toContain("Moved: 100.00%");
    const after = lvsRows((await lvm("lvs", "-a", "-o", "lv_name,devices", "--reportformat", "json")).stdout);
    expect(after).toEqual([{ lv_name: "lv0", devices: `${images[1]}(0)` }]);
  });

  it("keeps /etc/lvm: automatic backups and archives, vgcfgrestore -l and vgcfgrestore VG", async () => {
    await vg();
    expect((await lvm("lvcreate", "-an", "-Zn", "-L", "8M", "-n", "lv0", "vg0")).code).toBe(0);
    expect((await lvm("lvcreate", "-an", "-Zn", "-L", "8M", "-n", "lv1", "vg0")).code).toBe(0);
    const list = await lvm("vgcfgrestore", "-l", "vg0");
    expect(list.code).toBe(0);
    const files = list.stdout.split("\n").filter((l) => l.startsWith("  File:"));
    expect(files).toHaveLength(3);
    expect(files[0]).toMatch(/^ {2}File:\t\t\/etc\/lvm\/archive\/vg0_00000-\d+\.vg\/vg0_00000-\d+\.vg$/);
    expect(files[2]).toBe("  File:\t\t/etc/lvm/backup/vg0/vg0");
    expect(list.stdout).toContain(
      "Description:\tCreated *before* executing 'lvcreate -an -Zn -L 8M -n lv1 vg0'",
    );
    expect(list.stdout).toContain(
      "Description:\tCreated *after* executing 'lvcreate -an -Zn -L 8M -n lv1 vg0'",
    );
    // Lose lv1 by hand, then restore the automatic backup.
    expect((await lvm("lvremove", "-f", "vg0/lv1")).code).toBe(0);
    const relisted = (await lvm("vgcfgrestore", "-l", "vg0")).stdout;
    // The newest archive holds the VG as it was before lvremove.
    const restored = await lvm("vgcfgrestore", "-f", `/etc/lvm/archive/${archiveName(relisted, 2)}`, "vg0");
    expect(restored.code, restored.stderr).toBe(0);
    expect((await lvm("lvs", "--noheadings", "-o", "lv_name")).stdout.trim().split(/\s+/)).toEqual([
      "lv0",
      "lv1",
    ]);
    const fromBackup = await lvm("vgcfgrestore", "vg0");
    expect(fromBackup.stdout).toContain("Restored volume group vg0.");
    const state = JSON.parse(readFileSync(machineFile(), "utf8")) as { files: Record<string, string> };
    expect(Object.keys(state.files).filter((p) => p.startsWith("/etc/lvm/archive/")).length).toBeGreaterThan(
      2,
    );
  });

  it("never changes the images or the state file for read-only commands", async () => {
    await vg();
    expect((await lvm("lvcreate", "-L", "8M", "-n", "lv0", "vg0")).code).toBe(0);
    const before = [...images, machineFile()].map(fingerprint);
    for (const argv of [
      ["lvs", "-a"],
      ["pvs"],
      ["vgdisplay"],
      ["lvdisplay"],
      ["vgck", "vg0"],
      ["version"],
      ["help"],
    ]) {
      expect((await lvm(...argv)).code, argv.join(" ")).toBe(0);
    }
    const after = [...images, machineFile()].map(fingerprint);
    expect(after).toEqual(before);
  });

  it("keeps an LV active when its disk goes away, with LVM2's partial attr and used-devices warning", async () => {
    await vg();
    expect((await lvm("lvcreate", "-L", "8M", "-n", "lv0", "vg0", images[1]!)).code).toBe(0);
    // Only a.img is visible now: the LV's PV is gone while the kernel still holds its table.
    const run = await lvm("lvs", "--devices", images[0]!, "--noheadings", "-o", "lv_name,lv_attr");
    expect(run.stdout.trim().split(/\s+/)).toEqual(["lv0", "-wi-a---p-"]);
    expect(run.stderr).toContain(
      "WARNING: Couldn't find all devices for LV vg0/lv0 while checking used and assumed devices.",
    );
  });

  it("refuses a damaged state file with exit 2, naming the file and the field", async () => {
    await vg();
    const state = JSON.parse(readFileSync(machineFile(), "utf8")) as Record<string, unknown>;
    writeFileSync(machineFile(), JSON.stringify({ ...state, clockNs: -5 }));
    const run = await lvm("lvs");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(machineFile());
    expect(run.stderr).toContain("field clockNs");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("removes an active LV with -y, as real LVM2 does, and refuses without it", async () => {
    await vg();
    expect((await lvm("lvcreate", "-L", "8M", "-n", "lv0", "vg0")).code).toBe(0);
    const refused = await lvm("lvremove", "vg0/lv0");
    expect(refused.code).toBe(5);
    expect(refused.stdout).toContain(
      "Do you really want to remove active logical volume vg0/lv0? [y/n]: [n]",
    );
    expect(refused.stderr).toContain("Logical volume vg0/lv0 not removed.");
    const removed = await lvm("lvremove", "-y", "vg0/lv0");
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('Logical volume "lv0" successfully removed.');
  });

  it("warns that an inactive or -Zn LV was not zeroed, and zeroes an active one's first 4 KiB", async () => {
    await vg();
    // Stale bytes where the first LV's first extent will start (pe_start is 1 MiB).
    const image = new Uint8Array(readFileSync(images[0]!));
    image.fill(0xaa, 1024 * 1024, 1024 * 1024 + 8192);
    writeFileSync(images[0]!, image);
    const quiet = await lvm("lvcreate", "-an", "-L", "4M", "-n", "off", "vg0");
    expect(quiet.stderr).toBe("  WARNING: Logical volume vg0/off not zeroed.\n");
    expect((await lvm("lvremove", "-y", "vg0/off")).code).toBe(0);
    const zeroed = await lvm("lvcreate", "-L", "4M", "-n", "on", "vg0", images[0]!);
    expect(zeroed.stderr).toBe("");
    const bytes = readFileSync(images[0]!).subarray(1024 * 1024, 1024 * 1024 + 8192);
    expect(bytes.subarray(0, 4096).every((b) => b === 0)).toBe(true);
    expect(bytes.subarray(4096).every((b) => b === 0xaa)).toBe(true);
  });

  it("answers help and version like LVM2", async () => {
    const help = await lvm("--devices", images[0]!, "help");
    expect(help.stdout.split("\n").slice(0, 3)).toEqual([
      "  Available lvm commands:",
      "  Use 'lvm help <command>' for more information",
      "   ",
    ]);
    expect(help.stdout).toContain("  lvcreate        Create a logical volume\n");
    const version = await lvm("--devices", images[0]!, "version");
    expect(version.stdout).toContain("  LVM version:     2.03.16(2) (2022-05-18)\n");
    expect(version.stdout).toContain("  Driver version:  4.47.0\n");
  });
});

describe("lvmlab machine", () => {
  it("keeps a core-log mirror in sync across invocations, and a power cut or reboot ends the machine", async () => {
    await vg();
    expect(
      (await lvm("lvcreate", "--type", "mirror", "-m1", "--mirrorlog", "core", "-L", "8M", "-n", "m", "vg0"))
        .code,
    ).toBe(0);
    const synced = await lvm("lvs", "--noheadings", "-o", "lv_name,copy_percent", "vg0/m");
    expect(synced.stdout.trim().split(/\s+/)).toEqual(["m", "100.00"]);
    const state = JSON.parse(readFileSync(machineFile(), "utf8")) as { mirrorsInSync: string[] };
    expect(state.mirrorsInSync).toEqual(["vg0/m"]);
    const status = await cli(["machine", "status"]);
    expect(status.stdout).toContain("active LVs  vg0/m");
    const cut = await cli(["machine", "power-cut"]);
    expect(cut.code).toBe(0);
    expect((await lvm("lvs", "--noheadings", "-o", "lv_attr", "vg0/m")).stdout.trim()).toBe("mwi---m---");
    expect((await lvm("vgchange", "-ay", "vg0")).code).toBe(0);
    expect(
      (await lvm("lvs", "--noheadings", "-o", "lv_attr,copy_percent", "vg0/m")).stdout.trim().split(/\s+/),
    ).toEqual(["mwi-a-m---", "100.00"]);
    const reboot = await cli(["machine", "reboot"]);
    expect(reboot.stdout).toContain('0 logical volume(s) in volume group "vg0" now active');
    expect((await cli(["machine", "status"])).stdout).toContain("active LVs  -");
    expect((await cli(["machine", "explode"])).code).toBe(2);
  });
});

describe("the lvm shell", () => {
  it("runs command lines from stdin on one machine", () => {
    const script = [
      "pvcreate a.img b.img",
      "vgcreate vg0 a.img b.img",
      "# a comment",
      "lvcreate -L 8M -n 'lv0' vg0",
      "lvs --noheadings -o lv_name,lv_attr",
      "exit",
      "lvs",
    ].join("\n");
    const run = spawnSync(process.execPath, [MAIN, "lvm", "--devices", "a.img,b.img"], {
      cwd: dir,
      input: script,
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('Logical volume "lv0" created.');
    expect(run.stdout.match(/lv0 +-wi-a-----/g)).toHaveLength(1);
    expect(existsSync(join(dir, "lvmlab-machine.json"))).toBe(true);
  });
});

describe("command-line pieces", () => {
  it("splits shell lines like LVM2's shell", () => {
    expect(splitCommandLine(`lvcreate -n "my lv" -L 8M vg0 # comment`)).toEqual([
      "lvcreate",
      "-n",
      "my lv",
      "-L",
      "8M",
      "vg0",
    ]);
    expect(splitCommandLine("   ")).toEqual([]);
  });

  it("takes --devices from among the command's arguments", () => {
    expect(takeDevicesOption(["-a", "--devices", "a.img,b.img", "--devices=c.img", "vg0"])).toEqual({
      devices: ["a.img", "b.img", "c.img"],
      rest: ["-a", "vg0"],
    });
  });

  it("parses --elapse durations", () => {
    expect(parseElapse(undefined)).toBeUndefined();
    expect(parseElapse("idle")).toBeUndefined();
    expect(parseElapse("0")).toBe(0);
    expect(parseElapse("500ms")).toBe(500_000_000);
    expect(parseElapse("2m")).toBe(120_000_000_000);
    expect(parseElapse("soon")).toBeNaN();
  });
});

function archiveName(listing: string, index: number): string {
  const files = listing.split("\n").filter((l) => l.startsWith("  File:\t\t/etc/lvm/archive/"));
  const path = files[index]!.replace("  File:\t\t/etc/lvm/archive/", "");
  return path.slice(0, path.indexOf("/"));
}
