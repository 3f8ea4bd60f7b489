import { describe, expect, it } from "vitest";
import { resolveShard } from "../../scenarios/shard-env.js";

describe("--shard auto", () => {
  it("reads each CI engine's variables with its own index base", () => {
    expect(resolveShard("auto", { CI_NODE_INDEX: "1", CI_NODE_TOTAL: "4" })).toEqual({
      shard: { index: 1, count: 4 },
      source: "GitLab CI",
    });
    expect(
      resolveShard("auto", { BUILDKITE_PARALLEL_JOB: "0", BUILDKITE_PARALLEL_JOB_COUNT: "3" }).shard,
    ).toEqual({
      index: 1,
      count: 3,
    });
    expect(resolveShard("auto", { CIRCLE_NODE_INDEX: "2", CIRCLE_NODE_TOTAL: "3" }).shard).toEqual({
      index: 3,
      count: 3,
    });
    expect(resolveShard("auto/8", { JOB_COMPLETION_INDEX: "7" })).toEqual({
      shard: { index: 8, count: 8 },
      source: "Kubernetes Indexed Job",
    });
    expect(resolveShard("2/5", {})).toEqual({ shard: { index: 2, count: 5 }, source: "command line" });
  });

  it("refuses what cannot be a shard, naming the variable", () => {
    expect(() => resolveShard("auto", {})).toThrow(/none of JOB_COMPLETION_INDEX/);
    expect(() => resolveShard("auto", { JOB_COMPLETION_INDEX: "0" })).toThrow(/--shard auto\/N/);
    expect(() => resolveShard("auto", { CI_NODE_INDEX: "x", CI_NODE_TOTAL: "2" })).toThrow(
      /CI_NODE_INDEX="x"/,
    );
    expect(() => resolveShard("auto", { CI_NODE_INDEX: "5", CI_NODE_TOTAL: "4" })).toThrow(/Bad shard/);
    expect(() => resolveShard("auto/3", { CIRCLE_NODE_INDEX: "0", CIRCLE_NODE_TOTAL: "4" })).toThrow(
      /CIRCLE_NODE_TOTAL=4, not 3/,
    );
    expect(() => resolveShard("x", {})).toThrow(/Bad shard "x"/);
  });
});
