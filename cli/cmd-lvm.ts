import type { Command } from "commander";
import type { FileDevice as FileDeviceType } from "../engine/block/file.js";
import type { Host } from "../engine/lvm/host.js";

/** Options for {@link openHost}. */
export interface OpenHostOptions {
  readonly readOnly: boolean;
  readonly allowBlockDevices: boolean;
  /** Mixed into the id seed with the images' label areas, so each state and command gets fresh ids. */
  readonly seedText: string;
}

/**
 * Opens image files as FileDevices (named by the paths as given) and builds a Host over them,
 * seeded from the command and the images' first 8 KiB (labels and mda headers). Loads the engine
 * lazily so `lvmlab --help` stays fast.
 */
export async function openHost(
  images: readonly string[],
  options: OpenHostOptions,
): Promise<{ host: Host; close: () => void }> {
  const [{ FileDevice }, { Host: HostClass }, fs, { lvmCrc }] = await Promise.all([
    import("../engine/block/file.js"),
    import("../engine/lvm/host.js"),
    import("node:fs"),
    import("../engine/format/crc.js"),
  ]);
  const devices: FileDeviceType[] = [];
  try {
    for (const image of images) {
      devices.push(
        FileDevice.open(image, {
          name: image,
          readOnly: options.readOnly,
          allowBlockDevice: options.allowBlockDevices,
        }),
      );
    }
  } catch (error) {
    for (const d of devices) d.close();
    throw error;
  }
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [encoder.encode(options.seedText)];
  for (const device of devices) {
    const head = new Uint8Array(Math.min(8192, device.sizeBytes));
    device.read(0, head);
    parts.push(encoder.encode(`${device.name}:${device.sizeBytes}`), head);
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  // Two CRCs over different orders give a 64-bit seed; ids only need to differ between states.
  const a = lvmCrc(all);
  const b = lvmCrc(all.slice().reverse());
  const host = new HostClass({
    devices: devices.map((d) => [d.name, d] as const),
    seed: `${a.toString(16)}${b.toString(16)}`,
    files: {
      readText: (path) => fs.readFileSync(path, "utf8"),
      writeText: (path, text) => fs.writeFileSync(path, text),
    },
  });
  return {
    host,
    close: () => {
      for (const d of devices) d.close();
    },
  };
}

interface LvmFlags {
  readonly devices?: string;
  readonly allowBlockDevices?: boolean;
}

/**
 * Registers `lvmlab lvm [--devices a.img,b.img] <command> [args...]`: runs one LVM2 command with
 * LVM2's own syntax over image files. The command's flags pass through untouched; report and
 * display commands open the images read-only.
 */
export function register(program: Command): void {
  // Options after the subcommand name belong to the subcommand, so `lvm lvs -a` reaches lvs intact.
  program.enablePositionalOptions();
  program
    .command("lvm")
    .description("Run an LVM2 command (pvcreate, vgcreate, lvcreate, pvs, lvs, …) over PV image files")
    .option(
      "--devices <images>",
      "comma-separated image files LVM2 may use; their paths are the device names",
    )
    .option("--allow-block-devices", "allow real block devices such as /dev/sdb (refused by default)")
    .argument("<command>", "the LVM2 command, e.g. vgcreate or lvs")
    .argument("[args...]", "the command's own options and arguments, as for LVM2")
    .passThroughOptions()
    .allowUnknownOption()
    .addHelpText(
      "after",
      [
        "",
        "Create the images first, e.g.: truncate -s 64M a.img b.img c.img",
        "Example: lvmlab lvm --devices a.img,b.img vgcreate vg0 a.img b.img",
        "         lvmlab lvm --devices a.img,b.img lvs -a --segments --reportformat json",
        "Exit codes are LVM2's: 0 success, 3 command-line error, 5 failure.",
      ].join("\n"),
    )
    .action(async (name: string, rest: string[], flags: LvmFlags) => {
      const [{ UsageError }, { runLvm, isReadOnlyCommand }] = await Promise.all([
        import("./errors.js"),
        import("../engine/lvm/mod.js"),
      ]);
      const argv = [name, ...rest];
      const images = (flags.devices ?? "").split(",").filter((s) => s !== "");
      let opened: Awaited<ReturnType<typeof openHost>>;
      try {
        opened = await openHost(images, {
          readOnly: isReadOnlyCommand(argv),
          allowBlockDevices: flags.allowBlockDevices === true,
          seedText: argv.join("\0"),
        });
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      try {
        const result = runLvm(opened.host, argv);
        process.stdout.write(result.stdout);
        process.stderr.write(result.stderr);
        process.exitCode = result.exitCode;
      } finally {
        opened.close();
      }
    });
}
