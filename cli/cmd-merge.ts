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
      const { readFileSync } = await import("node:fs");
      const { mergeCaseRecords } = await import("../scenarios/merge.js");
      const { NdjsonSink } = await import("../scenarios/ndjson-sink.js");
      type CaseRecord = import("../scenarios/records.js").CaseRecord;
      const inputs: CaseRecord[][] = [];
      for (const file of files) {
        let text: string;
        try {
          text = readFileSync(file, "utf8");
        } catch (error) {
          throw new UsageError(`Cannot read ${file}: ${(error as Error).message}`);
        }
        const records: CaseRecord[] = [];
        text.split("\n").forEach((line, index) => {
          if (line.trim() === "") return;
          let record: { type?: unknown; key?: unknown };
          try {
            record = JSON.parse(line) as { type?: unknown; key?: unknown };
          } catch {
            throw new UsageError(
              `${file}:${index + 1}: not a JSON record; was the run killed mid-line? delete that line`,
            );
          }
          if (record.type !== "case") return;
          if (typeof record.key !== "string")
            throw new UsageError(`${file}:${index + 1}: case record without "key"`);
          records.push(record as CaseRecord);
        });
        inputs.push(records);
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
