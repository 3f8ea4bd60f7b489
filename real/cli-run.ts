import { renameSync, writeFileSync } from "node:fs";
import { ScenarioError } from "../scenarios/define.js";
import { loadLibrary } from "../scenarios/load.js";
import { realCacheDir } from "./cache.js";
import { verifiedKib } from "./diff.js";
import { DirectModeError, directModeRefusal, thisHost } from "./direct.js";
import { runDirectInVm } from "./direct-in-vm.js";
import { UntranslatableError } from "./guest-script.js";
import { NodeImageError } from "./node-image.js";
import { realRunRecords, runReal, unexplained } from "./run.js";
import { findQemu, type RealSetup, RealSetupError, readRealSetup } from "./setup.js";

/**
 * The body of `lvmlab real run`: load the scenario, check the cache, run model and guest, print
 * the differences and write the NDJSON records. Returns the exit code: 0 when nothing differs
 * that a known difference does not explain, 1 otherwise.
 */

/** Options of {@link runRealCli}. */
export interface RealCliOptions {
  readonly seed: number;
  readonly files: readonly string[];
  readonly cacheDir?: string;
  readonly ndjson?: string;
  readonly keepDir?: string;
  readonly bootTimeoutMs: number;
  /** Run on this host's dm over loop devices (refused, exit 2, where the host cannot). */
  readonly direct?: boolean;
  /** Run this checkout's `lvmlab real run --direct` inside the guest (direct-in-vm.ts). */
  readonly directInVm?: boolean;
  /** Builds the CLI's usage error (exit 2, one line). */
  readonly usageError: (message: string) => Error;
}

/** Runs one scenario real-vs-model from the command line. */
export async function runRealCli(name: string, options: RealCliOptions): Promise<number> {
  let library: Awaited<ReturnType<typeof loadLibrary>>;
  try {
    library = await loadLibrary(options.files);
  } catch (error) {
    if (error instanceof ScenarioError) throw options.usageError(error.message);
    throw error;
  }
  const scenario = library.find((l) => l.scenario.name === name)?.scenario;
  if (scenario === undefined) throw options.usageError(`Unknown scenario "${name}"; see lvmlab list`);
  const cacheDir = options.cacheDir ?? realCacheDir();
  let setup: ReturnType<typeof readRealSetup>;
  if (options.direct === true && options.directInVm === true)
    throw options.usageError("--direct and --direct-in-vm exclude each other");
  if (options.directInVm === true) {
    if (options.files.length > 0)
      throw options.usageError(
        "--file cannot be used with --direct-in-vm: the guest runs the built-in library",
      );
    if (options.keepDir !== undefined)
      throw options.usageError(
        "--keep cannot be used with --direct-in-vm: the run's files stay in the guest",
      );
  }
  if (options.direct === true) {
    const refusal = directModeRefusal(thisHost());
    if (refusal !== undefined) throw options.usageError(refusal);
  } else {
    try {
      findQemu();
      setup = readRealSetup(cacheDir);
    } catch (error) {
      if (error instanceof RealSetupError) throw options.usageError(error.message);
      throw error;
    }
    if (setup === undefined)
      throw options.usageError(`No guest set up in ${cacheDir}; run: lvmlab real setup`);
  }
  if (options.directInVm === true) return directInVmCli(scenario.name, setup!, options);
  let result: Awaited<ReturnType<typeof runReal>>;
  try {
    result = await runReal(scenario, {
      ...(setup !== undefined ? { setup } : {}),
      direct: options.direct === true,
      seed: options.seed,
      bootTimeoutMs: options.bootTimeoutMs,
      ...(options.keepDir !== undefined ? { keepDir: options.keepDir } : {}),
      log: (line) => process.stderr.write(`${line}\n`),
    });
  } catch (error) {
    if (error instanceof UntranslatableError) throw options.usageError(`${scenario.name}: ${error.message}`);
    if (error instanceof DirectModeError) throw options.usageError(error.message);
    throw error;
  }
  const out = process.stdout;
  out.write(`${scenario.name} seed ${options.seed}: ${result.accel}, ${result.boots.length} boot(s)`);
  out.write(` (${result.boots.map((b) => `${(b.wallMs / 1000).toFixed(1)} s ${b.ended}`).join(", ")})\n`);
  for (const note of result.notes) out.write(`  note: ${note}\n`);
  if (result.cut !== undefined) out.write(`  power cut: ${result.cut}\n`);
  out.write(`  model: ${result.model.record.status}, ${result.model.record.verdict}\n`);
  out.write(`  real: fio --verify_only checked ${verifiedKib(result.real)} KiB\n`);
  if (result.differences.length === 0) out.write("  no differences\n");
  for (const d of result.differences) {
    out.write(
      `  differs [${d.aspect}] ${d.subject}\n    model: ${d.model || "(nothing)"}\n    real:  ${d.real || "(nothing)"}\n`,
    );
    if (d.explained !== undefined) out.write(`    known: ${d.explained}\n`);
  }
  if (options.ndjson !== undefined) {
    // Written whole to a temp name, then renamed: a failed run never truncates an earlier file.
    const partial = `${options.ndjson}.partial`;
    writeFileSync(
      partial,
      `${realRunRecords(result)
        .map((r) => JSON.stringify(r))
        .join("\n")}\n`,
    );
    renameSync(partial, options.ndjson);
  }
  return unexplained(result).length === 0 ? 0 : 1;
}

/**
 * `lvmlab real run --direct-in-vm`: the guest runs `lvmlab real run --direct` (this checkout's
 * build, the host's node) and its output is passed on; its NDJSON records are written here. A run
 * that leaves a dm device, loop device, device node or work dir in the guest fails (exit 1).
 */
async function directInVmCli(name: string, setup: RealSetup, options: RealCliOptions): Promise<number> {
  let result: Awaited<ReturnType<typeof runDirectInVm>>;
  try {
    result = await runDirectInVm(setup, {
      cases: [{ scenario: name, seed: options.seed, scratch: "ext4" }],
      // The model and both boots run in one guest under the whole run's bound.
      timeoutMs: options.bootTimeoutMs * 3 + 300_000,
      caseTimeoutMs: options.bootTimeoutMs,
      log: (line) => process.stderr.write(`${line}\n`),
    });
  } catch (error) {
    if (error instanceof NodeImageError) throw options.usageError(error.message);
    throw error;
  }
  const outcome = result.outcomes[0]!;
  for (const line of outcome.output) process.stdout.write(`${line}\n`);
  if (outcome.exitCode === undefined)
    throw new Error(
      `the guest's lvmlab real run --direct did not finish (VM ${result.boot.ended}); last console lines:\n${result.boot.tail.join("\n")}`,
    );
  const left = [
    ...outcome.dmLeft.map((d) => `dm device ${d}`),
    ...outcome.loopsLeft.map((l) => `loop device ${l}`),
    ...outcome.devNodesLeft.map((n) => `device node ${n}`),
    ...outcome.workDirsLeft.map((w) => `work dir ${w}`),
  ];
  for (const l of left) process.stdout.write(`  teardown left ${l}\n`);
  if (options.ndjson !== undefined && outcome.records.length > 0) {
    const partial = `${options.ndjson}.partial`;
    writeFileSync(partial, `${outcome.records.map((r) => JSON.stringify(r)).join("\n")}\n`);
    renameSync(partial, options.ndjson);
  }
  return outcome.exitCode === 0 && left.length > 0 ? 1 : outcome.exitCode;
}
