import { describe, expect, it } from "vitest";
import allocSuite from "../../../bench/suites/alloc.js";
import { fragmentedVg } from "../../../bench/suites/fixtures/vg.js";
import metadataSuite from "../../../bench/suites/metadata.js";
import { pvFreeRanges } from "../../../engine/metadata/extent-map.js";
import { validateVg } from "../../../engine/metadata/validate.js";

describe("metadata and alloc micro-benchmarks", () => {
  it("build a valid, fragmented fixture VG", () => {
    const vg = fragmentedVg(60);
    expect(validateVg(vg)).toEqual([]);
    expect(vg.lvs.some((lv) => lv.name === "lv0")).toBe(false);
    expect(vg.lvs.some((lv) => lv.name === "lv1")).toBe(true);
    // Removing every third LV leaves holes before the end of the first PV.
    expect(pvFreeRanges(vg, "pv0").length).toBeGreaterThan(1);
    expect(() => fragmentedVg(0)).toThrow(/Fixture LV count 0/);
  });

  it.each([
    ["metadata", metadataSuite, ["JSON.stringify", "printConfig (raw)", "JSON.parse", "parseConfig"]],
    [
      "alloc",
      allocSuite,
      [
        "first fit over free runs",
        "allocateExtents linear",
        "allocateExtents mirror 2 images, core log",
        "allocateExtents striped 2",
      ],
    ],
  ] as const)(
    "suite %s measures every case against a baseline of the same run",
    async (_name, suite, names) => {
      const rows = await suite.run({ quick: true });
      expect(rows.map((r) => r.name)).toEqual(names);
      const byName = new Map(rows.map((r) => [r.name, r]));
      for (const row of rows) {
        expect(row.nsPerOp).toBeGreaterThan(0);
        if (row.baseline === undefined) continue;
        const base = byName.get(row.baseline);
        expect(base?.group).toBe(row.group);
        expect(row.ratioToBaseline).toBeCloseTo(base!.nsPerOp / row.nsPerOp, 9);
      }
      expect(rows.filter((r) => r.baseline === undefined).length).toBe(suite === metadataSuite ? 2 : 1);
    },
  );
});
