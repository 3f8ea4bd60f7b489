import { Command, CommanderError } from "commander";
import { lvmlabVersion } from "../scenarios/version.js";
import { registerCommands } from "./commands.js";
import { EXIT_OK, EXIT_USAGE, exitCodeForError } from "./errors.js";

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
    return exitCodeForError(error, process.stderr);
  }
}
