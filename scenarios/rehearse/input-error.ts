/**
 * The one error bad rehearsal input raises: a backup file, plan file, device option or workload
 * the rehearsal cannot use. The message names the file and line (or the option) and says what to
 * do; the CLI prints it as one line and exits 2.
 */
export class RehearseInputError extends Error {
  override readonly name = "RehearseInputError";
}
