/**
 * raid1 conversions on an in-memory machine: lvconvert -m up (only the new leg recovers) and down
 * (which leg goes, renaming, -m0 to linear), --splitmirrors, mirror → raid1, a plain -m on a linear
 * LV, and lvextend with and without --nosync — data kept through every step.
 */
import { describe, expect, it } from "vitest";
import { deviceMapperOf } from "../../../../engine/lvm/activation/activate.js";
import { liveRaidOf } from "../../../../engine/lvm/raid/kernel.js";
import {
  fails,
  firstDiff,
  lvDevice,
  lvsRows,
  MiB,
  ok,
  pattern,
  pullableHost,
  readBytes,
  vgModel,
} from "../mirror/helpers.js";

function setup(create = "lvcreate -m1 -L 8M -R 512k -n r vg0") {
  const { host, disks } = pullableHost(4);
  ok(host, "pvcreate /dev/loop0 /dev/loop1 /dev/loop2 /dev/loop3");
  ok(host, "vgcreate vg0 /dev/loop0 /dev/loop1 /dev/loop2 /dev/loop3");
  ok(host, create);
  host.scheduler.run();
  return { host, disks };
}

function writeData(host: ReturnType<typeof setup>["host"], lv = "r", seed = 3) {
  const data = pattern(seed, 256 * 1024);
  lvDevice(host, "vg0", lv).write(MiB, data, { issueNs: host.scheduler.nowNs });
  host.scheduler.run();
  return data;
}

describe("lvconvert -m on raid1", () => {
  it("adds a leg that alone recovers, shown out of sync until then, and clears REBUILD afterwards", () => {
    const { host, disks } = setup();
    const data = writeData(host);
    expect(fails(host, "lvconvert -m2 vg0/r").stdout).toContain(
      "Are you sure you want to convert raid1 LV vg0/r to 3 images enhancing resilience? [y/n]: [n]",
    );
    const before = disks.map((d) => d.inner.stats.writeOps);
    expect(ok(host, "lvconvert -y -m2 vg0/r").stdout).toContain(
      "Logical volume vg0/r successfully converted.",
    );
    const raid = liveRaidOf(host, "vg0", "r")!;
    expect(raid.legHealth()).toBe("AAa");
    expect(raid.syncAction).toBe("recover");
    expect(raid.table()).toMatch(/raid1 5 0 rebuild 2 region_size 1024 3 /);
    expect(lvsRows(host, "lv_name,lv_attr,raid_sync_action").get("[r_rimage_2]")?.[1]).toBe("Iwi-aor---");
    host.scheduler.run();
    expect(raid.legHealth()).toBe("AAA");
    expect(firstDiff(readBytes(raid.legs[2]!.device, MiB, data.byteLength), data)).toBe(-1);
    // Legs 0 and 1 only got superblock/bitmap writes, never a region copy.
    const after = disks.map((d, i) => d.inner.stats.writeOps - before[i]!);
    expect(after[0]).toBeLessThan(64);
    expect(after[1]).toBeLessThan(64);
    expect(lvsRows(host, "lv_name,devices").get("[r_rimage_2]")?.[1]).toBe("/dev/loop2(1)");
    // The REBUILD flags were committed away after the first reload.
    expect(vgModel(host).lvs.filter((l) => l.status.includes("REBUILD"))).toEqual([]);
  });

  it("removes the highest leg, or the one on the PV given, renaming the legs above it", () => {
    const { host } = setup(
      "lvcreate --type raid1 -m2 -L 8M -R 512k -n r vg0 /dev/loop0 /dev/loop1 /dev/loop2",
    );
    const data = writeData(host);
    ok(host, "lvconvert -y -m1 vg0/r /dev/loop1");
    const rows = lvsRows(host, "lv_name,devices");
    expect(rows.get("r")?.[1]).toBe("r_rimage_0(0),r_rimage_1(0)");
    expect(rows.get("[r_rimage_1]")?.[1]).toBe("/dev/loop2(1)");
    expect(rows.get("[r_rmeta_1]")?.[1]).toBe("/dev/loop2(0)");
    expect(rows.has("[r_rimage_2]")).toBe(false);
    const raid = liveRaidOf(host, "vg0", "r")!;
    expect(raid.legHealth()).toBe("AA");
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "r"), MiB, data.byteLength), data)).toBe(-1);
    expect(fails(host, "lvconvert -m0 vg0/r").stderr).toContain(
      'Logical volume vg0/r NOT converted to "linear".',
    );
    ok(host, "lvconvert -y -m0 vg0/r");
    expect(lvsRows(host, "lv_name,segtype,devices").get("r")).toEqual(["r", "linear", "/dev/loop0(1)"]);
    expect([...lvsRows(host, "lv_name").keys()]).toEqual(["r"]);
    expect(deviceMapperOf(host).names()).toEqual(["vg0-r"]);
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "r"), MiB, data.byteLength), data)).toBe(-1);
  });

  it("refuses as LVM2 does: nosync, initializing, unchanged count, inactive", () => {
    const { host } = setup("lvcreate --type raid1 --nosync -L 8M -n r vg0");
    expect(fails(host, "lvconvert -y -m2 vg0/r").stderr).toContain(
      "Can't add image to out-of-sync RAID LV: use 'lvchange --resync' first.",
    );
    ok(host, "lvcreate -m1 -L 8M -n s vg0");
    expect(fails(host, "lvconvert -y -m2 vg0/s").stderr).toContain(
      "Can't add image to RAID LV that is still initializing.",
    );
    const same = ok(host, "lvconvert -y -m1 vg0/s");
    expect(same.stderr).toContain("WARNING: vg0/s already has image count of 2.");
    ok(host, "lvchange -an vg0/s");
    expect(fails(host, "lvconvert -y -m2 vg0/s").stderr).toContain(
      "vg0/s must be active to perform this operation.",
    );
  });

  it("a plain -m on a linear LV builds raid1, as mirror_segtype_default says", () => {
    const { host } = setup("lvcreate -L 8M -n lin vg0");
    const data = writeData(host, "lin");
    ok(host, "lvconvert -y -m1 vg0/lin");
    expect(lvsRows(host, "lv_name,segtype").get("lin")).toEqual(["lin", "raid1"]);
    host.scheduler.run();
    expect(
      firstDiff(readBytes(liveRaidOf(host, "vg0", "lin")!.legs[1]!.device, MiB, data.byteLength), data),
    ).toBe(-1);
  });
});

describe("lvconvert --splitmirrors on raid1", () => {
  it("keeps the last leg as a new linear LV with the data, and refuses while out of sync", () => {
    const { host } = setup("lvcreate --type raid1 -m2 -L 8M -R 512k -n r vg0");
    const data = writeData(host);
    expect(fails(host, "lvconvert --splitmirrors 1 vg0/r").stderr).toContain(
      "Please name the new logical volume using '--name'",
    );
    ok(host, "lvconvert --splitmirrors 1 --name copy vg0/r");
    expect(lvsRows(host, "lv_name,segtype,devices").get("copy")).toEqual(["copy", "linear", "/dev/loop2(1)"]);
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "copy"), MiB, data.byteLength), data)).toBe(-1);
    expect(liveRaidOf(host, "vg0", "r")!.legHealth()).toBe("AA");
    expect(fails(host, "lvconvert --splitmirrors 1 -n copy vg0/r").stderr).toContain(
      'Logical Volume "copy" already exists in vg0.',
    );
    expect(fails(host, "lvconvert --splitmirrors 1 -n c2 vg0/r").stdout).toContain(
      "Are you sure you want to split raid1 LV vg0/r losing all resilience? [y/n]: [n]",
    );
    ok(host, "lvcreate -m1 -L 8M -n young vg0");
    expect(fails(host, "lvconvert --splitmirrors 1 -n c3 vg0/young").stderr).toContain(
      "Unable to split vg0/young while it is not in-sync.",
    );
  });
});

describe("lvconvert --type raid1 on a mirror", () => {
  it("keeps the data in place, adds rmetas on the images' PVs, drops the log and copies nothing", () => {
    const { host, disks } = setup("lvcreate --type mirror -m1 -L 8M -n m vg0");
    const data = writeData(host, "m");
    expect(fails(host, "lvconvert --type raid1 vg0/m").stdout).toContain(
      "Are you sure you want to convert mirror LV vg0/m to raid1 type? [y/n]: [n]",
    );
    const before = disks.map((d) => d.inner.stats.writeOps);
    ok(host, "lvconvert -y --type raid1 vg0/m");
    const raid = liveRaidOf(host, "vg0", "m")!;
    expect(raid.table()).toMatch(/raid1 4 0 nosync region_size 4096 2 /);
    expect(raid.syncAction).toBe("idle");
    expect(raid.legHealth()).toBe("AA");
    const rows = lvsRows(host, "lv_name,segtype,devices,region_size");
    expect(rows.get("m")?.slice(0, 2)).toEqual(["m", "raid1"]);
    expect(rows.get("[m_rimage_0]")?.[2]).toBe("/dev/loop0(0)");
    expect(rows.get("[m_rmeta_0]")?.[2]).toBe("/dev/loop0(2)");
    expect(rows.get("[m_rmeta_1]")?.[2]).toBe("/dev/loop1(2)");
    expect(rows.has("[m_mlog]")).toBe(false);
    host.scheduler.run();
    const written = disks.map((d, i) => d.inner.stats.writeOps - before[i]!);
    expect(Math.max(...written)).toBeLessThan(64);
    for (const leg of raid.legs)
      expect(firstDiff(readBytes(leg!.device, MiB, data.byteLength), data)).toBe(-1);
  });
});

describe("lvextend of raid1", () => {
  it("grows every image and resyncs only the new part; --nosync skips it", () => {
    const { host } = setup("lvcreate -m1 -L 8M -R 1M -n r vg0");
    writeData(host);
    const regions: number[] = [];
    host.trace.subscribe((e) => {
      if (e.name === "raid.resync.step") regions.push(Number(e.data?.region));
    });
    const out = ok(host, "lvextend -L +4M vg0/r").stdout;
    expect(out).toContain("Extending 2 mirror images.");
    expect(lvsRows(host, "lv_name,raid_sync_action,copy_percent").get("r")).toEqual(["r", "resync", "66.67"]);
    host.scheduler.run();
    expect(regions).toEqual([8, 9, 10, 11]);
    const raid = liveRaidOf(host, "vg0", "r")!;
    expect(raid.inSync).toBe(true);
    expect(lvsRows(host, "lv_name,lv_size,devices").get("[r_rimage_1]")).toEqual([
      "[r_rimage_1]",
      "12.00m",
      "/dev/loop1(1)",
    ]);
    regions.length = 0;
    ok(host, "lvextend --nosync -L +4M vg0/r");
    expect(liveRaidOf(host, "vg0", "r")!.syncAction).toBe("idle");
    host.scheduler.run();
    expect(regions).toEqual([]);
    expect(lvsRows(host, "lv_name,lv_attr").get("r")?.[1]).toBe("Rwi-a-r---");
    ok(host, "lvchange -an vg0/r");
    const refused = fails(host, "lvextend -L +4M vg0/r");
    expect(refused.stderr).toContain("Unable to read sync percent while LV vg0/r is not locally active.");
  });
});
