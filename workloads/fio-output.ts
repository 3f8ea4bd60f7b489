/**
 * Results in fio's own layouts, so the `lvmlab fio` command is a thin wrapper and existing fio
 * tooling reads its output: `formatFioNormal` follows fio's normal output (stat.c: per-job
 * IOPS/BW line, clat/lat lines, the percentile table, IO depths, run status groups, numbers
 * through fio's num2str), `formatFioJson` uses fio's JSON field names (`jobs[].read.iops`,
 * `.bw_bytes`, `.clat_ns.percentile["99.000000"]`, `.lat_ns`, `runtime` in ms). Verify failures
 * are printed the way fio logs them (`verify: bad header …`). Times are virtual; lvmlab-only
 * figures (write amplification, FUA count, measured CPU) sit in an `lvmlab` object or line.
 */

import { formatFioJobFile } from "./fio-ini.js";
import { DIRECTIONS, type Direction } from "./job-spec.js";
import type { DirectionStats, LatencySummary } from "./measure.js";
import type { JobResult, RunResult, VerifyFailure } from "./runner.js";

/** Version string printed where fio prints its own. */
export const LVMLAB_FIO_VERSION = "lvmlab-fio-0.1.0";
const SIG_FIGS = 4;
// fio reports a job's error as the errno it hit.
const ERRNO: Readonly<Record<string, number>> = { EIO: 5, ENXIO: 6, EINVAL: 22, ENOSPC: 28, EILSEQ: 84 };
const DEPTH_LABELS = ["1", "2", "4", "8", "16", "32", ">=64"] as const;

/** fio's num2str: at most `maxDigits` digits, a unit prefix, carry rounding included. */
export function num2str(
  value: number,
  options: { maxDigits?: number; pow2?: boolean; unit?: string } = {},
): string {
  const maxDigits = options.maxDigits ?? SIG_FIGS;
  const pow2 = options.pow2 ?? false;
  const unit = options.unit ?? "";
  const thousand = pow2 ? 1024 : 1000;
  const prefixes = pow2 ? ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"] : ["", "k", "M", "G", "T", "P", "E"];
  let num = Math.floor(value);
  let post = 0;
  let modulo = -1;
  let carry = false;
  while (post < prefixes.length) {
    if (String(num).length <= maxDigits) break;
    modulo = num % thousand;
    num = Math.floor(num / thousand);
    carry = modulo >= thousand / 2;
    post += 1;
  }
  if (post >= prefixes.length) post = 0;
  if (modulo === -1) return `${num}${prefixes[post]}${unit}`;
  const room = maxDigits - String(num).length;
  if (room <= 1) return `${carry ? num + 1 : num}${prefixes[post]}${unit}`;
  const fraction = (modulo / thousand).toFixed(room - 1);
  if (fraction.startsWith("1")) num += 1;
  return `${num}.${fraction.slice(2)}${prefixes[post]}${unit}`;
}

function fixed(value: number, digits = 2): string {
  return value.toFixed(digits);
}

/** fio's display_lat unit choice: nsec, usec or msec, from the spread of the values. */
function latencyScale(lat: LatencySummary): { unit: "nsec" | "usec" | "msec"; divisor: number } {
  if (lat.minNs > 2_000_000 && lat.maxNs > 99_999_999 && lat.stddevNs > 1_000_000)
    return { unit: "msec", divisor: 1e6 };
  if (lat.minNs > 2000 && lat.maxNs > 99_999 && lat.stddevNs > 1000) return { unit: "usec", divisor: 1e3 };
  return { unit: "nsec", divisor: 1 };
}

function latLine(name: string, lat: LatencySummary): string {
  const { unit, divisor } = latencyScale(lat);
  const min = num2str(Math.floor(lat.minNs / divisor), { maxDigits: 6 });
  const max = num2str(Math.floor(lat.maxNs / divisor), { maxDigits: 6 });
  return `    ${name} (${unit}): min=${min}, max=${max}, avg=${fixed(lat.meanNs / divisor).padStart(5)}, stdev=${fixed(lat.stddevNs / divisor).padStart(5)}`;
}

function percentileTable(name: string, lat: LatencySummary): string[] {
  if (lat.samples === 0) return [];
  const values = lat.percentiles.map((p) => p.ns);
  const minv = Math.min(...values);
  const maxv = Math.max(...values);
  let unit = "nsec";
  let steps = 0;
  if (minv > 2_000_000 && maxv > 99_999_999) {
    unit = "msec";
    steps = 2;
  } else if (minv > 2000 && maxv > 99_999) {
    unit = "usec";
    steps = 1;
  }
  const scaled = values.map((v) => {
    let x = Math.round(v);
    for (let i = 0; i < steps; i++) x = Math.floor((x + 999) / 1000);
    return x;
  });
  const divisor = 1000 ** steps;
  const width = Math.max(5, Math.floor(Math.log10(Math.max(1, maxv / divisor))) + 1);
  const perLine = Math.floor((80 - 7) / (2 + 10 + width));
  const lines: string[] = [`    ${name} percentiles (${unit}):`];
  let line = "     |";
  lat.percentiles.forEach((p, j) => {
    const last = j === lat.percentiles.length - 1;
    line += ` ${p.percent.toFixed(2).padStart(5)}th=[${String(scaled[j]).padStart(width)}]${last ? "" : ","}`;
    if (last || j % perLine === perLine - 1) {
      lines.push(line);
      line = "     |";
    }
  });
  return lines;
}

function directionBlock(direction: Direction, stats: DirectionStats): string[] {
  if (stats.ios === 0) return [];
  const runtimeMs = Math.max(1, Math.round(stats.runtimeNs / 1e6));
  const bw = Math.floor((1000 * stats.bytes) / runtimeMs);
  const iops = Math.floor((1000 * stats.ios) / runtimeMs);
  return [
    `  ${direction}: IOPS=${num2str(iops)}, BW=${num2str(bw, { pow2: true, unit: "B/s" })} (${num2str(bw, { unit: "B/s" })})(${num2str(stats.bytes, { pow2: true, unit: "B" })}/${runtimeMs}msec)`,
    latLine("clat", stats.latency),
    latLine(" lat", stats.latency),
    ...percentileTable("clat", stats.latency),
  ];
}

function bsText(job: JobResult, direction: Direction): string {
  const spec = job.spec.bs[direction];
  if (spec.kind === "fixed") return `${spec.bytes}B-${spec.bytes}B`;
  if (spec.kind === "range") return `${spec.minBytes}B-${spec.maxBytes}B`;
  const sizes = spec.entries.map((e) => e.bytes);
  return `${Math.min(...sizes)}B-${Math.max(...sizes)}B`;
}

/** One fio-style log line for a verify failure, as fio's verify.c prints it. */
export function formatVerifyFailure(failure: VerifyFailure): string {
  const where = `at file ${failure.file} offset ${failure.offsetBytes}, length ${failure.lengthBytes}`;
  const requested = `requested block: offset=${failure.requestOffsetBytes}, length=${failure.requestLengthBytes}`;
  let line: string;
  if (failure.fioReason.includes(": verify failed"))
    line = `${failure.fioReason} ${where} (${requested}, flags=0)`;
  else if (failure.fioReason.startsWith("io_u error")) line = `fio: ${failure.fioReason}`;
  else line = `verify: ${failure.fioReason} ${where} (${requested})`;
  return `${line}\n       lvmlab: ${failure.classification}: ${failure.detail}`;
}

function jobHeader(job: JobResult): string {
  const passthrough = job.spec.passthrough.ioengine ?? "lvmlab";
  return (
    `${job.name}: (g=${job.groupId}): rw=${job.spec.rw}, bs=(R) ${bsText(job, "read")}, (W) ${bsText(job, "write")}, ` +
    `(T) ${bsText(job, "trim")}, ioengine=${passthrough}, iodepth=${job.spec.iodepth}`
  );
}

function depthLine(job: JobResult): string {
  const total = job.depthHistogram.reduce((a, b) => a + b, 0);
  const parts = DEPTH_LABELS.map((label, i) => {
    const share = total === 0 ? 0 : ((job.depthHistogram[i] ?? 0) * 100) / total;
    return `${label}=${share.toFixed(1)}%`;
  });
  return `  IO depths    : ${parts.join(", ")}`;
}

function groupLines(result: RunResult, groupId: number): string[] {
  const jobs = result.jobs.filter((j) => j.groupId === groupId);
  const lines = [`Run status group ${groupId} (all jobs):`];
  // fio's stat.c labels, in DDIR order.
  const labels: Record<Direction, string> = { read: "   READ", write: "  WRITE", trim: "   TRIM" };
  for (const direction of DIRECTIONS) {
    const active = jobs.filter((j) => j[direction].ios > 0);
    if (active.length === 0) continue;
    const rates = active.map((j) =>
      Math.floor((1000 * j[direction].bytes) / Math.max(1, Math.round(j.runtimeNs / 1e6))),
    );
    const runs = active.map((j) => Math.max(1, Math.round(j.runtimeNs / 1e6)));
    const io = active.reduce((sum, j) => sum + j[direction].bytes, 0);
    // fio's aggregate bandwidth is the group's bytes over its longest job run time.
    const agg = Math.floor((1000 * io) / Math.max(...runs));
    const b = (n: number, pow2: boolean) => num2str(n, { pow2, unit: "B/s" });
    lines.push(
      `${labels[direction]}: bw=${b(agg, true)} (${b(agg, false)}), ` +
        `${b(Math.min(...rates), true)}-${b(Math.max(...rates), true)} (${b(Math.min(...rates), false)}-${b(Math.max(...rates), false)}), ` +
        `io=${num2str(io, { pow2: true, unit: "B" })} (${num2str(io, { unit: "B" })}), run=${Math.min(...runs)}-${Math.max(...runs)}msec`,
    );
  }
  return lines;
}

/** The run in fio's normal (human) output layout. */
export function formatFioNormal(result: RunResult): string {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const job of result.jobs) {
    if (seen.has(job.name)) continue;
    seen.add(job.name);
    out.push(jobHeader(job));
  }
  out.push(
    LVMLAB_FIO_VERSION,
    `Starting ${result.jobs.length} process${result.jobs.length === 1 ? "" : "es"}`,
  );
  for (const job of result.jobs) {
    for (const failure of job.verify.failures) out.push(formatVerifyFailure(failure));
    const err = job.error === undefined ? "err= 0" : `err=${job.error.code} (${job.error.message})`;
    out.push("", `${job.name}: (groupid=${job.groupId}, jobs=1): ${err}: pid=0: virtual time`);
    out.push(
      ...directionBlock("read", job.read),
      ...directionBlock("write", job.write),
      ...directionBlock("trim", job.trim),
    );
    if (job.sync.ios > 0) out.push("  fsync/fdatasync/sync_file_range:", latLine("sync", job.sync.latency));
    const extra = [`fua=${job.fuaWrites}`];
    if (job.trim.ios > 0) extra.push(`discarded=${num2str(job.trim.bytes, { pow2: true, unit: "B" })}`);
    if (result.writeAmplification !== undefined)
      extra.push(`write amplification=${fixed(result.writeAmplification)}`);
    if (job.verify.kind !== "none") {
      extra.push(`verify=${job.verify.kind} checked=${job.verify.blocksChecked} failed=${job.verify.failed}`);
    }
    out.push(`  lvmlab       : ${extra.join(", ")}`);
    out.push(depthLine(job));
    out.push(
      `     issued rwts: total=${job.read.ios},${job.write.ios},${job.trim.ios},0 short=0,0,0,0 dropped=0,0,0,0`,
      `     latency   : target=0, window=0, percentile=100.00%, depth=${job.spec.iodepth}`,
    );
  }
  for (const group of result.groups) out.push("", ...groupLines(result, group.groupId));
  out.push(
    "",
    `lvmlab: measured CPU user=${fixed(result.cpu.userUs / 1000)}ms, sys=${fixed(result.cpu.systemUs / 1000)}ms, ` +
      `wall=${fixed(result.cpu.wallMs)}ms; virtual time ${fixed((result.endNs - result.startNs) / 1e6)}ms`,
  );
  return `${out.join("\n")}\n`;
}

function latJson(lat: LatencySummary, withPercentiles: boolean): Record<string, unknown> {
  const json: Record<string, unknown> = {
    min: Math.round(lat.minNs),
    max: Math.round(lat.maxNs),
    mean: lat.meanNs,
    stddev: lat.stddevNs,
    N: lat.samples,
  };
  if (withPercentiles && lat.samples > 0) {
    json.percentile = Object.fromEntries(
      lat.percentiles.map((p) => [p.percent.toFixed(6), Math.round(p.ns)]),
    );
  }
  return json;
}

function directionJson(stats: DirectionStats, runtimeNs: number): Record<string, unknown> {
  const bwBytes = Math.floor(stats.bwBytesPerSec);
  const empty = { min: 0, max: 0, mean: 0, stddev: 0, N: 0 };
  return {
    io_bytes: stats.bytes,
    io_kbytes: Math.floor(stats.bytes / 1024),
    bw_bytes: bwBytes,
    bw: Math.floor(bwBytes / 1024),
    iops: stats.iops,
    runtime: stats.ios === 0 ? 0 : Math.round(runtimeNs / 1e6),
    total_ios: stats.ios,
    short_ios: 0,
    drop_ios: 0,
    slat_ns: empty,
    clat_ns: latJson(stats.latency, true),
    lat_ns: latJson(stats.latency, false),
    bw_min: Math.floor(bwBytes / 1024),
    bw_max: Math.floor(bwBytes / 1024),
    bw_agg: stats.ios === 0 ? 0 : 100,
    bw_mean: bwBytes / 1024,
    bw_dev: 0,
    bw_samples: stats.ios === 0 ? 0 : 1,
    iops_min: Math.floor(stats.iops),
    iops_max: Math.floor(stats.iops),
    iops_mean: stats.iops,
    iops_stddev: 0,
    iops_samples: stats.ios === 0 ? 0 : 1,
  };
}

// fio lists the options a job was given; the printed job file holds exactly the non-default ones.
function jobOptions(job: JobResult): Record<string, string> {
  const options: Record<string, string> = {};
  for (const line of formatFioJobFile([job.spec]).split("\n")) {
    if (line === "" || line.startsWith(";") || line.startsWith("[")) continue;
    const eq = line.indexOf("=");
    if (eq < 0) options[line] = "";
    else options[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return options;
}

/**
 * The run as fio's JSON output (`--output-format=json`), with an extra `lvmlab` object per job.
 * `timestamp` is 0 and `time` empty so that the same seed gives the same bytes.
 */
export function formatFioJson(result: RunResult): string {
  const jobs = result.jobs.map((job) => {
    const total = job.depthHistogram.reduce((a, b) => a + b, 0);
    return {
      jobname: job.name,
      groupid: job.groupId,
      job_start: Math.round(job.startNs / 1e6),
      error: job.error === undefined ? 0 : (ERRNO[job.error.code] ?? 5),
      eta: 0,
      elapsed: Math.ceil(job.runtimeNs / 1e9),
      "job options": jobOptions(job),
      read: directionJson(job.read, job.runtimeNs),
      write: directionJson(job.write, job.runtimeNs),
      trim: directionJson(job.trim, job.runtimeNs),
      sync: { total_ios: job.sync.ios, lat_ns: latJson(job.sync.latency, true) },
      job_runtime: Math.round(job.runtimeNs / 1e6),
      usr_cpu: 0,
      sys_cpu: 0,
      ctx: 0,
      majf: 0,
      minf: 0,
      iodepth_level: Object.fromEntries(
        DEPTH_LABELS.map((label, i) => [
          label,
          total === 0 ? 0 : ((job.depthHistogram[i] ?? 0) * 100) / total,
        ]),
      ),
      lvmlab: {
        file: job.file,
        clone: job.cloneIndex,
        start_ns: job.startNs,
        end_ns: job.endNs,
        fua_writes: job.fuaWrites,
        write_amplification: result.writeAmplification ?? null,
        error: job.error ?? null,
        verify: {
          kind: job.verify.kind,
          blocks_checked: job.verify.blocksChecked,
          failed: job.verify.failed,
          counts: job.verify.counts,
          failures: job.verify.failures.map((f) => ({ ...f, message: formatVerifyFailure(f) })),
        },
      },
    };
  });
  const json = {
    "fio version": LVMLAB_FIO_VERSION,
    timestamp: 0,
    timestamp_ms: 0,
    time: "",
    "global options": {},
    jobs,
    lvmlab: {
      virtual_ns: result.endNs - result.startNs,
      pv_bytes_written: result.pvBytesWritten ?? null,
      write_amplification: result.writeAmplification ?? null,
      verify_failures: result.verifyFailures,
      measured_cpu: {
        user_us: result.cpu.userUs,
        system_us: result.cpu.systemUs,
        wall_ms: result.cpu.wallMs,
      },
    },
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}
