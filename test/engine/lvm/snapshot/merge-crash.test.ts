import { describe, expect, it } from "vitest";
import { VolatileCache } from "../../../../engine/block/cache.js";
import type { CrashPolicy } from "../../../../engine/block/crash-state.js";
import { MemoryDevice } from "../../../../engine/block/memory.js";
import { Host } from "../../../../engine/lvm/host.js";
import { MUTATION_SNAPSHOT_MERGE_FINISH_EARLY } from "../../../../engine/lvm/snapshot/merge.js";
import { isSimulationHalt, SimulationHalt } from "../../../../engine/sim/halt.js";
import {
  DEVICE_BYTES,
  firstDiff,
  lvDevice,
  lvsRows,
  MiB,
  ok,
  pattern,
  readBytes,
} from "../mirror/helpers.js";

const NAMES = ["/dev/loop0", "/dev/loop1"];

function hostOver(devices: readonly MemoryDevice[], seed: string): Host {
  return new Host({ devices: devices.map((d) => [d.name, d] as const), seed });
}

/**
 * Builds origin lv0 (8 MiB of `old`), snapshot snap, overwrites 3 MiB of the origin with `fresh`
 * in 64 KiB pieces (so the COW holds many runs), flushes, and starts the merge on caches.
 */
function mergingMachine() {
  const caches = NAMES.map((n) => new VolatileCache(new MemoryDevice(n, DEVICE_BYTES), { name: n }));
  const host = new Host({ devices: caches.map((c) => [c.name, c] as const), seed: "merge-crash" });
  ok(host, `pvcreate ${NAMES.join(" ")}`);
  ok(host, `vgcreate vg0 ${NAMES.join(" ")}`);
  ok(host, "lvcreate -L 8M -n lv0 vg0 /dev/loop0");
  const old = pattern(20, 8 * MiB);
  lvDevice(host, "vg0", "lv0").write(0, old);
  ok(host, "lvcreate -s -L 8M -n snap vg0/lv0 /dev/loop1");
  // Every other 64 KiB piece, so the exceptions form many separate runs and the merge takes steps.
  for (let at = 0; at < 6 * MiB; at += 128 * 1024) {
    lvDevice(host, "vg0", "lv0").write(at, pattern(at + 1, 64 * 1024));
  }
  lvDevice(host, "vg0", "lv0").flush();
  ok(host, "lvconvert -b --merge vg0/snap");
  return { caches, host, old };
}

describe("snapshot merge across a power cut", () => {
  it("runs in many steps when nothing interrupts it", () => {
    const { host, old } = mergingMachine();
    let steps = 0;
    host.trace.subscribe((e) => {
      if (e.name === "snapshot.merge.step") steps += 1;
    });
    host.scheduler.run();
    expect(steps).toBeGreaterThan(10);
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "lv0"), 0, old.byteLength), old)).toBe(-1);
  });

  const policies: [string, CrashPolicy][] = [
    ["drop-all", { kind: "drop-all" }],
    ["keep-all", { kind: "keep-all" }],
    ["subset", { kind: "subset", seed: "merge" }],
    ["torn", { kind: "torn", seed: "merge" }],
  ];
  for (const [label, policy] of policies) {
    for (const cutAt of [1, 5, 23]) {
      it(`resumes on the next activation after a cut at merge step ${cutAt} (${label}) and ends with the snapshot's data`, () => {
        const { caches, host, old } = mergingMachine();
        host.trace.subscribe((e) => {
          if (e.name === "snapshot.merge.step" && e.occurrence === cutAt)
            throw new SimulationHalt("power-cut", e.name);
        });
        let halted: unknown;
        try {
          host.scheduler.run();
        } catch (error) {
          halted = error;
        }
        expect(isSimulationHalt(halted)).toBe(true);
        for (const cache of caches) cache.powerCut(policy);
        // Reboot: a fresh Host over what persisted; the metadata still says merging_store.
        const rebooted = hostOver(
          caches.map((c) => c.backing as MemoryDevice),
          "merge-crash-reboot",
        );
        expect(lvsRows(rebooted, "lv_attr").get("lv0")?.[0]).toBe("Owi---s---");
        ok(rebooted, "vgchange -ay vg0");
        rebooted.scheduler.run();
        const rows = lvsRows(rebooted, "lv_attr");
        expect([...rows.keys()]).toEqual(["lv0"]);
        expect(firstDiff(readBytes(lvDevice(rebooted, "vg0", "lv0"), 0, old.byteLength), old)).toBe(-1);
      });
    }
  }
});

describe("a power cut while the merged snapshot is being removed", () => {
  for (const cutAt of [1, 2]) {
    it(`after metadata commit ${cutAt} of 2 still ends with the merged origin and no snapshot`, () => {
      const { caches, host, old } = mergingMachine();
      let merged = false;
      let commits = 0;
      host.trace.subscribe((e) => {
        if (e.name === "snapshot.merge.step") merged = true;
        if (merged && e.name === "metadata.commit" && ++commits === cutAt) {
          throw new SimulationHalt("power-cut", e.name);
        }
      });
      let halted: unknown;
      try {
        host.scheduler.run();
      } catch (error) {
        halted = error;
      }
      expect(isSimulationHalt(halted)).toBe(true);
      for (const cache of caches) cache.powerCut({ kind: "keep-all" });
      const rebooted = hostOver(
        caches.map((c) => c.backing as MemoryDevice),
        "merge-finish-reboot",
      );
      ok(rebooted, "vgchange -ay vg0");
      rebooted.scheduler.run();
      expect([...lvsRows(rebooted, "lv_attr").keys()]).toEqual(["lv0"]);
      expect(firstDiff(readBytes(lvDevice(rebooted, "vg0", "lv0"), 0, old.byteLength), old)).toBe(-1);
    });
  }
});

describe("the merge checks can fail", () => {
  it("catch a merge that removes the snapshot before every chunk is back", () => {
    const caches = NAMES.map((n) => new MemoryDevice(n, DEVICE_BYTES));
    const host = new Host({
      devices: caches.map((c) => [c.name, c] as const),
      seed: "merge-mutant",
      mutations: new Set([MUTATION_SNAPSHOT_MERGE_FINISH_EARLY]),
    });
    ok(host, `pvcreate ${NAMES.join(" ")}`);
    ok(host, `vgcreate vg0 ${NAMES.join(" ")}`);
    ok(host, "lvcreate -L 8M -n lv0 vg0 /dev/loop0");
    const old = pattern(20, 8 * MiB);
    lvDevice(host, "vg0", "lv0").write(0, old);
    ok(host, "lvcreate -s -L 8M -n snap vg0/lv0 /dev/loop1");
    for (let at = 0; at < 6 * MiB; at += 128 * 1024)
      lvDevice(host, "vg0", "lv0").write(at, pattern(at + 1, 64 * 1024));
    ok(host, "lvconvert -b --merge vg0/snap");
    host.scheduler.run();
    expect([...lvsRows(host, "lv_attr").keys()]).toEqual(["lv0"]);
    // The same assertion the crash tests make now fails: part of the origin kept the newer data.
    expect(firstDiff(readBytes(lvDevice(host, "vg0", "lv0"), 0, old.byteLength), old)).not.toBe(-1);
  });
});
