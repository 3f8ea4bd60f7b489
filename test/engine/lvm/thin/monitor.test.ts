/**
 * dmeventd's thin plugin: the low-water event runs `lvextend --use-policies` at once; the 10 s
 * poll warns above 80% at each new 5% step; the default threshold (100) grows nothing.
 */
import { describe, expect, it } from "vitest";
import { monitorThin } from "../../../../engine/lvm/thin/monitor.js";
import { livePool } from "../../../../engine/lvm/thin/status.js";
import { thinHost, writeThin } from "./helpers.js";

function pooled(config = "") {
  return thinHost(config, [["thin1", 32]]);
}

describe("dmeventd's thin plugin", () => {
  it("extends the pool when the kernel reports its low-water mark", () => {
    const host = pooled("--config activation/thin_pool_autoextend_threshold=70");
    const pool = livePool(host, "vg0", "pool")!;
    expect(pool.table()).toContain(" 128 38 "); // 128-sector blocks, low water = 30% of 128 blocks
    const monitor = monitorThin(() => host);
    writeThin(host, "thin1", 100);
    expect(monitor.runs).toHaveLength(0); // scheduled, not run inside the write
    host.scheduler.run();
    expect(monitor.runs.map((r) => [r.argv.join(" "), r.result.exitCode])).toEqual([
      ["lvextend --use-policies vg0/pool", 0],
    ]);
    expect(pool.usage().totalDataBlocks).toBe(192);
    monitor.stop();
  });

  it("only warns, every new 5% above 80%, when autoextend is off", () => {
    const host = pooled();
    const monitor = monitorThin(() => host);
    const step = (blocks: number) => {
      host.scheduler.run(host.scheduler.nowNs + 11_000_000_000);
      writeThin(host, "thin1", blocks);
    };
    // Each step's first provision is the poll (10 s after the last): it sees one block more
    // than the steps before it wrote.
    step(1);
    step(105); // sees 2 blocks
    step(106); // sees 106: 82.81%
    step(110); // sees 107: 83.59%, the same 5% step: no new warning
    step(120); // sees 111: 86.72%
    step(121); // sees 121: 94.53%
    expect(monitor.log).toEqual([
      "WARNING: Thin pool vg0-pool-tpool data is now 82.81% full.",
      "WARNING: Thin pool vg0-pool-tpool data is now 86.72% full.",
      "WARNING: Thin pool vg0-pool-tpool data is now 94.53% full.",
    ]);
    host.scheduler.run();
    expect(monitor.runs.every((r) => r.result.exitCode === 0 && r.result.stdout === "")).toBe(true);
    expect(livePool(host, "vg0", "pool")!.usage().totalDataBlocks).toBe(128);
    monitor.stop();
  });
});
