import { parseCaseKey } from "./case.js";
import { withoutShard } from "./provenance.js";
import type { RunRecord } from "./read-cases.js";
import type { CaseRecord, SummaryRecord } from "./records.js";

/** Merged shard outputs: every case once, in a stable order, with recomputed totals. */
export interface MergeResult {
  readonly records: readonly CaseRecord[];
  readonly summary: SummaryRecord;
  /** Keys that appeared in more than one input with different results. */
  readonly conflicts: readonly string[];
}

/** Merged runs: every record kind kept, each case once with its own timeline. */
export interface MergedRuns extends MergeResult {
  /** Every record to write, in order: meta, each case's timeline then its record, the rest, summary. */
  readonly lines: readonly object[];
  /** Facts worth a warning (a missing shard, shards of different sweeps). */
  readonly warnings: readonly string[];
}

/** A case record with the timeline records (progress samples, fault markers) written before it. */
interface CaseEntry {
  readonly record: CaseRecord;
  readonly timeline: readonly RunRecord[];
}

const TIMELINE_TYPES = new Set(["progress", "fault"]);

/** A REHEARSE_KEY names a `lvmlab rehearse` cell: `rehearse-<vg>@<seed>/<step>/<window>/<boot>/<path>`. */
const REHEARSE_KEY = /^(rehearse-[^@]+)@(\d+)\/(.+)$/;

function sortKey(record: CaseRecord): [string, number, number, string] {
  const cell = REHEARSE_KEY.exec(record.key);
  if (cell !== null) return [cell[1]!, Number(cell[2]), 0, cell[3]!];
  const spec = parseCaseKey(record.key);
  return [spec.scenario, spec.seed, spec.crashPoint?.index ?? 0, ""];
}

function byCaseOrder(a: CaseRecord, b: CaseRecord): number {
  const [sa, ea, ca, ka] = sortKey(a);
  const [sb, eb, cb, kb] = sortKey(b);
  return sa < sb ? -1 : sa > sb ? 1 : ea - eb || ca - cb || (ka < kb ? -1 : ka > kb ? 1 : 0);
}

function summaryOf(records: readonly CaseRecord[], interrupted: boolean): SummaryRecord {
  const passed = records.filter((r) => r.status === "pass").length;
  return {
    type: "summary",
    cases: records.length,
    passed,
    failed: records.length - passed,
    interrupted,
    shard: null,
  };
}

/**
 * Keeps each case once. The same case twice with the same result is kept once; with different
 * results it is a conflict (a nondeterminism bug) and the failing one wins so it cannot be hidden.
 */
function mergeEntries(inputs: readonly (readonly CaseEntry[])[]): {
  entries: CaseEntry[];
  conflicts: string[];
} {
  const byKey = new Map<string, CaseEntry>();
  const conflicts: string[] = [];
  for (const entries of inputs) {
    for (const entry of entries) {
      const existing = byKey.get(entry.record.key);
      if (existing === undefined) {
        byKey.set(entry.record.key, entry);
      } else if (JSON.stringify(existing) !== JSON.stringify(entry)) {
        conflicts.push(entry.record.key);
        if (entry.record.status === "fail") byKey.set(entry.record.key, entry);
      }
    }
  }
  const entries = [...byKey.values()].sort((a, b) => byCaseOrder(a.record, b.record));
  return { entries, conflicts: [...new Set(conflicts)] };
}

/** Merges the case records of several shard (or resumed) outputs; see {@link mergeRuns}. */
export function mergeCaseRecords(inputs: readonly (readonly CaseRecord[])[]): MergeResult {
  const { entries, conflicts } = mergeEntries(
    inputs.map((records) => records.map((record) => ({ record, timeline: [] }))),
  );
  const records = entries.map((e) => e.record);
  return { records, summary: summaryOf(records, false), conflicts };
}

/**
 * One meta record for the shards of one sweep: when every input's meta is the same apart from its
 * shard, and the shards 1..n are all there, the merged file says what the unsharded run would
 * (no shard, the command without `--shard`). Anything else keeps each distinct meta.
 */
function mergeMeta(metas: readonly RunRecord[], warnings: string[]): RunRecord[] {
  const distinct = [...new Map(metas.map((m) => [JSON.stringify(m), m])).values()];
  if (distinct.length <= 1) return distinct;
  const common = (meta: RunRecord): string => {
    const { shard: _shard, ...rest } = meta;
    return JSON.stringify({
      ...rest,
      command: typeof rest.command === "string" ? withoutShard(rest.command) : rest.command,
    });
  };
  const sweeps = new Set(distinct.map(common));
  const shards = distinct.map((m) => m.shard as { index: number; count: number } | undefined);
  if (sweeps.size !== 1 || shards.some((s) => s === undefined)) {
    if (sweeps.size !== 1)
      warnings.push("The inputs come from different commands; their meta records are all kept");
    return distinct;
  }
  const count = shards[0]!.count;
  const have = new Set(shards.filter((s) => s!.count === count).map((s) => s!.index));
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !have.has(i));
  if (missing.length > 0 || shards.some((s) => s!.count !== count)) {
    warnings.push(
      `Shards ${missing.map((i) => `${i}/${count}`).join(", ") || "of different counts"} are missing; the merged sweep is incomplete`,
    );
    return distinct;
  }
  const { shard: _shard, ...rest } = distinct[0]!;
  return [
    {
      ...rest,
      ...(typeof rest.command === "string" ? { command: withoutShard(rest.command) } : {}),
    } as RunRecord,
  ];
}

/**
 * Merges whole run outputs (shards, resumed runs): meta records into one when they describe the
 * shards of one sweep, each case once with the timeline it wrote, every other record (bench and
 * micro-benchmark samples, mutants, unknown kinds) once, and a summary recomputed from the cases.
 * The result reads, in every report, exactly as the unsharded run does.
 */
export function mergeRuns(inputs: readonly (readonly RunRecord[])[]): MergedRuns {
  const metas: RunRecord[] = [];
  const others = new Map<string, RunRecord>();
  const perInput: CaseEntry[][] = [];
  let interrupted = false;
  for (const records of inputs) {
    const entries: CaseEntry[] = [];
    let timeline: RunRecord[] = [];
    let sawSummary = false;
    for (const record of records) {
      if (record.type === "meta") metas.push(record);
      else if (record.type === "summary") {
        sawSummary = true;
        if (record.interrupted === true) interrupted = true;
      } else if (TIMELINE_TYPES.has(record.type)) timeline.push(record);
      else if (record.type === "case") {
        entries.push({ record: record as unknown as CaseRecord, timeline });
        timeline = [];
      } else {
        const text = JSON.stringify(record);
        if (!others.has(text)) others.set(text, record);
      }
    }
    // Timeline records after the last case (a case cut short) have no case to belong to.
    const hasCases = records.some((r) => r.type === "case");
    if (hasCases && !sawSummary) interrupted = true;
    perInput.push(entries);
  }
  const warnings: string[] = [];
  const { entries, conflicts } = mergeEntries(perInput);
  const records = entries.map((e) => e.record);
  const summary = summaryOf(records, interrupted);
  const lines: object[] = [
    ...mergeMeta(metas, warnings),
    ...entries.flatMap((e) => [...e.timeline, e.record]),
    ...others.values(),
    ...(records.length > 0 || inputs.some((r) => r.some((x) => x.type === "summary")) ? [summary] : []),
  ];
  return { records, summary, conflicts, lines, warnings };
}
