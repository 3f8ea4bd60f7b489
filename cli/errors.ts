/**
 * The CLI's one error boundary: exit codes, the error that means "bad usage or input", and how any
 * thrown error becomes one line on stderr and an exit code. Every command throws; only `runCli`
 * catches, through {@link exitCodeForError}.
 */

/** Everything passed (or nothing needed checking). */
export const EXIT_OK = 0;
/** A check failed: a failing case, a regression, a surviving mutant. */
export const EXIT_FAILED = 1;
/** Bad usage or input: a one-line message names what is wrong, no stack trace. */
export const EXIT_USAGE = 2;
/** Stopped by SIGINT (Ctrl-C), as shells report it: 128 + 2. */
export const EXIT_SIGINT = 130;
/** Stopped by SIGTERM (a CI job cancelled), 128 + 15. */
export const EXIT_SIGTERM = 143;

/** The exit code a shell reports for a process stopped by this signal. */
export function exitCodeForSignal(signal: "SIGINT" | "SIGTERM"): number {
  return signal === "SIGINT" ? EXIT_SIGINT : EXIT_SIGTERM;
}

/** Raised by subcommands for bad usage or input; printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Error names that always mean bad input (scenario files, record files, argument values). */
const INPUT_ERROR_NAMES = new Set(["UsageError", "ScenarioError", "RecordInputError", "RangeError"]);

/** File-system error codes that come from a path the user gave (a missing or unreadable file). */
const INPUT_ERRNO_CODES = new Set([
  "ENOENT",
  "EACCES",
  "EISDIR",
  "ENOTDIR",
  "EPERM",
  "EROFS",
  "ENAMETOOLONG",
]);

/** True for errors caused by what the user typed or gave us, not by a bug in lvmlab. */
export function isInputError(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  if (INPUT_ERROR_NAMES.has(error.name) || error instanceof RangeError) return true;
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === "string" && INPUT_ERRNO_CODES.has(code);
}

/** The first line of an error's message, so nothing but one line ever reaches the user. */
export function oneLine(error: unknown): string {
  const errno = error as Partial<NodeJS.ErrnoException>;
  if (typeof errno.code === "string" && typeof errno.path === "string" && typeof errno.syscall === "string") {
    // "ENOENT: no such file or directory, open 'x'" → "Cannot open x: no such file or directory".
    const reason = /^[A-Z]+: ([^,]*)/.exec(errno.message ?? "")?.[1] ?? errno.code;
    return `Cannot ${errno.syscall} ${errno.path}: ${reason}`;
  }
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n").find((line) => line.trim() !== "") ?? text;
}

/**
 * Turns an error that escaped a command into its exit code, writing what the user needs to stderr:
 * one line for bad input (exit 2); for a bug, one line and then the stack (exit 1), since a stack
 * is what a bug report needs.
 */
export function exitCodeForError(error: unknown, stderr: { write(text: string): unknown }): number {
  if (isInputError(error)) {
    stderr.write(`lvmlab: ${oneLine(error)}\n`);
    return EXIT_USAGE;
  }
  stderr.write(`lvmlab: internal error: ${oneLine(error)}\n`);
  if (error instanceof Error && error.stack !== undefined) stderr.write(`${error.stack}\n`);
  return EXIT_FAILED;
}

/**
 * Ends the process quietly when the reader of stdout (or stderr) goes away, as in
 * `lvmlab list | head`: the output nobody reads is not an error worth a stack trace.
 */
export function exitQuietlyOnBrokenPipe(
  streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr],
): void {
  for (const stream of streams) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE")
        process.exit(process.exitCode === undefined ? EXIT_OK : Number(process.exitCode));
      throw error;
    });
  }
}
