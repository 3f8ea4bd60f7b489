/**
 * One simulated run of a rehearsal: the user's VG restored from its backup onto simulated disks
 * (each with its device profile), filled with verified data, measured, and taken through the
 * plan with the workload running during each pvmove. Every cell of the recovery matrix, and the
 * clean run that measures durations, is one of these, built the same way from the same seed, so a
 * crash point found in one run lands at the same place in another.
 */
import { isBlockDeviceError } from "../../engine/block/errors.js";
import { activateLv, deviceMapperOf } from "../../engine/lvm/activation/activate.js";
import { runLvm } from "../../engine/lvm/run.js";
import { findVg, scanHost, type VgHandle } from "../../engine/lvm/vg-read.js";
import { isSimulationHalt } from "../../engine/sim/halt.js";
import { type Mutations, NO_MUTATIONS } from "../../engine/sim/mutations.js";
import { Rng } from "../../engine/sim/rng.js";
import { missingDeviceEffect } from "../../faults/mod.js";
import type { FaultSpec } from "../../faults/schema.js";
import type { JobSpec } from "../../workloads/job-spec.js";
import { ShadowOracle } from "../../workloads/oracle.js";
import { type RunResult, runJobs } from "../../workloads/runner.js";
import { splitCommandLine } from "../command-line.js";
import { defineScenario } from "../define.js";
import { Machine } from "../machine.js";
import { emptyVerifyCounts, type VerifyCounts } from "../records.js";
import type { BackupVg } from "./backup.js";
import type { PlanStep } from "./plan.js";

/** A disk of the rehearsal: a PV of the backup or a declared new disk. */
export interface RehearseDisk {
  readonly device: string;
  readonly sizeBytes: number;
  /** Device profile name (nvme, sata-ssd, hdd, realdm-100mib-1kiops, custom:…). */
  readonly profile: string;
  /** True for a disk the plan adds (blank at the start). */
  readonly isNew: boolean;
}

/** Everything a rehearsal run is built from. */
export interface RehearsalInput {
  readonly backup: BackupVg;
  readonly steps: readonly PlanStep[];
  readonly disks: readonly RehearseDisk[];
  /** The workload measured before and after the plan and run during each pvmove. */
  readonly jobs: readonly JobSpec[];
  readonly seed: number;
}

/** Where the backup file the user gave lives on the simulated machine's root file system. */
const BACKUP_PATH = "/root/lvmlab-rehearse/backup.vg";
/** The backup the operator takes before step N (`vgcfgbackup -f`). */
export function stepBackupPath(step: number): string {
  return `/root/lvmlab-rehearse/before-step-${step}.vg`;
}

/** I/Os one workload job may issue at most in a rehearsal (fio's time_based jobs are bounded). */
const REHEARSE_IOS_PER_JOB_MAX = 4096;
/** Blocks written to each LV before the plan, so every LV holds verified data. */
const PREFILL_IOS = 48;

const PREFILL_JOB_TEXT = `[prefill]\nrw=randwrite\nbs=4k\niodepth=4\nnumber_ios=${PREFILL_IOS}\nverify=xxh64\nfsync=${PREFILL_IOS}\n`;

/** A command's result as the log keeps it. */
export interface LvmResult {
  readonly line: string;
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Virtual time a step took, from its command to the end of its background work. */
export interface StepTiming {
  readonly step: number;
  readonly startNs: number;
  readonly endNs: number;
  readonly exitCode: number;
  /** When the step's last copy region finished (pvmove), before its poll noticed; undefined without a copy. */
  readonly copyEndNs?: number;
  /** Throughput of the workload while the step ran (pvmove only), per LV. */
  readonly during: ReadonlyMap<string, RunResult>;
}

/** The rehearsal machine. */
export class RehearsalWorld {
  readonly machine: Machine;
  readonly oracle: ShadowOracle;
  readonly log: string[] = [];
  readonly rng: Rng;
  /** Oracle id of each LV name. */
  readonly lvIds = new Map<string, number>();
  #workloadRuns = 0;

  constructor(
    readonly input: RehearsalInput,
    options: { readonly faults?: readonly FaultSpec[]; readonly mutations?: Mutations } = {},
  ) {
    const scenario = defineScenario({
      name: "rehearse",
      description: `Rehearsal of a plan on VG ${input.backup.vgName}`,
      pvs: input.disks.map((d) => ({ name: d.device, size: `${d.sizeBytes}B`, profile: d.profile })),
      phases: [{ wait: "background" }],
    });
    this.rng = Rng.fromSeed(input.seed).fork("rehearse");
    const mutations = options.mutations ?? NO_MUTATIONS;
    this.machine = new Machine(scenario, {
      rng: this.rng,
      faults: options.faults ?? [],
      storage: { kind: "memory" },
      mutations,
      archiving: true,
    });
    this.oracle = new ShadowOracle({ mutations });
    this.machine.files.set(BACKUP_PATH, input.backup.text);
    for (const [i, lv] of input.backup.lvs.entries()) this.lvIds.set(lv.name, i + 1);
  }

  get vgName(): string {
    return this.input.backup.vgName;
  }

  /** Runs one LVM2 command line and logs it with its output. */
  lvm(line: string): LvmResult {
    const result = runLvm(this.machine.host, splitCommandLine(line));
    this.log.push(
      `$ ${line}`,
      ...result.stdout.split("\n").filter(Boolean),
      ...result.stderr.split("\n").filter(Boolean),
    );
    if (result.exitCode !== 0) this.log.push(`(exit ${result.exitCode})`);
    return { line, ...result };
  }

  /**
   * Restores the VG from the backup onto the simulated disks, writes verified data to every LV and
   * runs the workload once on each (the "before" measurement). Not under test: made durable after.
   */
  setUp(prefill: readonly JobSpec[]): Map<string, RunResult> {
    for (const pv of this.input.backup.pvs) {
      this.#must(`pvcreate --uuid ${pv.uuid} --norestorefile ${pv.device}`);
    }
    this.#must(`vgcfgrestore -f ${BACKUP_PATH} ${this.vgName}`);
    const before = new Map<string, RunResult>();
    for (const lv of this.input.backup.lvs) this.workload(lv.name, prefill);
    for (const lv of this.input.backup.lvs) before.set(lv.name, this.workload(lv.name, this.input.jobs));
    this.machine.scheduler.run();
    this.machine.syncAll();
    return before;
  }

  #must(line: string): void {
    const result = this.lvm(line);
    if (result.exitCode !== 0) {
      throw new Error(
        `Restoring the backup failed at "${line}" (exit ${result.exitCode}): ${result.stderr.trim().split("\n")[0] ?? ""}`,
      );
    }
  }

  /** Runs `jobs` against one LV (activating it when needed), verified by the oracle. */
  workload(lvName: string, jobs: readonly JobSpec[]): RunResult {
    const device = this.device(lvName);
    this.#workloadRuns += 1;
    return runJobs(jobs, device, {
      rng: this.rng.fork(`workload${this.#workloadRuns}`),
      oracle: this.oracle,
      scheduler: this.machine.scheduler,
      startNs: this.machine.scheduler.nowNs,
      lvIds: [this.lvIds.get(lvName)!],
      maxIosPerJob: REHEARSE_IOS_PER_JOB_MAX,
      pvs: this.machine.pvs.map((pv) => pv.timed),
    });
  }

  /** The active device of an LV of the VG, activating it (and what it stacks on) when needed. */
  device(lvName: string) {
    const handle = findVg(scanHost(this.machine.host), this.vgName);
    if (handle === undefined) throw new Error(`Volume group ${this.vgName} not found`);
    const lv = handle.vg.lvs.find((l) => l.name === lvName);
    if (lv === undefined) throw new Error(`Logical volume ${this.vgName}/${lvName} not found`);
    const live = deviceMapperOf(this.machine.host).lv(lv.id);
    return (live ?? activateLv(this.machine.host, handle.vg, lvName)).device;
  }

  /**
   * Runs one plan step as the operator would, taking `vgcfgbackup -f` first. A pvmove runs with
   * the workload on every LV while it copies (in the background, so the two interleave in virtual
   * time), then waits for the copy to finish.
   */
  runStep(step: PlanStep, options: { readonly workload: boolean }): StepTiming {
    this.lvm(`vgcfgbackup -f ${stepBackupPath(step.index)} ${this.vgName}`);
    const startNs = this.machine.scheduler.nowNs;
    const during = new Map<string, RunResult>();
    let exitCode: number;
    if (step.command === "pvmove" && !step.argv.includes("--abort")) {
      const argv =
        step.argv.includes("-b") || step.argv.includes("--background")
          ? step.argv
          : ["pvmove", "-b", ...step.argv.slice(1)];
      exitCode = this.lvm(argv.join(" ")).exitCode;
      if (exitCode === 0 && options.workload) {
        for (const lv of this.input.backup.lvs) {
          if (this.#lvExists(lv.name)) during.set(lv.name, this.workload(lv.name, this.input.jobs));
        }
      }
      this.machine.scheduler.run();
    } else {
      exitCode = this.lvm(step.text).exitCode;
      this.machine.scheduler.run();
    }
    return { step: step.index, startNs, endNs: this.machine.scheduler.nowNs, exitCode, during };
  }

  #lvExists(lvName: string): boolean {
    return this.vg()?.vg.lvs.some((lv) => lv.name === lvName) ?? false;
  }

  /** The VG as the disks hold it now, or undefined (with why) when it cannot be read. */
  vg(): VgHandle | undefined {
    try {
      return findVg(scanHost(this.machine.host), this.vgName);
    } catch {
      return undefined;
    }
  }

  /** Resolves the pending power cut and reboots: the kernel's state is gone. */
  rebootAfterCut(): void {
    if (this.machine.injector.powerCut !== undefined) this.machine.injector.resolvePowerCut();
    this.machine.reboot();
    this.log.push("# power cut: the machine reboots from what persisted");
  }

  /** Makes a disk absent (ENXIO on every request) until the returned function is called. */
  hide(device: string): () => void {
    const faulty = this.machine.injector.device(device);
    const remove = faulty.addEffect(
      missingDeviceEffect("late-pv", "the PV has not appeared yet (late at boot)"),
    );
    this.log.push(`# ${device} is not there yet (late PV)`);
    return () => {
      remove();
      this.log.push(`# ${device} appears`);
    };
  }

  /**
   * Reads every LV back through the oracle. An LV that no longer exists, or cannot be activated,
   * counts all its written blocks as unreadable.
   */
  verify(mode: "crash" | "latest"): Map<string, VerifyCounts> {
    const out = new Map<string, VerifyCounts>();
    for (const lv of this.input.backup.lvs) {
      const lvId = this.lvIds.get(lv.name)!;
      if (!this.oracle.has(lvId)) continue;
      let device: ReturnType<RehearsalWorld["device"]>;
      try {
        device = this.device(lv.name);
      } catch (error) {
        if (isSimulationHalt(error)) throw error;
        out.set(lv.name, { ...emptyVerifyCounts(), unreadable: this.oracle.trackedBlocks(lvId) });
        continue;
      }
      try {
        const report = this.oracle.verifyDevice(device, lvId, {
          mode,
          issueNs: this.machine.scheduler.nowNs,
        });
        out.set(lv.name, { ...emptyVerifyCounts(), ...report.counts });
      } catch (error) {
        if (!isBlockDeviceError(error)) throw error;
        out.set(lv.name, { ...emptyVerifyCounts(), unreadable: this.oracle.trackedBlocks(lvId) });
      }
    }
    return out;
  }
}

/** Blocks of a verify count that are not intact. */
export function badBlocks(counts: VerifyCounts): number {
  return counts.lost + counts.stale + counts.torn + counts.misdirected + counts.corrupt + counts.unreadable;
}

/** The prefill job (written to every LV before the plan). */
export { PREFILL_JOB_TEXT };
