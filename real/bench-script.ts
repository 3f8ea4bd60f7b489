/**
 * The guest side of `lvmlab bench overhead --real`: a benchmark plan (PVs, VG setup, then cells of
 * build / measure / tear down command lines) as the script one guest boot runs, and the measured
 * throughput of each cell read back from fio's terse lines. A cell whose build, fio run or
 * teardown failed, or that printed no terse line, is an error, never a missing row.
 */

import { guestArgv, guestPreamble, runLine } from "./guest-script.js";
import type { Transcript } from "./transcript.js";

/** One cell as the guest runs it (the shape bench/overhead/real-cells.ts writes). */
export interface GuestBenchCell {
  readonly config: string;
  readonly workload: string;
  readonly setup: readonly string[];
  readonly fio: string;
  readonly teardown: readonly string[];
}

/** A benchmark plan as the guest runs it. */
export interface GuestBenchPlan {
  readonly pvs: readonly { readonly name: string; readonly sizeBytes: number }[];
  readonly setup: readonly string[];
  readonly cells: readonly GuestBenchCell[];
}

/** One cell's measurement. */
export interface GuestBenchResult {
  readonly config: string;
  readonly workload: string;
  /** KiB fio read and wrote. */
  readonly kib: number;
  /** The longer of fio's read and write runtimes. */
  readonly runtimeMs: number;
  /** I/Os per second: fio's read plus write IOPS. */
  readonly iops: number;
  /** MB/s (10^6 bytes) over the runtime. */
  readonly mbps: number;
}

/** What fio's `--minimal` (terse version 3) line says about one job. */
export interface FioTerse {
  readonly job: string;
  readonly error: number;
  readonly readKib: number;
  readonly readIops: number;
  readonly readRuntimeMs: number;
  readonly writeKib: number;
  readonly writeIops: number;
  readonly writeRuntimeMs: number;
}

/** The guest has no such PV naming; a plan line the guest cannot run. */
export class GuestBenchError extends Error {
  override readonly name = "GuestBenchError";
}

/** Parses one terse v3 line (fields 5–9 read, 47–50 write, 1-based as fio's documentation counts). */
export function parseFioTerse(line: string): FioTerse {
  const f = line.split(";");
  if (f[0] !== "3" || !f[1]?.startsWith("fio-") || f.length < 50) {
    throw new GuestBenchError(`not a fio terse v3 line: "${line.slice(0, 60)}"`);
  }
  const num = (index: number, what: string) => {
    const value = Number(f[index]);
    if (!Number.isFinite(value) || value < 0)
      throw new GuestBenchError(`fio terse field ${index + 1} (${what}) is "${f[index]}"`);
    return value;
  };
  return {
    job: f[2]!,
    error: num(4, "error"),
    readKib: num(5, "read KiB"),
    readIops: num(7, "read IOPS"),
    readRuntimeMs: num(8, "read runtime"),
    writeKib: num(46, "write KiB"),
    writeIops: num(48, "write IOPS"),
    writeRuntimeMs: num(49, "write runtime"),
  };
}

/** Step labels of cell `i`. */
function label(i: number, part: string): string {
  return `cell.${i}.${part}`;
}

/** The one boot's script: PVs as dm-linear devices over the throttled disks, the VG, every cell. */
export function benchScript(plan: GuestBenchPlan): string {
  if (plan.cells.length === 0) throw new GuestBenchError("the benchmark plan has no cells");
  const pvs = plan.pvs.map((pv, index) => ({ ...pv, disk: `vd${String.fromCharCode(98 + index)}` }));
  const names = new Set(pvs.map((p) => p.name));
  const out: string[] = plan.setup.map((line, i) => runLine(`bench.setup.${i}`, guestArgv(line, names)));
  plan.cells.forEach((cell, i) => {
    cell.setup.forEach((line, j) => {
      out.push(runLine(label(i, `setup.${j}`), guestArgv(line, names)));
    });
    // Setup writes (fills, snapshot headers) reach the disks before the measured run starts.
    out.push("sync", runLine(label(i, "fio"), guestArgv(cell.fio, names)));
    cell.teardown.forEach((line, j) => {
      out.push(runLine(label(i, `teardown.${j}`), guestArgv(line, names)));
    });
  });
  return `${guestPreamble({ pvs })}${out.join("\n")}\n`;
}

/** A step's failure, or undefined when it ran and exited 0. */
function stepFailure(transcript: Transcript, stepLabel: string): string | undefined {
  const step = transcript.steps.get(stepLabel);
  if (step === undefined) return `${stepLabel} never ran`;
  if (step.exitCode === undefined) return `${stepLabel} "${step.command}" did not finish`;
  if (step.exitCode !== 0) {
    return `${stepLabel} "${step.command}" exited ${step.exitCode}: ${step.output.slice(-3).join(" | ")}`;
  }
  return undefined;
}

/**
 * Every cell's measurement, in plan order. Throws {@link GuestBenchError} listing every cell that
 * failed (a step that did not exit 0, fio without a terse line or with an error): no cell is dropped.
 */
export function benchResults(plan: GuestBenchPlan, transcript: Transcript): GuestBenchResult[] {
  const failures: string[] = [];
  plan.setup.forEach((_, i) => {
    const failure = stepFailure(transcript, `bench.setup.${i}`);
    if (failure !== undefined) failures.push(failure);
  });
  const results: GuestBenchResult[] = [];
  plan.cells.forEach((cell, i) => {
    const name = `${cell.config}/${cell.workload}`;
    const steps = [
      ...cell.setup.map((_, j) => label(i, `setup.${j}`)),
      label(i, "fio"),
      ...cell.teardown.map((_, j) => label(i, `teardown.${j}`)),
    ];
    const failed = steps.map((s) => stepFailure(transcript, s)).filter((f) => f !== undefined);
    if (failed.length > 0) {
      failures.push(`${name}: ${failed[0]}`);
      return;
    }
    const terse = (transcript.steps.get(label(i, "fio"))?.output ?? []).filter((l) => l.startsWith("3;fio-"));
    if (terse.length !== 1) {
      failures.push(`${name}: fio printed ${terse.length} terse lines, expected 1`);
      return;
    }
    const job = parseFioTerse(terse[0]!);
    const kib = job.readKib + job.writeKib;
    const runtimeMs = Math.max(job.readRuntimeMs, job.writeRuntimeMs);
    if (job.error !== 0 || !(kib > 0) || !(runtimeMs > 0)) {
      failures.push(`${name}: fio error ${job.error}, ${kib} KiB in ${runtimeMs} ms`);
      return;
    }
    results.push({
      config: cell.config,
      workload: cell.workload,
      kib,
      runtimeMs,
      iops: job.readIops + job.writeIops,
      mbps: (kib * 1024) / (runtimeMs / 1000) / 1e6,
    });
  });
  if (failures.length > 0) {
    throw new GuestBenchError(
      `${failures.length} real benchmark step(s) failed: ${failures.slice(0, 5).join("; ")}`,
    );
  }
  return results;
}
