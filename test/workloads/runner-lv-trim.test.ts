/**
 * fio trim jobs against real LVs, through the scenario executor: the pool gives trimmed blocks
 * back, the oracle's verdict holds, and a target that takes no discards stops the job.
 */
import { describe, expect, it } from "vitest";
import { defineScenario } from "../../scenarios/define.js";
import { executeCase } from "../../scenarios/executor.js";
import type { ScenarioInput } from "../../scenarios/schema.js";

const pvs = [
  { name: "pv0", size: "22MiB", profile: "sata-ssd" },
  { name: "pv1", size: "64MiB", profile: "sata-ssd" },
];
const thinSetup = (pool: string) => [
  "pvcreate pv0 pv1",
  "vgcreate vg0 pv0 pv1",
  `lvcreate -T ${pool} vg0/pool`,
  "lvcreate -V 32M -T vg0/pool -n thin",
];
const workload = (lv: string, job: Record<string, string | number | boolean>) => ({
  workload: { lv, jobs: [{ iodepth: 4, ...job }] },
});
const write = (lv: string, name: string, offset: string, size: string) =>
  workload(lv, { name, rw: "write", bs: "64k", offset, size, fsync: 8, end_fsync: 1, verify: "xxh64" });
const dataPercent = { lvm: "lvs --noheadings -o lv_name,data_percent vg0/pool" };

function runCase(
  input: Omit<ScenarioInput, "name" | "description">,
  seed = 1,
  mutations?: ReadonlySet<string>,
) {
  const scenario = defineScenario({ name: "trim-case", description: "a fio trim job", ...input });
  const errors: string[][] = [];
  const { record } = executeCase(
    scenario,
    { scenario: "trim-case", seed },
    {
      onWorkloadDone: (_, codes) => errors.push([...codes]),
      ...(mutations === undefined ? {} : { mutations }),
    },
  );
  return { record, errors };
}

describe("fio trim jobs on LVs", () => {
  it("rw=randtrim on a thin LV frees whole pool blocks: Data% drops, the freed blocks take new writes, the verdict passes", () => {
    const input: Omit<ScenarioInput, "name" | "description"> = {
      pvs,
      setup: thinSetup("--errorwhenfull y -L 4M"),
      phases: [
        write("vg0/thin", "fill", "0", "3m"),
        dataPercent,
        workload("vg0/thin", { name: "trim", rw: "randtrim", bs: "64k", size: "2m" }),
        dataPercent,
        // 40 blocks: only 16 were free before the trims, so these need the trimmed ones.
        write("vg0/thin", "refill", "8m", "2560k"),
        dataPercent,
      ],
      expect: { thinChecked: ["vg0/pool"], messages: ["pool 75.00", "pool 25.00", "pool 87.50"] },
    };
    for (const seed of [1, 2]) {
      const { record, errors } = runCase(input, seed);
      expect(record.status, record.failures.join("; ")).toBe("pass");
      expect(errors).toEqual([[], [], []]);
      expect(record.verify.lost + record.verify.stale + record.verify.corrupt).toBe(0);
      expect(record.verify.ok).toBe(88);
    }
    // A pool that unmaps but keeps the reference counts never gets its space back.
    const leaky = runCase(input, 1, new Set(["persistent-data.discard-keeps-refcount"]));
    expect(leaky.record.status).toBe("fail");
    expect(leaky.errors[2]).toEqual(["ENOSPC"]);
  });

  it("a pool with --discards ignore keeps its blocks: the trim changes nothing and the verdict still passes", () => {
    const { record, errors } = runCase({
      pvs,
      setup: thinSetup("--discards ignore -L 4M"),
      phases: [
        write("vg0/thin", "fill", "0", "3m"),
        workload("vg0/thin", { name: "trim", rw: "trim", bs: "64k", size: "2m" }),
        dataPercent,
      ],
      expect: { thinChecked: ["vg0/pool"], messages: ["pool 75.00"] },
    });
    expect(record.status, record.failures.join("; ")).toBe("pass");
    expect(errors).toEqual([[], []]);
  });

  it("rw=trimwrite on a linear LV passes the oracle, and trims of blocks never rewritten may read as zeros", () => {
    const { record, errors } = runCase({
      pvs: [{ name: "pv0", size: "32MiB", profile: "sata-ssd" }],
      setup: ["pvcreate pv0", "vgcreate vg0 pv0", "lvcreate -an -Zn -L 8M -n lv0 vg0"],
      phases: [
        write("vg0/lv0", "fill", "0", "4m"),
        workload("vg0/lv0", {
          name: "tw",
          rw: "trimwrite",
          bs: "64k",
          size: "1m",
          fsync: 4,
          verify: "xxh64",
        }),
        workload("vg0/lv0", { name: "trim", rw: "trim", bs: "128k", offset: "2m", size: "1m" }),
      ],
      recovery: ["vgchange -ay vg0"],
    });
    expect(record.status, record.failures.join("; ")).toBe("pass");
    expect(errors).toEqual([[], [], []]);
    expect(record.verify.ok).toBe(64);
  });

  it("a trim on an LV whose target takes no discards (a snapshot) stops the job with EINVAL", () => {
    const { record, errors } = runCase({
      pvs: [{ name: "pv0", size: "32MiB", profile: "sata-ssd" }],
      setup: [
        "pvcreate pv0",
        "vgcreate vg0 pv0",
        "lvcreate -an -Zn -L 4M -n lv0 vg0",
        "lvcreate -s -L 4M -n snap vg0/lv0",
      ],
      phases: [
        write("vg0/snap", "fill", "0", "1m"),
        workload("vg0/snap", { name: "trim", rw: "randtrim", bs: "64k", size: "1m" }),
      ],
    });
    expect(errors).toEqual([[], ["EINVAL"]]);
    // Nothing was trimmed: every block the first job wrote still reads back.
    expect(record.verify.ok).toBe(16);
  });
});
