/**
 * raid1 end to end on an in-memory machine: lvcreate builds it, activation loads the dm raid target,
 * the initial resync runs, writes set bitmap bits before data, the daemon clears them lazily, a lost
 * leg is recorded as failed and the set keeps working, and reads are balanced across the legs.
 */
import { describe, expect, it } from "vitest";
import { decodeBitmapSuperblock, decodeSuperblock } from "../../../../engine/dm/raid/rmeta-format.js";
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

describe("raid1", () => {
  it("is what a plain -m builds, and mirror_segtype_default=mirror gives the old mirror", () => {
    const { host } = setup();
    expect(lvsRows(host, "lv_name,segtype,lv_attr").get("r")).toEqual(["r", "raid1", "rwi-a-r---"]);
    ok(host, `lvcreate -m1 -L 4M -n old --config global/mirror_segtype_default="mirror" vg0`);
    expect(lvsRows(host, "lv_name,segtype").get("old")).toEqual(["old", "mirror"]);
  });

  it("resyncs a new set fully, then reports AA idle at 100%", () => {
    const { host } = setup();
    const raid = liveRaidOf(host, "vg0", "r")!;
    expect(raid.table()).toMatch(/raid raid1 3 0 region_size 1024 2 /);
    expect(raid.legHealth()).toBe("aa");
    expect(raid.syncAction).toBe("resync");
    host.scheduler.run();
    expect(raid.status()).toMatch(/raid1 2 AA 16384\/16384 idle 0 0 -$/);
    expect(lvsRows(host, "lv_name,copy_percent,raid_sync_action").get("r")).toEqual(["r", "100.00", "idle"]);
  });

  it("sets a region's bit on disk before the data and clears it lazily after a flush", () => {
    const { host, disks } = setup();
    const raid = liveRaidOf(host, "vg0", "r")!;
    host.scheduler.run();
    expect(raid.dirtyRegions()).toEqual([]);
    const lv = lvDevice(host, "vg0", "r");
    lv.write(3 * 512 * 1024, pattern(1, 4096), { issueNs: host.scheduler.nowNs });
    expect(raid.dirtyRegions()).toEqual([3]);
    // rmeta_0 is the first extent of pv0: the bitmap byte 0 has bit 3 set.
    const area = readBytes(disks[0]!, 1024 * 1024 + 4096, 512);
    expect(decodeBitmapSuperblock(area.subarray(0, 256)).chunkSizeBytes).toBe(512 * 1024);
    expect(area[256]! & 0x08).toBe(0x08);
    host.scheduler.run();
    expect(raid.dirtyRegions()).toEqual([]);
  });

  it("keeps working when a leg is lost, records it in the superblock, and reads from the survivor", () => {
    const { host, disks } = setup("lvcreate -m1 -L 8M --nosync -n r vg0");
    const lv = lvDevice(host, "vg0", "r");
    const data = pattern(7, 64 * 1024);
    disks[1]!.pulled = true;
    lv.write(MiB, data, { issueNs: host.scheduler.nowNs });
    const raid = liveRaidOf(host, "vg0", "r")!;
    expect(raid.legHealth()).toBe("AD");
    expect(readBytes(lv, MiB, data.byteLength)).toEqual(data);
    const sb = decodeSuperblock(readBytes(disks[0]!, MiB, 512))!;
    expect(sb.failedDevices).toEqual([1]);
    expect(lvsRows(host, "lv_name,lv_attr,lv_health_status").get("r")).toEqual([
      "r",
      "Rwi-a-r-r-",
      "refresh needed",
    ]);
  });

  it("keeps a sequential stream on one leg (read_balance's stick-to-sequential)", () => {
    const { host, disks } = setup("lvcreate -m1 -L 8M --nosync -n r vg0");
    const lv = lvDevice(host, "vg0", "r");
    const legs = disks.map((d) => d.inner.stats.readOps);
    const buf = new Uint8Array(4096);
    for (let i = 0; i < 64; i++) lv.read(i * 4096, buf, { issueNs: 1_000_000_000 + i });
    const after = disks.map((d, i) => d.inner.stats.readOps - legs[i]!);
    expect(after[0]! + after[1]!).toBe(64);
    expect(Math.min(after[0]!, after[1]!)).toBe(0);
  });

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
