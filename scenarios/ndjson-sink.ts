import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";

/**
 * Writes NDJSON records one whole line per `writeSync`, so that an interrupted run (Ctrl-C,
 * a killed CI job) leaves a file of complete records that `--resume` and `merge` can read.
 */
export class NdjsonSink {
  readonly #fd: number;
  readonly #owned: boolean;
  #closed = false;
  /** Records written so far. */
  written = 0;

  private constructor(fd: number, owned: boolean) {
    this.#fd = fd;
    this.#owned = owned;
  }

  /** A sink on a file (`append` keeps what is there, for resumed sweeps) or `-` for stdout. */
  static open(path: string, options: { append?: boolean } = {}): NdjsonSink {
    if (path === "-") return new NdjsonSink(1, false);
    return new NdjsonSink(openSync(path, options.append ? "a" : "w"), true);
  }

  /** Appends one record as one line. */
  write(record: object): void {
    if (this.#closed) throw new Error("Cannot write to a closed NDJSON sink");
    writeSync(this.#fd, `${JSON.stringify(record)}\n`);
    this.written += 1;
  }

  /** Flushes to stable storage and closes (stdout is left open). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) {
      fsyncSync(this.#fd);
      closeSync(this.#fd);
    }
  }
}
