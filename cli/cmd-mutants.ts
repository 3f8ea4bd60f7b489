import type { Command } from "commander";

interface MutantFlags {
  readonly ndjson?: string;
  readonly seeds?: string;
  readonly explore: boolean;
  readonly library: boolean;
  readonly all: boolean;
  readonly only: string[];
  readonly list?: boolean;
}

/** Registers `lvmlab mutants`. */
export function register(program: Command): void {
  program
    .command("mutants")
    .description(
      "Run the nightly suite against deliberately broken engines and report which nightly case catches each mutant",
    )
    .option("--ndjson <file>", "write one mutant record per mutant to FILE (- for stdout)")
    .option(
      "-s, --seeds <list>",
      "seeds per scenario (default: each scenario's own, as the nightly runs them)",
    )
    .option("--library", "run every library scenario, not only the nightly-tagged ones (the verdict says so)")
    .option("--explore", "also sweep crash points of scenarios that declare explore (the nightly does not)")
    .option("--all", "run every scenario for each mutant to list every catcher, not just the first")
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
      const { selectScenarios } = await import("../scenarios/select.js");
      const { runMutant } = await import("../scenarios/mutants.js");
      const { NdjsonSink } = await import("../scenarios/ndjson-sink.js");
      let seeds: number[] | undefined;
      try {
        seeds = flags.seeds === undefined ? undefined : parseSeeds(flags.seeds);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const all = await loadLibrary();
      // The default verdict is the nightly's own: nightly-tagged scenarios, their seeds, no sweeps.
      const nightlyOnly = !flags.library && !flags.explore && seeds === undefined;
      const library = flags.library ? all : selectScenarios(all, ["nightly"]);
      const sink = flags.ndjson === undefined ? undefined : NdjsonSink.open(flags.ndjson);
      let survived = 0;
      const picked =
        flags.only.length === 0
          ? MUTANT_CATALOGUE
          : MUTANT_CATALOGUE.filter((m) => flags.only.includes(m.name));
      const started = performance.now();
      try {
        for (const mutant of picked) {
          const record = runMutant(mutant, library, {
            ...(seeds === undefined ? {} : { seeds }),
            explore: flags.explore,
            firstOnly: !flags.all,
            scope: nightlyOnly ? "nightly" : "library",
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
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const scope = nightlyOnly ? "by the nightly alone" : "by the selected scenarios";
      process.stdout.write(
        `${picked.length - survived} of ${picked.length} mutants caught ${scope}${survived > 0 ? `, ${survived} survived` : ""} (${seconds}s)\n`,
      );
      process.exitCode = survived > 0 ? 1 : 0;
    });
}
