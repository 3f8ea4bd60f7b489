/**
 * Runs one LVM2 command line on a Host the way the `lvm` binary does: look the command up, parse
 * its options, print the scan's warnings, run it, and turn failures into LVM2's messages and exit
 * codes (3 for command-line errors, 5 for failures). A simulated power cut (SimulationHalt) is
 * never caught here.
 */
import { isSimulationHalt } from "../sim/halt.js";
import { ArgValueError, CommandLineError, hasOption, optionValue, parseArgs } from "./args.js";
import { type CommandContext, ECMD_PROCESSED, EINVALID_CMD_LINE, LvmCommandError } from "./command.js";
import { COMMANDS } from "./commands/table.js";
import type { Host } from "./host.js";
import { CommandOutput } from "./output.js";
import { hostRuntime, type LvRuntimeProvider } from "./runtime.js";
import { SizeArgError } from "./sizes.js";
import { noteThinAutoextend } from "./thin/autoextend-settings.js";

/** LVM2's "no such command" exit code (`ENO_SUCH_CMD`). */
export const ENO_SUCH_CMD = 2;

/** What a command printed and returned. */
export interface LvmRunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options for {@link runLvm}. */
export interface RunLvmOptions {
  /** Runtime state for report fields; defaults to the Host's activation record. */
  readonly runtime?: LvRuntimeProvider;
}

/** Whether `command` only reads (reports, displays, checks without repair). */
export function isReadOnlyCommand(argv: readonly string[]): boolean {
  const name = argv[0];
  const def = name === undefined ? undefined : COMMANDS.get(name);
  if (def === undefined) return true;
  if (!def.readOnly) return false;
  // Activation can resume an interrupted pvmove, which writes metadata.
  if (name === "lvchange" || name === "vgchange") return false;
  // vgck --updatemetadata and pvck --repair write.
  return !argv.some((a) => a === "--updatemetadata" || a === "--repair" || a.startsWith("--repairtype"));
}

/** Runs `argv` (`["lvcreate", "-L", "8M", "vg0"]`) on `host`. */
export function runLvm(host: Host, argv: readonly string[], options: RunLvmOptions = {}): LvmRunResult {
  const out = new CommandOutput();
  const exitCode = runInto(host, argv, out, options);
  return { exitCode, stdout: out.stdoutText(), stderr: out.stderrText() };
}

function runInto(host: Host, argv: readonly string[], out: CommandOutput, options: RunLvmOptions): number {
  const code = dispatch(host, argv, out, options);
  // lvm2_main: a failure that logged no error of its own still says that it failed.
  const errored = out.stderr.some((line) => !line.startsWith("  WARNING:"));
  if (code !== ECMD_PROCESSED && code !== ENO_SUCH_CMD && !errored) {
    out.error(`Command failed with status code ${code}.`);
  }
  // lvm_run_command: every command-line error ends with the short usage hint.
  const hinted = out.stderr.some((line) => line.includes("--help' for more information"));
  if (code === EINVALID_CMD_LINE && !hinted && !parseFailed.has(out)) {
    out.error(`Run \`${argv[0]} --help' for more information.`);
  }
  return code;
}

// Outputs whose command line failed to parse: LVM2 prints no usage hint after those.
const parseFailed = new WeakSet<CommandOutput>();

function dispatch(host: Host, argv: readonly string[], out: CommandOutput, options: RunLvmOptions): number {
  const name = argv[0];
  if (name === undefined) {
    out.error("No command given. Try 'help'.");
    return ENO_SUCH_CMD;
  }
  const def = COMMANDS.get(name);
  if (def === undefined) {
    out.error(`No such command '${name}'.  Try 'help'.`);
    return ENO_SUCH_CMD;
  }
  try {
    const args = parseArgs(name, argv.slice(1), def.options);
    if (hasOption(args, "help")) {
      out.print(`  ${name}: LVM2's ${name}, run by lvmlab over the devices given with --devices.`);
      const names = def.options.map(
        (o) => `${o.short ? `-${o.short}|` : ""}--${o.long}${o.value ? " VALUE" : ""}`,
      );
      if (names.length > 0) out.print(`  Options: ${names.join(", ")}`);
      out.print("  Common options: -v, -d, -q, -y, -f, -t, --driverloaded y|n, --help");
      return ECMD_PROCESSED;
    }
    const driver = optionValue(args, "driverloaded");
    const context: CommandContext = {
      host,
      out,
      commandLine: argv.join(" "),
      runtime: options.runtime ?? hostRuntime(host),
      ...(driver !== undefined ? { driverLoaded: !/^(n|no|0)$/.test(driver) } : {}),
    };
    noteThinAutoextend(host, optionValue(args, "config"));
    return def.run(context, args);
  } catch (error) {
    if (isSimulationHalt(error)) throw error;
    if (error instanceof CommandLineError) {
      // getopt's own message, unindented, then LVM2's.
      out.stderr.push(error.message);
      out.error("Error during parsing of command line.");
      parseFailed.add(out);
      return EINVALID_CMD_LINE;
    }
    if (error instanceof SizeArgError || error instanceof ArgValueError) {
      // An empty message: the command already said why (LVM2 fails some commands without a last line).
      if (error.message !== "")
        for (const line of error.message.split("\n")) out.error(line.replace(/^ {2}/, ""));
      out.error("Error during parsing of command line.");
      parseFailed.add(out);
      return EINVALID_CMD_LINE;
    }
    if (error instanceof LvmCommandError) {
      // An empty message: the command already said why (LVM2 fails some commands without a last line).
      if (error.message !== "")
        for (const line of error.message.split("\n")) out.error(line.replace(/^ {2}/, ""));
      return error.exitCode;
    }
    throw error;
  }
}
