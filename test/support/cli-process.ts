/**
 * Runs the built CLI (`node dist/cli/main.js …`) as a real child process, for tests of signals,
 * exit codes and what reaches stdout/stderr. Every process a test starts is killed when the test
 * ends (see {@link killAll}), and every wait is bounded.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The compiled entry point; tests skip when it is missing (npm test builds it first). */
export const CLI_MAIN = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
/** Whether dist/ holds the compiled CLI. */
export const CLI_BUILT = existsSync(CLI_MAIN);

/** A running CLI process with what it printed so far. */
export interface CliProcess {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves when stderr (or stdout) matches, rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (128 + n when killed by signal n). */
  readonly exit: Promise<number>;
}

const running = new Set<ChildProcess>();

/** Starts `node dist/cli/main.js ...args` with a pipe for each stream and CI unset. */
export function startCli(
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; cwd?: string } = {},
): CliProcess {
  const env: Record<string, string | undefined> = { ...process.env, CI: undefined, NO_COLOR: "1" };
  for (const [key, value] of Object.entries(options.env ?? {})) env[key] = value;
  const child = spawn(process.execPath, [CLI_MAIN, ...args], {
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  running.add(child);
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const proc: CliProcess = {
    child,
    stdout: "",
    stderr: "",
    waitFor(pattern, timeoutMs = 20_000) {
      if (pattern.test(proc.stderr) || pattern.test(proc.stdout)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`Timed out waiting for ${pattern}; stderr so far: ${proc.stderr}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    exit: new Promise((resolve) => {
      child.on("close", (code, signal) => {
        running.delete(child);
        const signals: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGKILL: 137 };
        resolve(code ?? signals[signal ?? ""] ?? 1);
      });
    }),
  };
  const check = () => {
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(proc.stderr) || waiter.pattern.test(proc.stdout)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout?.on("data", (chunk: Buffer) => {
    proc.stdout += chunk.toString("utf8");
    check();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    proc.stderr += chunk.toString("utf8");
    check();
  });
  return proc;
}

/** Runs the CLI to its end (bounded) and returns its exit code and output. */
export async function runCliProcess(
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = startCli(args, options);
  const timer = setTimeout(() => proc.child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  const code = await proc.exit;
  clearTimeout(timer);
  return { code, stdout: proc.stdout, stderr: proc.stderr };
}

/** Kills every CLI process a test started and did not see end (call in afterEach). */
export function killAll(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}
