import { type Command, Option } from "commander";

/** Output formats of `lvmlab compare`. */
const COMPARE_FORMATS = ["terminal", "md", "json"] as const;

interface CompareFlags {
  readonly threshold: string;
  readonly format: (typeof COMPARE_FORMATS)[number];
  readonly out?: string;
  readonly base?: string[];
  readonly head?: string[];
  readonly onlyChanges?: boolean;
  readonly gateMeasured?: boolean;
  readonly measuredMinSamples: string;
}

/**
 * Registers `lvmlab compare BASE HEAD [--threshold 5] [--format terminal|md|json]`; each side may be
 * a file, a directory of shard files, or several files via --base/--head. Exits 1 on a regression.
 */
export function register(program: Command): void {
  program
    .command("compare")
    .description(
      "Compare benchmark records before (BASE) and after (HEAD): change, 95% bootstrap CI and verdict per " +
        "metric; modeled metrics gate (exit 1 on a regression), measured CPU time is shown; nothing compared: exit 2",
    )
    .argument("[base]", "BASE NDJSON file or directory of shard files")
    .argument("[head]", "HEAD NDJSON file or directory of shard files")
    .option("--base <files...>", "more BASE files (shards), in addition to the positional BASE")
    .option("--head <files...>", "more HEAD files (shards), in addition to the positional HEAD")
    .option(
      "-t, --threshold <percent>",
      "regression threshold in percent; the whole CI must lie past it",
      "5",
    )
    .addOption(
      new Option("-f, --format <format>", "output format").choices(COMPARE_FORMATS).default("terminal"),
    )
    .option("-o, --out <file>", "write the comparison to FILE instead of stdout")
    .option("--only-changes", "list only metrics whose verdict is faster or slower")
    .option(
      "--gate-measured",
      "let measured CPU time (cpuNsPerOp, micro-benchmark ns/op) fail the gate too; by default it is shown only",
    )
    .option("--measured-min-samples <n>", "samples per side a measured metric needs before it may gate", "10")
    .action(async (base: string | undefined, head: string | undefined, flags: CompareFlags) => {
      const [{ UsageError }, reports, { expandInputPaths }] = await Promise.all([
        import("./errors.js"),
        import("../reports/mod.js"),
        import("../reports/input-paths.js"),
      ]);
      const threshold = Number(flags.threshold);
      if (flags.threshold.trim() === "" || !Number.isFinite(threshold) || threshold < 0 || threshold >= 100) {
        throw new UsageError(
          `Invalid --threshold "${flags.threshold}": give a percentage in [0, 100), e.g. 5`,
        );
      }
      const minSamples = Number(flags.measuredMinSamples);
      if (!Number.isInteger(minSamples) || minSamples < 2) {
        throw new UsageError(
          `Invalid --measured-min-samples "${flags.measuredMinSamples}": give a whole number of at least 2`,
        );
      }
      const basePaths = [...(base === undefined ? [] : [base]), ...(flags.base ?? [])];
      const headPaths = [...(head === undefined ? [] : [head]), ...(flags.head ?? [])];
      if (basePaths.length === 0 || headPaths.length === 0) {
        throw new UsageError(
          "Missing input: give BASE and HEAD, e.g. lvmlab compare base.ndjson head.ndjson (or --base/--head FILES)",
        );
      }
      let sets: Awaited<ReturnType<typeof reports.readRecordFiles>>[];
      try {
        sets = [
          await reports.readRecordFiles(expandInputPaths(basePaths)),
          await reports.readRecordFiles(expandInputPaths(headPaths)),
        ];
      } catch (error) {
        if (reports.isRecordInputError(error)) throw new UsageError(error.message);
        throw error;
      }
      const result = reports.compareRecordSets(sets[0]!, sets[1]!, {
        thresholdPercent: threshold,
        gateMeasured: flags.gateMeasured === true,
        measuredMinSamples: minSamples,
      });
      const options = {
        onlyChanges: flags.onlyChanges === true,
        color: flags.out === undefined && reports.shouldUseColor(process.stdout, process.env),
      };
      const text =
        flags.format === "md"
          ? reports.renderCompareMarkdown(result, options)
          : flags.format === "json"
            ? reports.renderCompareJson(result)
            : reports.renderCompareTerminal(result, options);
      if (flags.out === undefined) process.stdout.write(text);
      else {
        try {
          reports.writeFileAtomic(flags.out, text);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          throw new UsageError(`Cannot write ${flags.out}: ${reason}; check that the directory exists`);
        }
      }
      if (result.gated === 0) {
        // A gate that compared nothing must not pass: a renamed cell or the wrong file would.
        throw new UsageError(
          result.comparisons.length === 0
            ? "Nothing to compare: no benchmark cell appears in both BASE and HEAD"
            : "Nothing to gate on: only measured CPU time was compared; pass --gate-measured with enough samples, or compare modeled bench records",
        );
      }
      if (result.regressions > 0) process.exitCode = 1;
    });
}
