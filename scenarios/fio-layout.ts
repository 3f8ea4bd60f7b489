/**
 * `lvmlab fio`: a fio job file run against an in-memory VG of a chosen layout, so a user's own
 * job files measure lvmlab's linear, striped, mirror, snapshot and mid-pvmove LVs with fio's
 * output. Each layout is built with the LVM2 commands an operator would type.
 */
import { MemoryDevice } from "../engine/block/memory.js";
import { TimedDevice } from "../engine/block/timed.js";
import { activateLv } from "../engine/lvm/activation/activate.js";
import { Host } from "../engine/lvm/host.js";
import { runLvm } from "../engine/lvm/run.js";
import { findVg, scanHost } from "../engine/lvm/vg-read.js";
import { Rng } from "../engine/sim/rng.js";
import { Scheduler } from "../engine/sim/scheduler.js";
import { resolveProfile } from "../engine/sim/timing/resolve.js";
import type { JobSpec } from "../workloads/job-spec.js";
import { type RunResult, runJobs } from "../workloads/runner.js";

/** The layouts `lvmlab fio --layout` offers. */
export const FIO_LAYOUTS = ["linear", "striped", "mirror", "snapshot", "pvmove"] as const;
/** One layout. */
export type FioLayout = (typeof FIO_LAYOUTS)[number];

const PV_BYTES = 2 * 1024 * 1024 * 1024;
const PV_COUNT = 4;

/** The LVM2 commands that build each layout on pv0..pv3; the LV under test is vg0/lv0. */
export const LAYOUT_COMMANDS: Readonly<Record<FioLayout, readonly string[]>> = {
  linear: ["lvcreate -an -Zn -L 1G -n lv0 vg0 pv0"],
  striped: ["lvcreate -an -Zn -i 2 -I 64k -L 1G -n lv0 vg0 pv0 pv1"],
  mirror: ["lvcreate -an -Zn --type mirror -m 1 --mirrorlog disk --nosync -L 1G -n lv0 vg0 pv0 pv1 pv2"],
  snapshot: ["lvcreate -an -Zn -L 1G -n lv0 vg0 pv0", "lvcreate -s -L 1G -c 64k -n snap vg0/lv0 pv1"],
  pvmove: ["lvcreate -an -Zn -L 1G -n lv0 vg0 pv0"],
};

/** Options of one run. */
export interface FioRunOptions {
  readonly layout: FioLayout;
  readonly profile: string;
  readonly seed: number;
}

/** Builds the VG, runs the jobs against vg0/lv0 in virtual time, and returns fio-style results. */
export function runFioOnLayout(jobs: readonly JobSpec[], options: FioRunOptions): RunResult {
  const profile = resolveProfile(options.profile);
  const rng = Rng.fromSeed(options.seed);
  const scheduler = new Scheduler();
  const pvs = Array.from(
    { length: PV_COUNT },
    (_, i) => new TimedDevice(new MemoryDevice(`pv${i}`, PV_BYTES), profile, { rng: rng.fork(`timing${i}`) }),
  );
  const host = new Host({
    devices: pvs.map((pv, i) => [`pv${i}`, pv] as const),
    scheduler,
    seed: rng.fork("ids").seedPath,
  });
  const lvm = (line: string) => {
    const result = runLvm(host, line.split(" "));
    if (result.exitCode !== 0) {
      throw new Error(`Building the ${options.layout} layout failed at "${line}": ${result.stderr.trim()}`);
    }
  };
  lvm("pvcreate pv0 pv1 pv2 pv3");
  lvm("vgcreate vg0 pv0 pv1 pv2 pv3");
  for (const line of LAYOUT_COMMANDS[options.layout]) lvm(line);
  const vg = findVg(scanHost(host), "vg0")!.vg;
  const device = activateLv(host, vg, "lv0").device;
  if (options.layout === "pvmove") lvm("pvmove -b pv0 pv3");
  return runJobs(jobs, device, { rng: rng.fork("workload"), scheduler, pvs });
}
