import type { Command } from "commander";
import { devicesOption, exploreModeOption, maxPointsOption, workersOption } from "./sweep-options.js";

interface RunFlags {
  readonly seeds?: string;
  readonly explore?: boolean;
  readonly policies?: string;
  readonly maxPoints?: number;
  readonly exploreMode?: "branch" | "reexec";
  readonly workers: number;
  readonly shard?: string;
  readonly ndjson?: string;
  readonly resume?: string;
  readonly devices: "memory" | "file";
  readonly workDir?: string;
  readonly file: string[];
  readonly quiet?: boolean;
  readonly verbose?: boolean;
  readonly checkDeterminism?: boolean;
  readonly shrink?: boolean;
  readonly keep?: string;
  readonly shrinkDir: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Registers `lvmlab run [names|tags|globs...]`. */
export function register(program: Command): void {
  program
    .command("run")
    .description("Run scenario cases (scenario × seed [× crash point]) and write one NDJSON record per case")
    .argument("[selectors...]", "scenario names, tags or globs (default: every scenario)")
    .option("-s, --seeds <list>", "seeds, e.g. 1..64 or 1,5,9 (default: each scenario's own seeds)")
    .option("--explore", "run every crash point of each case (between the scenario's explore events)")
    .option(
      "--policies <list>",
      "with --explore: crash policies to try at every point, e.g. drop-all,subset,torn (also keep-all, prefix:N)",
    )
    .addOption(maxPointsOption())
    .addOption(exploreModeOption())
    .addOption(workersOption())
    .option(
      "--shard <k/n|auto>",
      "run only shard k of n (a stable split for CI matrices); auto reads the index and count from " +
        "GitLab, Buildkite or CircleCI, or a Kubernetes Indexed Job with auto/N",
    )
    .option("--ndjson <file>", "write records to FILE (- for stdout)")
    .option(
      "--resume <file>",
      "skip cases already recorded in FILE and append the rest to it (a torn last line is dropped)",
    )
    .addOption(devicesOption())
    .option("--work-dir <dir>", "directory for PV images with --devices file", ".lvmlab-work")
    .option("-f, --file <scenario>", "also load a JSON/YAML scenario file (repeatable)", collect, [])
    .option("-q, --quiet", "no progress output")
    .option("-v, --verbose", "without a TTY, print a line for every case, not only the failing ones")
    .option(
      "--check-determinism",
      "run every case twice in different worker layouts and fail it on any byte of difference",
    )
    .option(
      "--keep <dir>",
      "leave each case's PV images at the crash and after recovery in DIR/<case>/ (for real LVM2 tools)",
    )
    .option("--shrink", "shrink the first failing case to a smaller one that still fails")
    .option("--shrink-dir <dir>", "where --shrink writes the shrunk scenario", ".lvmlab-shrunk")
    .action(async (selectors: string[], flags: RunFlags) => {
      const { exitCodeForSignal, UsageError } = await import("./errors.js");
      if (flags.policies !== undefined && !flags.explore) throw new UsageError("--policies needs --explore");
      if (flags.exploreMode !== undefined && !flags.explore)
        throw new UsageError("--explore-mode needs --explore");
      const { runSweepFromCli, summaryLine } = await import("../scenarios/run-sweep-cli.js");
      let result: Awaited<ReturnType<typeof runSweepFromCli>>;
      try {
        result = await runSweepFromCli({
          selectors,
          files: flags.file,
          ...(flags.seeds === undefined ? {} : { seeds: flags.seeds }),
          explore: flags.explore ?? false,
          ...(flags.policies === undefined ? {} : { policies: flags.policies }),
          ...(flags.maxPoints === undefined ? {} : { maxPoints: flags.maxPoints }),
          ...(flags.exploreMode === undefined ? {} : { exploreMode: flags.exploreMode }),
          workers: flags.workers,
          ...(flags.shard === undefined ? {} : { shard: flags.shard }),
          ...(flags.ndjson === undefined ? {} : { ndjson: flags.ndjson }),
          ...(flags.resume === undefined ? {} : { resume: flags.resume }),
          devices: flags.devices,
          ...(flags.workDir === undefined ? {} : { workDir: flags.workDir }),
          quiet: flags.quiet ?? false,
          verbose: flags.verbose ?? false,
          checkDeterminism: flags.checkDeterminism ?? false,
          ...(flags.keep === undefined ? {} : { keep: flags.keep }),
        });
      } catch (error) {
        // A zero-point exploration or a bad scenario is bad input: one line, exit 2.
        if (error instanceof RangeError || (error as Error).name === "ScenarioError") {
          throw new UsageError((error as Error).message);
        }
        throw error;
      }
      if (result.droppedLines > 0) {
        process.stderr.write(
          `lvmlab: --resume dropped ${result.droppedLines} line(s) after the last whole case record (a torn line, the old summary)\n`,
        );
      }
      const { coverageLine } = await import("../scenarios/sweep.js");
      for (const coverage of result.coverage) process.stderr.write(`${coverageLine(coverage)}\n`);
      // With --ndjson - stdout carries the records; the summary then goes to stderr.
      const out = flags.ndjson === "-" ? process.stderr : process.stdout;
      out.write(`${summaryLine(result)}\n`);
      for (const record of result.records) {
        if (record.status === "fail")
          process.stderr.write(`FAIL ${record.key}: ${record.verdict}\n  replay: ${record.replay}\n`);
      }
      if (result.signal !== undefined) {
        process.exitCode = exitCodeForSignal(result.signal);
        return;
      }
      const failing = result.records.find((r) => r.status === "fail");
      if (flags.shrink && failing !== undefined) {
        const { shrinkAndSave } = await import("../scenarios/shrink-save.js");
        const saved = await shrinkAndSave(failing.key, { files: flags.file, dir: flags.shrinkDir });
        process.stderr.write(
          `shrunk ${failing.key} in ${saved.runs} runs: ${saved.steps.join("; ") || "already minimal"}\n`,
        );
        process.stderr.write(`  replay: ${saved.replay}\n`);
      }
      process.exitCode = result.summary.failed > 0 ? 1 : 0;
    });
}
