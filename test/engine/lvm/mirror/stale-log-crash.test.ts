import { describe, expect, it } from "vitest";
import { Host } from "../../../../engine/lvm/host.js";
import { isSimulationHalt, SimulationHalt } from "../../../../engine/sim/halt.js";
import { firstDiff, lvDevice, lvsRows, MiB, ok, pattern, pullableHost, readBytes } from "./helpers.js";

/**
 * A power cut right after `lvconvert --type mirror -m1` commits must never leave a mirror whose disk log says
 * "in sync" while the new leg holds stale data: the log sits on extents a removed mirror's log used,
 * whose old header and all-clean bits would otherwise be trusted on the next activation.
 */
describe("lvconvert --type mirror -m1 cut right after its metadata commit", () => {
  it("reboots into a mirror that resyncs the new leg (the log was initialised before the commit)", () => {
    const { host, disks } = pullableHost(3);
    ok(host, "pvcreate /dev/loop0 /dev/loop1 /dev/loop2");
    ok(host, "vgcreate vg0 /dev/loop0 /dev/loop1 /dev/loop2");
    // An old mirror, fully synced, leaves a clean log on loop2 and its data on loop1.
    ok(host, "lvcreate --type mirror -m1 -L 8M -n old vg0 /dev/loop0 /dev/loop1 /dev/loop2");
    host.scheduler.run();
    lvDevice(host, "vg0", "old").write(0, pattern(50, 8 * MiB));
    ok(host, "vgchange -an vg0");
    ok(host, "lvremove vg0/old");
    ok(host, "lvcreate -L 8M -n lv vg0 /dev/loop0");
    const data = pattern(51, 8 * MiB);
    lvDevice(host, "vg0", "lv").write(0, data);
    let commits = 0;
    host.trace.subscribe((e) => {
      // One commit per metadata area: cut after the last of the three.
      if (e.name === "metadata.commit" && ++commits === 3) throw new SimulationHalt("power-cut", e.name);
    });
    let halted: unknown;
    try {
      ok(host, "lvconvert --type mirror -m1 vg0/lv /dev/loop1 /dev/loop2");
    } catch (error) {
      halted = error;
    }
    expect(isSimulationHalt(halted)).toBe(true);
    const rebooted = new Host({ devices: disks.map((d) => [d.name, d] as const), seed: "after-cut" });
    expect(lvsRows(rebooted, "devices").get("[lv_mimage_1]")?.[0]).toBe("/dev/loop1(0)");
    ok(rebooted, "vgchange -ay vg0");
    expect(Number(lvsRows(rebooted, "copy_percent").get("lv")?.[0])).toBeLessThan(100);
    rebooted.scheduler.run();
    expect(lvsRows(rebooted, "copy_percent").get("lv")?.[0]).toBe("100.00");
    expect(firstDiff(readBytes(lvDevice(rebooted, "vg0", "lv_mimage_1"), 0, data.byteLength), data)).toBe(-1);
  });
});
