/**
 * The check every "real LVM2 reads what lvmlab wrote" interop test makes: each report command runs on
 * real LVM2 (`--driverloaded n`, loop devices) and on lvmlab over the same images; real LVM2 must
 * succeed with nothing on stderr but its no-device-mapper noise, and both must print the same stdout.
 */
import { expect } from "vitest";
import type { LvmRunResult } from "../../engine/lvm/run.js";
import { type LoopSet, lvmNoise } from "../support/real-lvm2.js";

/** Runs each of `reports` on real LVM2 and through `mine`, expecting identical stdout. */
export function expectReportsAsReal(
  set: LoopSet,
  reports: readonly string[],
  mine: (line: string) => LvmRunResult,
): void {
  for (const report of reports) {
    const [command, ...args] = report.split(" ");
    const real = set.lvm(command!, args);
    expect(real.status, `${report}\n${real.stderr}`).toBe(0);
    expect(
      real.stderr.split("\n").filter((l) => l !== "" && !lvmNoise(l)),
      report,
    ).toEqual([]);
    const ours = mine(report);
    expect(ours.exitCode, ours.stderr).toBe(0);
    expect(ours.stdout, report).toBe(real.stdout);
  }
}
