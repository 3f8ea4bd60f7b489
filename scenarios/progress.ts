/**
 * Progress on stderr: a redrawn bar on a TTY; in CI or when piped, a line when the sweep starts,
 * each failure as it happens (every case with `verbose`), and nothing else, so the summary is not
 * buried under hundreds of `ok` lines. It never reaches NDJSON or reports, so it cannot break
 * determinism.
 */
export interface Progress {
  start(total: number): void;
  caseDone(key: string, status: "pass" | "fail", verdict: string): void;
  finish(): void;
}

/** Progress that prints nothing (tests, `--quiet`). */
export const SILENT_PROGRESS: Progress = { start() {}, caseDone() {}, finish() {} };

/** Options of {@link streamProgress}. */
export interface StreamProgressOptions {
  /** A line per case without a TTY, passing ones too. */
  readonly verbose?: boolean;
  /** Treat the stream as a terminal or not (default: its isTTY, and not under CI). */
  readonly tty?: boolean;
}

/** A TTY bar or CI lines on the given stream. */
export function streamProgress(
  stream: Pick<NodeJS.WriteStream, "write" | "isTTY">,
  options: StreamProgressOptions = {},
): Progress {
  const tty = options.tty ?? (stream.isTTY === true && process.env.CI === undefined);
  const verbose = options.verbose ?? false;
  let total = 0;
  let done = 0;
  let failed = 0;
  const startedMs = performance.now();
  return {
    start(count) {
      total = count;
      if (!tty) stream.write(`running ${count} case${count === 1 ? "" : "s"}\n`);
    },
    caseDone(key, status, verdict) {
      done += 1;
      if (status === "fail") failed += 1;
      if (tty) {
        const width = 30;
        const filled = total === 0 ? width : Math.round((done / total) * width);
        const secs = ((performance.now() - startedMs) / 1000).toFixed(1);
        stream.write(
          `\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} ${failed} failed ${secs}s `,
        );
        if (status === "fail") stream.write(`\n  FAIL ${key}: ${verdict}\n`);
      } else if (status === "fail") {
        stream.write(`FAIL ${key}: ${verdict}\n`);
      } else if (verbose) {
        stream.write(`ok   ${key}\n`);
      }
    },
    finish() {
      if (tty) stream.write("\n");
    },
  };
}

/**
 * Says that a phase without per-case progress (the benchmark) is running and how long it took, so a
 * quiet terminal or CI log never looks hung.
 */
export function phaseProgress(
  stream: Pick<NodeJS.WriteStream, "write">,
  name: string,
): { done(detail?: string): void } {
  const startedMs = performance.now();
  stream.write(`${name}: running…\n`);
  return {
    done(detail) {
      const secs = ((performance.now() - startedMs) / 1000).toFixed(1);
      stream.write(`${name}: done in ${secs}s${detail === undefined ? "" : ` (${detail})`}\n`);
    },
  };
}
