/**
 * The CLI's one error boundary: bad input is one line and exit 2, a bug is exit 1 with its stack,
 * and a reader that goes away (EPIPE) ends the process quietly. The EPIPE and missing-file cases
 * run the built CLI as a real process.
 */
import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import {
  EXIT_FAILED,
  EXIT_SIGINT,
  EXIT_SIGTERM,
  EXIT_USAGE,
  exitCodeForError,
  exitCodeForSignal,
  isInputError,
  oneLine,
  UsageError,
} from "../../cli/errors.js";
import { CLI_BUILT, CLI_MAIN, killAll, runCliProcess } from "../support/cli-process.js";

function capture(): { text: string; write(chunk: string): void } {
  return {
    text: "",
    write(chunk) {
      this.text += chunk;
    },
  };
}

describe("cli/errors", () => {
  afterEach(killAll);

  it("maps bad input to one line and exit 2, and a bug to exit 1 with its stack", () => {
    const out = capture();
    expect(exitCodeForError(new UsageError('Bad --threshold "x"\nsecond line'), out)).toBe(EXIT_USAGE);
    expect(out.text).toBe('lvmlab: Bad --threshold "x"\n');
    const missing = Object.assign(new Error("ENOENT: no such file or directory, open '/nope'"), {
      code: "ENOENT",
      path: "/nope",
      syscall: "open",
    });
    expect(isInputError(missing)).toBe(true);
    expect(oneLine(missing)).toBe("Cannot open /nope: no such file or directory");
    const bug = capture();
    expect(exitCodeForError(new TypeError("x is undefined"), bug)).toBe(EXIT_FAILED);
    expect(bug.text).toMatch(/^lvmlab: internal error: x is undefined\nTypeError/);
    expect(exitCodeForSignal("SIGINT")).toBe(EXIT_SIGINT);
    expect(exitCodeForSignal("SIGTERM")).toBe(EXIT_SIGTERM);
    expect([EXIT_SIGINT, EXIT_SIGTERM]).toEqual([130, 143]);
  });

  it.skipIf(!CLI_BUILT)("replay --record of a missing file: one line, exit 2 (real process)", async () => {
    const run = await runCliProcess(["replay", "--record", "/nonexistent/results.ndjson"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("lvmlab: Cannot open /nonexistent/results.ndjson: no such file or directory\n");
  });

  it.skipIf(!CLI_BUILT)("ends quietly when stdout's reader goes away (lvmlab list | head)", async () => {
    const child = spawn(process.execPath, [CLI_MAIN, "faults", "--list", "--json"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // Close the reading end before the CLI writes: its first write meets EPIPE.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});
