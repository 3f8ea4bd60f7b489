import { describe, expect, it } from "vitest";
import { determinismCheckingRunner, firstDifference } from "../../scenarios/determinism-check.js";
import type { CaseRecord, CaseResult } from "../../scenarios/records.js";
import type { CaseRunner } from "../../scenarios/sweep.js";

function result(okBlocks: number): CaseResult {
  const record = { type: "case", key: "a@1", status: "pass", verify: { ok: okBlocks }, failures: [] };
  return { record: record as unknown as CaseRecord, timeline: [] };
}

function runner(values: number[]): CaseRunner {
  let call = 0;
  return { run: async () => result(values[call++ % values.length]!), crashPoints: async () => [] };
}

describe("--check-determinism", () => {
  it("passes identical runs and fails a case whose second run differs by one byte", async () => {
    const same = determinismCheckingRunner(runner([7]), runner([7]));
    expect((await same.run({ scenario: "a", seed: 1 })).record.status).toBe("pass");
    const differs = determinismCheckingRunner(runner([7]), runner([8]));
    const { record } = await differs.run({ scenario: "a", seed: 1 });
    expect(record.status).toBe("fail");
    expect(record.verdict).toMatch(/^nondeterministic: two runs of a@1 differ, line 1 differs at character/);
    expect(firstDifference(result(1), { ...result(1), timeline: [result(1).record as never] })).toMatch(
      /line 1 differs|missing/,
    );
  });

  it("refuses crash point lists that differ between the two layouts", async () => {
    const a: CaseRunner = { run: async () => result(1), crashPoints: async () => [] };
    const b: CaseRunner = {
      run: async () => result(1),
      crashPoints: async () => [{ kind: "write", index: 1, label: "write 1" }],
    };
    const scenario = { name: "a" } as Parameters<CaseRunner["crashPoints"]>[0];
    await expect(determinismCheckingRunner(a, b).crashPoints(scenario, 1)).rejects.toThrow(
      /Nondeterministic/,
    );
  });
});
