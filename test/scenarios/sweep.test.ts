import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type CaseSpec, caseKey, parseCaseKey, replayCommand } from "../../scenarios/case.js";
import { defineScenario } from "../../scenarios/define.js";
import type { LoadedScenario } from "../../scenarios/load.js";
import { mergeCaseRecords } from "../../scenarios/merge.js";
import { NdjsonSink } from "../../scenarios/ndjson-sink.js";
import { type CaseRecord, type CaseResult, emptyVerifyCounts } from "../../scenarios/records.js";
import { type CaseRunner, listCases, runSweep } from "../../scenarios/sweep.js";

function scenario(name: string, seeds?: string): LoadedScenario {
  return {
    file: `${name}.scenario.ts`,
    scenario: defineScenario({
      name,
      description: "test scenario",
      pvs: [{ name: "pv0", size: "8MiB" }],
      phases: [{ lvm: "pvcreate pv0" }],
      ...(seeds === undefined ? {} : { seeds }),
    }),
  };
}

/** A fake runner whose cases finish in a scrambled order and fail on odd seeds of "b". */
function fakeRunner(): CaseRunner & { ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    async run(spec: CaseSpec): Promise<CaseResult> {
      ran.push(caseKey(spec));
      // Later cases finish first, so ordering bugs show up.
      await new Promise((resolve) => setTimeout(resolve, (10 - (spec.seed % 10)) * 2));
      const fail = spec.scenario === "b" && spec.seed % 2 === 1;
      const record: CaseRecord = {
        type: "case",
        scenario: spec.scenario,
        seed: spec.seed,
        status: fail ? "fail" : "pass",
        crashPoint: spec.crashPoint?.label ?? null,
        draw: null,
        faults: [],
        verify: emptyVerifyCounts(),
        replay: replayCommand(spec),
        verdict: fail ? "planted failure" : "ok",
        failures: fail ? ["planted failure"] : [],
        durationNs: 0,
        tags: [],
        key: caseKey(spec),
      };
      return { record, timeline: [] };
    },
    async crashPoints(_scenario, seed) {
      return Array.from({ length: 3 }, (_, i) => ({
        kind: "event" as const,
        index: i + 1 + seed,
        label: `e${i}`,
      }));
    },
  };
}

describe("case keys", () => {
  it("round-trip through parseCaseKey", () => {
    const spec = {
      scenario: "pvmove-cut",
      seed: 7,
      crashPoint: { kind: "write" as const, index: 12, label: "x" },
    };
    const parsed = parseCaseKey(caseKey(spec));
    expect(parsed.scenario).toBe("pvmove-cut");
    expect(parsed.seed).toBe(7);
    expect(parsed.crashPoint?.kind).toBe("write");
    expect(parsed.crashPoint?.index).toBe(12);
    expect(replayCommand(spec)).toBe("lvmlab replay pvmove-cut@7/write:12");
    expect(() => parseCaseKey("nope")).toThrow(/Bad case/);
  });
});

describe("runSweep", () => {
  it("writes records in case order whatever the completion order, and totals them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lvmlab-sweep-"));
    const path = join(dir, "out.ndjson");
    const sink = NdjsonSink.open(path);
    const runner = fakeRunner();
    const { records, summary } = await runSweep({
      scenarios: [scenario("a"), scenario("b")],
      seeds: [1, 2, 3, 4],
      runner,
      sink,
      concurrency: 4,
    });
    sink.close();
    expect(records.map((r) => r.key)).toEqual(["a@1", "a@2", "a@3", "a@4", "b@1", "b@2", "b@3", "b@4"]);
    expect(summary).toMatchObject({ cases: 8, passed: 6, failed: 2, interrupted: false });
    const lines = readFileSync(path, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string });
    expect(lines).toHaveLength(9);
    expect(lines.at(-1)?.type).toBe("summary");
  });

  it("uses each scenario's own seeds when none are given", async () => {
    const cases = await listCases({
      scenarios: [scenario("a", "1..3"), scenario("b")],
      runner: fakeRunner(),
    });
    expect(cases.map(caseKey)).toEqual(["a@1", "a@2", "a@3", "b@1"]);
  });

  it("explores crash points per scenario and seed", async () => {
    const cases = await listCases({
      scenarios: [scenario("a")],
      seeds: [1],
      explore: true,
      runner: fakeRunner(),
    });
    expect(cases.map(caseKey)).toEqual(["a@1/event:2", "a@1/event:3", "a@1/event:4"]);
  });

  it("writes one coverage record per exploration, before its cases, with points per policy", async () => {
    const written: object[] = [];
    const sink = { write: (r: object) => written.push(r) } as unknown as NonNullable<
      Parameters<typeof runSweep>[0]["sink"]
    >;
    const result = await runSweep({
      scenarios: [scenario("a")],
      seeds: [1],
      explore: true,
      policies: ["drop-all", "torn"],
      maxExploreCases: 4,
      runner: fakeRunner(),
      sink,
    });
    expect(written[0]).toEqual({
      type: "coverage",
      scenario: "a",
      seed: 1,
      points: 3,
      exploredPoints: result.coverage[0]!.coveredPoints,
      cases: 4,
      sampled: true,
      policies: result.coverage[0]!.perPolicy,
    });
    const perPolicy = (written[0] as { policies: { exploredPoints: number }[] }).policies;
    expect(perPolicy.map((p) => p.exploredPoints).reduce((a, b) => a + b)).toBe(4);
    expect(written.filter((r) => (r as { type: string }).type === "coverage")).toHaveLength(1);
    // A resumed run's file has it already.
    const again: object[] = [];
    await runSweep({
      scenarios: [scenario("a")],
      seeds: [1],
      explore: true,
      runner: fakeRunner(),
      sink: { write: (r: object) => again.push(r) } as unknown as typeof sink,
      priorRecords: result.records.slice(0, 1),
    });
    expect(again.some((r) => (r as { type: string }).type === "coverage")).toBe(false);
  });

  it("shards cover every case exactly once and merge back to the unsharded sweep", async () => {
    const scenarios = [scenario("a"), scenario("b")];
    const seeds = Array.from({ length: 20 }, (_, i) => i + 1);
    const whole = await runSweep({ scenarios, seeds, runner: fakeRunner() });
    const parts = [];
    for (let index = 1; index <= 3; index++) {
      parts.push(
        (await runSweep({ scenarios, seeds, runner: fakeRunner(), shard: { index, count: 3 } })).records,
      );
    }
    expect(parts.flat()).toHaveLength(whole.records.length);
    const merged = mergeCaseRecords(parts);
    expect(merged.conflicts).toEqual([]);
    expect(merged.summary).toMatchObject({ cases: 40, failed: whole.summary.failed });
    expect(new Set(merged.records.map((r) => r.key))).toEqual(new Set(whole.records.map((r) => r.key)));
  });

  it("skips cases already recorded (resume) and stops cleanly on abort", async () => {
    const runner = fakeRunner();
    await runSweep({
      scenarios: [scenario("a")],
      seeds: [1, 2, 3],
      runner,
      skipKeys: new Set(["a@2"]),
    });
    expect(runner.ran).toEqual(["a@1", "a@3"]);
    const controller = new AbortController();
    controller.abort();
    const stopped = await runSweep({
      scenarios: [scenario("a")],
      seeds: [1, 2],
      runner: fakeRunner(),
      signal: controller.signal,
    });
    expect(stopped.summary.interrupted).toBe(true);
    expect(stopped.summary.cases).toBe(0);
  });

  it("merge flags a case recorded with different results and keeps the failure", () => {
    const pass = { key: "a@1", status: "pass" } as CaseRecord;
    const fail = { key: "a@1", status: "fail" } as CaseRecord;
    const merged = mergeCaseRecords([[pass], [fail]]);
    expect(merged.conflicts).toEqual(["a@1"]);
    expect(merged.records[0]?.status).toBe("fail");
  });
});
