import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Writes NDJSON records one whole line per `writeSync`, so that an interrupted run (Ctrl-C,
 * a killed CI job) leaves a file of complete records that `--resume` and `merge` can read.
 *
 * A file output is written to a hidden temporary file beside the target and renamed over it when
 * the sink closes: an earlier result stays intact until the new one is complete (or deliberately
 * cut short by an interrupt), and a run that fails before closing never destroys it.
 */
export class NdjsonSink {
  readonly #fd: number;
  /** Target path and temporary path of a file output; undefined for stdout. */
  readonly #file: { readonly target: string; readonly temporary: string } | undefined;
  #closed = false;
  /** Records written so far. */
  written = 0;

  private constructor(fd: number, file: { target: string; temporary: string } | undefined) {
    this.#fd = fd;
    this.#file = file;
  }

  /**
   * A sink on a file, or `-` for stdout. `initialText` (whole lines) is written first: a resumed
   * sweep passes the records it keeps from the earlier file.
   */
  static open(path: string, options: { initialText?: string } = {}): NdjsonSink {
    if (path === "-") return new NdjsonSink(1, undefined);
    const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
    const fd = openSync(temporary, "w");
    const sink = new NdjsonSink(fd, { target: path, temporary });
    const initial = options.initialText ?? "";
    if (initial !== "") {
      if (!initial.endsWith("\n")) throw new Error("NDJSON initial text must end with a newline");
      writeSync(fd, initial);
    }
    return sink;
  }

  /** Appends one record as one line. */
  write(record: object): void {
    if (this.#closed) throw new Error("Cannot write to a closed NDJSON sink");
    writeSync(this.#fd, `${JSON.stringify(record)}\n`);
    this.written += 1;
  }

  /** Flushes to stable storage and puts the file in place (stdout is left open). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#file === undefined) return;
    fsyncSync(this.#fd);
    closeSync(this.#fd);
    renameSync(this.#file.temporary, this.#file.target);
  }

  /** Drops what was written: the target keeps its earlier content (a run that failed to start). */
  discard(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#file === undefined) return;
    closeSync(this.#fd);
    if (existsSync(this.#file.temporary)) rmSync(this.#file.temporary);
  }
}
