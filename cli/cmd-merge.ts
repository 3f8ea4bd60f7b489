import type { Command } from "commander";

/** Registers `lvmlab merge SHARD.ndjson... [--ndjson OUT]`. */
export function register(program: Command): void {
  program
    .command("merge")
    .description(
      "Merge the NDJSON outputs of several shards (or resumed runs) into one: each case once with its " +
        "timeline, every other record kept, one meta record when the shards of one sweep are all there",
    )
    .argument("<files...>", "NDJSON files written by lvmlab run")
    .option("--ndjson <file>", "write the merged records to FILE, replaced atomically (default stdout)", "-")
    .action(async (files: string[], flags: { ndjson: string }) => {
      const { UsageError } = await import("./errors.js");
      const { mergeRuns } = await import("../scenarios/merge.js");
      const { NdjsonSink } = await import("../scenarios/ndjson-sink.js");
      const { readRunRecords } = await import("../scenarios/read-cases.js");
      const inputs = [];
      for (const file of files) {
        try {
          inputs.push(await readRunRecords(file));
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
      }
      const merged = mergeRuns(inputs);
      if (merged.lines.length === 0) {
        throw new UsageError(`Nothing to merge: ${files.join(", ")} hold no lvmlab records`);
      }
      const sink = NdjsonSink.open(flags.ndjson);
      for (const record of merged.lines) sink.write(record);
      sink.close();
      for (const warning of merged.warnings) process.stderr.write(`lvmlab: warning: ${warning}\n`);
      for (const key of merged.conflicts) {
        process.stderr.write(
          `lvmlab: warning: case ${key} has different results in different inputs (nondeterminism?)\n`,
        );
      }
      process.exitCode = merged.summary.failed > 0 ? 1 : 0;
    });
}
