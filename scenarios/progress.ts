/**
 * Progress on stderr: a redrawn bar on a TTY, a plain line per finished case in CI or when piped.
 * It never reaches NDJSON or reports, so it cannot break determinism.
 */
export interface Progress {
  start(total: number): void;
  caseDone(key: string, status: "pass" | "fail", verdict: string): void;
  finish(): void;
}

/** Progress that prints nothing (tests, `--quiet`). */
export const SILENT_PROGRESS: Progress = { start() {}, caseDone() {}, finish() {} };

/** A TTY bar or CI lines on the given stream. */
export function streamProgress(stream: NodeJS.WriteStream): Progress {
  const tty = stream.isTTY === true && process.env.CI === undefined;
  let total = 0;
  let done = 0;
  let failed = 0;
  const startedMs = performance.now();
  return {
    start(count) {
      total = count;
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
      } else {
        stream.write(
          `${status === "pass" ? "ok  " : "FAIL"} ${key}${status === "fail" ? `: ${verdict}` : ""}\n`,
        );
      }
    },
    finish() {
      if (tty) stream.write("\n");
    },
  };
}
