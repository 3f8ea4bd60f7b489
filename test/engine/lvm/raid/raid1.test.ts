/**
 * raid1 end to end on an in-memory machine: lvcreate builds it, activation loads the dm raid target,
 * the initial resync runs, writes set bitmap bits before data, the daemon clears them lazily, a lost
 * leg is recorded as failed and the set keeps working, and reads are balanced across the legs.
 */
import { describe, expect, it } from "vitest";
import { decodeBitmapSuperblock, decodeSuperblock } from "../../../../engine/dm/raid/rmeta-format.js";
import { liveRaidOf } from "../../../../engine/lvm/raid/kernel.js";
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
});
