/** The one error the config parser raises: file, line, column and what is wrong. */

/** A syntax error in LVM2 config text, with a 1-based position. */
export class ConfigParseError extends Error {
  override readonly name = "ConfigParseError";

  constructor(
    readonly fileName: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${fileName}:${line}:${column}: ${reason}`);
  }
}

/** True when the error is a {@link ConfigParseError}. */
export function isConfigParseError(error: unknown): error is ConfigParseError {
  return error instanceof ConfigParseError;
}
