/**
 * raid1 recovery on an in-memory machine: lvconvert --repair of a lost leg, lvchange --syncaction
 * check/repair, and lvconvert --type raid1 from linear.
 */
import { describe, expect, it } from "vitest";
import { liveRaidOf } from "../../../../engine/lvm/raid/kernel.js";
import { runLvm } from "../../../../engine/lvm/run.js";
import { lvDevice, lvsRows, MiB, ok, pattern, pullableHost, readBytes } from "../mirror/helpers.js";

function setup(create = "lvcreate -m1 -L 8M -R 512k -n r vg0") {
  const { host, disks } = pullableHost(3);
  ok(host, "pvcreate /dev/loop0 /dev/loop1 /dev/loop2");
  ok(host, "vgcreate vg0 /dev/loop0 /dev/loop1 /dev/loop2");
  ok(host, create);
  return { host, disks };
}

describe("raid1 recovery", () => {
  it("lvconvert --repair replaces a lost leg on a free PV and recovers it fully", () => {
    const { host, disks } = setup("lvcreate -m1 -L 8M -n r vg0 /dev/loop0 /dev/loop1");
    host.scheduler.run();
    const lv = lvDevice(host, "vg0", "r");
    const data = pattern(3, 256 * 1024);
    disks[1]!.pulled = true;
    lv.write(2 * MiB, data, { issueNs: host.scheduler.nowNs });
    expect(liveRaidOf(host, "vg0", "r")!.legHealth()).toBe("AD");
    const refused = runLvm(host, ["lvconvert", "--repair", "vg0/r"]);
    expect(refused.exitCode).toBe(5);
    const repaired = ok(host, "lvconvert --repair -y vg0/r");
    expect(repaired.stdout).toContain("Faulty devices in vg0/r successfully replaced.");
    const raid = liveRaidOf(host, "vg0", "r")!;
    expect(raid.syncAction).toBe("recover");
    expect(raid.legHealth()).toBe("Aa");
    host.scheduler.run();
    expect(raid.legHealth()).toBe("AA");
    const legs = raid.legs.map((l) => readBytes(l!.device, 2 * MiB, data.byteLength));
    expect(legs[1]).toEqual(data);
    expect(lvsRows(host, "lv_name,devices").get("[r_rimage_1]")).toEqual(["[r_rimage_1]", "/dev/loop2(1)"]);
  });

  it("lvchange --syncaction check counts differing 64 KiB windows and repair rewrites them", () => {
    const { host, disks } = setup("lvcreate -m1 -L 8M -n r vg0 /dev/loop0 /dev/loop1");
    host.scheduler.run();
    // 1 MiB of leg 1 overwritten behind the kernel's back (rimage_1 starts at 1 MiB + one 4 MiB extent).
    disks[1]!.inner.write(6 * MiB, pattern(9, MiB));
    ok(host, "lvchange --syncaction check vg0/r");
    host.scheduler.run();
    expect(lvsRows(host, "lv_name,raid_mismatch_count,lv_attr").get("r")).toEqual([
      "r",
      "2048",
      "rwi-a-r-m-",
    ]);
    ok(host, "lvchange --syncaction repair vg0/r");
    host.scheduler.run();
    ok(host, "lvchange --syncaction check vg0/r");
    host.scheduler.run();
    expect(lvsRows(host, "lv_name,raid_mismatch_count").get("r")).toEqual(["r", "0"]);
  });

  it("lvconvert --type raid1 turns a linear LV into raid1 and recovers the new leg from it", () => {
    const { host } = setup("lvcreate -L 8M -n lin vg0 /dev/loop0");
    const lv = lvDevice(host, "vg0", "lin");
    const data = pattern(5, 128 * 1024);
    lv.write(MiB, data, { issueNs: host.scheduler.nowNs });
    const refused = runLvm(host, ["lvconvert", "--type", "raid1", "-m", "1", "vg0/lin"]);
    expect(refused.exitCode).toBe(5);
    ok(host, "lvconvert --type raid1 -m 1 -y vg0/lin");
    const raid = liveRaidOf(host, "vg0", "lin")!;
    expect(raid.legHealth()).toBe("Aa");
    expect(raid.syncAction).toBe("recover");
    host.scheduler.run();
    expect(raid.legHealth()).toBe("AA");
    expect(readBytes(raid.legs[1]!.device, MiB, data.byteLength)).toEqual(data);
    expect(readBytes(lvDevice(host, "vg0", "lin"), MiB, data.byteLength)).toEqual(data);
    const rows = lvsRows(host, "lv_name,segtype,devices");
    expect(rows.get("lin")).toEqual(["lin", "raid1", "lin_rimage_0(0),lin_rimage_1(0)"]);
    expect(rows.get("[lin_rimage_0]")).toEqual(["[lin_rimage_0]", "linear", "/dev/loop0(0)"]);
    expect(rows.get("[lin_rmeta_0]")?.[2]).toBe("/dev/loop0(2)");
  });
});

describe("activation with a missing PV", () => {
  it("vgchange -ay activates a raid1 degraded, refuses a partial linear LV, and lvconvert --repair then works", () => {
    const { host, disks } = setup("lvcreate -m1 -L 8M -n r vg0 /dev/loop0 /dev/loop1");
    ok(host, "lvcreate -L 4M -n lin vg0 /dev/loop1");
    host.scheduler.run();
    ok(host, "vgchange -an vg0");
    disks[1]!.pulled = true;
    // LVM2 reads the VG for activation, not for update: missing PVs do not stop it (`_lv_activate`
    // refuses only partial LVs, and under activation_mode=degraded not a raid1 with a complete leg).
    const activated = runLvm(host, ["vgchange", "-ay", "vg0"]);
    expect(activated.exitCode).toBe(5);
    expect(activated.stderr).not.toContain("Cannot change VG");
    expect(activated.stderr).toContain(
      "Refusing activation of partial LV vg0/lin.  Use '--activationmode partial' to override.",
    );
    expect(activated.stdout).toContain('1 logical volume(s) in volume group "vg0" now active');
    expect(liveRaidOf(host, "vg0", "r")).toBeDefined();
    const single = runLvm(host, ["lvchange", "-ay", "vg0/lin"]);
    expect(single.exitCode).toBe(5);
    expect(single.stderr).toContain("Refusing activation of partial LV vg0/lin.");
    const repaired = ok(host, "lvconvert --repair -y vg0/r");
    expect(repaired.stdout).toContain("Faulty devices in vg0/r successfully replaced.");
    host.scheduler.run();
    expect(liveRaidOf(host, "vg0", "r")!.legHealth()).toBe("AA");
  });
});
