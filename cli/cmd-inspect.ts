import type { Command } from "commander";

interface InspectFlags {
  readonly json?: boolean;
  readonly allowBlockDevices?: boolean;
  readonly table?: boolean;
}

/** Registers `lvmlab inspect IMAGE... [--json]`: a read-only summary of PV labels, VGs, LVs and warnings. */
export function register(program: Command): void {
  program
    .command("inspect")
    .description("Summarise PV images read-only: labels, metadata areas, VGs, LVs with PE ranges, warnings")
    .argument("<images...>", "PV image files (their paths are the device names)")
    .option("--json", "print the summary as JSON")
    .option(
      "--table",
      "print the `dmsetup table` text of every LV as activation would load it (images stay untouched)",
    )
    .option("--allow-block-devices", "allow real block devices such as /dev/sdb (refused by default)")
    .action(async (images: string[], flags: InspectFlags) => {
      const [{ UsageError }, { openHost }, { inspectDevices, renderInspect }] = await Promise.all([
        import("./errors.js"),
        import("./open-host.js"),
        import("../engine/lvm/mod.js"),
      ]);
      let opened: Awaited<ReturnType<typeof openHost>>;
      try {
        opened = await openHost(images, {
          readOnly: true,
          allowBlockDevices: flags.allowBlockDevices === true,
          seedText: "inspect",
        });
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      try {
        if (flags.table) {
          const { inspectTables } = await import("../engine/lvm/commands/inspect-table.js");
          const tables = inspectTables(opened.host);
          if (flags.json) process.stdout.write(`${JSON.stringify(tables, null, 2)}\n`);
          else {
            process.stdout.write(tables.text === "" ? "No devices found\n" : `${tables.text}\n`);
            for (const problem of tables.problems) process.stderr.write(`  WARNING: ${problem}\n`);
          }
          return;
        }
        const report = inspectDevices(opened.host);
        process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderInspect(report));
      } finally {
        opened.close();
      }
    });
}
