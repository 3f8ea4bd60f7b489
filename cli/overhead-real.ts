import type { OverheadPlan, OverheadRecord } from "../bench/overhead/mod.js";
import type { DiskThrottle, GuestBenchResult, RealSetup } from "../real/mod.js";

/**
 * `lvmlab bench overhead --real`: the modeled overhead run and the same configs on real LVM2 and
 * dm in one QEMU guest, side by side. The CLI composes the two layers (bench may not import real,
 * nor real bench): bench writes the configs as command lines, real runs them on throttled disks.
 */

/** The configs and workloads of research/realdm-observations.md that real LVM2 can build. */
export const REAL_DEFAULT_CONFIGS = [
  "linear",
  "mirror-2leg-core",
  "mirror-2leg-disk",
  "raid1-2leg",
  "origin-1snap-4k-first",
  "origin-1snap-64k-first",
] as const;
export const REAL_DEFAULT_WORKLOADS = ["randwrite-4k-qd32", "write-1m-qd8"] as const;
/**
 * Per-disk QEMU limits: a quarter of the reference disks' 1000 IOPS, and 8 MiB/s. Under TCG on a
 * loaded 2-core host this guest did ~2000 IOPS (linear) and ~1650 (2-leg mirror) of 4 KiB writes
 * unthrottled, so 250 IOPS per disk leaves the emulated CPU 3× headroom even for two legs. The
 * slowest cell per byte, sequential writes to an origin with 4 KiB chunks, ran at ~11.7 MB/s
 * unthrottled (the CPU's limit: 25 MiB/s disks gave the same), so 8 MiB/s keeps it disk-bound too.
 */
export const REAL_DEFAULT_THROTTLE: DiskThrottle = { iops: 250, bytesPerSec: 8 * 1024 * 1024 };
/** 24 MiB LVs and 512 random writes: 2–6 s per cell at these limits, the run about 2 minutes. */
export const REAL_DEFAULT_LV_BYTES = 24 * 1024 * 1024;
export const REAL_DEFAULT_RANDOM_IOS = 512;

/** One config × workload, modeled and real. */
export interface RealOverheadRow {
  readonly config: string;
  readonly workload: string;
  /** Mean modeled throughput ÷ linear's over the model's seeds. */
  readonly modeledRelativeToLinear: number;
  readonly modeledIops: number;
  /** Real throughput ÷ real linear's, same workload, same boot. */
  readonly realRelativeToLinear: number;
  readonly realIops: number;
  readonly realMbps: number;
  readonly realRuntimeMs: number;
}

/**
 * Pairs every real cell with the model's cell of the same config and workload. Throws when a side
 * lacks a cell the other has, or a ratio is not a positive finite number: nothing is dropped.
 */
export function pairRatios(
  model: readonly OverheadRecord[],
  real: readonly GuestBenchResult[],
): RealOverheadRow[] {
  const key = (config: string, workload: string) => `${config}/${workload}`;
  const modeled = new Map<string, OverheadRecord[]>();
  for (const r of model)
    modeled.set(key(r.config, r.workload), [...(modeled.get(key(r.config, r.workload)) ?? []), r]);
  const linear = new Map(real.filter((r) => r.config === "linear").map((r) => [r.workload, r]));
  const rows = real.map((r): RealOverheadRow => {
    const samples = modeled.get(key(r.config, r.workload)) ?? [];
    const base = linear.get(r.workload);
    if (samples.length === 0) throw new Error(`No modeled sample for real cell ${key(r.config, r.workload)}`);
    if (base === undefined) throw new Error(`No real linear baseline for workload ${r.workload}`);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const row = {
      config: r.config,
      workload: r.workload,
      modeledRelativeToLinear: mean(samples.map((s) => s.relativeToLinear ?? Number.NaN)),
      modeledIops: mean(samples.map((s) => s.iops)),
      realRelativeToLinear: r.mbps / base.mbps,
      realIops: r.iops,
      realMbps: r.mbps,
      realRuntimeMs: r.runtimeMs,
    };
    for (const field of ["modeledRelativeToLinear", "realRelativeToLinear"] as const) {
      if (!Number.isFinite(row[field]) || !(row[field] > 0))
        throw new Error(`${key(r.config, r.workload)}: ${field} is ${row[field]}`);
    }
    return row;
  });
  const realKeys = new Set(real.map((r) => key(r.config, r.workload)));
  const missing = [...modeled.keys()].filter((k) => !realKeys.has(k));
  if (missing.length > 0) throw new Error(`Real run has no result for ${missing.join(", ")}`);
  return rows;
}

/** The `bench-real` records (reports/RECORDS.md), one per row. */
export function benchRealRecords(
  rows: readonly RealOverheadRow[],
  context: { profile: string; throttle: DiskThrottle; accel: string; seed: number; lvBytes: number },
): object[] {
  return rows.map((row) => ({
    type: "bench-real",
    ...row,
    profile: context.profile,
    seed: context.seed,
    accel: context.accel,
    lvBytes: context.lvBytes,
    throttle: { iopsPerDisk: context.throttle.iops, bytesPerSecPerDisk: context.throttle.bytesPerSec },
  }));
}

/** The side-by-side table, one row per config × workload, workloads grouped. */
export function realOverheadTable(rows: readonly RealOverheadRow[]): string {
  const header = ["config", "workload", "modeled", "real", "real/modeled", "real IOPS", "real MB/s"];
  const body = rows.map((r) => [
    r.config,
    r.workload,
    r.modeledRelativeToLinear.toFixed(2),
    r.realRelativeToLinear.toFixed(2),
    (r.realRelativeToLinear / r.modeledRelativeToLinear).toFixed(2),
    r.realIops.toFixed(0),
    r.realMbps.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  return [
    line(header),
    `|${widths.map((w, i) => (i < 2 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`,
    ...body.map(line),
  ].join("\n");
}

/** What {@link runOverheadReal} needs from the command line. */
export interface OverheadRealOptions {
  readonly plan: OverheadPlan;
  readonly throttle: DiskThrottle;
  readonly setup: RealSetup;
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
}

/** Runs the model, then the guest; returns the model's records and the paired rows. */
export async function runOverheadReal(options: OverheadRealOptions): Promise<{
  records: OverheadRecord[];
  rows: RealOverheadRow[];
  accel: string;
  wallMs: number;
}> {
  const [overhead, real] = await Promise.all([import("../bench/overhead/mod.js"), import("../real/mod.js")]);
  const { plan } = options;
  const seed = plan.seeds[0] ?? 1;
  const guestPlan = overhead.realBenchPlan({
    configs: plan.configs,
    workloads: plan.workloads,
    lvBytes: plan.lvBytes,
    randomIos: plan.randomIos,
    seed,
  });
  const records = overhead.runOverhead(plan);
  options.log(
    `bench overhead --real: ${guestPlan.cells.length} cells in one guest, disks throttled to ${options.throttle.iops} IOPS and ${(options.throttle.bytesPerSec / 2 ** 20).toFixed(1)} MiB/s each`,
  );
  const run = await real.runGuestBench(guestPlan, {
    setup: options.setup,
    throttle: options.throttle,
    timeoutMs: options.timeoutMs,
  });
  return { records, rows: pairRatios(records, run.results), accel: run.accel, wallMs: run.wallMs };
}

/** The flags of `lvmlab bench overhead --real`. */
export interface OverheadRealFlags {
  readonly config?: string;
  readonly workload?: string;
  readonly seeds?: string;
  readonly lvSize?: string;
  readonly randomIos?: string;
  readonly ndjson?: string;
  readonly throttleIops?: string;
  readonly throttleBw?: string;
  readonly cache?: string;
  readonly timeout?: string;
  /** Flags that do not apply to a real run, by name, when given. */
  readonly refused: readonly string[];
  /** The command line as typed, for the meta record. */
  readonly command: string;
}

const MiB = 1024 * 1024;

function positive(
  text: string | undefined,
  fallback: number,
  flag: string,
  usage: (m: string) => Error,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw usage(`${flag} must be a positive number, got "${text}"`);
  return value;
}

/** The action of `lvmlab bench overhead --real`: validate everything, run, print, write records. */
export async function overheadRealAction(flags: OverheadRealFlags): Promise<void> {
  const [{ UsageError }, overhead, real, reports] = await Promise.all([
    import("./errors.js"),
    import("../bench/overhead/mod.js"),
    import("../real/mod.js"),
    import("../reports/mod.js"),
  ]);
  const usage = (message: string) => new UsageError(message);
  if (flags.refused.length > 0)
    throw usage(
      `--real cannot be combined with ${flags.refused.join(", ")} (the profile follows the disk throttle)`,
    );
  const throttle: DiskThrottle = {
    iops: Math.round(positive(flags.throttleIops, REAL_DEFAULT_THROTTLE.iops, "--throttle-iops", usage)),
    bytesPerSec: Math.round(
      positive(flags.throttleBw, REAL_DEFAULT_THROTTLE.bytesPerSec / MiB, "--throttle-bw", usage) * MiB,
    ),
  };
  const timeoutMs = positive(flags.timeout, 600, "--timeout", usage) * 1000;
  let plan: OverheadPlan;
  try {
    const lvMiB = flags.lvSize === undefined ? REAL_DEFAULT_LV_BYTES / MiB : Number(flags.lvSize);
    if (!Number.isInteger(lvMiB))
      throw new RangeError(`--lv-size "${flags.lvSize}" is not a whole number of MiB`);
    plan = overhead.validatePlan({
      configs: flags.config === undefined ? [...REAL_DEFAULT_CONFIGS] : overhead.parseList(flags.config),
      workloads:
        flags.workload === undefined ? [...REAL_DEFAULT_WORKLOADS] : overhead.parseList(flags.workload),
      profiles: [overhead.throttledProfileSpec(throttle)],
      seeds: flags.seeds === undefined ? [1] : overhead.parseSeeds(flags.seeds),
      repetitions: 1,
      lvBytes: lvMiB * MiB,
      randomIos: flags.randomIos === undefined ? REAL_DEFAULT_RANDOM_IOS : Number(flags.randomIos),
    });
    // Refuse configs real LVM2 cannot build before booting anything.
    overhead.realBenchPlan({ ...plan, seed: plan.seeds[0] ?? 1 });
  } catch (error) {
    if (error instanceof RangeError || error instanceof overhead.RealBenchUnsupportedError)
      throw usage(error.message);
    throw error;
  }
  if (flags.ndjson !== undefined) {
    const { existsSync, statSync } = await import("node:fs");
    const { dirname } = await import("node:path");
    const parent = dirname(flags.ndjson);
    if (!existsSync(parent) || !statSync(parent).isDirectory())
      throw usage(
        `Cannot write --ndjson ${flags.ndjson}: directory ${parent} does not exist; create it first`,
      );
  }
  const cacheDir = flags.cache ?? real.realCacheDir();
  let setup: RealSetup | undefined;
  try {
    real.findQemu();
    setup = real.readRealSetup(cacheDir);
  } catch (error) {
    if (error instanceof real.RealSetupError) throw usage(error.message);
    throw error;
  }
  if (setup === undefined) throw usage(`No guest set up in ${cacheDir}; run: lvmlab real setup`);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const result = await runOverheadReal({ plan, throttle, setup, timeoutMs, log });
  const profile = plan.profiles[0]!;
  const seed = plan.seeds[0] ?? 1;
  const realRecords = benchRealRecords(result.rows, {
    profile,
    throttle,
    accel: result.accel,
    seed,
    lvBytes: plan.lvBytes,
  });
  if (flags.ndjson !== undefined) {
    const text = overhead.overheadNdjson(result.records, { command: flags.command, seed });
    reports.writeFileAtomic(flags.ndjson, `${text}${realRecords.map((r) => JSON.stringify(r)).join("\n")}\n`);
  }
  process.stdout.write(
    `Ratio to linear, modeled on ${profile}\nand real (LVM2 and kernel dm in a QEMU ${result.accel} guest, each disk throttled to ${throttle.iops} IOPS and ${(throttle.bytesPerSec / MiB).toFixed(1)} MiB/s, ${plan.lvBytes / MiB} MiB LVs, fio randseed ${seed}):\n\n${realOverheadTable(result.rows)}\n`,
  );
  log(
    `${result.rows.length} real cells in ${(result.wallMs / 1000).toFixed(1)} s${flags.ndjson === undefined ? "" : `; records written to ${flags.ndjson}`}`,
  );
}
