import { describe, expect, it } from "vitest";
import { overheadNdjson } from "../../../bench/overhead/ndjson.js";
import {
  FULL_PLAN,
  type OverheadPlan,
  parseProfiles,
  parseSeeds,
  planSamples,
  QUICK_PLAN,
  validatePlan,
} from "../../../bench/overhead/plan.js";
import { type OverheadRecord, runCell, runOrder, runOverhead } from "../../../bench/overhead/run.js";
import { BenchRecordSchema } from "../../../reports/records.js";

const MiB = 1024 * 1024;
const SMALL = { lvBytes: 12 * MiB, randomIos: 256 };

/** Everything except the measured CPU time, which is the one non-deterministic field. */
function modeled(records: readonly OverheadRecord[]): Omit<OverheadRecord, "cpuNsPerOp">[] {
  return records.map(({ cpuNsPerOp: _cpu, ...rest }) => rest);
}

function plan(overrides: Partial<OverheadPlan>): OverheadPlan {
  return validatePlan({ ...QUICK_PLAN, ...SMALL, ...overrides });
}

describe("overhead run", () => {
  it("gives identical modeled records for the same seed, different ones for another seed", () => {
    const p = plan({
      configs: ["mirror-2leg-core", "origin-1snap-64k-first"],
      workloads: ["randrw70-4k-qd32"],
      profiles: ["nvme", "hdd"],
      seeds: [7],
    });
    const first = runOverhead(p);
    const second = runOverhead(p);
    expect(first).toHaveLength(6);
    expect(modeled(second)).toEqual(modeled(first));
    const other = runOverhead({ ...p, seeds: [8] });
    // Jittered profiles and random offsets: another seed moves the modeled numbers.
    expect(other.map((r) => r.latNs.p50)).not.toEqual(first.map((r) => r.latNs.p50));
    // Repetitions are independent replicates of a seed, not copies of repetition 0.
    const reps = runOverhead({ ...p, configs: ["linear"], profiles: ["nvme"], repetitions: 2 });
    expect(reps.map((r) => r.repetition)).toEqual([0, 1]);
    expect(reps[1]!.latNs.p99).not.toBe(reps[0]!.latNs.p99);
  });

  it("reproduces realdm-observations.md on realdm-100mib within tolerance", () => {
    const records = runOverhead(
      plan({
        configs: ["mirror-2leg-core", "origin-1snap-4k-first", "mirror-2leg-core-sharedbus"],
        workloads: ["write-1m-qd8"],
        profiles: ["realdm-100mib-1kiops"],
        seeds: [1],
      }),
    );
    const ratio = (config: string) => records.find((r) => r.config === config)!.relativeToLinear!;
    const linear = records.find((r) => r.config === "linear")!;
    // The reference disks: 100 MiB/s = 104.9 MB/s, bandwidth-bound.
    expect(linear.mbps).toBeGreaterThan(100);
    expect(linear.mbps).toBeLessThanOrEqual(104.86);
    expect(ratio("linear")).toBe(1);
    expect(Math.abs(ratio("mirror-2leg-core") - 1.0)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(ratio("origin-1snap-4k-first") - 0.5)).toBeLessThanOrEqual(0.05);
    expect(ratio("mirror-2leg-core-sharedbus")).toBeGreaterThanOrEqual(0.5);
    expect(ratio("mirror-2leg-core-sharedbus")).toBeLessThanOrEqual(0.8);
  });

  it("raid1: a clean bitmap costs random writes ~9% (0.91 real), reads balance over the legs", () => {
    const writes = runOverhead(
      plan({
        configs: ["raid1-2leg", "raid1-2leg-warm"],
        workloads: ["randwrite-4k-qd32"],
        profiles: ["realdm-100mib-1kiops"],
        seeds: [1],
        lvBytes: 96 * MiB,
        randomIos: 4096,
      }),
      { warmUp: false },
    );
    const ratio = (records: typeof writes, config: string, workload: string) =>
      records.find((r) => r.config === config && r.workload === workload)!.relativeToLinear!;
    // One PREFLUSH|FUA bitmap write per region's first write, the queued writes waiting behind it.
    expect(Math.abs(ratio(writes, "raid1-2leg", "randwrite-4k-qd32") - 0.91)).toBeLessThanOrEqual(
      0.91 * 0.15,
    );
    expect(ratio(writes, "raid1-2leg", "randwrite-4k-qd32")).toBeLessThan(0.97);
    expect(ratio(writes, "raid1-2leg-warm", "randwrite-4k-qd32")).toBe(1);
    const reads = runOverhead(
      plan({
        configs: ["raid1-2leg", "mirror-2leg-core"],
        workloads: ["read-1m-qd8", "read-1m-4streams-qd2", "randread-4k-4streams-qd8"],
        profiles: ["realdm-100mib-1kiops"],
        seeds: [1],
      }),
      { warmUp: false },
    );
    // One sequential stream sticks to one leg; separate streams and random reads spread over both.
    expect(ratio(reads, "raid1-2leg", "read-1m-qd8")).toBeCloseTo(1, 2);
    expect(ratio(reads, "raid1-2leg", "read-1m-4streams-qd2")).toBeGreaterThan(1.8);
    expect(ratio(reads, "raid1-2leg", "randread-4k-4streams-qd8")).toBeGreaterThan(1.8);
    // dm-mirror reads its default leg only.
    expect(ratio(reads, "mirror-2leg-core", "read-1m-4streams-qd2")).toBeCloseTo(1, 2);
  });

  it("counts write amplification at the PVs: legs for a mirror, copies for first writes, none for reads", () => {
    const cell = (config: string, workload: string) =>
      runCell({ config, workload, profile: "sata-ssd", seed: 1, repetition: 0 }, SMALL);
    expect(cell("linear", "write-1m-qd8").writeAmplification).toBe(1);
    expect(cell("mirror-2leg-core", "write-1m-qd8").writeAmplification).toBe(2);
    expect(cell("mirror-3leg-core", "randwrite-4k-qd32").writeAmplification).toBe(3);
    // Every 4 KiB write to a fresh 4 KiB-chunk snapshot writes the origin and copies one chunk;
    // the 4 KiB exception area is written once per batch of exceptions pending together (iodepth
    // 32 gives batches of many), not once per write as a one-at-a-time store would (3 + 1/256).
    const snapshot = cell("origin-1snap-4k-first", "randwrite-4k-qd32").writeAmplification;
    expect(snapshot).toBeGreaterThan(2);
    expect(snapshot).toBeLessThan(2.5);
    expect(cell("origin-1snap-4k-overwrite", "randwrite-4k-qd32").writeAmplification).toBe(1);
    expect(cell("striped-3", "read-1m-qd8").writeAmplification).toBe(0);
  });

  it("writes records that validate against BenchRecordSchema, with a paired ratio to linear", () => {
    const records = runOverhead(
      plan({
        configs: ["striped-2", "pvmove"],
        workloads: ["read-1m-qd8"],
        profiles: ["sata-ssd"],
        seeds: [1, 2],
      }),
    );
    expect(records.map((r) => `${r.seed}:${r.config}`)).toEqual([
      "1:linear",
      "1:striped-2",
      "1:pvmove",
      "2:linear",
      "2:striped-2",
      "2:pvmove",
    ]);
    for (const record of records) {
      const parsed = BenchRecordSchema.safeParse(JSON.parse(JSON.stringify(record)));
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      const linear = records.find((r) => r.config === "linear" && r.seed === record.seed)!;
      expect(record.relativeToLinear).toBeCloseTo(record.mbps / linear.mbps, 12);
      expect(record.iops).toBeCloseTo((record.mbps * 1e6) / MiB, 6);
      expect(record.latNs.p50).toBeLessThanOrEqual(record.latNs.p99);
      expect(record.latNs.p99).toBeLessThanOrEqual(record.latNs.max * 1.001);
      expect(record.cpuNsPerOp).toBeGreaterThan(0);
    }
    // Two stripes read twice as fast as one disk; the pvmove copy competes with reads on the source.
    expect(records[1]!.relativeToLinear).toBeGreaterThan(1.8);
    expect(records[2]!.relativeToLinear).toBeLessThan(0.95);
    const lines = overheadNdjson(records, { command: "test" }).trimEnd().split("\n");
    expect(lines).toHaveLength(records.length + 1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ type: "meta", schema: 1, command: "test" });
  });

  it("always runs linear first and bounds the matrix", () => {
    expect(runOrder(["mirror-2leg-core", "linear"])).toEqual(["linear", "mirror-2leg-core"]);
    // 29 configs: linear, 2 striped, 5 mirrors, 12 snapshot variants, 3 raid1 (one warm), 5 thin, pvmove.
    expect(planSamples(FULL_PLAN)).toBe(29 * 7 * 4 * 5);
    expect(() => validatePlan({ ...FULL_PLAN, seeds: parseSeeds("1..100"), repetitions: 20 })).toThrow(
      /samples, more than 20000; select fewer/,
    );
    expect(() => validatePlan({ ...FULL_PLAN, workloads: ["seqwrite"] })).toThrow(
      /Unknown overhead workload/,
    );
    expect(() => validatePlan({ ...FULL_PLAN, lvBytes: 10 * MiB })).toThrow(/multiple of 6 MiB/);
    expect(() => validatePlan({ ...FULL_PLAN, repetitions: 0 })).toThrow(/repetitions 0/);
  });

  it("parses seed and profile lists", () => {
    expect(parseSeeds("1..3,7,2")).toEqual([1, 2, 3, 7]);
    expect(() => parseSeeds("5..1")).toThrow(/must go upwards/);
    expect(() => parseSeeds("x")).toThrow(/not a number or a range/);
    expect(parseProfiles("nvme, custom:bw=100MiB,lat=200us,hdd")).toEqual([
      "nvme",
      "custom:bw=100MiB,lat=200us",
      "hdd",
    ]);
  });
});
