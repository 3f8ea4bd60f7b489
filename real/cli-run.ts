import { renameSync, writeFileSync } from "node:fs";
import { ScenarioError } from "../scenarios/define.js";
import { loadLibrary } from "../scenarios/load.js";
import { realCacheDir } from "./cache.js";
import { verifiedKib } from "./diff.js";
import { DirectModeError, directModeRefusal, thisHost } from "./direct.js";
import { UntranslatableError } from "./guest-script.js";
import { realRunRecords, runReal, unexplained } from "./run.js";
import { findQemu, RealSetupError, readRealSetup } from "./setup.js";

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
