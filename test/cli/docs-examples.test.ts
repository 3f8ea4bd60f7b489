/**
 * The CI examples under docs/ci stay working: every lvmlab command they run uses options the CLI
 * has, and the shard counts agree (matrix size and --shard k/N; completions and --shard auto/N).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { buildProgram } from "../../cli/program.js";

function lvmlabCommands(text: string): string[][] {
  const commands: string[][] = [];
  // Folded YAML scalars (>-) join lines, so read the parsed documents, not the raw text.
  const visit = (value: unknown): void => {
    if (typeof value === "string") {
      for (const part of value.split(/\n|;/)) {
        const at = part.indexOf("dist/cli/main.js ");
        if (at >= 0)
          commands.push(
            part
              .slice(at + "dist/cli/main.js ".length)
              .trim()
              .split(/\s+/),
          );
      }
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === "object") Object.values(value).forEach(visit);
  };
  for (const doc of parseAllDocuments(text)) {
    expect(doc.errors).toEqual([]);
    visit(doc.toJS());
  }
  return commands;
}

function checkOptions(words: string[]): void {
  const program = buildProgram();
  let command = program.commands.find((c) => c.name() === words[0]);
  expect(command, words.join(" ")).toBeDefined();
  if (words[0] === "bench") command = command!.commands.find((c) => c.name() === words[1]);
  const known = new Set(command!.options.flatMap((o) => [o.long, o.short]));
  for (const word of words.filter((w) => w.startsWith("-")))
    expect(known, `${words.join(" ")}: ${word}`).toContain(word);
}

describe("docs/ci examples", () => {
  it("GitHub Actions: a matrix of shards, merge, report and a compare gate with real options", () => {
    const text = readFileSync("docs/ci/github-actions.yml", "utf8");
    const commands = lvmlabCommands(text);
    expect(commands.map((c) => c[0])).toEqual(
      expect.arrayContaining(["run", "merge", "report", "bench", "compare"]),
    );
    for (const words of commands) checkOptions(words);
    const workflow = parseAllDocuments(text)[0]!.toJS() as {
      env: { SHARDS: number };
      jobs: { sweep: { strategy: { matrix: { shard: number[] } } } };
    };
    expect(workflow.jobs.sweep.strategy.matrix.shard).toHaveLength(workflow.env.SHARDS);
  });

  it("Kubernetes: an Indexed Job whose --shard auto/N matches its completions, and a report Job", () => {
    const sweep = readFileSync("docs/ci/kubernetes-indexed-job.yaml", "utf8");
    const report = readFileSync("docs/ci/kubernetes-report-job.yaml", "utf8");
    for (const words of [...lvmlabCommands(sweep), ...lvmlabCommands(report)]) checkOptions(words);
    const job = parseAllDocuments(sweep)
      .map((d) => d.toJS() as { kind: string; spec: { completionMode?: string; completions?: number } })
      .find((d) => d.kind === "Job")!;
    expect(job.spec.completionMode).toBe("Indexed");
    expect(sweep).toContain(`--shard auto/${job.spec.completions}`);
    expect(lvmlabCommands(report).map((c) => c[0])).toEqual(["merge", "report", "report"]);
  });
});
