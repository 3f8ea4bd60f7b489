import { Command, CommanderError } from "commander";
import { lvmlabVersion } from "../scenarios/version.js";
import { registerCommands } from "./commands.js";

/** Exit codes shared by every subcommand: 0 all good, 1 a check failed, 2 bad usage or input. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Raised by subcommands for bad usage or input; printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Builds the `lvmlab` program; subcommands load the engine only when they run. */
export function buildProgram(): Command {
  const program = new Command("lvmlab")
    .description("Deterministic benchmarking and chaos-testing harness for LVM2 and device-mapper")
    .version(lvmlabVersion(), "-V, --version")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      outputError: (text, write) => write(text.split("\n").filter(Boolean)[0] ?? text),
    });
  registerCommands(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Runs the CLI with the given arguments (without `node` and the script) and returns the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  // Commands report failure through process.exitCode; start each run from a clean slate so an
  // in-process caller (tests) does not inherit the previous command's code.
  process.exitCode = undefined;
  try {
    await program.parseAsync([...argv], { from: "user" });
    return process.exitCode === undefined ? EXIT_OK : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return EXIT_OK;
      if (error.code === "commander.help") return EXIT_OK;
      process.stderr.write("\n");
      return EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`lvmlab: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}
