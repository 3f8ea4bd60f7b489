import { describe, expect, it } from "vitest";
import { caveatFor } from "../../../bench/overhead/caveats.js";
import { REALDM_PLAN, validatePlan } from "../../../bench/overhead/plan.js";
import {
  compareWithReference,
  REALDM_REFERENCE,
  REFERENCE_TOLERANCE,
  referenceMarkdown,
} from "../../../bench/overhead/reference.js";
import type { OverheadRecord } from "../../../bench/overhead/run.js";

function record(config: string, relativeToLinear: number, writeAmplification: number): OverheadRecord {
  return {
    type: "bench",
    config,
    workload: "randwrite-4k-qd32",
    profile: "realdm-100mib-1kiops",
    seed: 1,
    repetition: 0,
    iops: 1000,
    mbps: 4.1,
    latNs: { p50: 1, p90: 1, p99: 1, p999: 1, max: 1 },
    writeAmplification,
    relativeToLinear,
    cpuNsPerOp: 1,
    ios: 4096,
    runtimeNs: 1,
  };
}

describe("the real-dm reference", () => {
  it("covers every figure of the issue's table with a config the plan runs", () => {
    const plan = validatePlan(REALDM_PLAN);
    for (const figure of REALDM_REFERENCE) {
      expect(plan.configs).toContain(figure.config);
      expect(plan.workloads).toContain(figure.workload);
    }
    expect(plan.lvBytes).toBe(96 * 1024 * 1024);
    expect(plan.randomIos).toBe(4096);
  });

  it("accepts figures within ±15% and flags the rest", () => {
    const rows = compareWithReference(
      [
        record("mirror-2leg-disk", 0.98 * (1 + REFERENCE_TOLERANCE) - 0.001, 2.08),
        record("mirror-2leg-disk", 0.98, 2.08),
      ],
      REALDM_REFERENCE.filter((f) => f.config === "mirror-2leg-disk"),
    );
    expect(rows.map((r) => r.within)).toEqual([true, true]);
    expect(rows[0]!.samples).toBe(2);
    const off = compareWithReference([record("origin-1snap-4k-first", 0.08, 3)], REALDM_REFERENCE);
    const snapshot = off.filter(
      (r) => r.config === "origin-1snap-4k-first" && r.workload === "randwrite-4k-qd32",
    );
    expect(snapshot.every((r) => !r.within)).toBe(true);
    // A figure with no sample is a failure, never a silent pass.
    const missing = off.find((r) => r.config === "mirror-2leg-core")!;
    expect(missing.modeled).toBeUndefined();
    expect(missing.within).toBe(false);
    const md = referenceMarkdown(off, "p: 100 MiB/s");
    // raid1 is modelled now: a run without raid1 samples lists it as not run, never as a pass.
    expect(md).toContain("| raid1-2leg | randwrite-4k-qd32 | ratio to linear | 0.91 | not run |");
    expect(md).not.toContain("not modelled");
    expect(md).toContain("**outside**");
    expect(md).toContain("Profile: p: 100 MiB/s");
  });
});

describe("caveats", () => {
  it("mark the cells the model cannot predict and leave the calibrated ones bare", () => {
    expect(caveatFor("mirror-2leg-disk", "randwrite-4k-qd32", "realdm-100mib-1kiops")).toBeUndefined();
    expect(caveatFor("mirror-2leg-disk", "randwrite-4k-qd32", "nvme")).toMatch(
      /only realdm-100mib-1kiops is calibrated/,
    );
    expect(caveatFor("pvmove", "read-1m-qd8", "realdm-100mib-1kiops")).toMatch(/submission order/);
    expect(caveatFor("linear", "randread-4k-qd32", "hdd")).toMatch(/NCQ/);
    expect(caveatFor("linear", "write-1m-qd8", "nvme")).toBeUndefined();
  });
});
