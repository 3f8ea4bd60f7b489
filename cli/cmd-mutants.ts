import type { Command } from "commander";

interface MutantFlags {
  readonly ndjson?: string;
  readonly seeds?: string;
  readonly explore: boolean;
  readonly only: string[];
  readonly list?: boolean;
}

/** Registers `lvmlab mutants`. */
export function register(program: Command): void {
  program
    .command("mutants")
    .description(
      "Run the scenario library against deliberately broken engines and report which scenarios catch each",
    )
    .option("--ndjson <file>", "write one mutant record per mutant to FILE (- for stdout)")
    .option("-s, --seeds <list>", "seeds per scenario (default: each scenario's own)")
    .option("--no-explore", "skip the crash-point sweeps of scenarios that declare explore")
    .option("--only <name>", "run only this mutant (repeatable)", (v: string, p: string[]) => [...p, v], [])
    .option("--list", "list the mutants and exit")
    .action(async (flags: MutantFlags) => {
      const { UsageError } = await import("./errors.js");
      const { MUTANT_CATALOGUE } = await import("../scenarios/mutant-catalogue.js");
      if (flags.list) {
        for (const m of MUTANT_CATALOGUE) process.stdout.write(`${m.name}  ${m.description}\n`);
        return;
      }
      const unknown = flags.only.filter((n) => !MUTANT_CATALOGUE.some((m) => m.name === n));
      if (unknown.length > 0)
        throw new UsageError(`Unknown mutant ${unknown.join(", ")}; see lvmlab mutants --list`);
      const { parseSeeds } = await import("../scenarios/seeds.js");
      const { loadLibrary } = await import("../scenarios/load.js");
      const { runMutant } = await import("../scenarios/mutants.js");
      const { NdjsonSink } = await import("../scenarios/ndjson-sink.js");
      let seeds: number[] | undefined;
      try {
        seeds = flags.seeds === undefined ? undefined : parseSeeds(flags.seeds);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const library = await loadLibrary();
      const sink = flags.ndjson === undefined ? undefined : NdjsonSink.open(flags.ndjson);
      let survived = 0;
      const picked =
        flags.only.length === 0
          ? MUTANT_CATALOGUE
          : MUTANT_CATALOGUE.filter((m) => flags.only.includes(m.name));
      try {
        for (const mutant of picked) {
          const record = runMutant(mutant, library, {
            ...(seeds === undefined ? {} : { seeds }),
            explore: flags.explore,
            onProgress: (line) => process.stderr.write(`${line}\n`),
          });
          sink?.write(record);
          if (!record.caught) survived += 1;
        }
      } catch (error) {
        // A run that broke leaves the earlier --ndjson file as it was.
        sink?.discard();
        throw error;
      }
      sink?.close();
      process.stdout.write(
        `${picked.length - survived} of ${picked.length} mutants caught${survived > 0 ? `, ${survived} survived` : ""}\n`,
      );
      process.exitCode = survived > 0 ? 1 : 0;
    });
}
