import { describe, expect, it } from "vitest";
import {
  githubBenchmarkEntries,
  renderBencher,
  renderGithubBenchmark,
  renderHyperfineMarkdown,
} from "../../reports/ci-formats.js";
import { parseRecords } from "../../reports/read-records.js";
import { summarizeRecords } from "../../reports/summarize.js";
import { benchRecord, ndjson } from "./helpers.js";

const model = summarizeRecords(
  parseRecords(
    ndjson([
      benchRecord({ seed: 1, mbps: 40 }),
      benchRecord({ seed: 2, mbps: 42 }),
      benchRecord({ seed: 1, config: "mirror", mbps: 20, cpuNsPerOp: 3000 }),
      benchRecord({ seed: 2, config: "mirror", mbps: 22, cpuNsPerOp: 3100 }),
      { type: "microbench", suite: "crc", group: "g", name: "4k", nsPerOp: 120 },
    ]),
    { source: "ci" },
  ),
);

describe("benchmark formats for CI tools", () => {
  it("github-action-benchmark: one direction per file, with the CI as range", () => {
    const bigger = githubBenchmarkEntries(model, "higher");
    expect(bigger.map((e) => e.name)).toEqual([
      "ssd/randwrite-4k/linear IOPS",
      "ssd/randwrite-4k/linear MB/s",
      "ssd/randwrite-4k/mirror IOPS",
      "ssd/randwrite-4k/mirror MB/s",
    ]);
    expect(bigger[1]).toMatchObject({
      unit: "MB/s",
      value: 41,
      extra: expect.stringMatching(/^modeled; n=2/),
    });
    expect(bigger[1]?.range).toMatch(/^± \d/);
    const smaller = JSON.parse(renderGithubBenchmark(model, "lower")) as { name: string; extra: string }[];
    expect(smaller.find((e) => e.name === "ssd/randwrite-4k/mirror CPU/op")?.extra).toMatch(/^measured/);
    expect(smaller.at(-1)).toMatchObject({ name: "crc/g/4k", unit: "ns/op", value: 120 });
  });

  it("Bencher Metric Format: benchmark → measure → value with CI bounds", () => {
    const bmf = JSON.parse(renderBencher(model)) as Record<string, Record<string, { value: number }>>;
    expect(Object.keys(bmf)).toEqual(["ssd/randwrite-4k/linear", "ssd/randwrite-4k/mirror", "crc/g/4k"]);
    expect(bmf["ssd/randwrite-4k/linear"]?.mbps).toEqual({ value: 41, lower_value: 40, upper_value: 42 });
    expect(Object.keys(bmf["ssd/randwrite-4k/mirror"] ?? {})).toContain("latns-p99");
    expect(bmf["crc/g/4k"]?.latency?.value).toBe(120);
  });

  it("hyperfine-style table: mean ± σ, min, max, relative to linear", () => {
    const text = renderHyperfineMarkdown(model);
    expect(text).toContain("### ssd · randwrite-4k");
    expect(text).toContain("| Config | Mean [MB/s] | Min [MB/s] | Max [MB/s] | Relative to linear |");
    expect(text).toMatch(/\| `linear` \| 41\.00 ± [\d.]+ \| 40\.00 \| 42\.00 \| 1\.00 \|/);
    expect(text).toMatch(/\| `mirror` \| 21\.00 ± [\d.]+ \| 20\.00 \| 22\.00 \| 0\.512 ± [\d.]+ \|/);
  });
});
