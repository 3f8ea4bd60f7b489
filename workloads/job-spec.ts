/**
 * The typed fio job: fio's option names and meanings, fio's defaults, validated by a zod schema so
 * a job built in TypeScript, YAML or a fio job file fails the same way, naming job, option and value.
 *
 * Field names are fio's, camelCased (`rwmixread`, `randomDistribution`, `verifyBacklog`). Sizes
 * accept numbers of bytes or fio size strings ("4k", "1MiB") read under the job's `kbBase`.
 * One lvmlab extension: `fuaPercentage`, the share of writes issued with FUA (fio's `sync=1` is 100).
 */

import { z } from "zod";
import type { KbBase } from "./units.js";
import { parseSizeBytes } from "./units.js";

/**
 * fio's `rw` modes (fio 3.33, Debian bookworm's): `trim`/`randtrim` issue discards,
 * `trimwrite`/`randtrimwrite` alternate a trim with a write (the random one writes exactly the
 * range it just trimmed).
 */
export const RW_MODES = [
  "read",
  "write",
  "randread",
  "randwrite",
  "rw",
  "randrw",
  "trim",
  "randtrim",
  "trimwrite",
  "randtrimwrite",
] as const;

/** One of {@link RW_MODES}; `readwrite` in a job file is read as `rw`, as fio does. */
export type RwMode = (typeof RW_MODES)[number];

/** Data direction of one I/O, as fio's `DDIR_READ`, `DDIR_WRITE` and `DDIR_TRIM`. */
export type Direction = "read" | "write" | "trim";

/** Every {@link Direction} in fio's order (the order of `bs=read,write,trim`). */
export const DIRECTIONS: readonly Direction[] = ["read", "write", "trim"];

/** The verify kinds lvmlab writes; fio's `xxhash` maps to xxh64, `crc32c-intel` to crc32c. */
const VERIFY_KINDS = ["none", "xxh64", "crc32c", "pattern"] as const;

/** One of {@link VERIFY_KINDS}. */
export type VerifyKind = (typeof VERIFY_KINDS)[number];

/** Largest block size a job may use; keeps the runner's buffers bounded. */
const MAX_BLOCK_BYTES = 16 << 20;
/** Largest queue depth a job may ask for (fio's own cap is 65536; virtual queues are cheap, memory is not). */
const MAX_IODEPTH = 4096;
/** Largest `numjobs` clone count. */
const MAX_NUMJOBS = 256;
/** Most entries in a `bssplit` list, as in fio. */
const MAX_BSSPLIT_ENTRIES = 64;

/** How block sizes are chosen for one direction: fixed, uniform in a range, or weighted. */
export type BlockSizeSpec =
  | { readonly kind: "fixed"; readonly bytes: number }
  | { readonly kind: "range"; readonly minBytes: number; readonly maxBytes: number }
  | {
      readonly kind: "split";
      readonly entries: readonly { readonly bytes: number; readonly percent: number }[];
    };

/** Offset distribution for random modes, with fio's parameters. */
export type RandomDistribution =
  | { readonly kind: "random" }
  | { readonly kind: "zipf"; readonly theta: number; readonly center?: number }
  | { readonly kind: "pareto"; readonly h: number; readonly center?: number }
  | { readonly kind: "normal"; readonly devPercent: number; readonly center?: number };

/** A size in bytes or a percentage of the target's size, like fio's `size=50%`. */
export type SizeOrPercent = { readonly bytes: number } | { readonly percent: number };

/** Per-direction values, as fio's `bs=4k,64k,1m` and `rate=1m,2m`. */
export interface PerDirection<T> {
  readonly read: T;
  readonly write: T;
  readonly trim: T;
}

/** A validated job, with fio's defaults filled in. */
export interface JobSpec {
  readonly name: string;
  /** Which target device the job uses, by device name; optional when there is one target. */
  readonly filename?: string;
  readonly rw: RwMode;
  /** Percentage of reads in mixed modes (fio `rwmixread`, default 50); trims never mix in, as in fio. */
  readonly rwmixread: number;
  readonly bs: PerDirection<BlockSizeSpec>;
  /** Region the job works in; default: the whole target after `offset`. */
  readonly size?: SizeOrPercent;
  /** Bytes of I/O before the job ends; default `size` (times `loops`). */
  readonly ioSizeBytes?: number;
  readonly offset: SizeOrPercent;
  readonly iodepth: number;
  readonly randomDistribution: RandomDistribution;
  /** Random offsets with replacement instead of covering each block once per pass (fio `norandommap`). */
  readonly norandommap: boolean;
  /** Bandwidth caps in bytes/s per direction; 0 = none. */
  readonly rateBytesPerSec: PerDirection<number>;
  /** IOPS caps per direction; 0 = none. */
  readonly rateIops: PerDirection<number>;
  readonly numberIos?: number;
  /** Virtual run time limit in ns (fio `runtime`). */
  readonly runtimeNs?: number;
  readonly timeBased: boolean;
  readonly loops: number;
  /** Flush after every N writes (fio `fsync`); 0 = never. */
  readonly fsync: number;
  /** Same as fsync for a block device (fio `fdatasync`); 0 = never. */
  readonly fdatasync: number;
  readonly endFsync: boolean;
  /** Percentage of writes issued with FUA (lvmlab extension; fio `sync=1` means 100). */
  readonly fuaPercentage: number;
  readonly verify: VerifyKind;
  /** Bytes covered by one verify header (fio `verify_interval`); default the smallest block size. */
  readonly verifyIntervalBytes?: number;
  /** Bytes of fio's `verify_pattern`, used when `verify` is `pattern`. */
  readonly verifyPattern?: readonly number[];
  /** Verify the last N written blocks after every N writes; 0 = only at the end (fio `verify_backlog`). */
  readonly verifyBacklog: number;
  readonly verifyFatal: boolean;
  readonly doVerify: boolean;
  readonly numjobs: number;
  /** Wait for every earlier job before starting (fio `stonewall`). */
  readonly stonewall: boolean;
  readonly kbBase: KbBase;
  /** Options fio has that have no effect in the model (`ioengine`, `direct`, …), kept for output. */
  readonly passthrough: Readonly<Record<string, string>>;
}

/** A job description failed validation; names the job, the option and the value. */
export class JobSpecError extends Error {
  override readonly name = "JobSpecError";

  constructor(
    readonly job: string,
    readonly option: string,
    readonly value: string,
    detail: string,
    readonly where?: string,
  ) {
    super(`Job "${job}"${where === undefined ? "" : ` (${where})`}: option ${option}=${value}: ${detail}`);
  }
}

function sizeField(kbBase: KbBase) {
  return z.union([
    z.number().int().nonnegative(),
    z.string().transform((text, ctx) => {
      const bytes = parseSizeBytes(text, { kbBase });
      if (bytes === undefined) {
        ctx.addIssue({ code: "custom", message: `"${text}" is not a size; write e.g. 4k, 1m, 4096` });
        return z.NEVER;
      }
      return bytes;
    }),
  ]);
}

function buildSchema(kbBase: KbBase) {
  const size = sizeField(kbBase);
  const blockSize = z.union([
    z.object({ kind: z.literal("fixed"), bytes: size }).strict(),
    z.object({ kind: z.literal("range"), minBytes: size, maxBytes: size }).strict(),
    z
      .object({
        kind: z.literal("split"),
        entries: z
          .array(z.object({ bytes: size, percent: z.number().min(0).max(100) }).strict())
          .min(1)
          .max(MAX_BSSPLIT_ENTRIES),
      })
      .strict(),
  ]);
  // A value left out applies the one before it, as fio's "a value not terminated in a comma
  // applies to subsequent types": trim defaults to write (filled in by defineJob).
  const perDirBs = z.object({ read: blockSize, write: blockSize, trim: blockSize.optional() }).strict();
  const sizeOrPercent = z.union([
    z.object({ bytes: size }).strict(),
    z.object({ percent: z.number().min(0).max(100) }).strict(),
  ]);
  const center = z.number().min(0).max(1).optional();
  const perDirCount = z
    .object({
      read: z.number().nonnegative(),
      write: z.number().nonnegative(),
      trim: z.number().nonnegative().optional(),
    })
    .strict()
    .default({ read: 0, write: 0, trim: 0 });
  return z
    .object({
      name: z
        .string()
        .min(1)
        .max(128)
        .regex(/^[^\s[\]]+$/, "must have no spaces or brackets"),
      filename: z.string().min(1).optional(),
      rw: z.enum(RW_MODES).default("read"),
      rwmixread: z.number().int().min(0).max(100).default(50),
      bs: perDirBs.default({ read: { kind: "fixed", bytes: 4096 }, write: { kind: "fixed", bytes: 4096 } }),
      size: sizeOrPercent.optional(),
      ioSizeBytes: size.optional(),
      offset: sizeOrPercent.default({ bytes: 0 }),
      iodepth: z.number().int().min(1).max(MAX_IODEPTH).default(1),
      randomDistribution: z
        .union([
          z.object({ kind: z.literal("random") }).strict(),
          z.object({ kind: z.literal("zipf"), theta: z.number().positive(), center }).strict(),
          z.object({ kind: z.literal("pareto"), h: z.number().gt(0).lt(1), center }).strict(),
          z.object({ kind: z.literal("normal"), devPercent: z.number().gt(0).max(100), center }).strict(),
        ])
        .default({ kind: "random" }),
      norandommap: z.boolean().default(false),
      rateBytesPerSec: perDirCount,
      rateIops: perDirCount,
      numberIos: z.number().int().positive().optional(),
      runtimeNs: z.number().int().positive().optional(),
      timeBased: z.boolean().default(false),
      loops: z.number().int().min(1).max(1_000_000).default(1),
      fsync: z.number().int().nonnegative().default(0),
      fdatasync: z.number().int().nonnegative().default(0),
      endFsync: z.boolean().default(false),
      fuaPercentage: z.number().min(0).max(100).default(0),
      verify: z.enum(VERIFY_KINDS).default("none"),
      verifyIntervalBytes: size.optional(),
      verifyPattern: z.array(z.number().int().min(0).max(255)).min(1).max(512).optional(),
      verifyBacklog: z.number().int().nonnegative().default(0),
      verifyFatal: z.boolean().default(false),
      doVerify: z.boolean().default(true),
      numjobs: z.number().int().min(1).max(MAX_NUMJOBS).default(1),
      stonewall: z.boolean().default(false),
      kbBase: z.union([z.literal(1000), z.literal(1024)]).default(1024),
      passthrough: z.record(z.string(), z.string()).default({}),
    })
    .strict();
}

const SCHEMAS = { 1000: buildSchema(1000), 1024: buildSchema(1024) } as const;

/** What {@link defineJob} accepts: a {@link JobSpec} with every defaulted field optional and sizes as text or bytes. */
export type JobInput = z.input<(typeof SCHEMAS)[1024]>;

/** The fio option name for each field, so schema errors speak the job file's language. */
const FIO_OPTION_FOR_FIELD: Readonly<Record<string, string>> = {
  name: "name",
  filename: "filename",
  rw: "rw",
  rwmixread: "rwmixread",
  bs: "bs",
  size: "size",
  ioSizeBytes: "io_size",
  offset: "offset",
  iodepth: "iodepth",
  randomDistribution: "random_distribution",
  norandommap: "norandommap",
  rateBytesPerSec: "rate",
  rateIops: "rate_iops",
  numberIos: "number_ios",
  runtimeNs: "runtime",
  timeBased: "time_based",
  loops: "loops",
  fsync: "fsync",
  fdatasync: "fdatasync",
  endFsync: "end_fsync",
  fuaPercentage: "fua_percentage",
  verify: "verify",
  verifyIntervalBytes: "verify_interval",
  verifyPattern: "verify_pattern",
  verifyBacklog: "verify_backlog",
  verifyFatal: "verify_fatal",
  doVerify: "do_verify",
  numjobs: "numjobs",
  stonewall: "stonewall",
  kbBase: "kb_base",
  passthrough: "passthrough",
};

function valueAt(input: unknown, path: readonly PropertyKey[]): string {
  let node: unknown = input;
  for (const key of path) {
    if (node === null || typeof node !== "object") return "?";
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node === undefined ? "(missing)" : JSON.stringify(node);
}

function blockSizes(spec: BlockSizeSpec): number[] {
  if (spec.kind === "fixed") return [spec.bytes];
  if (spec.kind === "range") return [spec.minBytes, spec.maxBytes];
  return spec.entries.map((entry) => entry.bytes);
}

/**
 * The directions whose block sizes place a job's I/O. Read and write modes count both read and
 * write sizes, as lvmlab always has (a job's offsets and verify unit do not change with the mode);
 * trim modes count only what they issue, so `rw=randtrim,bs=,,64k` trims at 64 KiB alignment like
 * fio's `blockalign` default for trims.
 */
function sizedDirections(rw: RwMode): readonly Direction[] {
  // randtrimwrite writes exactly what it trimmed, so its write sizes are never used (fio 3.33).
  if (rw === "trim" || rw === "randtrim" || rw === "randtrimwrite") return ["trim"];
  if (rw === "trimwrite") return ["write", "trim"];
  return ["read", "write"];
}

function usedSizes(job: JobSpec): number[] {
  return sizedDirections(job.rw).flatMap((direction) => blockSizes(job.bs[direction]));
}

/** The smallest block size a job can issue in the directions it uses (see {@link sizedDirections}). */
export function minBlockBytes(job: JobSpec): number {
  return Math.min(...usedSizes(job));
}

/** The largest block size a job can issue. */
export function maxBlockBytes(job: JobSpec): number {
  return Math.max(...usedSizes(job));
}

/** True when the mode issues writes (fio's `td_write`). */
export function writesData(rw: RwMode): boolean {
  return rw !== "read" && rw !== "randread" && rw !== "trim" && rw !== "randtrim";
}

/** True when the mode issues trims (fio's `td_trim`). */
function trimsData(rw: RwMode): boolean {
  return rw === "trim" || rw === "randtrim" || rw === "trimwrite" || rw === "randtrimwrite";
}

/** True for `trimwrite`/`randtrimwrite`: each trim is followed by a write (fio's `td_trimwrite`). */
export function isTrimWrite(rw: RwMode): boolean {
  return rw === "trimwrite" || rw === "randtrimwrite";
}

/** True when offsets are random rather than sequential. */
export function isRandom(rw: RwMode): boolean {
  return rw.startsWith("rand");
}

// verify_interval must divide every block size the job can issue: reads and writes always (as
// before trims were modelled), trims when the mode issues them (they are judged per verify unit).
function verifiedDirections(rw: RwMode): readonly Direction[] {
  return trimsData(rw) ? DIRECTIONS : ["read", "write"];
}

function checkSemantics(job: JobSpec, where?: string): void {
  const fail = (option: string, value: unknown, detail: string): never => {
    throw new JobSpecError(job.name, option, String(value), detail, where);
  };
  for (const direction of DIRECTIONS) {
    const spec = job.bs[direction];
    for (const bytes of blockSizes(spec)) {
      if (bytes === 0 || bytes % 512 !== 0) {
        fail("bs", bytes, "block sizes must be non-zero multiples of 512 bytes (one sector)");
      }
      if (bytes > MAX_BLOCK_BYTES)
        fail("bs", bytes, `block sizes above ${MAX_BLOCK_BYTES} bytes are not supported`);
    }
    if (spec.kind === "range" && spec.minBytes > spec.maxBytes) {
      fail("bsrange", `${spec.minBytes}-${spec.maxBytes}`, "the lower bound is above the upper bound");
    }
    if (spec.kind === "split") {
      const total = spec.entries.reduce((sum, entry) => sum + entry.percent, 0);
      if (Math.abs(total - 100) > 1e-9) {
        fail(
          "bssplit",
          spec.entries.map((e) => `${e.bytes}/${e.percent}`).join(":"),
          `percentages add up to ${total}, not 100`,
        );
      }
    }
  }
  const dist = job.randomDistribution;
  if (dist.kind === "zipf" && dist.theta === 1) {
    fail("random_distribution", "zipf:1", "fio's zipf needs theta different from 1.0; try 0.99 or 1.2");
  }
  const interval = job.verifyIntervalBytes;
  if (interval !== undefined) {
    if (interval < 512 || interval % 512 !== 0)
      fail("verify_interval", interval, "must be a multiple of 512 bytes");
    for (const direction of verifiedDirections(job.rw)) {
      for (const bytes of blockSizes(job.bs[direction])) {
        if (bytes % interval !== 0) {
          fail("verify_interval", interval, `does not divide block size ${bytes}; pick a common divisor`);
        }
      }
    }
  }
  if (job.verify !== "none" && minBlockBytes(job) < 512)
    fail("verify", job.verify, "blocks are too small for a header");
  if (job.verify === "pattern" && job.verifyPattern === undefined) {
    fail(
      "verify_pattern",
      "(missing)",
      "verify=pattern needs verify_pattern, e.g. verify_pattern=0xdeadbeef",
    );
  }
  if (job.timeBased && job.runtimeNs === undefined)
    fail("time_based", 1, "needs runtime to say when to stop");
}

/**
 * Validate a job description and fill in fio's defaults; throws {@link JobSpecError} naming the
 * job, the fio option and the value that broke it.
 */
export function defineJob(input: JobInput, options: { where?: string } = {}): JobSpec {
  const name =
    typeof input === "object" && input !== null && typeof input.name === "string" ? input.name : "?";
  const kbBase = input.kbBase === 1000 ? 1000 : 1024;
  const parsed = SCHEMAS[kbBase].safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? "");
    const option =
      issue.code === "unrecognized_keys" ? issue.keys.join(",") : (FIO_OPTION_FOR_FIELD[field] ?? field);
    const value = issue.code === "unrecognized_keys" ? "?" : valueAt(input, issue.path);
    const detail =
      issue.code === "unrecognized_keys"
        ? "is not an option lvmlab knows; check the spelling against fio's HOWTO"
        : issue.message;
    throw new JobSpecError(name, option, value, detail, options.where);
  }
  const data = parsed.data;
  // fio: a direction left out takes the value before it (bs=8k,32k means 32k trims too).
  const job = {
    ...data,
    bs: { ...data.bs, trim: data.bs.trim ?? data.bs.write },
    rateBytesPerSec: {
      ...data.rateBytesPerSec,
      trim: data.rateBytesPerSec.trim ?? data.rateBytesPerSec.write,
    },
    rateIops: { ...data.rateIops, trim: data.rateIops.trim ?? data.rateIops.write },
  } as JobSpec;
  checkSemantics(job, options.where);
  return job;
}
