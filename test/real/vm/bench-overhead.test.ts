import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { realBenchPlan, runOverhead, throttledProfileSpec } from "../../../bench/overhead/mod.js";
import { pairRatios, REAL_DEFAULT_THROTTLE } from "../../../cli/overhead-real.js";
import { runGuestBench } from "../../../real/mod.js";
import { prepareGuest } from "./prepare-guest.js";

/**
 * `lvmlab bench overhead --real` on a small subset: linear, a 2-leg core-log mirror and a thin LV's
 * first writes under 4 KiB random writes, in one QEMU guest with throttled disks; the real ratio must be there, finite, and
 * near the model's (legs on separate disks write in parallel). The VM is gone and its temp dir
 * removed when the run returns.
 */
const prepared = prepareGuest();
if (prepared.skip !== undefined) console.log(`bench-overhead real: ${prepared.skip}`);

const leftoverDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith("lvmlab-real-bench-"));

describe.skipIf(prepared.setup === undefined)("bench overhead --real in a QEMU guest", () => {
  it("measures real ratios beside the modeled ones", { timeout: 600_000 }, async () => {
    const options = {
      configs: ["mirror-2leg-core", "thin-first"],
      workloads: ["randwrite-4k-qd32"],
      lvBytes: 12 << 20,
      randomIos: 256,
    };
    const before = new Set(leftoverDirs());
    const records = runOverhead(
      {
        ...options,
        profiles: [throttledProfileSpec(REAL_DEFAULT_THROTTLE)],
        seeds: [1],
        repetitions: 1,
      },
      { warmUp: false },
    );
    const run = await runGuestBench(realBenchPlan({ ...options, seed: 1 }), {
      setup: prepared.setup!,
      throttle: REAL_DEFAULT_THROTTLE,
      timeoutMs: 480_000,
    });
    const rows = pairRatios(records, run.results);
    expect(rows.map((r) => r.config)).toEqual(["linear", "mirror-2leg-core", "thin-first"]);
    for (const row of rows) {
      expect(Number.isFinite(row.realRelativeToLinear)).toBe(true);
      expect(row.realIops).toBeGreaterThan(0);
    }
    // Disk-bound: linear runs at the throttle (not far below it, as a CPU-bound guest would).
    expect(rows[0]!.realIops).toBeGreaterThan(REAL_DEFAULT_THROTTLE.iops * 0.8);
    const mirror = rows[1]!;
    expect(mirror.realRelativeToLinear).toBeGreaterThan(0.8);
    expect(mirror.realRelativeToLinear).toBeLessThan(1.2);
    expect(Math.abs(mirror.realRelativeToLinear - mirror.modeledRelativeToLinear)).toBeLessThan(0.2);
    // A thin pool activates in the guest (thin_check is there) and first writes pay for provisioning
    // and zeroing 64 KiB blocks: slower than linear, never faster (real 0.69, model 0.48 measured).
    const thin = rows[2]!;
    expect(thin.realRelativeToLinear).toBeGreaterThan(0.3);
    expect(thin.realRelativeToLinear).toBeLessThan(0.95);
    expect(leftoverDirs().filter((d) => !before.has(d))).toEqual([]);
  });
});
