import { describe, expect, it } from "vitest";
import { MemoryDevice } from "../../../../engine/block/memory.js";
import {
  activateLv,
  activateVg,
  deactivateVg,
  deviceMapperOf,
  dmsetupTable,
  reloadLv,
} from "../../../../engine/lvm/activation/activate.js";
import { DmDevice } from "../../../../engine/lvm/activation/dm-device.js";
import { dmName, pathOfDmName } from "../../../../engine/lvm/activation/dm-name.js";
import { Host } from "../../../../engine/lvm/host.js";
import { runLvm } from "../../../../engine/lvm/run.js";
import { findVg, scanHost } from "../../../../engine/lvm/vg-read.js";

const MiB = 1024 * 1024;

function host(): Host {
  return new Host({
    devices: ["pv0", "pv1", "pv2"].map((name) => [name, new MemoryDevice(name, 64 * MiB)] as const),
  });
}

function lvm(h: Host, line: string): void {
  const result = runLvm(h, line.split(" "));
  expect(result.exitCode, `${line}: ${result.stderr}`).toBe(0);
}

function vgOf(h: Host) {
  return findVg(scanHost(h), "vg0")!.vg;
}

function pattern(seed: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (i * 31 + seed * 7 + (i >> 9)) & 0xff;
  return out;
}

describe("dmName", () => {
  it("doubles dashes inside names as LVM2 does", () => {
    expect(dmName("vg0", "lv0")).toBe("vg0-lv0");
    expect(dmName("my-vg", "my-lv", "real")).toBe("my--vg-my--lv-real");
  });

  it("maps a top-level dm name back to vg/lv and refuses layer devices", () => {
    expect(pathOfDmName(dmName("my-vg", "lv-0"))).toBe("my-vg/lv-0");
    expect(pathOfDmName("vg0-lv0")).toBe("vg0/lv0");
    expect(pathOfDmName(dmName("vg0", "lv0", "real"))).toBeUndefined();
    expect(pathOfDmName("nodash")).toBeUndefined();
  });
});

describe("activation", () => {
  it("maps a linear LV onto its PV extents: data written to the LV lands at pe_start + pe × extent", () => {
    const h = host();
    lvm(h, "pvcreate pv0 pv1 pv2");
    lvm(h, "vgcreate vg0 pv0 pv1 pv2");
    lvm(h, "lvcreate -an -Zn -l 2 -n first vg0");
    lvm(h, "lvcreate -an -Zn -l 3 -n lv0 vg0");
    const vg = vgOf(h);
    const active = activateLv(h, vg, "lv0");
    const seg = vg.lvs.find((l) => l.name === "lv0")!.segments[0]!;
    expect(seg.type).toBe("striped");
    const area = seg.type === "striped" ? seg.areas[0]! : undefined;
    if (area?.kind !== "pv") throw new Error("expected a PV area");
    const pv = vg.pvs.find((p) => p.name === area.pv)!;
    const data = pattern(1, 8192);
    active.device.write(4 * MiB + 4096, data);
    const onPv = new Uint8Array(8192);
    const pvOffset = (pv.peStartSectors + area.pe * vg.extentSizeSectors) * 512 + 4 * MiB + 4096;
    h.device(pv.deviceHint)!.read(pvOffset, onPv);
    expect(onPv).toEqual(data);
    expect(active.device.sizeBytes).toBe(3 * vg.extentSizeSectors * 512);
    expect(dmsetupTable(h)).toMatch(/^vg0-lv0: 0 24576 linear pv\d \d+$/m);
  });

  it("stripes across PVs in stripe-size chunks", () => {
    const h = host();
    lvm(h, "pvcreate pv0 pv1 pv2");
    lvm(h, "vgcreate vg0 pv0 pv1 pv2");
    lvm(h, "lvcreate -an -Zn -i 3 -I 64k -l 6 -n st vg0");
    const active = activateVg(h, vgOf(h));
    expect(active).toHaveLength(1);
    const device = active[0]!.device;
    const data = pattern(2, 3 * 65536);
    device.write(0, data);
    const back = new Uint8Array(data.length);
    device.read(0, back);
    expect(back).toEqual(data);
    expect(dmsetupTable(h)).toMatch(/vg0-st: 0 49152 striped 3 128 /);
    // Each stripe chunk went to a different PV.
    const written = ["pv0", "pv1", "pv2"].map((n) => h.device(n)!.stats.writeBytes);
    for (const bytes of written) expect(bytes).toBeGreaterThanOrEqual(65536);
  });

  it("reloads a table in place so stacked users keep the same device", () => {
    const h = host();
    lvm(h, "pvcreate pv0 pv1 pv2");
    lvm(h, "vgcreate vg0 pv0 pv1 pv2");
    lvm(h, "lvcreate -an -Zn -l 2 -n lv0 vg0");
    const first = activateLv(h, vgOf(h), "lv0").device;
    expect(first).toBeInstanceOf(DmDevice);
    lvm(h, "lvextend -l +2 vg0/lv0");
    const again = reloadLv(h, vgOf(h), "lv0").device;
    expect(again).toBe(first);
    expect((first as DmDevice).reloads).toBe(1);
    expect(first.sizeBytes).toBe(4 * 4 * MiB);
  });

  it("deactivation removes the VG's devices", () => {
    const h = host();
    lvm(h, "pvcreate pv0 pv1 pv2");
    lvm(h, "vgcreate vg0 pv0 pv1 pv2");
    lvm(h, "lvcreate -an -Zn -l 2 -n lv0 vg0");
    activateVg(h, vgOf(h));
    expect(deviceMapperOf(h).names()).toEqual(["vg0-lv0"]);
    deactivateVg(h, vgOf(h));
    expect(deviceMapperOf(h).names()).toEqual([]);
    expect(h.activeLvs.size).toBe(0);
  });
});

describe("activation records", () => {
  it("name the mirror targets of a mirror LV and the snapshot target of a snapshot", () => {
    const h = host();
    lvm(h, "pvcreate pv0 pv1 pv2");
    lvm(h, "vgcreate vg0 pv0 pv1 pv2");
    lvm(h, "lvcreate -an -Zn --type mirror -m 1 --mirrorlog core --nosync -l 2 -n m vg0");
    lvm(h, "lvcreate -an -Zn -l 2 -n lv0 vg0");
    lvm(h, "lvcreate -s -L 4M -n snap vg0/lv0");
    const vg = vgOf(h);
    const mirror = activateLv(h, vg, "m", { startResync: false });
    expect(mirror.mirrors).toHaveLength(1);
    expect(mirror.mirrors[0]!.legs).toHaveLength(2);
    const snap = activateLv(h, vg, "snap");
    expect(snap.snapshot).toBeDefined();
    expect(snap.snapshot!.valid).toBe(true);
  });
});
