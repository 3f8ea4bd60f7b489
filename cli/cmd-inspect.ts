import type { Command } from "commander";

interface InspectFlags {
  readonly json?: boolean;
  readonly allowBlockDevices?: boolean;
}

/** Registers `lvmlab inspect IMAGE... [--json]`: a read-only summary of PV labels, VGs, LVs and warnings. */
export function register(program: Command): void {
  program
    .command("inspect")
    .description("Summarise PV images read-only: labels, metadata areas, VGs, LVs with PE ranges, warnings")
    .argument("<images...>", "PV image files (their paths are the device names)")
    .option("--json", "print the summary as JSON")
    .option("--allow-block-devices", "allow real block devices such as /dev/sdb (refused by default)")
    .action(async (images: string[], flags: InspectFlags) => {
      const [{ UsageError }, { openHost }, { inspectDevices, renderInspect }] = await Promise.all([
        import("./program.js"),
        import("./cmd-lvm.js"),
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
        const report = inspectDevices(opened.host);
        process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderInspect(report));
      } finally {
        opened.close();
      }
    });
}
