/**
 * What a command prints. LVM2 writes results to stdout and messages, warnings and errors to
 * stderr with two leading spaces; the `lvmlab lvm` front end prints these verbatim.
 */
export class CommandOutput {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];

  /** A line of normal output (reports), printed as is. */
  print(line: string): void {
    this.stdout.push(line);
  }

  /** A progress or success message LVM2 prints on stdout with two leading spaces. */
  message(line: string): void {
    this.stdout.push(`  ${line}`);
  }

  /** A warning on stderr, `  WARNING: …` as LVM2 prints it (pass the text after "WARNING: "). */
  warn(line: string): void {
    this.stderr.push(`  WARNING: ${line}`);
  }

  /** An error on stderr with LVM2's two-space indent. */
  error(line: string): void {
    this.stderr.push(`  ${line}`);
  }

  /** Everything printed on stdout, newline-terminated. */
  stdoutText(): string {
    return this.stdout.length === 0 ? "" : `${this.stdout.join("\n")}\n`;
  }

  /** Everything printed on stderr, newline-terminated. */
  stderrText(): string {
    return this.stderr.length === 0 ? "" : `${this.stderr.join("\n")}\n`;
  }
}
