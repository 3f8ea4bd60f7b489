/**
 * The metadata pvmove commits through the command, against research §2.5: the same VG built with
 * lvmlab commands, the same `pvmove -n lv0 /dev/loop0 /dev/loop1`, interrupted right after its
 * first checkpoint, exports field for field what LVM2 2.03.16 wrote (ids, times and seqno aside).
 */
import { describe, expect, it } from "vitest";
import { MemoryDevice } from "../../../../engine/block/memory.js";
import type { ConfigNode } from "../../../../engine/format/config-tree.js";
import { Host } from "../../../../engine/lvm/host.js";
import { configurePvmove } from "../../../../engine/lvm/pvmove/kernel.js";
import { runLvm } from "../../../../engine/lvm/run.js";
import { findVg, scanHost } from "../../../../engine/lvm/vg-read.js";
import { exportVg } from "../../../../engine/metadata/export.js";
import type { VolumeGroup } from "../../../../engine/metadata/model.js";
import { isSimulationHalt, SimulationHalt } from "../../../../engine/sim/halt.js";
import { PVMOVE_FINISH_A, PVMOVE_RUNNING } from "../../../fixtures/metadata/examples.js";
import { rawVgSection } from "../../../fixtures/metadata/raw-text.js";

const MiB = 1024 * 1024;
const VOLATILE = new Set(["id", "creation_time", "creation_host", "seqno"]);

/** The tree as plain data with ids, times, hosts and seqno blanked (they differ by construction). */
function normalised(node: ConfigNode | ConfigNode[]): unknown {
  return JSON.parse(
    JSON.stringify(node, (key, value) => {
      if (key === "at") return undefined;
      if (
        value &&
        typeof value === "object" &&
        "key" in value &&
        VOLATILE.has(value.key) &&
        "value" in value
      ) {
        return { ...value, value: "*" };
      }
      return value;
    }),
  );
}

function machine(): { host: Host; media: MemoryDevice[] } {
  const media = ["/dev/loop0", "/dev/loop1"].map((n) => new MemoryDevice(n, 64 * MiB));
  const host = new Host({ devices: media.map((m) => [m.name, m] as const), seed: "pvmove-setup" });
  configurePvmove(host, { syncSpeedBytesPerSecond: 64 * MiB, pollingIntervalSeconds: 1 });
  return { host, media };
}

function ok(host: Host, line: string) {
  const result = runLvm(host, line.split(" "));
  expect(result.exitCode, `${line}\n${result.stderr}`).toBe(0);
  return result;
}

function reboot(media: MemoryDevice[]): Host {
  return new Host({ devices: media.map((m) => [m.name, m] as const), seed: "pvmove-setup-reboot" });
}

function vgOf(host: Host): VolumeGroup {
  return findVg(scanHost(host), "vg0")!.vg;
}

/** The §2.5 VG before the move: lv0 on pv0 PE 0-1 and 3-4, lv1 on PE 2 (unless `withoutLv1`). */
function build(host: Host, options: { withoutLv1?: boolean } = {}): void {
  ok(host, "pvcreate /dev/loop0 /dev/loop1");
  ok(host, "vgcreate vg0 /dev/loop0 /dev/loop1");
  ok(host, "lvcreate -an -Zn -l 4 -n lv0 vg0 /dev/loop0:0-1 /dev/loop0:3-4");
  if (!options.withoutLv1) ok(host, "lvcreate -an -Zn -l 1 -n lv1 vg0 /dev/loop0:2");
}

/** Runs `line` until the first `name` event has happened, then cuts the power there. */
function runUntil(host: Host, line: string, name: string): void {
  host.trace.subscribe((event) => {
    if (event.name === name) throw new SimulationHalt("power-cut", `${name}#${event.occurrence}`);
  });
  try {
    runLvm(host, line.split(" "));
    host.scheduler.run();
  } catch (error) {
    if (!isSimulationHalt(error)) throw error;
    return;
  }
  throw new Error(`${line} never emitted ${name}`);
}

describe("pvmove metadata through the command [R§2.5]", () => {
  it("commits what LVM2 committed after the first of two segments", () => {
    const { host, media } = machine();
    build(host);
    runUntil(host, "pvmove -i 1 -n lv0 /dev/loop0 /dev/loop1", "pvmove.checkpoint");
    const vg = vgOf(reboot(media));
    expect(normalised(exportVg(vg))).toEqual(normalised(rawVgSection(PVMOVE_RUNNING)));
  });

  it("commits the setup (extents_moved 0 everywhere) before any data moves", () => {
    const { host, media } = machine();
    build(host);
    runUntil(host, "pvmove -i 1 -n lv0 /dev/loop0 /dev/loop1", "pvmove.start");
    const pvmove = vgOf(reboot(media)).lvs.find((lv) => lv.name === "pvmove0")!;
    expect(pvmove.status).toEqual(["READ", "WRITE", "PVMOVE", "LOCKED"]);
    expect(pvmove.allocationPolicy).toBe("contiguous");
    expect(pvmove.segments.map((s) => (s.type === "mirror" ? s.extentsMoved : -1))).toEqual([0, 0]);
  });

  it("writes the --atomic layout: one mirror over pvmove0_mimage_0 (source) and _mimage_1", () => {
    const { host, media } = machine();
    build(host);
    runUntil(host, "pvmove -i 1 --atomic -n lv0 /dev/loop0 /dev/loop1", "pvmove.start");
    const vg = vgOf(reboot(media));
    const pvmove = vg.lvs.find((lv) => lv.name === "pvmove0")!;
    expect(pvmove.segments).toHaveLength(1);
    expect(pvmove.segments[0]).toMatchObject({
      type: "mirror",
      extentCount: 4,
      extentsMoved: 0,
      areas: [
        { kind: "lv", lv: "pvmove0_mimage_0", le: 0 },
        { kind: "lv", lv: "pvmove0_mimage_1", le: 0 },
      ],
    });
    const image0 = vg.lvs.find((lv) => lv.name === "pvmove0_mimage_0")!;
    expect(image0.segments.map((s) => (s.type === "striped" ? s.areas[0] : undefined))).toEqual([
      { kind: "pv", pv: "pv0", pe: 0 },
      { kind: "pv", pv: "pv0", pe: 3 },
    ]);
  });

  it("finishes with write A (pvmove0 an error LV, lv0 on pv1) then write B (pvmove0 gone)", () => {
    const { host, media } = machine();
    build(host);
    runUntil(host, "pvmove -i 1 -n lv0 /dev/loop0 /dev/loop1", "pvmove.finish");
    const after = vgOf(reboot(media));
    expect(after.lvs.map((lv) => lv.name)).toEqual(["lv0", "lv1"]);
    const lv0 = after.lvs[0]!;
    expect(lv0.status).toEqual(["READ", "WRITE", "VISIBLE"]);
    expect(lv0.segments.map((s) => (s.type === "striped" ? s.areas[0] : undefined))).toEqual([
      { kind: "pv", pv: "pv1", pe: 0 },
    ]);
    expect(lv0.segments[0]?.extentCount).toBe(4);
  });

  it("leaves LVM2's orphan error LV when the power goes between write A and write B [R§3.3]", () => {
    const { host, media } = machine();
    build(host, { withoutLv1: true });
    let commits = 0;
    let finishing = false;
    host.trace.subscribe((event) => {
      if (event.name === "pvmove.checkpoint") finishing = true;
      // Write A commits on both PVs after the checkpoint; cut at the first metadata.write of write B.
      if (finishing && event.name === "metadata.commit") commits += 1;
      if (finishing && commits === 2 && event.name === "metadata.write") {
        throw new SimulationHalt("power-cut", "between write A and write B");
      }
    });
    try {
      runLvm(host, "pvmove -i 1 -n lv0 /dev/loop0 /dev/loop1".split(" "));
    } catch (error) {
      if (!isSimulationHalt(error)) throw error;
    }
    const vg = vgOf(reboot(media));
    expect(normalised(exportVg(vg))).toEqual(normalised(rawVgSection(PVMOVE_FINISH_A)));
    const orphan = vg.lvs.find((lv) => lv.name === "pvmove0")!;
    expect(orphan.status).toEqual(["READ", "WRITE"]);
    expect(orphan.segments.map((s) => s.type)).toEqual(["error"]);
    expect(vg.lvs.find((lv) => lv.name === "lv0")!.status).not.toContain("LOCKED");
  });
});
