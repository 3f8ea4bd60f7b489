import type { Command } from "commander";

/** Registers `lvmlab merge SHARD.ndjson... [--ndjson OUT]`. */
export function register(program: Command): void {
  program
    .command("merge")
    .description("Merge the NDJSON outputs of several shards (or resumed runs) into one, each case once")
    .argument("<files...>", "NDJSON files written by lvmlab run")
    .option("--ndjson <file>", "write the merged records to FILE (default stdout)", "-")
    .action(async (files: string[], flags: { ndjson: string }) => {
      const { UsageError } = await import("./program.js");
      const { mergeCaseRecords } = await import("../scenarios/merge.js");
      const { NdjsonSink } = await import("../scenarios/ndjson-sink.js");
      const { readCaseRecords } = await import("../scenarios/read-cases.js");
      const inputs = [];
      for (const file of files) {
        try {
          inputs.push(await readCaseRecords(file));
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
      }
      const merged = mergeCaseRecords(inputs);
      const sink = NdjsonSink.open(flags.ndjson);
      for (const record of merged.records) sink.write(record);
      sink.write(merged.summary);
      sink.close();
      for (const key of merged.conflicts) {
        process.stderr.write(
          `lvmlab: warning: case ${key} has different results in different inputs (nondeterminism?)\n`,
        );
      }
      process.exitCode = merged.summary.failed > 0 ? 1 : 0;
    });
}
