import type { Command } from "commander";
import { devicesOption } from "./sweep-options.js";

interface ReplayFlags {
  readonly record?: string;
  readonly file: string[];
  readonly keep?: string;
  readonly devices: "memory" | "file";
  readonly workDir?: string;
  readonly log?: boolean;
}

/** Registers `lvmlab replay CASE | --record FILE[:LINE]`. */
export function register(program: Command): void {
  program
    .command("replay")
    .description(
      "Rerun one case exactly (from its key, e.g. pvmove-cut@7/event:42, or a result record) and print its record",
    )
    .argument("[case]", "case key as printed in the record's replay command")
    .option(
      "--record <file[:line]>",
      "replay the case record at LINE of FILE (default: the first failing one) and check it matches",
    )
    .option(
      "-f, --file <scenario>",
      "also load a JSON/YAML scenario file (repeatable)",
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .option("--keep <dir>", "leave the PV images at the crash and after recovery in DIR")
    .addOption(devicesOption())
    .option("--work-dir <dir>", "directory for PV images with --devices file", ".lvmlab-work")
    .option("--log", "print the LVM2 commands the case ran and what they printed")
    .action(async (key: string | undefined, flags: ReplayFlags) => {
      const { UsageError } = await import("./errors.js");
      const { readFileSync } = await import("node:fs");
      const { parseCaseKey } = await import("../scenarios/case.js");
      const { loadLibrary } = await import("../scenarios/load.js");
      const { resolveCrashPoint, scenarioByName } = await import("../scenarios/local-runner.js");
      const { executeCase } = await import("../scenarios/executor.js");
      let expected: string | undefined;
      if (flags.record !== undefined) {
        const match = /^(.*?)(?::(\d+))?$/.exec(flags.record)!;
        const lines = readFileSync(match[1]!, "utf8").split("\n");
        const at =
          match[2] !== undefined
            ? Number(match[2]) - 1
            : lines.findIndex((l) => l.includes('"type":"case"') && l.includes('"status":"fail"'));
        const line = lines[at < 0 ? lines.findIndex((l) => l.includes('"type":"case"')) : at];
        if (line === undefined || line.trim() === "")
          throw new UsageError(`No case record found in ${flags.record}`);
        expected = line;
        key = (JSON.parse(line) as { key?: string }).key;
      }
      if (key === undefined)
        throw new UsageError("Give a case key (see the record's replay command) or --record FILE");
      let spec: ReturnType<typeof parseCaseKey>;
      let scenario: ReturnType<typeof scenarioByName>;
      let scenarioFile: string | undefined;
      try {
        spec = parseCaseKey(key);
        const library = await loadLibrary(flags.file);
        scenario = scenarioByName(library, spec.scenario);
        scenarioFile = library.find(
          (l) => l.scenario.name === scenario.name && flags.file.includes(l.file),
        )?.file;
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const storage =
        flags.devices === "file"
          ? { kind: "file" as const, workDir: flags.workDir ?? ".lvmlab-work" }
          : { kind: "memory" as const };
      const options = { storage, ...(flags.keep === undefined ? {} : { keepDir: flags.keep }) };
      const executed = executeCase(scenario, resolveCrashPoint(scenario, spec, options), options);
      // A scenario from a file replays with that file, as the sweep records it.
      const { shellQuote } = await import("../scenarios/provenance.js");
      const run =
        scenarioFile === undefined || executed.record.replay.includes(" --file ")
          ? executed
          : {
              ...executed,
              record: {
                ...executed.record,
                replay: `${executed.record.replay} --file ${shellQuote(scenarioFile)}`,
              },
            };
      const text = JSON.stringify(run.record);
      process.stdout.write(`${text}\n`);
      if (flags.log) process.stderr.write(`${run.lvmLog.join("\n")}\n`);
      if (expected !== undefined && expected.trim() !== text) {
        process.stderr.write(
          "lvmlab: the replayed record differs from the recorded one (nondeterminism or a changed engine)\n",
        );
        process.exitCode = 1;
        return;
      }
      process.exitCode = run.record.status === "pass" ? 0 : 1;
    });
}
