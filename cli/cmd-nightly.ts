import type { Command } from "commander";
import { devicesOption, workersOption } from "./sweep-options.js";

interface NightlyFlags {
  readonly seeds?: string;
  readonly workers: number;
  readonly out: string;
  readonly devices: "memory" | "file";
  readonly workDir?: string;
  readonly quiet?: boolean;
  readonly verbose?: boolean;
  readonly bench: boolean;
}

/** Registers `lvmlab nightly`, what `npm start` runs. */
export function register(program: Command): void {
  program
    .command("nightly")
    .description(
      "Run the nightly suite (scenarios tagged nightly, 8 seeds each) and the quick overhead benchmark, and write every report",
    )
    .option("-s, --seeds <list>", "seeds for every scenario (default: each scenario's own, normally 1..8)")
    .addOption(workersOption())
    .option("-o, --out <dir>", "directory for nightly.ndjson and the reports", "reports/out")
    .addOption(devicesOption())
    .option("--work-dir <dir>", "directory for PV images with --devices file", ".lvmlab-work")
    .option("-q, --quiet", "no progress output")
    .option("-v, --verbose", "without a TTY, print a line for every case, not only the failing ones")
    .option("--no-bench", "skip the quick overhead benchmark (mirror/snapshot cost against linear)")
    .action(async (flags: NightlyFlags) => {
      const workers = flags.workers;
      const { exitCodeForSignal } = await import("./errors.js");
      const { phaseProgress } = await import("../scenarios/progress.js");
      const { mkdirSync } = await import("node:fs");
      const { join } = await import("node:path");
      const { runSweepFromCli, summaryLine } = await import("../scenarios/run-sweep-cli.js");
      mkdirSync(flags.out, { recursive: true });
      const ndjson = join(flags.out, "nightly.ndjson");
      const started = performance.now();
      const result = await runSweepFromCli({
        selectors: ["nightly"],
        ...(flags.seeds === undefined ? {} : { seeds: flags.seeds }),
        workers,
        ndjson,
        devices: flags.devices,
        ...(flags.workDir === undefined ? {} : { workDir: flags.workDir }),
        quiet: flags.quiet ?? false,
        verbose: flags.verbose ?? false,
      });
      if (result.signal !== undefined) {
        process.stderr.write(`${summaryLine(result)}\n`);
        process.exitCode = exitCodeForSignal(result.signal);
        return;
      }
      const inputs = [ndjson];
      if (flags.bench) {
        const { runOverheadQuick } = await import("../bench/overhead/quick.js");
        const benchPath = join(flags.out, "bench.ndjson");
        const phase = flags.quiet ? undefined : phaseProgress(process.stderr, "bench overhead --quick");
        const samples = await runOverheadQuick({ ndjsonPath: benchPath });
        phase?.done(`${samples.length} samples`);
        inputs.push(benchPath);
      }
      const seconds = (performance.now() - started) / 1000;
      const reports = await import("../reports/mod.js");
      const records = await reports.readRecordFiles(inputs);
      process.stdout.write(
        reports.renderTerminal(reports.summarizeRecords(records), {
          color: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
        }),
      );
      const written = reports.writeAllReports(records, flags.out, {
        timestamp: reports.reportTimestamp(process.env, Date.now()),
      });
      process.stdout.write(
        `\n${summaryLine(result)} | ${result.summary.cases} cases in ${seconds.toFixed(1)}s\n`,
      );
      process.stdout.write(`Reports written to ${flags.out}/:\n`);
      for (const path of [...inputs, ...Object.values(written)]) process.stdout.write(`  ${path}\n`);
      process.exitCode = result.summary.failed > 0 ? 1 : 0;
    });
}
