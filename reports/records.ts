/**
 * The NDJSON record schema: the stable interface between the writers (scenario runner, `lvmlab
 * bench`) and every report. One JSON object per line, discriminated by `type`; see RECORDS.md.
 */
import { z } from "zod";

/** Version of the record schema written into `meta.schema`; bump only for incompatible changes. */
export const RECORD_SCHEMA_VERSION = 1;

const name = z.string().min(1).max(512);
const count = z.number().int().nonnegative();
const nonNegative = z.number().finite().nonnegative();
/** Seeds are unsigned 32-bit in the runner; larger safe integers are accepted for forward compatibility. */
const seed = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** Provenance: who wrote the file, from which commit, with which command; one per writer or shard. */
export const MetaRecordSchema = z.looseObject({
  type: z.literal("meta"),
  /** Record schema version (RECORD_SCHEMA_VERSION of the writer). */
  schema: z.number().int().positive().optional(),
  tool: z.string().optional(),
  version: z.string().optional(),
  commit: z.string().optional(),
  command: z.string().optional(),
  seed: seed.optional(),
  node: z.string().optional(),
  cpu: z.string().optional(),
  cores: count.optional(),
  /** Shard of a sweep, e.g. {index: 1, count: 4} for `--shard 1/4`. */
  shard: z.object({ index: count, count: count }).optional(),
  /** Device profile name → its definition in one line (bandwidth, IOPS, latencies), printed under tables. */
  profiles: z.record(name, z.string().max(1000)).optional(),
  /** Config name → what it is in one line, printed beside tables. */
  configs: z.record(name, z.string().max(1000)).optional(),
});

/** Classification counts of the verify oracle after recovery. */
export const VerifySchema = z.looseObject({
  ok: count,
  lost: count,
  stale: count,
  torn: count,
  misdirected: count,
  corrupt: count,
  unreadable: count,
});

/** One injected fault as the runner reports it on a case; `kind` names the injector. */
export const CaseFaultSchema = z.looseObject({ kind: name });

/** One (scenario × seed [× crash point]) case run by the scenario runner. */
export const CaseRecordSchema = z.looseObject({
  type: z.literal("case"),
  scenario: name,
  seed,
  status: z.enum(["pass", "fail"]),
  /** Trace event and occurrence of the power cut, e.g. "pvmove.checkpoint#3"; null when none. */
  crashPoint: z.string().max(512).nullable().optional(),
  /** What the seed drew from the scenario's swarm (crash place and policy, picked alternatives). */
  draw: z
    .looseObject({
      crash: z.looseObject({ at: z.string().max(512), policy: z.string().max(64) }).optional(),
      choose: z.record(z.string(), z.string().max(64)).optional(),
    })
    .nullable()
    .optional(),
  faults: z.array(CaseFaultSchema).max(10_000).default([]),
  verify: VerifySchema,
  /** The one command that replays this case. */
  replay: z.string().min(1).max(4096),
  /** Why the case failed (or passed), in one line, e.g. "2 acknowledged blocks lost". */
  verdict: z.string().max(4096).optional(),
  /** Declared expectations this case did not judge, and why (e.g. own-cut only at an explored point). */
  notJudged: z
    .array(z.looseObject({ expectation: z.string().max(64), reason: z.string().max(512) }))
    .max(64)
    .optional(),
  /** Virtual time the case covered. */
  durationNs: nonNegative.optional(),
  /** Measured wall time of the case on the runner (not deterministic). */
  wallMs: nonNegative.optional(),
  tags: z.array(z.string()).max(100).optional(),
});

/** The runner's totals for one run or shard; reports cross-check them against the case records. */
export const SummaryRecordSchema = z.looseObject({
  type: z.literal("summary"),
  cases: count,
  passed: count,
  failed: count,
});

/** Latency percentiles of one benchmark sample, in virtual nanoseconds. */
export const LatencyNsSchema = z.looseObject({
  p50: nonNegative,
  p90: nonNegative,
  p99: nonNegative,
  p999: nonNegative,
  max: nonNegative,
});

/** One sample of one macro-benchmark cell (config × workload × profile) for one seed and repetition. */
export const BenchRecordSchema = z.looseObject({
  type: z.literal("bench"),
  /** LV layout under test: "linear", "mirror", "snapshot", "striped", … */
  config: name,
  /** Workload name, e.g. "randwrite-4k-qd32". */
  workload: name,
  /** Device timing profile, e.g. "ssd", "hdd", "nvme-shared-bus". */
  profile: name,
  seed: seed.default(0),
  repetition: count.default(0),
  iops: nonNegative,
  mbps: nonNegative,
  latNs: LatencyNsSchema,
  /** Bytes written to PVs ÷ bytes written by the workload. */
  writeAmplification: nonNegative,
  /** This sample's throughput ÷ the linear config's, same workload, profile and seed. */
  relativeToLinear: nonNegative.nullable().optional(),
  /** Measured engine CPU time per operation on this machine (not deterministic). */
  cpuNsPerOp: nonNegative.optional(),
  /** I/Os the sample completed: the latency percentiles rest on this many. */
  ios: count.optional(),
  /** What the model knows it cannot predict about this cell, in one line; absent when nothing. */
  caveat: z.string().max(1000).optional(),
});

/** One micro-benchmark row from `npm run bench --json` (bench/suite.ts BenchRow plus its suite). */
export const MicrobenchRecordSchema = z.looseObject({
  type: z.literal("microbench"),
  suite: name,
  group: z.string().max(512),
  name,
  nsPerOp: nonNegative,
  bytesPerOp: nonNegative.optional(),
  baseline: z.string().optional(),
  ratioToBaseline: nonNegative.optional(),
  repetition: count.default(0),
});

/** One deliberately injected engine bug and whether the suite caught it. */
export const MutantRecordSchema = z.looseObject({
  type: z.literal("mutant"),
  name,
  caught: z.boolean(),
  caughtBy: z.array(z.string()).max(10_000).default([]),
  description: z.string().optional(),
});

/** Progress kinds of background work that reports chart over virtual time. */
export const PROGRESS_KINDS = ["pvmove", "resync", "merge"] as const;

/** A sample of background-work progress (pvmove copy, mirror resync, snapshot merge). */
export const ProgressRecordSchema = z.looseObject({
  type: z.literal("progress"),
  scenario: name,
  seed,
  kind: z.enum(PROGRESS_KINDS),
  tNs: nonNegative,
  percent: z.number().min(0).max(100),
  /** LV whose progress this is, when a case has several. */
  lv: z.string().optional(),
});

/** A fault that fired at a virtual time, for markers on the progress charts. */
export const FaultRecordSchema = z.looseObject({
  type: z.literal("fault"),
  scenario: name,
  seed,
  kind: name,
  tNs: nonNegative,
  target: z.string().optional(),
  detail: z.string().optional(),
});

/** What an exploration of one (scenario, seed) covered (`lvmlab run --explore`). */
export const CoverageRecordSchema = z.looseObject({
  type: z.literal("coverage"),
  scenario: name,
  seed,
  /** Crash points discovered between the explore bounds. */
  points: count,
  /** Distinct crash points among the explored cases. */
  exploredPoints: count,
  /** Explored cases: points × policies, or the seeded sample of them. */
  cases: count,
  sampled: z.boolean(),
  policies: z.array(z.looseObject({ policy: name, exploredPoints: count })).max(64),
  /** Expectations no explored case judges (own-cut only, damageSeen); absent when none. */
  notJudged: z.array(z.string().max(64)).max(64).optional(),
});

/** Every record type this reader knows. */
export const RecordSchema = z.discriminatedUnion("type", [
  MetaRecordSchema,
  CaseRecordSchema,
  SummaryRecordSchema,
  BenchRecordSchema,
  MicrobenchRecordSchema,
  MutantRecordSchema,
  ProgressRecordSchema,
  FaultRecordSchema,
  CoverageRecordSchema,
]);

/** Record type names this reader knows; any other `type` is kept as unknown with a warning. */
export const KNOWN_RECORD_TYPES: ReadonlySet<string> = new Set([
  "meta",
  "case",
  "summary",
  "bench",
  "microbench",
  "mutant",
  "progress",
  "fault",
  "coverage",
]);

/** Provenance record. */
export type MetaRecord = z.infer<typeof MetaRecordSchema>;
/** Scenario case record. */
export type CaseRecord = z.infer<typeof CaseRecordSchema>;
/** Verify oracle counts. */
export type VerifyCounts = z.infer<typeof VerifySchema>;
/** Runner totals record. */
export type SummaryRecord = z.infer<typeof SummaryRecordSchema>;
/** Macro-benchmark sample record. */
export type BenchRecord = z.infer<typeof BenchRecordSchema>;
/** Latency percentiles of a bench sample. */
export type LatencyNs = z.infer<typeof LatencyNsSchema>;
/** Micro-benchmark row record. */
export type MicrobenchRecord = z.infer<typeof MicrobenchRecordSchema>;
/** Mutation-testing record. */
export type MutantRecord = z.infer<typeof MutantRecordSchema>;
/** Background-work progress sample. */
export type ProgressRecord = z.infer<typeof ProgressRecordSchema>;
/** Background-work kind. */
export type ProgressKind = (typeof PROGRESS_KINDS)[number];
/** Fault marker record. */
export type FaultRecord = z.infer<typeof FaultRecordSchema>;
/** Exploration coverage record. */
export type CoverageRecord = z.infer<typeof CoverageRecordSchema>;
/** Any known record. */
export type LvmlabRecord = z.infer<typeof RecordSchema>;
