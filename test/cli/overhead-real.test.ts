import { describe, expect, it } from "vitest";
import type { OverheadRecord } from "../../bench/overhead/mod.js";
import { benchRealRecords, pairRatios, realOverheadTable } from "../../cli/overhead-real.js";
import type { GuestBenchResult } from "../../real/mod.js";
import { parseRecords } from "../../reports/mod.js";

function modeled(config: string, workload: string, relativeToLinear: number, iops = 100): OverheadRecord {
  return { config, workload, relativeToLinear, iops } as OverheadRecord;
}

function real(config: string, workload: string, mbps: number): GuestBenchResult {
  return { config, workload, kib: 2048, runtimeMs: 2000, iops: mbps * 100, mbps };
}

describe("bench overhead --real pairing", () => {
  const model = [
    modeled("linear", "w", 1),
    modeled("mirror-2leg-core", "w", 0.9),
    modeled("mirror-2leg-core", "w", 1.1),
  ];

  it("puts the real ratio beside the model's mean ratio", () => {
    const rows = pairRatios(model, [real("linear", "w", 2), real("mirror-2leg-core", "w", 1.5)]);
    expect(rows.map((r) => [r.config, r.modeledRelativeToLinear, r.realRelativeToLinear])).toEqual([
      ["linear", 1, 1],
      ["mirror-2leg-core", 1, 0.75],
    ]);
    const table = realOverheadTable(rows);
    expect(table).toMatch(/\| mirror-2leg-core \| w +\| +1\.00 \| 0\.75 \| +0\.75 \| +150 \| +1\.50 \|/);
    const records = benchRealRecords(rows, {
      profile: "custom:bw=1MiB",
      throttle: { iops: 250, bytesPerSec: 1 << 20 },
      accel: "tcg",
      seed: 1,
      lvBytes: 24 << 20,
    });
    expect(records[1]).toMatchObject({
      type: "bench-real",
      config: "mirror-2leg-core",
      realRelativeToLinear: 0.75,
      throttle: { iopsPerDisk: 250, bytesPerSecPerDisk: 1 << 20 },
    });
    // lvmlab report keeps the record (as an unknown type, with a warning) instead of rejecting it.
    const set = parseRecords(records.map((r) => JSON.stringify(r)).join("\n"));
    expect(set.unknown.length).toBe(2);
  });

  it("drops nothing: a cell on one side only, or a ratio that is not finite, is an error", () => {
    expect(() => pairRatios(model, [real("linear", "w", 2)])).toThrow(/no result for mirror-2leg-core\/w/);
    expect(() => pairRatios(model, [real("mirror-2leg-core", "w", 2)])).toThrow(/No real linear baseline/);
    expect(() => pairRatios(model, [real("linear", "w", 2), real("raid1-2leg", "w", 2)])).toThrow(
      /No modeled sample for real cell raid1-2leg\/w/,
    );
    expect(() => pairRatios(model, [real("linear", "w", 0), real("mirror-2leg-core", "w", 1)])).toThrow(
      /realRelativeToLinear is (Infinity|NaN)/,
    );
  });
});
