/** The pvmove command end to end on memory devices: messages, progress lines, metadata before and after. */
import { describe, expect, it } from "vitest";
import { MemoryDevice } from "../../../../engine/block/memory.js";
import { Host } from "../../../../engine/lvm/host.js";
import { configurePvmove } from "../../../../engine/lvm/pvmove/kernel.js";
import { runLvm } from "../../../../engine/lvm/run.js";
import { findVg, scanHost } from "../../../../engine/lvm/vg-read.js";

const MiB = 1024 * 1024;

function machine(devices?: MemoryDevice[]): Host {
  const host = new Host({
    devices: (devices ?? ["pv0", "pv1", "pv2"].map((n) => new MemoryDevice(n, 64 * MiB))).map(
      (d) => [d.name, d] as const,
    ),
    seed: "pvmove-command",
  });
  configurePvmove(host, { syncSpeedBytesPerSecond: 8 * MiB, pollingIntervalSeconds: 1 });
  return host;
}

function ok(host: Host, line: string) {
  const result = runLvm(host, line.split(" "));
  expect(result.exitCode, `${line}\n${result.stderr}`).toBe(0);
  return result;
}

function vgOf(host: Host) {
  return findVg(scanHost(host), "vg0")!.vg;
}

describe("pvmove command", () => {
  it("moves a linear LV in the foreground, printing progress, and leaves pv0 empty", () => {
    const host = machine();
    ok(host, "pvcreate pv0 pv1 pv2");
    ok(host, "vgcreate -s 1M vg0 pv0 pv1 pv2");
    ok(host, "lvcreate -an -Zn -l 4 -n lv0 vg0 pv0");
    const result = ok(host, "pvmove -i 1 pv0 pv1");
    expect(result.stdout).toMatch(/^ {2}pv0: Moved: 0\.00%$/m);
    expect(result.stdout).toMatch(/^ {2}pv0: Moved: 100\.00%$/m);
    const vg = vgOf(host);
    expect(vg.lvs.map((lv) => lv.name)).toEqual(["lv0"]);
    const lv0 = vg.lvs[0]!;
    expect(lv0.status).not.toContain("LOCKED");
    expect(
      lv0.segments.every(
        (s) => s.type === "striped" && s.areas.every((a) => a.kind === "pv" && a.pv === "pv1"),
      ),
    ).toBe(true);
  });
});
