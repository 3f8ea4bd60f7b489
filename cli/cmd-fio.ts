import { type Command, Option } from "commander";

interface FioFlags {
  readonly layout: "linear" | "striped" | "mirror" | "snapshot" | "pvmove";
  readonly profile: string;
  readonly outputFormat: "normal" | "json";
  readonly seed: string;
}

/** Registers `lvmlab fio JOBFILE`. */
export function register(program: Command): void {
  program
    .command("fio")
    .description("Run a fio job file against an in-memory VG of the given layout and print fio's output")
    .argument("<jobfile>", "a fio job file (INI syntax)")
    .addOption(
      new Option("--layout <layout>", "LV layout")
        .choices(["linear", "striped", "mirror", "snapshot", "pvmove"])
        .default("linear"),
    )
    .option(
      "--profile <profile>",
      "device timing profile: nvme, sata-ssd, hdd, realdm-100mib-1kiops, custom:…",
      "nvme",
    )
    .addOption(
      new Option("--output-format <format>", "fio output format")
        .choices(["normal", "json"])
        .default("normal"),
    )
    .option("--seed <n>", "seed of the run", "1")
    .action(async (jobfile: string, flags: FioFlags) => {
      const { UsageError } = await import("./errors.js");
      const { readFileSync } = await import("node:fs");
      const { jobsFromFioFile } = await import("../workloads/fio-ini.js");
      const { formatFioJson, formatFioNormal } = await import("../workloads/fio-output.js");
      const { runFioOnLayout } = await import("../scenarios/fio-layout.js");
      let text: string;
      try {
        text = readFileSync(jobfile, "utf8");
      } catch (error) {
        throw new UsageError(`Cannot read job file ${jobfile}: ${(error as Error).message}`);
      }
      const seed = Number(flags.seed);
      if (!Number.isSafeInteger(seed) || seed < 0)
        throw new UsageError(`--seed must be a whole number, got "${flags.seed}"`);
      let jobs: ReturnType<typeof jobsFromFioFile>;
      try {
        jobs = jobsFromFioFile(text, { file: jobfile });
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      let result: ReturnType<typeof runFioOnLayout>;
      try {
        result = runFioOnLayout(jobs, { layout: flags.layout, profile: flags.profile, seed });
      } catch (error) {
        if (error instanceof RangeError) throw new UsageError(error.message);
        throw error;
      }
      process.stdout.write(flags.outputFormat === "json" ? formatFioJson(result) : formatFioNormal(result));
      process.exitCode = result.verifyFailures > 0 || result.jobs.some((j) => j.error !== undefined) ? 1 : 0;
    });
}
