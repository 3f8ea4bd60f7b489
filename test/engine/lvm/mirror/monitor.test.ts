import { describe, expect, it } from "vitest";
import { monitorMirrors, splitDmName } from "../../../../engine/lvm/mirror/monitor.js";
import { firstDiff, lvDevice, lvsRows, MiB, ok, pattern, pullableHost, readBytes } from "./helpers.js";

function mirrored(disks: number) {
  const made = pullableHost(disks);
  const names = Array.from({ length: disks }, (_, i) => `/dev/loop${i}`).join(" ");
  ok(made.host, `pvcreate ${names}`);
  ok(made.host, `vgcreate vg0 ${names}`);
  ok(made.host, "lvcreate --type mirror -m1 -L 8M -n mir vg0 /dev/loop0 /dev/loop1 /dev/loop2");
  made.host.scheduler.run();
  return made;
}

describe("dmeventd-style monitoring", () => {
  it("splits dm names with doubled dashes", () => {
    expect(splitDmName("my--vg-lv--a")).toEqual({ vg: "my-vg", lv: "lv-a" });
    expect(splitDmName("vg0-mir")).toEqual({ vg: "vg0", lv: "mir" });
    expect(splitDmName("nodash")).toBeUndefined();
  });

  it("repairs a mirror whose leg fails a write, in virtual time after the failure, under the default policy", () => {
    const { host, disks } = mirrored(3);
    const monitor = monitorMirrors(host, { delayNs: 1_000_000 });
    const data = pattern(60, 8 * MiB);
    disks[1]!.pulled = true;
    lvDevice(host, "vg0", "mir").write(0, data);
    expect(monitor.repairs).toEqual([]);
    host.scheduler.run();
    expect(monitor.repairs.map((r) => r.argv.join(" "))).toEqual([
      "lvconvert --repair --use-policies vg0/mir",
    ]);
    expect(monitor.repairs[0]?.result.exitCode).toBe(0);
    expect(lvsRows(host, "lv_attr,devices").get("mir")).toEqual(["-wi-a-----", "/dev/loop0(0)"]);
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "mir"), 0, data.byteLength), data)).toBe(-1);
    monitor.stop();
  });

  it("replaces the leg under an allocate policy and leaves read failures alone once stopped", () => {
    const { host, disks } = mirrored(4);
    const monitor = monitorMirrors(host, { config: 'activation { mirror_image_fault_policy = "allocate" }' });
    disks[1]!.pulled = true;
    lvDevice(host, "vg0", "mir").write(0, pattern(61, MiB));
    host.scheduler.run();
    expect(lvsRows(host, "lv_attr,copy_percent").get("mir")).toEqual(["mwi-a-m---", "100.00"]);
    monitor.stop();
    disks[0]!.pulled = true;
    try {
      lvDevice(host, "vg0", "mir").write(0, pattern(62, MiB));
    } catch {
      // Both legs may now fail; the point is that no repair is scheduled after stop().
    }
    host.scheduler.run();
    expect(monitor.repairs.length).toBe(1);
  });
});
