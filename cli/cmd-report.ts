import { type Command, Option } from "commander";

/** Output formats of `lvmlab report`. */
const REPORT_FORMATS = [
  "terminal",
  "md",
  "html",
  "junit",
  "json",
  "gab-bigger",
  "gab-smaller",
  "bencher",
  "hyperfine",
] as const;

/** Formats for continuous-benchmarking tools: they need benchmark records to say anything. */
const BENCH_ONLY_FORMATS: ReadonlySet<string> = new Set([
  "gab-bigger",
  "gab-smaller",
  "bencher",
  "hyperfine",
]);

interface ReportFlags {
  readonly format: (typeof REPORT_FORMATS)[number];
  readonly out?: string;
  readonly outDir?: string;
  readonly check?: boolean;
}

/** Registers `lvmlab report RESULTS.ndjson... --format terminal|md|html|junit|json [--out FILE]`. */
export function register(program: Command): void {
  program
    .command("report")
    .description(
      "Render NDJSON results as a terminal summary, Markdown, HTML with SVG charts, JUnit XML or JSON; " +
        "benchmark results also as github-action-benchmark JSON (gab-bigger: IOPS and MB/s, gab-smaller: " +
        "latency, write amplification, CPU), Bencher Metric Format (bencher) or a hyperfine-style table",
    )
    .argument(
      "<results...>",
      "NDJSON files or directories of shard files written by lvmlab (merged in order)",
    )
    .addOption(
      new Option("-f, --format <format>", "output format").choices(REPORT_FORMATS).default("terminal"),
    )
    .option("-o, --out <file>", "write the report to FILE instead of stdout")
    .option("--out-dir <dir>", "write every format (summary.txt, report.md/html/json, junit.xml) into DIR")
    .option("--check", "exit 1 when a case failed or a mutant survived")
    .action(async (results: string[], flags: ReportFlags) => {
      const [{ UsageError }, reports] = await Promise.all([
        import("./errors.js"),
        import("../reports/mod.js"),
      ]);
      const { expandInputPaths } = await import("../reports/input-paths.js");
      let records: Awaited<ReturnType<typeof reports.readRecordFiles>>;
      try {
        records = await reports.readRecordFiles(expandInputPaths(results));
      } catch (error) {
        if (reports.isRecordInputError(error)) throw new UsageError(error.message);
        throw error;
      }
      for (const warning of records.warnings) process.stderr.write(`lvmlab: warning: ${warning}\n`);
      const model = reports.summarizeRecords(records);
      // Wall-clock, so it is only in the report, never in the records (SOURCE_DATE_EPOCH fixes it).
      const timestamp = reports.reportTimestamp(process.env, Date.now());
      if (BENCH_ONLY_FORMATS.has(flags.format) && model.bench.length + model.microbench.length === 0) {
        throw new UsageError(
          `Nothing to write as ${flags.format}: ${results.join(", ")} hold no bench or microbench records`,
        );
      }
      const write = (path: string, text: string) => {
        try {
          reports.writeFileAtomic(path, text);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          throw new UsageError(`Cannot write ${path}: ${reason}; check that the directory exists`);
        }
      };
      if (flags.outDir !== undefined) {
        let written: ReturnType<typeof reports.writeAllReports>;
        try {
          written = reports.writeAllReports(records, flags.outDir, { timestamp });
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          throw new UsageError(`Cannot write reports into ${flags.outDir}: ${reason}`);
        }
        process.stdout.write(`Reports written to ${flags.outDir}:\n`);
        for (const path of Object.values(written)) process.stdout.write(`  ${path}\n`);
      } else {
        const toStdout = flags.out === undefined;
        const render: Record<(typeof REPORT_FORMATS)[number], () => string> = {
          terminal: () =>
            reports.renderTerminal(model, {
              color: toStdout && reports.shouldUseColor(process.stdout, process.env),
            }),
          md: () => reports.renderMarkdown(model),
          html: () => reports.renderHtml(model),
          junit: () => reports.renderJunit(model, { timestamp }),
          json: () => reports.renderJson(model),
          "gab-bigger": () => reports.renderGithubBenchmark(model, "higher"),
          "gab-smaller": () => reports.renderGithubBenchmark(model, "lower"),
          bencher: () => reports.renderBencher(model),
          hyperfine: () => reports.renderHyperfineMarkdown(model),
        };
        const text = render[flags.format]();
        if (flags.out === undefined) process.stdout.write(text);
        else write(flags.out, text);
      }
      if (flags.check && (model.cases.failed > 0 || model.mutants.caught < model.mutants.total)) {
        process.exitCode = 1;
      }
    });
}
