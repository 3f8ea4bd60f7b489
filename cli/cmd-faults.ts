import type { Command } from "commander";

interface FaultsFlags {
  readonly list?: boolean;
  readonly json?: boolean;
  readonly markdown?: boolean;
  readonly kind?: string;
}

/**
 * Registers `lvmlab faults --list [--kind NAME] [--json | --markdown]`: the fault catalogue with
 * every kind's parameters, as a plain table, JSON for machines, or the README's Markdown table.
 */
export function register(program: Command): void {
  program
    .command("faults")
    .description("Show the fault catalogue: every fault kind, what it does, and its parameters")
    .option("-l, --list", "list the fault kinds and their parameters")
    .option("-k, --kind <name>", "show only this fault kind")
    .option("--json", "print JSON instead of a table")
    .option("--markdown", "print the Markdown table used in the README")
    .action(async (flags: FaultsFlags) => {
      const [{ UsageError }, catalogue] = await Promise.all([
        import("./errors.js"),
        import("../faults/catalogue.js"),
      ]);
      if (!flags.list) throw new UsageError("Nothing to do: pass --list, e.g. lvmlab faults --list");
      if (flags.json && flags.markdown) throw new UsageError("Pick one of --json and --markdown, not both");
      let entries = catalogue.FAULT_CATALOGUE;
      if (flags.kind !== undefined) {
        entries = entries.filter((e) => e.kind === flags.kind);
        if (entries.length === 0) {
          const known = catalogue.FAULT_CATALOGUE.map((e) => e.kind).join(", ");
          throw new UsageError(`Unknown fault kind "${flags.kind}" in --kind; known kinds: ${known}`);
        }
      }
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ kinds: entries, common: catalogue.COMMON_PARAMS }, null, 2)}\n`,
        );
      } else if (flags.markdown) {
        process.stdout.write(catalogue.formatCatalogueMarkdown(entries));
      } else {
        process.stdout.write(catalogue.formatCatalogue(entries));
      }
    });
}
