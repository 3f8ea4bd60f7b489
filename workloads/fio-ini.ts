/**
 * fio job files (INI syntax) in and out, so users can bring the job files they already have.
 *
 * Reading follows fio: `[global]` sections set defaults for the job sections that follow them,
 * lines starting with `;` or `#` are comments, options are `name=value` or bare flags. Every option
 * lvmlab does not model is an error naming the option, the job and the line — never silently
 * ignored. A few options that have no meaning in a simulation (`ioengine`, `direct`, …) are
 * accepted and kept verbatim. Printing writes each job in full, so `print(parse(x))` parses back to
 * the same jobs.
 */

import type {
  BlockSizeSpec,
  Direction,
  JobInput,
  JobSpec,
  RandomDistribution,
  RwMode,
  SizeOrPercent,
  VerifyKind,
} from "./job-spec.js";
import { DIRECTIONS, defineJob, JobSpecError, RW_MODES } from "./job-spec.js";
import type { KbBase } from "./units.js";
import { formatSizeForJob, formatTimeForJob, parseSizeBytes, parseTimeNs } from "./units.js";

/** Most lines a job file may have; a larger file is almost certainly not a job file. */
export const MAX_JOB_FILE_LINES = 100_000;
/** Most job sections in one file. */
export const MAX_JOB_SECTIONS = 1024;

/** One `name=value` line (value undefined for a bare flag). */
export interface IniOption {
  readonly key: string;
  readonly value: string | undefined;
  readonly line: number;
}

/** One `[section]` and its options in file order. */
export interface IniSection {
  readonly name: string;
  readonly line: number;
  readonly options: readonly IniOption[];
}

/** A fio job file's syntax: sections in order, `[global]` included. */
export interface FioJobFile {
  readonly file: string;
  readonly sections: readonly IniSection[];
}

/** A job file is not valid INI; names the file and line. */
export class FioSyntaxError extends Error {
  override readonly name = "FioSyntaxError";
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
  }
}

/** Options fio has that mean nothing to a simulated device; accepted and echoed, never acted on. */
export const PASSTHROUGH_OPTIONS: ReadonlySet<string> = new Set([
  "ioengine",
  "direct",
  "buffered",
  "thread",
  "group_reporting",
  "randrepeat",
  "invalidate",
  "description",
]);

/** Split a job file into sections; throws {@link FioSyntaxError} on malformed lines. */
export function parseFioIni(text: string, options: { file?: string } = {}): FioJobFile {
  const file = options.file ?? "<job file>";
  const lines = text.split(/\r?\n/);
  if (lines.length > MAX_JOB_FILE_LINES) {
    throw new FioSyntaxError(
      file,
      MAX_JOB_FILE_LINES,
      `more than ${MAX_JOB_FILE_LINES} lines; is this a job file?`,
    );
  }
  const sections: { name: string; line: number; options: IniOption[] }[] = [];
  for (let index = 0; index < lines.length; index++) {
    const lineNo = index + 1;
    const line = lines[index]!.trim();
    if (line === "" || line.startsWith(";") || line.startsWith("#")) continue;
    if (line.startsWith("[")) {
      if (!line.endsWith("]") || line.length < 3) {
        throw new FioSyntaxError(file, lineNo, `malformed section header "${line}"; write [jobname]`);
      }
      if (sections.length >= MAX_JOB_SECTIONS) {
        throw new FioSyntaxError(file, lineNo, `more than ${MAX_JOB_SECTIONS} sections`);
      }
      sections.push({ name: line.slice(1, -1).trim(), line: lineNo, options: [] });
      continue;
    }
    const current = sections.at(-1);
    if (current === undefined) {
      throw new FioSyntaxError(
        file,
        lineNo,
        `option "${line}" comes before any [section]; add [global] or [job]`,
      );
    }
    const eq = line.indexOf("=");
    const key = (eq < 0 ? line : line.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : line.slice(eq + 1).trim();
    if (!/^[a-z0-9_]+$/.test(key)) throw new FioSyntaxError(file, lineNo, `"${key}" is not an option name`);
    current.options.push({ key, value, line: lineNo });
  }
  return { file, sections };
}

// The draft is checked by the schema in defineJob; its block sizes are already parsed to bytes.
type Draft = { -readonly [K in Exclude<keyof JobInput, "bs" | "passthrough" | "name">]?: JobInput[K] } & {
  name: string;
  bs: { read: BlockSizeSpec; write: BlockSizeSpec; trim: BlockSizeSpec };
  passthrough: Record<string, string>;
};

interface ApplyContext {
  readonly job: string;
  readonly where: string;
  readonly kbBase: KbBase;
}

function fail(ctx: ApplyContext, option: IniOption, detail: string): never {
  throw new JobSpecError(ctx.job, option.key, option.value ?? "(flag)", detail, ctx.where);
}

function size(ctx: ApplyContext, option: IniOption, text: string): number {
  const bytes = parseSizeBytes(text, { kbBase: ctx.kbBase });
  if (bytes === undefined) fail(ctx, option, `"${text}" is not a size; write e.g. 4k, 1m, 4096`);
  return bytes;
}

function sizeOrPercent(ctx: ApplyContext, option: IniOption): SizeOrPercent {
  const text = required(ctx, option);
  if (text.endsWith("%")) {
    const percent = Number(text.slice(0, -1));
    if (!(percent >= 0 && percent <= 100)) fail(ctx, option, "a percentage must be between 0% and 100%");
    return { percent };
  }
  return { bytes: size(ctx, option, text) };
}

function required(ctx: ApplyContext, option: IniOption): string {
  if (option.value === undefined || option.value === "") fail(ctx, option, "needs a value");
  return option.value;
}

function integer(ctx: ApplyContext, option: IniOption): number {
  const text = required(ctx, option);
  const value = parseSizeBytes(text, { kbBase: ctx.kbBase });
  if (value === undefined) fail(ctx, option, `"${text}" is not a whole number`);
  return value;
}

function number(ctx: ApplyContext, option: IniOption, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) fail(ctx, option, `"${text}" is not a number`);
  return value;
}

function bool(ctx: ApplyContext, option: IniOption): boolean {
  const text = (option.value ?? "1").toLowerCase();
  if (text === "1" || text === "true") return true;
  if (text === "0" || text === "false") return false;
  return fail(ctx, option, "is a flag: write it bare, or =1 / =0");
}

/** The read, write and trim parts of `bs=a,b,c`-style options; undefined leaves that direction as it was. */
type DirectionParts = [string | undefined, string | undefined, string | undefined];

/**
 * Split "a,b,c" into read, write and trim parts as fio does: a value not followed by a comma
 * applies to the directions after it too (`bs=4k` sets all three, `bs=4k,64k` writes and trims
 * 64k, `bs=4k,64k,` leaves trims alone), and an empty part leaves its direction unchanged.
 */
function perDirection(ctx: ApplyContext, option: IniOption): DirectionParts {
  const parts = required(ctx, option)
    .split(",")
    .map((part) => (part === "" ? undefined : part));
  if (parts.length > 3) fail(ctx, option, "takes at most read,write,trim values");
  const read = parts[0];
  const write = parts.length >= 2 ? parts[1] : read;
  const trim = parts.length >= 3 ? parts[2] : write;
  return [read, write, trim];
}

function parseBssplit(ctx: ApplyContext, option: IniOption, text: string): BlockSizeSpec {
  const raw = text.split(":").map((entry) => {
    const [sizeText = "", percentText] = entry.split("/");
    return {
      bytes: size(ctx, option, sizeText),
      percent: percentText === undefined || percentText === "" ? undefined : number(ctx, option, percentText),
    };
  });
  const given = raw.reduce((sum, entry) => sum + (entry.percent ?? 0), 0);
  const blanks = raw.filter((entry) => entry.percent === undefined).length;
  // fio spreads what the listed percentages leave over evenly across the blank ones.
  const share = blanks === 0 ? 0 : (100 - given) / blanks;
  if (share < 0) fail(ctx, option, `percentages add up to ${given}, more than 100`);
  return {
    kind: "split",
    entries: raw.map((entry) => ({ bytes: entry.bytes, percent: entry.percent ?? share })),
  };
}

function parseDistribution(ctx: ApplyContext, option: IniOption): RandomDistribution {
  const [kind = "", first, center, extra] = required(ctx, option).split(":");
  if (extra !== undefined) fail(ctx, option, "takes at most kind:value:center");
  const centerValue = center === undefined ? undefined : number(ctx, option, center);
  const withCenter = centerValue === undefined ? {} : { center: centerValue };
  const param = (): number => {
    if (first === undefined) fail(ctx, option, `${kind} needs a parameter, e.g. ${kind}:1.2`);
    return number(ctx, option, first);
  };
  switch (kind) {
    case "random":
      if (first !== undefined) fail(ctx, option, "random takes no parameter");
      return { kind: "random" };
    case "zipf":
      return { kind: "zipf", theta: param(), ...withCenter };
    case "pareto":
      return { kind: "pareto", h: param(), ...withCenter };
    case "normal":
    case "gauss":
      return { kind: "normal", devPercent: param(), ...withCenter };
    default:
      return fail(
        ctx,
        option,
        "lvmlab models random, zipf:θ, pareto:h and normal:σ (zoned and sequence are not modelled)",
      );
  }
}

function parsePattern(ctx: ApplyContext, option: IniOption): number[] {
  const text = required(ctx, option);
  if (/^0x[0-9a-f]+$/i.test(text)) {
    const hex = text.slice(2);
    const padded = hex.length % 2 === 0 ? hex : `0${hex}`;
    const bytes: number[] = [];
    for (let i = 0; i < padded.length; i += 2) bytes.push(Number.parseInt(padded.slice(i, i + 2), 16));
    return bytes;
  }
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value > 0xffffffff)
      fail(ctx, option, "decimal patterns must fit in 32 bits; use 0x hex for longer ones");
    // fio stores a decimal pattern as a little-endian integer of the bytes it needs.
    const bytes: number[] = [];
    let rest = value;
    do {
      bytes.push(rest & 0xff);
      rest = Math.floor(rest / 256);
    } while (rest > 0);
    return bytes;
  }
  const quoted = /^"([^"%]*)"$|^'([^'%]*)'$/.exec(text);
  if (quoted !== null) return [...Buffer.from(quoted[1] ?? quoted[2] ?? "", "latin1")];
  return fail(
    ctx,
    option,
    "write a 0x hex, decimal or quoted-string pattern (%o and mixed formats are not modelled)",
  );
}

function parseVerify(ctx: ApplyContext, option: IniOption): VerifyKind {
  const text = required(ctx, option).toLowerCase();
  if (text === "0" || text === "null" || text === "none") return "none";
  if (text === "xxhash" || text === "xxh64") return "xxh64";
  if (text === "crc32c" || text === "crc32c-intel") return "crc32c";
  if (text === "pattern" || text === "pattern_hdr") return "pattern";
  return fail(ctx, option, "lvmlab verifies with xxhash (xxh64), crc32c or pattern; pick one of those");
}

function setBlockSizes(draft: Draft, parts: DirectionParts, build: (t: string) => BlockSizeSpec) {
  DIRECTIONS.forEach((direction, i) => {
    const text = parts[i];
    if (text !== undefined) draft.bs[direction] = build(text);
  });
}

function setPerDirectionNumber(
  target: { read: number; write: number; trim: number },
  parts: DirectionParts,
  parse: (t: string) => number,
) {
  DIRECTIONS.forEach((direction, i) => {
    const text = parts[i];
    if (text !== undefined) target[direction] = parse(text);
  });
}

function applyOption(draft: Draft, ctx: ApplyContext, option: IniOption): void {
  const key = option.key;
  if (PASSTHROUGH_OPTIONS.has(key)) {
    draft.passthrough[key] = option.value ?? "";
    return;
  }
  switch (key) {
    case "name":
      draft.name = required(ctx, option);
      return;
    case "filename":
      draft.filename = required(ctx, option);
      return;
    case "rw":
    case "readwrite": {
      const text = required(ctx, option);
      if (text.includes(":")) fail(ctx, option, "the :<nr> offset modifier is not modelled; drop it");
      const mode = text === "readwrite" ? "rw" : text;
      if (!(RW_MODES as readonly string[]).includes(mode)) {
        fail(ctx, option, `lvmlab models ${RW_MODES.join(", ")}; pick one of those`);
      }
      draft.rw = mode as RwMode;
      return;
    }
    case "rwmixread":
      draft.rwmixread = integer(ctx, option);
      return;
    case "rwmixwrite":
      draft.rwmixread = 100 - integer(ctx, option);
      return;
    case "bs":
    case "blocksize":
      setBlockSizes(draft, perDirection(ctx, option), (t) => ({
        kind: "fixed",
        bytes: size(ctx, option, t),
      }));
      return;
    case "bsrange":
    case "blocksize_range":
      setBlockSizes(draft, perDirection(ctx, option), (t) => {
        const [lo = "", hi, extra] = t.split(/[-:]/);
        if (hi === undefined || extra !== undefined) fail(ctx, option, "write a range as lo-hi, e.g. 1k-64k");
        const a = size(ctx, option, lo);
        const b = size(ctx, option, hi);
        // fio swaps a reversed range rather than rejecting it.
        return { kind: "range", minBytes: Math.min(a, b), maxBytes: Math.max(a, b) };
      });
      return;
    case "bssplit":
      setBlockSizes(draft, perDirection(ctx, option), (t) => parseBssplit(ctx, option, t));
      return;
    case "size":
      draft.size = sizeOrPercent(ctx, option);
      return;
    case "io_size":
    case "io_limit":
      draft.ioSizeBytes = size(ctx, option, required(ctx, option));
      return;
    case "offset":
      draft.offset = sizeOrPercent(ctx, option);
      return;
    case "iodepth":
      draft.iodepth = integer(ctx, option);
      return;
    case "random_distribution":
      draft.randomDistribution = parseDistribution(ctx, option);
      return;
    case "norandommap":
      draft.norandommap = bool(ctx, option);
      return;
    case "rate": {
      const target = { read: 0, write: 0, trim: 0, ...draft.rateBytesPerSec };
      setPerDirectionNumber(target, perDirection(ctx, option), (t) => size(ctx, option, t));
      draft.rateBytesPerSec = target;
      return;
    }
    case "rate_iops": {
      const target = { read: 0, write: 0, trim: 0, ...draft.rateIops };
      setPerDirectionNumber(target, perDirection(ctx, option), (t) => number(ctx, option, t));
      draft.rateIops = target;
      return;
    }
    case "number_ios":
      draft.numberIos = integer(ctx, option);
      return;
    case "runtime": {
      const ns = parseTimeNs(required(ctx, option));
      if (ns === undefined) fail(ctx, option, "is not a time; write e.g. 30, 30s, 500ms");
      draft.runtimeNs = ns;
      return;
    }
    case "time_based":
      draft.timeBased = bool(ctx, option);
      return;
    case "loops":
      draft.loops = integer(ctx, option);
      return;
    case "fsync":
      draft.fsync = integer(ctx, option);
      return;
    case "fdatasync":
      draft.fdatasync = integer(ctx, option);
      return;
    case "end_fsync":
      draft.endFsync = bool(ctx, option);
      return;
    case "sync": {
      const text = (option.value ?? "1").toLowerCase();
      if (["1", "sync", "dsync", "true"].includes(text)) draft.fuaPercentage = 100;
      else if (["0", "none", "false"].includes(text)) draft.fuaPercentage = 0;
      else fail(ctx, option, "write sync=1, sync=dsync or sync=0");
      return;
    }
    case "fua_percentage":
      draft.fuaPercentage = number(ctx, option, required(ctx, option));
      return;
    case "verify":
      draft.verify = parseVerify(ctx, option);
      return;
    case "verify_interval":
      draft.verifyIntervalBytes = size(ctx, option, required(ctx, option));
      return;
    case "verify_pattern":
      draft.verifyPattern = parsePattern(ctx, option);
      return;
    case "verify_backlog":
      draft.verifyBacklog = integer(ctx, option);
      return;
    case "verify_fatal":
      draft.verifyFatal = bool(ctx, option);
      return;
    case "do_verify":
      draft.doVerify = bool(ctx, option);
      return;
    case "numjobs":
      draft.numjobs = integer(ctx, option);
      return;
    case "stonewall":
    case "wait_for_previous":
      draft.stonewall = bool(ctx, option);
      return;
    case "kb_base":
      return; // read before the other options, see kbBaseOf
    default:
      fail(
        ctx,
        option,
        "is not supported by lvmlab; remove it or see workloads/README.md for the supported list",
      );
  }
}

function kbBaseOf(options: readonly IniOption[], file: string, job: string): KbBase | undefined {
  let kbBase: KbBase | undefined;
  for (const option of options) {
    if (option.key !== "kb_base") continue;
    if (option.value !== "1000" && option.value !== "1024") {
      throw new JobSpecError(
        job,
        "kb_base",
        option.value ?? "(flag)",
        "must be 1000 or 1024",
        `${file}:${option.line}`,
      );
    }
    kbBase = option.value === "1000" ? 1000 : 1024;
  }
  return kbBase;
}

/**
 * Read a fio job file into validated jobs: `[global]` options apply to the job sections after
 * them; errors name the option, the job and `file:line`.
 */
export function jobsFromFioFile(text: string, options: { file?: string } = {}): JobSpec[] {
  const parsed = parseFioIni(text, options);
  const globals: IniOption[] = [];
  const jobs: JobSpec[] = [];
  for (const section of parsed.sections) {
    if (section.name === "global") {
      globals.push(...section.options);
      continue;
    }
    const all = [...globals, ...section.options];
    const kbBase = kbBaseOf(all, parsed.file, section.name) ?? 1024;
    const draft: Draft = {
      name: section.name,
      kbBase,
      bs: {
        read: { kind: "fixed", bytes: 4096 },
        write: { kind: "fixed", bytes: 4096 },
        trim: { kind: "fixed", bytes: 4096 },
      },
      passthrough: {},
    };
    for (const option of all) {
      applyOption(draft, { job: section.name, where: `${parsed.file}:${option.line}`, kbBase }, option);
    }
    jobs.push(defineJob(draft as JobInput, { where: `${parsed.file}:${section.line}` }));
  }
  if (jobs.length === 0) {
    throw new FioSyntaxError(parsed.file, 1, "no job sections; add at least one [jobname] section");
  }
  return jobs;
}

function printSize(job: JobSpec, bytes: number): string {
  return job.kbBase === 1024 ? formatSizeForJob(bytes) : String(bytes);
}

function printSizeOrPercent(job: JobSpec, value: SizeOrPercent): string {
  return "percent" in value ? `${value.percent}%` : printSize(job, value.bytes);
}

function printBlockSpec(job: JobSpec, spec: BlockSizeSpec): string {
  if (spec.kind === "fixed") return printSize(job, spec.bytes);
  if (spec.kind === "range") return `${printSize(job, spec.minBytes)}-${printSize(job, spec.maxBytes)}`;
  return spec.entries.map((entry) => `${printSize(job, entry.bytes)}/${entry.percent}`).join(":");
}

/**
 * Three per-direction texts as one fio value that reads back the same: `x` when all agree, `r,w`
 * when trims follow writes, `r,w,t` otherwise (an empty part leaves its direction as it was).
 */
function joinDirections(read: string, write: string, trim: string): string {
  if (read === write && write === trim) return read;
  if (write === trim) return `${read},${write}`;
  return `${read},${write},${trim}`;
}

function printBlockSizes(job: JobSpec): string[] {
  const lines: string[] = [];
  const option = { fixed: "bs", range: "bsrange", split: "bssplit" } as const;
  for (const kind of ["fixed", "range", "split"] as const) {
    const part = (direction: Direction): string =>
      job.bs[direction].kind === kind ? printBlockSpec(job, job.bs[direction]) : "";
    const read = part("read");
    const write = part("write");
    const trim = part("trim");
    if (read === "" && write === "" && trim === "") continue;
    lines.push(`${option[kind]}=${joinDirections(read, write, trim)}`);
  }
  return lines;
}

function printDistribution(dist: RandomDistribution): string {
  const center = dist.kind !== "random" && dist.center !== undefined ? `:${dist.center}` : "";
  switch (dist.kind) {
    case "random":
      return "random";
    case "zipf":
      return `zipf:${dist.theta}${center}`;
    case "pareto":
      return `pareto:${dist.h}${center}`;
    case "normal":
      return `normal:${dist.devPercent}${center}`;
  }
}

function printPerDirection(
  values: { read: number; write: number; trim: number },
  format: (n: number) => string,
): string {
  return joinDirections(format(values.read), format(values.write), format(values.trim));
}

/** Print jobs as a fio job file that {@link jobsFromFioFile} reads back to the same jobs. */
export function formatFioJobFile(jobs: readonly JobSpec[]): string {
  const out: string[] = ["; written by lvmlab"];
  for (const job of jobs) {
    out.push("", `[${job.name}]`);
    if (job.kbBase !== 1024) out.push(`kb_base=${job.kbBase}`);
    for (const [key, value] of Object.entries(job.passthrough))
      out.push(value === "" ? key : `${key}=${value}`);
    if (job.filename !== undefined) out.push(`filename=${job.filename}`);
    out.push(`rw=${job.rw}`);
    if (job.rwmixread !== 50) out.push(`rwmixread=${job.rwmixread}`);
    out.push(...printBlockSizes(job));
    if (job.size !== undefined) out.push(`size=${printSizeOrPercent(job, job.size)}`);
    if (job.ioSizeBytes !== undefined) out.push(`io_size=${printSize(job, job.ioSizeBytes)}`);
    if ("percent" in job.offset || job.offset.bytes !== 0)
      out.push(`offset=${printSizeOrPercent(job, job.offset)}`);
    if (job.iodepth !== 1) out.push(`iodepth=${job.iodepth}`);
    if (job.randomDistribution.kind !== "random") {
      out.push(`random_distribution=${printDistribution(job.randomDistribution)}`);
    }
    if (job.norandommap) out.push("norandommap");
    if (DIRECTIONS.some((direction) => job.rateBytesPerSec[direction] !== 0)) {
      out.push(`rate=${printPerDirection(job.rateBytesPerSec, (n) => String(n))}`);
    }
    if (DIRECTIONS.some((direction) => job.rateIops[direction] !== 0)) {
      out.push(`rate_iops=${printPerDirection(job.rateIops, (n) => String(n))}`);
    }
    if (job.numberIos !== undefined) out.push(`number_ios=${job.numberIos}`);
    if (job.runtimeNs !== undefined) out.push(`runtime=${formatTimeForJob(job.runtimeNs)}`);
    if (job.timeBased) out.push("time_based");
    if (job.loops !== 1) out.push(`loops=${job.loops}`);
    if (job.fsync !== 0) out.push(`fsync=${job.fsync}`);
    if (job.fdatasync !== 0) out.push(`fdatasync=${job.fdatasync}`);
    if (job.endFsync) out.push("end_fsync=1");
    if (job.fuaPercentage !== 0) out.push(`fua_percentage=${job.fuaPercentage}`);
    if (job.verify !== "none") out.push(`verify=${job.verify === "xxh64" ? "xxhash" : job.verify}`);
    if (job.verifyIntervalBytes !== undefined)
      out.push(`verify_interval=${printSize(job, job.verifyIntervalBytes)}`);
    if (job.verifyPattern !== undefined) {
      out.push(`verify_pattern=0x${job.verifyPattern.map((b) => b.toString(16).padStart(2, "0")).join("")}`);
    }
    if (job.verifyBacklog !== 0) out.push(`verify_backlog=${job.verifyBacklog}`);
    if (job.verifyFatal) out.push("verify_fatal=1");
    if (!job.doVerify) out.push("do_verify=0");
    if (job.numjobs !== 1) out.push(`numjobs=${job.numjobs}`);
    if (job.stonewall) out.push("stonewall");
  }
  return `${out.join("\n")}\n`;
}
