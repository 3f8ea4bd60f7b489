import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  directModeRefusal,
  directScript,
  directTeardownScript,
  guestDirectScript,
} from "../../real/direct.js";
import { translateScenario } from "../../real/guest-script.js";
import { defineScenario } from "../../scenarios/define.js";

const host = {
  platform: "linux",
  uid: 0,
  procMisc: " 236 device-mapper\n 237 loop-control\n",
  hasLosetup: true,
};
const pvs = [
  { name: "pv0", sizeBytes: 64 << 20, disk: "vdb" },
  { name: "pv1", sizeBytes: 64 << 20, disk: "vdc" },
];

describe("direct mode: the guest's scripts on a host's dm over loop devices", () => {
  it("refuses a host without device-mapper, root or losetup, saying to use the VM", () => {
    expect(directModeRefusal(host)).toBeUndefined();
    expect(directModeRefusal({ ...host, procMisc: " 237 loop-control\n" })).toBe(
      "this kernel has no device-mapper; use the VM (drop --direct)",
    );
    expect(directModeRefusal({ ...host, procMisc: undefined })).toMatch(/no device-mapper/);
    expect(directModeRefusal({ ...host, uid: 1000 })).toMatch(/needs root/);
    expect(directModeRefusal({ ...host, hasLosetup: false })).toMatch(/losetup/);
    expect(directModeRefusal({ ...host, platform: "darwin" })).toMatch(/needs Linux/);
  });

  it("runs the same translated script as the VM, with $D_<pv> loop devices and /tmp moved into the run", () => {
    const scenario = defineScenario({
      name: "t-direct",
      description: "test",
      pvs: [
        { name: "pv0", size: "64MiB" },
        { name: "pv1", size: "64MiB" },
      ],
      setup: ["pvcreate pv0 pv1", "vgcreate vg0 pv0 pv1", "lvcreate -an -Zn -l 4 -n lv0 vg0 pv0"],
      phases: [
        {
          workload: {
            lv: "vg0/lv0",
            jobs: [{ name: "w", rw: "randwrite", bs: "4k", size: "8m", number_ios: 10, verify: "xxh64" }],
          },
        },
      ],
      faults: [{ kind: "power-cut", at: { write: 5 } }],
    });
    const plan = translateScenario(scenario, { seed: 1 });
    const script = directScript(plan.boot1, "/run/x");
    // The VM's script, unchanged but for the work dir: the PVs over $D_<pv>, which direct mode sets.
    expect(script).toContain(plan.boot1.replaceAll("/tmp/", "/run/x/tmp/"));
    expect(script).toContain('dmsetup create pv0 --table "0 131072 linear $D_pv0 0"');
    expect(script).not.toMatch(/[^x]\/tmp\//);
    // The usleep shim runs under dash and sleeps fractions of a second.
    const dir = mkdtempSync(join(tmpdir(), "lvmlab-direct-test-"));
    try {
      writeFileSync(join(dir, "s.sh"), `${script.split("\n")[0]}\nusleep 1500; echo ok`);
      expect(
        execFileSync("sh", [join(dir, "s.sh")], { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } }),
      ).toBe("ok\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("tears down only the run's own devices: error tables first at a power cut, then its VGs' LVs, then the PVs", () => {
    const cut = directTeardownScript(pvs, { powerCut: true, before: ["host-root", "vg0-old"] });
    const lines = cut.split("\n");
    const vgs = lines.findIndex((l) => l.startsWith("vgnames_=$(vgs"));
    const error = lines.findIndex((l) => l.includes('dmsetup load pv0 --table "0 131072 error"'));
    const remove = lines.findIndex((l) => l.includes("dmsetup remove --force $n"));
    expect(vgs).toBeGreaterThanOrEqual(0);
    expect(error).toBeGreaterThan(vgs);
    expect(remove).toBeGreaterThan(error);
    expect(cut).toContain("before_=' host-root vg0-old '");
    expect(cut).toContain("dmsetup remove --force pv1");
    expect(cut).not.toMatch(/remove_all/);
    expect(directTeardownScript(pvs, { powerCut: false, before: [] })).not.toContain("error");
  });

  it("runs the teardown under sh: removes the run's devices and dangling /dev/<vg> links, keeps the host's", () => {
    // Stub vgs and dmsetup over a fake /dev: dmsetup remove deletes the mapper node, as it does without udev.
    const dir = mkdtempSync(join(tmpdir(), "lvmlab-direct-teardown-"));
    try {
      const dev = join(dir, "dev");
      const bin = join(dir, "bin");
      for (const d of [bin, join(dev, "mapper"), join(dev, "vg0"), join(dev, "my-vg"), join(dev, "hostvg")])
        mkdirSync(d, { recursive: true });
      for (const n of ["pv0", "pv1", "vg0-lv0", "vg0-lv0_mimage_0", "my--vg-data", "hostvg-root", "vg0-old"])
        writeFileSync(join(dev, "mapper", n), "");
      symlinkSync(join(dev, "mapper", "vg0-lv0"), join(dev, "vg0", "lv0"));
      symlinkSync(join(dev, "mapper", "vg0-old"), join(dev, "vg0", "old"));
      symlinkSync(join(dev, "mapper", "my--vg-data"), join(dev, "my-vg", "data"));
      symlinkSync(join(dev, "mapper", "hostvg-root"), join(dev, "hostvg", "root"));
      writeFileSync(join(bin, "vgs"), "#!/bin/sh\nprintf '  vg0\\n  my-vg\\n'\n", { mode: 0o755 });
      writeFileSync(
        join(bin, "dmsetup"),
        `#!/bin/sh\necho "$*" >> ${dir}/log\ncase "$1" in ls) ls ${dev}/mapper | sed 's/$/ (254:0)/' ;; remove) rm -f ${dev}/mapper/$3 ;; esac\n`,
        { mode: 0o755 },
      );
      const script = directTeardownScript(pvs, {
        powerCut: true,
        before: ["hostvg-root", "vg0-old"],
        devDir: dev,
      });
      execFileSync("sh", ["-c", script], { env: { PATH: `${bin}:/usr/bin:/bin` } });
      expect(readdirSync(join(dev, "mapper")).sort()).toEqual(["hostvg-root", "vg0-old"]);
      // The run's links are gone with my-vg's directory; vg0 keeps the link to the device it did not make.
      expect(readdirSync(dev).sort()).toEqual(["hostvg", "mapper", "vg0"]);
      expect(readdirSync(join(dev, "vg0"))).toEqual(["old"]);
      const log = readFileSync(join(dir, "log"), "utf8");
      expect(log.indexOf("load pv0 --table 0 131072 error")).toBeLessThan(
        log.indexOf("remove --force vg0-lv0"),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("runs direct mode's steps in the guest: loops over the virtio disks, its own cut, every loop detached", () => {
    const text = guestDirectScript(pvs, "echo hi");
    expect(text).toContain("D_pv0=$(losetup --direct-io=on --find --show /dev/vdb); export D_pv0");
    expect(text).toMatch(/setsid sh \/tmp\/direct\/run\.sh/);
    expect(text).toMatch(/kill -9 -\$pid; cut=1/);
    expect(text).toContain("losetup -d $D_pv1");
    expect(() => guestDirectScript(pvs, "x\nLVMLAB_DIRECT_EOF\ny")).toThrow(/delimiter/);
  });
});
