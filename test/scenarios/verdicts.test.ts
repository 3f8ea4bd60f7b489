import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../cli/program.js";
import { discoverCrashPoints } from "../../scenarios/crash-points.js";
import { defineScenario } from "../../scenarios/define.js";
import { executeCase } from "../../scenarios/executor.js";
import { localRunner } from "../../scenarios/local-runner.js";
import type { ScenarioInput } from "../../scenarios/schema.js";
import { coverageLine, type ExploreCoverage, listCases } from "../../scenarios/sweep.js";

/** No green without work: faults that never fire, explorations with no points, damage never seen. */

const base: ScenarioInput = {
  name: "tiny",
  description: "Random writes to a small linear LV",
  pvs: [{ name: "pv0", size: "32MiB" }],
  setup: ["pvcreate pv0", "vgcreate vg0 pv0", "lvcreate -an -Zn -l 2 -n lv0 vg0"],
  phases: [
    {
      workload: {
        lv: "vg0/lv0",
        jobs: [
          { name: "w", rw: "randwrite", bs: "16k", size: "1m", number_ios: 60, fsync: 16, verify: "xxh64" },
        ],
      },
    },
  ],
  recovery: ["vgchange -ay vg0"],
};
const tiny = (extra: Partial<ScenarioInput>) => defineScenario({ ...base, ...extra } as ScenarioInput);
const run = (
  scenario: ReturnType<typeof tiny>,
  seed = 1,
  crashPoint?: Parameters<typeof executeCase>[1]["crashPoint"],
) =>
  executeCase(scenario, {
    scenario: scenario.name,
    seed,
    ...(crashPoint === undefined ? {} : { crashPoint }),
  }).record;

describe("a fault that never fires", () => {
  it("fails its case with 'fault did not fire'", () => {
    const record = run(tiny({ faults: [{ kind: "power-cut", at: { write: 100_000 } }] }));
    expect(record.status).toBe("fail");
    expect(record.failures).toContain("fault did not fire: power-cut#0 (at write 100000) was never reached");
    expect(record.faults).toEqual([]);
  });

  it("fails a fault chained after one that never fires, and passes when both fire", () => {
    const faults = (write: number) => [
      { kind: "slow-device" as const, id: "slow", device: "pv0", factor: 2, at: { write } },
      {
        kind: "power-cut" as const,
        at: { after: "slow", delayNs: 1000 },
        policy: { kind: "drop-all" as const },
      },
    ];
    const idle = run(tiny({ faults: faults(100_000) }));
    expect(idle.failures.filter((f) => f.startsWith("fault did not fire"))).toHaveLength(2);
    expect(run(tiny({ faults: faults(10) })).status).toBe("pass");
  });

  it("is excused only when a cut the runner placed ended the run first", () => {
    const slowLate = tiny({ faults: [{ kind: "slow-device", device: "pv0", factor: 2, at: { write: 50 } }] });
    // An explored cut at write 5 comes before the slow-down's write 50: the runner chose that.
    const explored = run(slowLate, 1, { kind: "write", index: 5, label: "write 5" });
    expect(explored.status, explored.failures.join("; ")).toBe("pass");
    // The scenario's own cut before another of its faults is the scenario's mistake.
    const own = run(
      tiny({
        faults: [
          { kind: "power-cut", at: { write: 5 }, policy: { kind: "drop-all" } },
          { kind: "slow-device", device: "pv0", factor: 2, at: { write: 50 } },
        ],
      }),
    );
    expect(own.failures.some((f) => f.startsWith("fault did not fire: slow-device#1"))).toBe(true);
  });

  it("is disarmed at a cut the runner placed, so it never fires during recovery", () => {
    // Latent errors due 10 s in, under the blocks the workload writes: recovery's wait for
    // background work would reach that time after an explored cut at write 5.
    const lateErrors = {
      kind: "latent-sector-errors" as const,
      device: "pv0",
      count: 64,
      rangeStartSector: 2048,
      rangeSectors: 2048,
      healOnWrite: false,
      at: { timeNs: 10_000_000_000 },
    };
    const explored = run(tiny({ faults: [lateErrors] }), 1, { kind: "write", index: 5, label: "write 5" });
    expect(explored.status, explored.failures.join("; ")).toBe("pass");
    expect(explored.faults.map((f) => f.kind)).toEqual(["power-cut"]);
    expect(explored.verify.unreadable).toBe(0);
    // The scenario's own cut keeps them armed: a scenario may place a fault in its recovery.
    const own = run(
      tiny({
        faults: [{ kind: "power-cut", at: { write: 5 }, policy: { kind: "drop-all" } }, lateErrors],
        expect: { tolerates: ["unreadable"] },
      }),
    );
    expect(own.faults.map((f) => f.kind)).toEqual(["power-cut", "latent-sector-errors"]);
    expect(own.faults[1]).toMatchObject({ firedAt: { tNs: 10_000_000_000 } });
  });

  it("fails a replayed crash point the run never reaches", () => {
    const record = run(tiny({}), 1, { kind: "write", index: 100_000, label: "write 100000" });
    expect(record.failures.some((f) => f.startsWith("fault did not fire: explore"))).toBe(true);
  });
});

describe("expect.damageSeen", () => {
  const torn = (policy: "torn" | "drop-all") =>
    tiny({
      faults: [{ kind: "power-cut", at: { write: 40 }, policy: { kind: policy } }],
      expect: { damageSeen: ["torn"] },
    });

  it("passes when the tolerated damage happened and fails when it did not", () => {
    const tornRecord = run(torn("torn"));
    expect(tornRecord.verify.torn).toBeGreaterThan(0);
    expect(tornRecord.status, tornRecord.failures.join("; ")).toBe("pass");
    const dropped = run(torn("drop-all"));
    expect(dropped.status).toBe("fail");
    expect(dropped.failures).toContain(
      "expected the fault to leave torn blocks, found none (the fault did nothing visible)",
    );
  });

  it("is not checked at explored crash points, which land anywhere", () => {
    const record = run(torn("drop-all"), 1, { kind: "write", index: 3, label: "write 3" });
    expect(record.status, record.failures.join("; ")).toBe("pass");
  });
});

describe("exploration", () => {
  const explorable = tiny({
    faults: [{ kind: "power-cut", at: { write: 20 }, policy: { kind: "drop-all" } }],
    explore: { writes: true },
  });

  it("covers the whole run with the scenario's own cut disarmed, and stops at the end of the phases", () => {
    const points = discoverCrashPoints(explorable, 1);
    const writes = points.filter((p) => p.kind === "write");
    // 60 writes of 16 KiB plus the flushes' metadata-free run: far past the scenario's cut at write 20.
    expect(writes.length).toBeGreaterThanOrEqual(60);
    expect(writes.at(-1)!.index).toBe(writes.length);
  });

  it("sweeps crash policies at every point and says what it covered", async () => {
    const runner = localRunner([{ scenario: explorable, file: "tiny" }]);
    const coverage: ExploreCoverage[] = [];
    const cases = await listCases(
      {
        scenarios: [{ scenario: explorable, file: "tiny" }],
        seeds: [1],
        explore: true,
        policies: ["drop-all", "torn"],
        runner,
      },
      coverage,
    );
    const points = discoverCrashPoints(explorable, 1).length;
    expect(cases).toHaveLength(points * 2);
    expect(cases[1]).toMatchObject({ policy: "torn", crashPoint: cases[0]!.crashPoint });
    expect(coverage).toEqual([
      {
        scenario: "tiny",
        seed: 1,
        points,
        coveredPoints: points,
        policies: 2,
        cases: points * 2,
        sampled: false,
        perPolicy: [
          { policy: "drop-all", exploredPoints: points },
          { policy: "torn", exploredPoints: points },
        ],
      },
    ]);
    expect(coverageLine(coverage[0]!)).toBe(
      `explored tiny@1: covered ${points} of ${points} crash points × 2 policies`,
    );
    // A torn cut at an explored point passes on the real engine (torn blocks are legal there).
    const tornCase = cases.find((c) => c.policy === "torn" && c.crashPoint?.index === 30)!;
    const record = executeCase(explorable, tornCase).record;
    expect(record.status, record.failures.join("; ")).toBe("pass");
    expect(record.key).toBe(`tiny@1/${tornCase.crashPoint!.kind}:30/torn`);
  });

  it("samples points × policies with the seed past the bound, and says so", async () => {
    const runner = localRunner([{ scenario: explorable, file: "tiny" }]);
    const options = {
      scenarios: [{ scenario: explorable, file: "tiny" }],
      seeds: [1],
      explore: true,
      policies: ["drop-all", "subset", "torn"],
      maxExploreCases: 25,
      runner,
    };
    const coverage: ExploreCoverage[] = [];
    const cases = await listCases(options, coverage);
    expect(cases).toHaveLength(25);
    expect(await listCases(options)).toEqual(cases);
    expect(coverage[0]!.sampled).toBe(true);
    expect(coverageLine(coverage[0]!)).toMatch(
      /covered \d+ of \d+ crash points × 3 policies \(sampled 25 of \d+/,
    );
  });

  it("refuses an exploration with no crash points (exit 2 from lvmlab run)", async () => {
    const idle = tiny({ name: "idle", explore: { from: "pvmove.start" } });
    const runner = localRunner([{ scenario: idle, file: "idle" }]);
    await expect(
      listCases({ scenarios: [{ scenario: idle, file: "idle" }], seeds: [1], explore: true, runner }),
    ).rejects.toThrow(/idle seed 1: exploration found no crash points between explore.from "pvmove.start"/);
    const dir = mkdtempSync(join(tmpdir(), "lvmlab-idle-"));
    const file = join(dir, "idle.json");
    writeFileSync(file, JSON.stringify({ ...base, name: "idle", explore: { from: "pvmove.start" } }));
    const stderr = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(await runCli(["run", "idle", "--file", file, "--explore", "--seeds", "1", "-q"])).toBe(2);
      expect(await runCli(["run", "idle", "--file", file, "--policies", "torn", "-q"])).toBe(2);
    } finally {
      process.stderr.write = stderr;
    }
  });
});
