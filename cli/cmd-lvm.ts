import type { Command } from "commander";

interface LvmFlags {
  readonly devices?: string[];
  readonly allowBlockDevices?: boolean;
  readonly machine?: string;
  readonly elapse?: string;
}

/** `--elapse` values: `idle` (the default) or a virtual duration such as 0, 500ms, 10s, 2m, 1h. */
export function parseElapse(text: string | undefined): number | undefined {
  if (text === undefined || text === "idle") return undefined;
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)?$/.exec(text);
  if (m === null) return Number.NaN;
  const scale = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }[(m[2] ?? "s") as "s"];
  return Math.round(Number(m[1]) * scale);
}

/**
 * LVM2's own `--devices` option may stand among the command's arguments (`pvs --devices a.img`);
 * it names the devices the command may use, so it joins the images given before the command.
 */
export function takeDevicesOption(args: readonly string[]): { devices: string[]; rest: string[] } {
  const devices: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--devices" && i + 1 < args.length) {
      devices.push(...args[i + 1]!.split(","));
      i += 1;
    } else if (arg.startsWith("--devices=")) {
      devices.push(...arg.slice("--devices=".length).split(","));
    } else rest.push(arg);
  }
  return { devices: devices.filter((d) => d !== ""), rest };
}

/** The lvm shell: one command line per input line, on one machine, until EOF or `exit`. */
async function runShell(
  images: readonly string[],
  flags: LvmFlags,
  elapseNs: number | undefined,
): Promise<number> {
  const [{ openSession }, { splitCommandLine }, readline] = await Promise.all([
    import("./lvm-session.js"),
    import("./lvm-shell-words.js"),
    import("node:readline"),
  ]);
  const session = await openSession({
    images,
    ...(flags.machine === undefined ? {} : { machinePath: flags.machine }),
    ...(elapseNs === undefined ? {} : { elapseNs }),
    allowBlockDevices: flags.allowBlockDevices === true,
    readOnly: false,
    seedText: "lvm shell",
  });
  const interactive = process.stdin.isTTY === true;
  const lines = readline.createInterface({ input: process.stdin, terminal: false });
  let code = 0;
  try {
    if (interactive) process.stdout.write("lvm> ");
    for await (const line of lines) {
      const argv = splitCommandLine(line);
      if (argv.length > 0 && (argv[0] === "exit" || argv[0] === "quit")) break;
      if (argv.length > 0) {
        const result = session.run(argv);
        process.stdout.write(result.stdout);
        process.stderr.write(result.stderr);
        code = result.exitCode;
      }
      if (interactive) process.stdout.write("lvm> ");
    }
  } finally {
    lines.close();
    session.close();
  }
  return code;
}

/**
 * Registers `lvmlab lvm [--devices a.img,b.img] [<command> [args...]]`: LVM2's commands with LVM2's
 * own syntax over image files that stay one running machine from one invocation to the next
 * (state in `lvmlab-machine.json` beside the first image). Without a command it is LVM2's `lvm`
 * shell, reading command lines from standard input.
 */
export function register(program: Command): void {
  // Options after the subcommand name belong to the subcommand, so `lvm lvs -a` reaches lvs intact.
  program.enablePositionalOptions();
  program
    .command("lvm")
    .description(
      "Run LVM2 commands (pvcreate, vgcreate, lvcreate, pvs, lvs, …) on PV image files as one machine",
    )
    .option(
      "--devices <images>",
      "comma-separated image files LVM2 may use; their paths are the device names (remembered by the machine)",
      (value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(",")],
    )
    .option("--allow-block-devices", "allow real block devices such as /dev/sdb (refused by default)")
    .option(
      "--machine <file>",
      `the machine's state file (default: ${"lvmlab-machine.json"} beside the first image)`,
    )
    .option(
      "--elapse <duration>",
      "virtual time background work (pvmove, resync, merge) runs after each command: idle (default: until done, at most 1h) or e.g. 0, 500ms, 10s",
    )
    .argument("[command]", "the LVM2 command, e.g. vgcreate or lvs; none reads command lines from stdin")
    .argument("[args...]", "the command's own options and arguments, as for LVM2")
    .passThroughOptions()
    .allowUnknownOption()
    .addHelpText(
      "after",
      [
        "",
        "Create the images first, e.g.: truncate -s 64M a.img b.img c.img",
        "Example: lvmlab lvm --devices a.img,b.img vgcreate vg0 a.img b.img",
        "         lvmlab lvm lvs -a --segments --reportformat json     (the machine remembers its devices)",
        "         printf 'vgchange -ay vg0\\nlvs\\n' | lvmlab lvm --devices a.img,b.img",
        "The images and lvmlab-machine.json are one machine: what is active, background work, the",
        "virtual clock and /etc/lvm (backups, archives) carry over to the next command.",
        "Exit codes are LVM2's: 0 success, 3 command-line error, 5 failure; 2 for lvmlab usage errors.",
      ].join("\n"),
    )
    .action(async (name: string | undefined, rest: string[], flags: LvmFlags) => {
      const [{ UsageError }, { isReadOnlyCommand }, { openSession, SessionError }] = await Promise.all([
        import("./errors.js"),
        import("../engine/lvm/mod.js"),
        import("./lvm-session.js"),
      ]);
      const taken = takeDevicesOption(rest);
      const images = [...(flags.devices ?? []), ...taken.devices].filter((s) => s !== "");
      const elapseNs = parseElapse(flags.elapse);
      if (elapseNs !== undefined && Number.isNaN(elapseNs)) {
        throw new UsageError(`--elapse ${flags.elapse}: give idle or a duration such as 0, 500ms, 10s, 2m`);
      }
      try {
        if (name === undefined) {
          process.exitCode = await runShell(images, flags, elapseNs);
          return;
        }
        const argv = [name, ...taken.rest];
        const session = await openSession({
          images,
          ...(flags.machine === undefined ? {} : { machinePath: flags.machine }),
          ...(elapseNs === undefined ? {} : { elapseNs }),
          allowBlockDevices: flags.allowBlockDevices === true,
          readOnly: isReadOnlyCommand(argv),
          seedText: argv.join("\0"),
        });
        try {
          const result = session.run(argv);
          process.stdout.write(result.stdout);
          process.stderr.write(result.stderr);
          process.exitCode = result.exitCode;
        } finally {
          session.close();
        }
      } catch (error) {
        if (error instanceof SessionError) throw new UsageError(error.message);
        throw error;
      }
    });
}
