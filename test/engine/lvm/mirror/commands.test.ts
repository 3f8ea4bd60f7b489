import { describe, expect, it } from "vitest";
import { SECTOR_BYTES } from "../../../../engine/block/device.js";
import { MIRROR_LOG_MAGIC } from "../../../../engine/dm/mirror/region-log.js";
import { deviceMapperOf } from "../../../../engine/lvm/activation/activate.js";
import { MUTATION_MIRROR_SKIP_LOG_RESET } from "../../../../engine/lvm/mirror/log-init.js";
import { findLv, findPv } from "../../../../engine/metadata/model.js";
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
} from "./helpers.js";

const FIELDS = "lv_attr,copy_percent,mirror_log,devices";

/** Bytes of LV `lv`'s first segment area on its PV, read straight from the disk. */
function onDisk(host: ReturnType<typeof pullableHost>["host"], lv: string, lengthBytes: number): Uint8Array {
  const vg = vgModel(host);
  const seg = findLv(vg, lv)!.segments[0]!;
  if (seg.type !== "striped" || seg.areas[0]?.kind !== "pv") throw new Error(`${lv} is not on a PV`);
  const pv = findPv(vg, seg.areas[0].pv)!;
  const offset = (pv.peStartSectors + seg.areas[0].pe * vg.extentSizeSectors) * SECTOR_BYTES;
  return readBytes(host.device(pv.deviceHint)!, offset, lengthBytes);
}

function setup(disks = 3) {
  const made = pullableHost(disks);
  const names = made.disks.map((d) => d.name).join(" ");
  ok(made.host, `pvcreate ${names}`);
  ok(made.host, `vgcreate vg0 ${names}`);
  return made;
}

describe("lvcreate --type mirror", () => {
  it("initialises the disk log, resyncs in the background and reports Cpy%Sync and lv_attr as LVM2 does", () => {
    const { host } = setup();
    ok(host, "lvcreate --type mirror -m1 -L 8M -n mir vg0");
    // _init_mirror_log: zeroed log (every region dirty) with the dm-log header at byte 0.
    const log = onDisk(host, "mir_mlog", 2048);
    const view = new DataView(log.buffer);
    expect(view.getUint32(0, true)).toBe(MIRROR_LOG_MAGIC);
    expect(view.getUint32(4, true)).toBe(2);
    let rows = lvsRows(host, FIELDS);
    expect(rows.get("mir")).toEqual(["mwi-a-m---", "0.00", "[mir_mlog]", "mir_mimage_0(0),mir_mimage_1(0)"]);
    expect(rows.get("[mir_mimage_0]")?.[0]).toBe("Iwi-aom---");
    expect(rows.get("[mir_mlog]")?.[0]).toBe("lwi-aom---");
    host.scheduler.run();
    rows = lvsRows(host, FIELDS);
    expect(rows.get("mir")?.slice(0, 2)).toEqual(["mwi-a-m---", "100.00"]);
    expect(rows.get("[mir_mimage_1]")?.[0]).toBe("iwi-aom---");
  });

  it("--nosync writes an all-clean log, sets NOTSYNCED (M) and is in sync at once", () => {
    const { host } = setup();
    const result = ok(host, "lvcreate --type mirror -m1 --nosync -L 8M -n mir vg0");
    expect(result.stderr).toContain("New mirror won't be synchronised");
    // Activation resumed the log: the 4 regions stay clean, bits past region_count are cleared.
    expect(onDisk(host, "mir_mlog", 4096).subarray(1024, 1028)).toEqual(new Uint8Array([0x0f, 0, 0, 0]));
    ok(host, "lvcreate --type mirror -m1 --nosync -an -L 8M -n cold vg0");
    expect(onDisk(host, "cold_mlog", 4096).subarray(16, 4096)).toEqual(new Uint8Array(4080).fill(0xff));
    expect(lvsRows(host, FIELDS).get("mir")?.slice(0, 2)).toEqual(["Mwi-a-m---", "100.00"]);
  });

  it("--mirrorlog core has no log LV and a core-log table", () => {
    const { host } = setup();
    ok(host, "lvcreate --type mirror -m1 --mirrorlog core -L 8M -n mir vg0");
    const rows = lvsRows(host, FIELDS);
    expect(rows.has("[mir_mlog]")).toBe(false);
    expect(rows.get("mir")?.[2]).toBe("");
    expect(lvDevice(host, "vg0", "mir").table()).toMatch(/^0 16384 mirror core 1 4096 2 /);
  });
});

describe("lvconvert -m and --mirrorlog", () => {
  it("keeps the data through linear → 3-way mirror → 2-way → linear, with identical legs after resync", () => {
    const { host } = setup(4);
    ok(host, "lvcreate -L 8M -n lv0 vg0");
    const data = pattern(7, 8 * MiB);
    lvDevice(host, "vg0", "lv0").write(0, data);
    // A plain -m on a linear LV builds raid1 (mirror_segtype_default); --type mirror the old mirror.
    ok(host, "lvconvert --type mirror -m1 vg0/lv0");
    expect(lvsRows(host, FIELDS).get("lv0")?.[0]).toBe("mwi-a-m---");
    host.scheduler.run();
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "lv0_mimage_1"), 0, data.byteLength), data)).toBe(-1);
    ok(host, "lvconvert -m2 vg0/lv0");
    host.scheduler.run();
    const rows = lvsRows(host, FIELDS);
    expect(rows.get("lv0")?.slice(0, 2)).toEqual(["mwi-a-m---", "100.00"]);
    expect(rows.get("lv0")?.[3]).toBe("lv0_mimage_0(0),lv0_mimage_1(0),lv0_mimage_2(0)");
    for (const leg of ["lv0_mimage_0", "lv0_mimage_1", "lv0_mimage_2"]) {
      expect(firstDiff(readBytes(lvDevice(host, "vg0", leg), 0, data.byteLength), data), leg).toBe(-1);
    }
    ok(host, "lvconvert -m1 vg0/lv0");
    expect(lvsRows(host, FIELDS).has("[lv0_mimage_2]")).toBe(false);
    ok(host, "lvconvert -m0 vg0/lv0");
    const linear = lvsRows(host, FIELDS);
    expect(linear.get("lv0")?.[0]).toBe("-wi-a-----");
    expect([...linear.keys()]).toEqual(["lv0"]);
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "lv0"), 0, data.byteLength), data)).toBe(-1);
    expect(deviceMapperOf(host).names()).toEqual(["vg0-lv0"]);
  });

  it("swaps the log between disk and core", () => {
    const { host } = setup();
    ok(host, "lvcreate --type mirror -m1 -L 8M -n mir vg0");
    host.scheduler.run();
    ok(host, "lvconvert --mirrorlog core vg0/mir");
    expect(lvsRows(host, FIELDS).has("[mir_mlog]")).toBe(false);
    expect(lvDevice(host, "vg0", "mir").table()).toContain("mirror core");
    ok(host, "lvconvert --mirrorlog disk vg0/mir");
    expect(lvsRows(host, FIELDS).get("mir")?.[2]).toBe("[mir_mlog]");
    expect(lvDevice(host, "vg0", "mir").table()).toContain("mirror disk 2 vg0-mir_mlog");
  });

  it("refuses more than 8 images and unknown log types", () => {
    const { host } = setup();
    ok(host, "lvcreate -L 4M -n lv0 vg0");
    expect(fails(host, "lvconvert --type mirror -m8 vg0/lv0").stderr).toContain("2 to 8");
    expect(fails(host, "lvconvert --mirrorlog mirrored vg0/lv0").stderr).toContain("Unknown mirrorlog type");
  });
});

describe("a failed leg", () => {
  function failedMirror(disks: number) {
    const made = setup(disks);
    const { host } = made;
    ok(host, "lvcreate --type mirror -m1 -L 8M -n mir vg0 /dev/loop0 /dev/loop1 /dev/loop2");
    host.scheduler.run();
    const before = pattern(1, 4 * MiB);
    const mir = lvDevice(host, "vg0", "mir");
    mir.write(0, before);
    made.disks[1]!.pulled = true;
    // The mirror keeps serving I/O: the write lands on the surviving leg and the leg is marked failed.
    const after = pattern(2, 4 * MiB);
    mir.write(4 * MiB, after);
    expect(firstDiff(readBytes(mir, 0, 4 * MiB), before)).toBe(-1);
    expect(firstDiff(readBytes(mir, 4 * MiB, 4 * MiB), after)).toBe(-1);
    const expected = new Uint8Array(8 * MiB);
    expected.set(before, 0);
    expected.set(after, 4 * MiB);
    return { ...made, expected };
  }

  it("under the default remove policy turns a 2-leg mirror linear, keeping every byte", () => {
    const { host, expected } = failedMirror(3);
    expect(lvsRows(host, "lv_attr").get("mir")?.[0]).toBe("mwi-a-m-p-");
    const result = ok(host, "lvconvert --repair --use-policies vg0/mir");
    expect(result.stdout).toContain("Mirror status: 1 of 2 images failed.");
    const rows = lvsRows(host, FIELDS);
    expect(rows.get("mir")?.[0]).toBe("-wi-a-----");
    expect(rows.get("mir")?.[3]).toBe("/dev/loop0(0)");
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "mir"), 0, expected.byteLength), expected)).toBe(-1);
    ok(host, "vgreduce --removemissing vg0");
    expect(vgModel(host).pvs.map((pv) => pv.deviceHint)).toEqual(["/dev/loop0", "/dev/loop2"]);
  });

  it("under allocate gets a new leg on a free PV, resyncs, and ends with identical legs", () => {
    const { host, expected } = failedMirror(4);
    ok(
      host,
      `lvconvert --repair --use-policies --config activation{mirror_image_fault_policy="allocate"} vg0/mir`,
    );
    let rows = lvsRows(host, FIELDS);
    // generate_lv_name takes one above the highest image left, so the new leg reuses the name _mimage_1.
    expect(rows.get("mir")?.[3]).toBe("mir_mimage_0(0),mir_mimage_1(0)");
    expect(["/dev/loop2(0)", "/dev/loop3(0)"]).toContain(rows.get("[mir_mimage_1]")?.[3]);
    host.scheduler.run();
    rows = lvsRows(host, FIELDS);
    expect(rows.get("mir")?.slice(0, 2)).toEqual(["mwi-a-m---", "100.00"]);
    expect(
      firstDiff(readBytes(lvDevice(host, "vg0", "mir_mimage_0"), 0, expected.byteLength), expected),
    ).toBe(-1);
    expect(
      firstDiff(readBytes(lvDevice(host, "vg0", "mir_mimage_1"), 0, expected.byteLength), expected),
    ).toBe(-1);
  });

  it("says a healthy mirror is consistent", () => {
    const { host } = setup();
    ok(host, "lvcreate --type mirror -m1 -L 8M -n mir vg0");
    expect(ok(host, "lvconvert --repair vg0/mir").stdout).toContain(
      "Volume vg0/mir is consistent. Nothing to repair.",
    );
  });

  it("vgreduce --removemissing --force drops the missing leg of a mirror instead of the whole LV", () => {
    const { host, expected } = failedMirror(3);
    ok(host, "vgreduce --removemissing --force vg0");
    const rows = lvsRows(host, FIELDS);
    expect(rows.get("mir")?.[0]?.slice(0, 1)).toBe("-");
    expect([...rows.keys()]).toEqual(["mir"]);
    ok(host, "vgchange -an vg0");
    ok(host, "vgchange -ay vg0");
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "mir"), 0, expected.byteLength), expected)).toBe(-1);
  });
});

describe("activation and removal", () => {
  it("vgchange -an suspends and removes mirror tables; -ay rebuilds them from the disk log", () => {
    const { host } = setup();
    ok(host, "lvcreate --type mirror -m1 -L 8M -n mir vg0");
    host.scheduler.run();
    ok(host, "vgchange -an vg0");
    expect(deviceMapperOf(host).names()).toEqual([]);
    expect(lvsRows(host, "lv_attr").get("mir")?.[0]).toBe("mwi---m---");
    ok(host, "vgchange -ay vg0");
    // The disk log remembered every region clean: no resync needed.
    expect(lvsRows(host, "copy_percent").get("mir")?.[0]).toBe("100.00");
    ok(host, "lvremove -f vg0/mir");
    expect(deviceMapperOf(host).names()).toEqual([]);
    expect(vgModel(host).lvs).toEqual([]);
  });
});

describe("the leg checks can fail", () => {
  it("catch an up-conversion that keeps the old in-sync log, leaving the new leg unsynced", () => {
    const made = pullableHost(4, { mutations: new Set([MUTATION_MIRROR_SKIP_LOG_RESET]) });
    const { host } = made;
    ok(host, "pvcreate /dev/loop0 /dev/loop1 /dev/loop2 /dev/loop3");
    ok(host, "vgcreate vg0 /dev/loop0 /dev/loop1 /dev/loop2 /dev/loop3");
    ok(host, "lvcreate --type mirror -m1 -L 8M -n mir vg0");
    host.scheduler.run();
    const data = pattern(12, 8 * MiB);
    lvDevice(host, "vg0", "mir").write(0, data);
    ok(host, "lvconvert -m2 vg0/mir");
    host.scheduler.run();
    expect(lvsRows(host, FIELDS).get("mir")?.[1]).toBe("100.00");
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "mir_mimage_2"), 0, data.byteLength), data)).not.toBe(
      -1,
    );
  });
});

describe("a failed disk log", () => {
  function failedLog() {
    const made = setup(4);
    const { host } = made;
    ok(host, "lvcreate --type mirror -m1 -L 8M -n mir vg0 /dev/loop0 /dev/loop1 /dev/loop2");
    host.scheduler.run();
    expect(lvsRows(host, FIELDS).get("[mir_mlog]")?.[3]).toBe("/dev/loop2(0)");
    const data = pattern(40, 8 * MiB);
    lvDevice(host, "vg0", "mir").write(0, data);
    made.disks[2]!.pulled = true;
    return { ...made, data };
  }

  it("is replaced on a free PV under the default log policy (allocate)", () => {
    const { host, data } = failedLog();
    const out = ok(host, "lvconvert --repair --use-policies vg0/mir").stdout;
    expect(out).toContain("Mirror log status: 1 of 1 images failed.");
    const rows = lvsRows(host, FIELDS);
    expect(rows.get("mir")?.[2]).toBe("[mir_mlog]");
    expect(rows.get("[mir_mlog]")?.[3]).toBe("/dev/loop3(0)");
    host.scheduler.run();
    expect(lvsRows(host, FIELDS).get("mir")?.slice(0, 2)).toEqual(["mwi-a-m---", "100.00"]);
    for (const leg of ["mir_mimage_0", "mir_mimage_1"]) {
      expect(firstDiff(readBytes(lvDevice(host, "vg0", leg), 0, data.byteLength), data), leg).toBe(-1);
    }
  });

  it("leaves a core log under mirror_log_fault_policy = remove", () => {
    const { host, data } = failedLog();
    ok(host, "lvconvert --repair --use-policies --config activation/mirror_log_fault_policy=remove vg0/mir");
    const rows = lvsRows(host, FIELDS);
    expect(rows.get("mir")?.[2]).toBe("");
    expect(rows.has("[mir_mlog]")).toBe(false);
    expect(lvDevice(host, "vg0", "mir").table()).toContain("mirror core");
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "mir"), 0, data.byteLength), data)).toBe(-1);
  });
});

describe("a leg that fails writes but still reads", () => {
  it("is repaired from the kernel's leg health (lv_check_transient) though its PV is not missing", () => {
    const { host, disks } = setup(3);
    ok(host, "lvcreate --type mirror -m1 --mirrorlog core -L 8M -n mir vg0 /dev/loop0 /dev/loop1");
    host.scheduler.run();
    disks[1]!.writesFail = true;
    const data = pattern(70, 8 * MiB);
    lvDevice(host, "vg0", "mir").write(0, data);
    // The metadata is fine: nothing is partial, yet the live table has the leg marked D.
    expect(lvsRows(host, "lv_attr").get("mir")?.[0]).toBe("mwi-a-m---");
    disks[1]!.writesFail = false;
    const out = ok(host, "lvconvert --repair --use-policies vg0/mir").stdout;
    expect(out).toContain("Mirror status: 1 of 2 images failed.");
    expect(lvsRows(host, "lv_attr,devices").get("mir")).toEqual(["-wi-a-----", "/dev/loop0(0)"]);
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "mir"), 0, data.byteLength), data)).toBe(-1);
  });
});
