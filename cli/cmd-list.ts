import type { Command } from "commander";

/** Registers `lvmlab list [selectors...]`. */
export function register(program: Command): void {
  program
    .command("list")
    .description("List the scenario library: names, tags and descriptions")
    .argument("[selectors...]", "scenario names, tags or globs")
    .option("--json", "print JSON")
    .option("--events", "list the trace events scenarios may name (at.event, window.untilEvent, explore)")
    .option(
      "-f, --file <scenario>",
      "also load a JSON/YAML scenario file (repeatable)",
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .action(async (selectors: string[], flags: { json?: boolean; events?: boolean; file: string[] }) => {
      const { UsageError } = await import("./errors.js");
      if (flags.events) {
        const { TRACE_EVENT_CATALOGUE } = await import("../scenarios/event-catalogue.js");
        if (flags.json) process.stdout.write(`${JSON.stringify(TRACE_EVENT_CATALOGUE, null, 2)}\n`);
        else {
          const width = Math.max(...TRACE_EVENT_CATALOGUE.map((e) => e.name.length));
          for (const e of TRACE_EVENT_CATALOGUE)
            process.stdout.write(`${e.name.padEnd(width)}  ${e.description}\n`);
        }
        return;
      }
      const { loadLibrary } = await import("../scenarios/load.js");
      const { selectScenarios } = await import("../scenarios/select.js");
      let picked: Awaited<ReturnType<typeof loadLibrary>>;
      try {
        picked = selectScenarios(await loadLibrary(flags.file), selectors);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      if (flags.json) {
        const rows = picked.map(({ scenario }) => ({
          name: scenario.name,
          tags: scenario.tags,
          description: scenario.description,
          faults: scenario.faults.map((f) => f.kind),
        }));
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const width = Math.max(4, ...picked.map((s) => s.scenario.name.length));
      for (const { scenario } of picked) {
        process.stdout.write(
          `${scenario.name.padEnd(width)}  [${scenario.tags.join(",")}]  ${scenario.description}\n`,
        );
      }
    });
}
