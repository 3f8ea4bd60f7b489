/** Test helpers: a Host over fresh 64 MiB memory devices named like loop devices. */
import { MemoryDevice } from "../../../engine/block/memory.js";
import { Host, type HostOptions } from "../../../engine/lvm/host.js";
import { type LvmRunResult, runLvm } from "../../../engine/lvm/run.js";

/** The 64 MiB the transcript's loop devices had. */
export const DEVICE_BYTES = 64 * 1024 * 1024;

/** A Host over `names` (fresh zeroed memory devices), or over given devices. */
export function makeHost(names: readonly string[], options: Partial<HostOptions> = {}): Host {
  return new Host({
    devices: names.map((n) => [n, new MemoryDevice(n, DEVICE_BYTES)] as const),
    seed: "test",
    ...options,
  });
}

/** Runs a command line written as in the transcript (`lvcreate -L 8M vg0`). */
export function lvm(host: Host, line: string): LvmRunResult {
  return runLvm(host, line.trim().split(/\s+/));
}

/** Parses a transcript into commands with their expected output and exit code. */
export function parseTranscript(text: string): { command: string; output: string[]; exit: number }[] {
  const steps: { command: string; output: string[]; exit: number }[] = [];
  let current: { command: string; output: string[]; exit: number } | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    if (line.startsWith("$ ")) {
      current = { command: line.slice(2), output: [], exit: -1 };
      steps.push(current);
    } else if (/^\[exit \d+\]$/.test(line)) {
      if (current) current.exit = Number(line.slice(6, -1));
    } else if (current && line !== "") current.output.push(line);
  }
  return steps;
}
