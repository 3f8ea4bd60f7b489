import { describe, expect, it } from "vitest";
import { shellQuote, sweepCommandLine, withFileReplay, withoutShard } from "../../scenarios/provenance.js";
import type { CaseRecord } from "../../scenarios/records.js";
import type { CaseRunner } from "../../scenarios/sweep.js";

describe("provenance", () => {
  it("records the exact command: selectors, seeds, explore, shard and files, quoted for a shell", () => {
    const command = sweepCommandLine({
      selectors: ["pvmove-*", "nightly"],
      seeds: "1..8",
      explore: true,
      shard: { index: 2, count: 4 },
      files: ["my scenarios/a.yaml"],
    });
    expect(command).toBe(
      "lvmlab run 'pvmove-*' nightly --explore --seeds 1..8 --shard 2/4 --file 'my scenarios/a.yaml'",
    );
    expect(withoutShard(command)).toBe(
      "lvmlab run 'pvmove-*' nightly --explore --seeds 1..8 --file 'my scenarios/a.yaml'",
    );
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });

  it("adds --file to the replay command of a case whose scenario came from a file", async () => {
    const record = { key: "mine@1", replay: "lvmlab replay mine@1" } as CaseRecord;
    const runner: CaseRunner = {
      run: async () => ({ record, timeline: [] }),
      crashPoints: async () => [],
    };
    const wrapped = withFileReplay(runner, new Map([["mine", "dir/mine.yaml"]]));
    expect((await wrapped.run({ scenario: "mine", seed: 1 })).record.replay).toBe(
      "lvmlab replay mine@1 --file dir/mine.yaml",
    );
    expect((await wrapped.run({ scenario: "other", seed: 1 })).record.replay).toBe("lvmlab replay mine@1");
  });
});
