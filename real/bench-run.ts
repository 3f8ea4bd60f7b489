import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchResults, benchScript, type GuestBenchPlan, type GuestBenchResult } from "./bench-script.js";
import { bootGuest } from "./qemu.js";
import { makeDisks } from "./run.js";
import type { RealSetup } from "./setup.js";
import { parseTranscript } from "./transcript.js";

/**
 * Runs a benchmark plan in one guest boot on disks QEMU throttles, so the disks (not the emulated
 * CPU) bound every cell, and returns each cell's measurement. The VM is gone and its disk files
 * removed when this returns or throws.
 */

/** Per-disk QEMU limits, reads and writes together. */
export interface DiskThrottle {
  readonly iops: number;
  readonly bytesPerSec: number;
}

/** Options of {@link runGuestBench}. */
export interface GuestBenchOptions {
  readonly setup: RealSetup;
  readonly throttle: DiskThrottle;
  readonly timeoutMs: number;
  /** Where the console goes line by line, for a run that hangs (optional). */
  readonly consoleLog?: string;
}

/** What one benchmark boot measured. */
export interface GuestBenchRun {
  readonly accel: "kvm" | "tcg" | "direct";
  readonly wallMs: number;
  readonly results: readonly GuestBenchResult[];
}

/** Boots the guest once over fresh sparse disks and runs every cell of `plan`. */
export async function runGuestBench(
  plan: GuestBenchPlan,
  options: GuestBenchOptions,
): Promise<GuestBenchRun> {
  const { iops, bytesPerSec } = options.throttle;
  if (!Number.isSafeInteger(iops) || iops < 1 || !Number.isSafeInteger(bytesPerSec) || bytesPerSec < 1) {
    throw new RangeError(`Disk throttle ${iops} IOPS, ${bytesPerSec} B/s: both must be positive integers`);
  }
  const script = benchScript(plan);
  const workDir = mkdtempSync(join(tmpdir(), "lvmlab-real-bench-"));
  try {
    const disks = makeDisks(workDir, plan);
    const boot = await bootGuest({
      setup: options.setup,
      workDir,
      script,
      disks,
      throttleBps: bytesPerSec,
      throttleIops: iops,
      timeoutMs: options.timeoutMs,
      ...(options.consoleLog === undefined ? {} : { consoleLog: options.consoleLog }),
    });
    if (boot.ended !== "poweroff") {
      throw new Error(
        `the benchmark boot ended by ${boot.ended} after ${Math.round(boot.wallMs)} ms; last console lines:\n${boot.tail.join("\n")}`,
      );
    }
    const results = benchResults(plan, parseTranscript(boot.lines));
    return { accel: boot.accel, wallMs: Math.round(boot.wallMs), results };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
