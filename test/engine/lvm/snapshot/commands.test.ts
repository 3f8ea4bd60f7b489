import { describe, expect, it } from "vitest";
import { isBlockDeviceError } from "../../../../engine/block/errors.js";
import { deviceMapperOf } from "../../../../engine/lvm/activation/activate.js";
import { Host } from "../../../../engine/lvm/host.js";
import { setLvOpen } from "../../../../engine/lvm/snapshot/merge.js";
import { findLv } from "../../../../engine/metadata/model.js";
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

const FIELDS = "lv_attr,origin,snap_percent,devices";

function setup() {
  const made = pullableHost(2);
  // vg0 lives on loop0 alone so a test can build a second VG on loop1.
  ok(made.host, "pvcreate /dev/loop0 /dev/loop1");
  ok(made.host, "vgcreate vg0 /dev/loop0");
  ok(made.host, "lvcreate -L 8M -n lv0 vg0");
  return made;
}

describe("lvcreate -s", () => {
  it("checks the chunk size and the three-chunk minimum with LVM2's messages", () => {
    const { host } = setup();
    expect(fails(host, "lvcreate -s -c 2k -L 4M -n s vg0/lv0").stderr).toContain(
      "Chunk size must be a power of 2 in the range 4K to 512K.",
    );
    expect(fails(host, "lvcreate -s -c 1024k -L 4M -n s vg0/lv0").stderr).toContain(
      "Chunk size must be a power of 2 in the range 4K to 512K.",
    );
    expect(fails(host, "lvcreate -s -c 48k -L 4M -n s vg0/lv0").stderr).toContain("power of 2");
    ok(host, "vgcreate -s 1M vg1 /dev/loop1");
    ok(host, "lvcreate -L 4M -n lv1 vg1");
    expect(fails(host, "lvcreate -s -c 512k -L 1M -n s vg1/lv1").stderr).toContain(
      "Snapshot volume cannot be smaller than 3 chunks (2 extents, 1.50 MiB).",
    );
    expect(ok(host, "lvcreate -s -c 512k -L 4M -n s vg0/lv0").stdout).toContain(
      'Logical volume "s" created.',
    );
    expect(ok(host, "lvs --noheadings -o chunk_size vg0/s").stdout.trim()).toBe("512.00k");
  });

  it("caps the COW at the most the origin can use", () => {
    const { host } = setup();
    const out = ok(host, "lvcreate -s -L 40M -n s vg0/lv0").stdout;
    expect(out).toContain("Reducing COW size 40.00 MiB down to maximum usable size");
    // 8 MiB origin, 4 KiB chunks: 1 header + 2048 data + 9 area chunks = 8.04 MiB → 3 extents.
    expect(findLv(vgModel(host), "s")!.segments[0]!.extentCount).toBe(3);
  });

  it("wipes the COW start, reports origin and snapshot attrs and keeps the old data for the snapshot", () => {
    const { host } = setup();
    const old = pattern(3, 8 * MiB);
    lvDevice(host, "vg0", "lv0").write(0, old);
    ok(host, "lvcreate -s -L 4M -n snap vg0/lv0");
    let rows = lvsRows(host, FIELDS);
    expect(rows.get("lv0")?.[0]).toBe("owi-a-s---");
    expect(rows.get("snap")?.slice(0, 3)).toEqual(["swi-a-s---", "lv0", "0.00"]);
    const fresh = pattern(4, 64 * 1024);
    lvDevice(host, "vg0", "lv0").write(MiB, fresh);
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "lv0"), MiB, fresh.byteLength), fresh)).toBe(-1);
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "snap"), 0, old.byteLength), old)).toBe(-1);
    rows = lvsRows(host, FIELDS);
    // 16 data chunks + header + one area = 18 of 8192 sectors... as 4 KiB chunks: (18 × 8) / 8192.
    expect(Number(rows.get("snap")?.[2])).toBeCloseTo((100 * 18 * 8) / 8192, 2);
  });

  it("gives several snapshots of one origin each their own point in time; a writable snapshot leaves the origin alone", () => {
    const { host } = setup();
    const v1 = pattern(5, MiB);
    const v2 = pattern(6, MiB);
    const lv0 = lvDevice(host, "vg0", "lv0");
    lv0.write(0, v1);
    ok(host, "lvcreate -s -L 4M -n s1 vg0/lv0");
    lvDevice(host, "vg0", "lv0").write(0, v2);
    ok(host, "lvcreate -s -L 4M -n s2 vg0/lv0");
    lvDevice(host, "vg0", "lv0").write(0, pattern(7, MiB));
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "s1"), 0, MiB), v1)).toBe(-1);
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "s2"), 0, MiB), v2)).toBe(-1);
    const mine = pattern(8, 4096);
    lvDevice(host, "vg0", "s1").write(2 * MiB, mine);
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "s1"), 2 * MiB, 4096), mine)).toBe(-1);
    expect(readBytes(lvDevice(host, "vg0", "lv0"), 2 * MiB, 4096)).toEqual(new Uint8Array(4096));
    expect(lvsRows(host, "lv_attr").get("s2")?.[0]).toBe("swi-a-s---");
  });

  it("invalidates an overflowing snapshot (attr I, Snap% 100.00 as real LVM2 shows, reads EIO) while the origin keeps working", () => {
    const { host } = setup();
    ok(host, "lvcreate -s -l 1 -n snap vg0/lv0");
    const data = pattern(9, 8 * MiB);
    lvDevice(host, "vg0", "lv0").write(0, data);
    const rows = lvsRows(host, FIELDS);
    expect(rows.get("snap")?.slice(0, 3)).toEqual(["swi-I-s---", "lv0", "100.00"]);
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "lv0"), 0, data.byteLength), data)).toBe(-1);
    let error: unknown;
    try {
      readBytes(lvDevice(host, "vg0", "snap"), 0, 4096);
    } catch (e) {
      error = e;
    }
    expect(isBlockDeviceError(error) && error.code).toBe("EIO");
    expect(fails(host, "lvconvert --merge vg0/snap").stderr).toContain(
      "Unable to merge invalidated snapshot LV vg0/snap.",
    );
    ok(host, "lvremove -f vg0/snap");
    expect(lvsRows(host, "lv_attr").get("lv0")?.[0]).toBe("-wi-a-----");
    expect(deviceMapperOf(host).names()).toEqual(["vg0-lv0"]);
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "lv0"), 0, data.byteLength), data)).toBe(-1);
  });
});

describe("lvconvert --merge", () => {
  it("merges step by step on the scheduler, shows O while merging and removes the snapshot at the end", () => {
    const { host } = setup();
    const old = pattern(10, 8 * MiB);
    lvDevice(host, "vg0", "lv0").write(0, old);
    ok(host, "lvcreate -s -L 4M -n snap vg0/lv0");
    lvDevice(host, "vg0", "lv0").write(0, pattern(11, 2 * MiB));
    const steps: number[] = [];
    host.trace.subscribe((event) => {
      if (event.name === "snapshot.merge.step") steps.push(event.index);
    });
    const out = ok(host, "lvconvert -b --merge vg0/snap").stdout;
    expect(out).toContain("Merging of volume vg0/snap started.");
    expect(lvsRows(host, "lv_attr").get("lv0")?.[0]).toBe("Owi-a-s---");
    expect(lvsRows(host, "lv_attr").get("[snap]")?.[0]).toBe("Swi-a-s---");
    host.scheduler.run();
    expect(steps.length).toBeGreaterThan(0);
    const rows = lvsRows(host, FIELDS);
    expect([...rows.keys()]).toEqual(["lv0"]);
    expect(rows.get("lv0")?.[0]).toBe("-wi-a-----");
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "lv0"), 0, old.byteLength), old)).toBe(-1);
  });

  it("in the foreground (no -b) waits for the merge and prints how it ended", () => {
    const { host } = setup();
    const old = pattern(12, 8 * MiB);
    lvDevice(host, "vg0", "lv0").write(0, old);
    ok(host, "lvcreate -s -L 4M -n snap vg0/lv0");
    lvDevice(host, "vg0", "lv0").write(0, pattern(13, MiB));
    const out = ok(host, "lvconvert --merge vg0/snap").stdout.split("\n").filter(Boolean);
    expect(out).toEqual([
      "  Merging of volume vg0/snap started.",
      "  vg0/lv0: Merged: 100.00%",
      "  Merge of snapshot into logical volume lv0 has finished.",
      '  Logical volume "snap" successfully removed.',
    ]);
    expect([...lvsRows(host, "lv_attr").keys()]).toEqual(["lv0"]);
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "lv0"), 0, old.byteLength), old)).toBe(-1);
  });

  it("delays the merge to the next activation when the origin is open, or when it is inactive", () => {
    const { host } = setup();
    ok(host, "lvcreate -s -L 4M -n snap vg0/lv0");
    setLvOpen(host, findLv(vgModel(host), "lv0")!.id, true);
    const out = ok(host, "lvconvert --merge vg0/snap").stdout;
    expect(out).toContain("Delaying merge since origin is open.");
    expect(out).toContain("Merging of snapshot vg0/snap will occur on next activation of vg0/lv0.");
    host.scheduler.run();
    expect(lvsRows(host, "lv_attr").get("lv0")?.[0]).toBe("Owi-a-s---");
    ok(host, "vgchange -an vg0");
    ok(host, "vgchange -ay vg0");
    host.scheduler.run();
    expect([...lvsRows(host, "lv_attr").keys()]).toEqual(["lv0"]);
  });
});

describe("snapshots across deactivation and reboot", () => {
  it("keep their exceptions on disk: the snapshot reads the old data after vgchange -an/-ay and on a fresh Host", () => {
    const { host, disks } = setup();
    const old = pattern(30, 8 * MiB);
    lvDevice(host, "vg0", "lv0").write(0, old);
    ok(host, "lvcreate -s -L 8M -n snap vg0/lv0");
    lvDevice(host, "vg0", "lv0").write(MiB, pattern(31, 2 * MiB));
    ok(host, "vgchange -an vg0");
    ok(host, "vgchange -ay vg0");
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "snap"), 0, old.byteLength), old)).toBe(-1);
    const rebooted = new Host({ devices: disks.map((d) => [d.name, d] as const), seed: "reboot" });
    ok(rebooted, "vgchange -ay vg0");
    expect(firstDiff(readBytes(lvDevice(rebooted, "vg0", "snap"), 0, old.byteLength), old)).toBe(-1);
    expect(Number(lvsRows(rebooted, "snap_percent").get("snap")?.[0])).toBeGreaterThan(0);
  });

  it("of a mirrored origin: the mirror under the origin resyncs and the snapshot keeps its view", () => {
    const made = pullableHost(3);
    const { host } = made;
    ok(host, "pvcreate /dev/loop0 /dev/loop1 /dev/loop2");
    ok(host, "vgcreate vg0 /dev/loop0 /dev/loop1 /dev/loop2");
    ok(host, "lvcreate --type mirror -m1 -L 8M -n mir vg0");
    ok(host, "lvcreate -s -L 4M -n snap vg0/mir");
    host.scheduler.run();
    const rows = lvsRows(host, "lv_attr,copy_percent,origin");
    // lv_attr_dup: the mirror target type wins over the origin's s in the 7th column.
    expect(rows.get("mir")).toEqual(["owi-a-m---", "100.00", ""]);
    expect(rows.get("snap")).toEqual(["swi-a-s---", "", "mir"]);
    const old = readBytes(lvDevice(host, "vg0", "mir"), 0, MiB);
    lvDevice(host, "vg0", "mir").write(0, pattern(32, MiB));
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "snap"), 0, MiB), old)).toBe(-1);
    expect(lvDevice(host, "vg0", "mir", "real").table()).toContain("mirror disk 2 vg0-mir_mlog");
  });
});

describe("lvremove of an origin", () => {
  it("asks first, and with -f removes its snapshots, then the origin, and every table", () => {
    const { host } = setup();
    ok(host, "lvcreate -s -L 4M -n s1 vg0/lv0");
    ok(host, "lvcreate -s -L 4M -n s2 vg0/lv0");
    const refused = fails(host, "lvremove vg0/lv0");
    expect(refused.stdout).toContain(
      "Do you really want to remove active origin logical volume vg0/lv0 with 2 snapshots(s)? [y/n]: [n]",
    );
    expect(refused.stderr).toContain("Logical volume vg0/lv0 not removed.");
    const out = ok(host, "lvremove -f vg0/lv0").stdout.split("\n").filter(Boolean);
    expect(out).toEqual([
      '  Logical volume "s1" successfully removed.',
      '  Logical volume "s2" successfully removed.',
      '  Logical volume "lv0" successfully removed.',
    ]);
    expect(vgModel(host).lvs).toEqual([]);
    expect(deviceMapperOf(host).names()).toEqual([]);
  });
});
