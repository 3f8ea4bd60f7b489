import type { Command } from "commander";

/**
 * Registers every subcommand. Each registration module defines options only and imports the
 * engine lazily inside its action, so `lvmlab --help` starts fast.
 */
export function registerCommands(program: Command): void {
  void program;
}
