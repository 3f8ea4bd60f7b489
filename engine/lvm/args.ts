/**
 * LVM2-style command-line parsing: short options with attached or separate values (`-L10G`,
 * `-L 10G`), long options with `=` or a separate value, bundled flags (`-an` is `-a n` as LVM2
 * reads it), `--` ending options. Each command declares its options; anything else is refused
 * the way LVM2 refuses it.
 */

/** One option a command accepts. */
export interface OptionSpec {
  /** Long name without dashes, e.g. "size". The parsed value is stored under this name. */
  readonly long: string;
  /** Short letter without the dash, e.g. "L". */
  readonly short?: string;
  /** Whether the option takes a value. */
  readonly value: boolean;
  /** Other long spellings, e.g. "mirrorlog" for "mirror-log". */
  readonly aliases?: readonly string[];
}

/** The parsed command line. */
export interface ParsedArgs {
  /** Values by long option name, in the order given (flags hold an empty string). */
  readonly options: ReadonlyMap<string, readonly string[]>;
  readonly positionals: readonly string[];
}

/** A command line LVM2 would refuse (exit code 3, like LVM2's EINVALID_CMD_LINE). */
export class CommandLineError extends Error {
  override readonly name = "CommandLineError";
}

/** Options every LVM2 command accepts; lvmlab honours them or ignores them where harmless. */
export const COMMON_OPTIONS: readonly OptionSpec[] = [
  { long: "verbose", short: "v", value: false },
  { long: "debug", short: "d", value: false },
  { long: "quiet", short: "q", value: false },
  { long: "yes", short: "y", value: false },
  { long: "force", short: "f", value: false },
  { long: "test", short: "t", value: false },
  { long: "driverloaded", value: true },
  { long: "config", value: true },
  { long: "help", short: "h", value: false },
  { long: "nolocking", value: false },
  { long: "devices", value: true },
  { long: "devicesfile", value: true },
];

/** Parses `argv` against the command's options (plus {@link COMMON_OPTIONS}). */
export function parseArgs(
  command: string,
  argv: readonly string[],
  specs: readonly OptionSpec[],
): ParsedArgs {
  const all = [...specs, ...COMMON_OPTIONS];
  const byLong = new Map<string, OptionSpec>();
  const byShort = new Map<string, OptionSpec>();
  // A command's own options win over the common ones (vgcfgbackup's -f is --file, not --force).
  for (const spec of all) {
    if (!byLong.has(spec.long)) byLong.set(spec.long, spec);
    for (const alias of spec.aliases ?? []) if (!byLong.has(alias)) byLong.set(alias, spec);
    if (spec.short !== undefined && !byShort.has(spec.short)) byShort.set(spec.short, spec);
  }
  const options = new Map<string, string[]>();
  const positionals: string[] = [];
  const add = (spec: OptionSpec, value: string): void => {
    const list = options.get(spec.long) ?? [];
    list.push(value);
    options.set(spec.long, list);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = (eq >= 0 ? arg.slice(2, eq) : arg.slice(2)).replaceAll("_", "-");
      const spec = byLong.get(name) ?? byLong.get(name.replaceAll("-", ""));
      if (spec === undefined) throw new CommandLineError(`${command}: unrecognized option '${arg}'`);
      if (!spec.value) {
        if (eq >= 0) throw new CommandLineError(`${command}: option '--${name}' doesn't allow an argument`);
        add(spec, "");
      } else if (eq >= 0) {
        add(spec, arg.slice(eq + 1));
      } else {
        const next = argv[i + 1];
        if (next === undefined)
          throw new CommandLineError(`${command}: option '--${name}' requires an argument`);
        add(spec, next);
        i += 1;
      }
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1 && !/^-\d/.test(arg)) {
      // Bundled short options: flags until one that takes a value, which eats the rest.
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        const spec = byShort.get(letter);
        if (spec === undefined) throw new CommandLineError(`${command}: invalid option -- '${letter}'`);
        if (!spec.value) {
          add(spec, "");
          continue;
        }
        const attached = arg.slice(j + 1);
        if (attached.length > 0) {
          add(spec, attached);
        } else {
          const next = argv[i + 1];
          if (next === undefined)
            throw new CommandLineError(`${command}: option requires an argument -- '${letter}'`);
          add(spec, next);
          i += 1;
        }
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { options, positionals };
}

/** The last value given for an option, or undefined. */
export function optionValue(args: ParsedArgs, long: string): string | undefined {
  const values = args.options.get(long);
  return values === undefined ? undefined : values[values.length - 1];
}

/** Whether a flag or option was given at all. */
export function hasOption(args: ParsedArgs, long: string): boolean {
  return args.options.has(long);
}

/**
 * An option value LVM2's argument parser refuses (`Invalid argument for --addtag: x`): printed,
 * then "Error during parsing of command line.", exit 3, as for getopt's own errors.
 */
export class ArgValueError extends Error {
  override readonly name = "ArgValueError";
}
