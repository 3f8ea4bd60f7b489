import { AllocationError } from "../metadata/alloc.js";
import type { OptionSpec, ParsedArgs } from "./args.js";
import type { Host } from "./host.js";
import type { CommandOutput } from "./output.js";
import type { LvRuntimeProvider } from "./runtime-provider.js";

/** LVM2's exit codes (`tools/errors.h`). */
export const ECMD_PROCESSED = 0;
export const EINVALID_CMD_LINE = 3;
export const ECMD_FAILED = 5;

/** A command failed the way LVM2 reports failures: message on stderr, exit code 5, nothing written. */
export class LvmCommandError extends Error {
  override readonly name = "LvmCommandError";

  constructor(
    message: string,
    readonly exitCode: number = ECMD_FAILED,
  ) {
    // A command's failure is its message and exit code, printed as LVM2 prints them; a stack
    // (~10 µs to capture deep in a simulation) is never shown.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

/** What a command runs with. */
export interface CommandContext {
  readonly host: Host;
  readonly out: CommandOutput;
  /** The full command line as typed, for metadata `description = "Write from …"`. */
  readonly commandLine: string;
  /** Runtime state for report fields; absent means the Host's activation record only. */
  readonly runtime?: LvRuntimeProvider;
  /** False with `--driverloaded n`: no activation, and runtime report fields read as unknown. */
  readonly driverLoaded?: boolean;
}

/** One LVM2 command. */
export interface LvmCommandDef {
  readonly name: string;
  /** Report and display commands never write; the front end opens images read-only for them. */
  readonly readOnly: boolean;
  readonly options: readonly OptionSpec[];
  /** Runs the command; returns LVM2's exit code. Throws {@link LvmCommandError} to fail. */
  run(context: CommandContext, args: ParsedArgs): number;
}

/** Runs `fn`, turning an allocator's refusal into the command failure LVM2 prints for it. */
export function asCommandError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof AllocationError) throw new LvmCommandError(error.message);
    throw error;
  }
}
