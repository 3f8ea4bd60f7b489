import { closeSync, openSync, writeSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import type { BlockDevice } from "../../engine/block/device.js";
import { MemoryDevice } from "../../engine/block/memory.js";
import { Host } from "../../engine/lvm/host.js";
import { runLvm } from "../../engine/lvm/run.js";
import { SimulationHalt } from "../../engine/sim/halt.js";
import { Trace } from "../../engine/sim/trace.js";
import { realLvm2Unavailable } from "../support/real-lvm2.js";
import { compare, images, scratchDir } from "./differential.js";

/**
 * Crash states of lvmlab's metadata commit (some mdas new, some old) shown to real LVM2 and to
 * lvmlab: both must pick the same copy and say the same about it, and the next write must repair
 * the old copies the same way.
 */
const unavailable = realLvm2Unavailable();
const scratch = scratchDir("lvmlab-crash-states-");
afterAll(scratch.remove);

// Everything lvmlab writes lies in the first MiB (labels and mdas), so only that is copied.
const HEAD_BYTES = 1024 * 1024;

/** Builds a 3-PV VG and runs `command`, cutting the power at the n-th metadata.commit event. */
function crashAfterCommits(commits: number): MemoryDevice[] {
  const devices = ["a", "b", "c"].map((n) => new MemoryDevice(n, 64 * 1024 * 1024));
  const setup = new Host({ devices: devices.map((d) => [d.name, d] as const), seed: "crash-states" });
  for (const line of ["vgcreate vg0 a b c", "lvcreate -an -Zn -l 2 -n lv0 vg0"]) {
    expect(runLvm(setup, line.split(" ")).exitCode).toBe(0);
  }
  const trace = new Trace();
  let seen = 0;
  trace.subscribe((event) => {
    if (event.name === "metadata.commit" && ++seen === commits)
      throw new SimulationHalt("power-cut", event.name);
  });
  const host = new Host({
    devices: devices.map((d) => [d.name, d as BlockDevice] as const),
    seed: "cut",
    trace,
  });
  expect(() => runLvm(host, "lvcreate -an -Zn -i 3 -l 3 -n st vg0".split(" "))).toThrow(SimulationHalt);
  return devices;
}

function copyHeads(devices: readonly MemoryDevice[], paths: readonly string[]): void {
  devices.forEach((device, i) => {
    const head = new Uint8Array(HEAD_BYTES);
    device.read(0, head);
    const fd = openSync(paths[i]!, "r+");
    try {
      writeSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  });
}

describe.skipIf(unavailable !== undefined)("crash states read by real LVM2 and by lvmlab", () => {
  for (const commits of [1, 2]) {
    it(`after ${commits} of 3 mdas committed: same VG, same warnings, same repair`, () => {
      const devices = crashAfterCommits(commits);
      const real = images(scratch.dir, `c${commits}-real`);
      const mine = images(scratch.dir, `c${commits}-mine`);
      copyHeads(devices, real);
      copyHeads(devices, mine);
      const outputs: string[] = [];
      const differences = compare(
        real.slice(0, 3),
        mine.slice(0, 3),
        [
          "vgs -o vg_name,vg_seqno,lv_count,vg_free_count",
          "lvs -a -o lv_name,seg_pe_ranges",
          "vgck vg0",
          "lvcreate -an -Zn -l 1 -n after vg0",
          "vgs -o vg_name,vg_seqno,lv_count",
          "vgck vg0",
        ],
        { lvmlabOutputs: outputs },
      );
      expect(differences.join("\n\n")).toBe("");
      // The crash state is visible (older copies ignored), the roll-forward picked the new lvcreate,
      // and the next write repaired every copy.
      expect(outputs[0]).toMatch(/WARNING: ignoring metadata seqno 2 on \S+ for seqno 3 on \S+ for VG vg0\./);
      expect(outputs[0]).toContain("vg0   3   2");
      expect(outputs[3]).toContain("WARNING: updating old metadata to 4");
      expect(outputs[4]).toContain("vg0   4   3");
      expect(outputs[5]).toBe("");
    });
  }
});

describe.runIf(unavailable !== undefined)("crash states read by real LVM2", () => {
  it("says why it is skipped", (ctx) => {
    ctx.skip(true, unavailable);
  });
});
