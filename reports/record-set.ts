/** Records grouped by type, in file order, as every renderer consumes them. */
import type {
  BenchRecord,
  CaseRecord,
  CoverageRecord,
  FaultRecord,
  LvmlabRecord,
  MetaRecord,
  MicrobenchRecord,
  MutantRecord,
  ProgressRecord,
  SummaryRecord,
} from "./records.js";

/** A record whose `type` this reader does not know; kept so newer writers do not break older readers. */
export interface UnknownRecord {
  readonly type: string;
  readonly source: string;
  readonly line: number;
  readonly value: Readonly<Record<string, unknown>>;
}

/** All records read from one or more NDJSON files, grouped by type, plus reader warnings. */
export interface RecordSet {
  readonly meta: MetaRecord[];
  readonly cases: CaseRecord[];
  readonly summaries: SummaryRecord[];
  readonly bench: BenchRecord[];
  readonly microbench: MicrobenchRecord[];
  readonly mutants: MutantRecord[];
  readonly progress: ProgressRecord[];
  readonly faults: FaultRecord[];
  readonly coverage: CoverageRecord[];
  readonly unknown: UnknownRecord[];
  /** Human-readable warnings ("file:line: …"); reports show them, they never fail a run. */
  readonly warnings: string[];
}

/** An empty record set. */
export function emptyRecordSet(): RecordSet {
  return {
    meta: [],
    cases: [],
    summaries: [],
    bench: [],
    microbench: [],
    mutants: [],
    progress: [],
    faults: [],
    coverage: [],
    unknown: [],
    warnings: [],
  };
}

/** Appends one parsed record to the set under its type. */
export function addRecord(set: RecordSet, record: LvmlabRecord): void {
  switch (record.type) {
    case "meta":
      set.meta.push(record);
      return;
    case "case":
      set.cases.push(record);
      return;
    case "summary":
      set.summaries.push(record);
      return;
    case "bench":
      set.bench.push(record);
      return;
    case "microbench":
      set.microbench.push(record);
      return;
    case "mutant":
      set.mutants.push(record);
      return;
    case "progress":
      set.progress.push(record);
      return;
    case "fault":
      set.faults.push(record);
      return;
    case "coverage":
      set.coverage.push(record);
      return;
  }
}

function appendAll<T>(target: T[], source: readonly T[]): void {
  // A loop, not push(...source): spreading millions of records as arguments overflows the stack.
  for (const item of source) target.push(item);
}

/** Concatenates record sets (e.g. the shards of one sweep) in the order given. */
export function mergeRecordSets(sets: readonly RecordSet[]): RecordSet {
  if (sets.length === 1) return sets[0]!;
  const merged = emptyRecordSet();
  for (const set of sets) {
    appendAll(merged.meta, set.meta);
    appendAll(merged.cases, set.cases);
    appendAll(merged.summaries, set.summaries);
    appendAll(merged.bench, set.bench);
    appendAll(merged.microbench, set.microbench);
    appendAll(merged.mutants, set.mutants);
    appendAll(merged.progress, set.progress);
    appendAll(merged.faults, set.faults);
    appendAll(merged.coverage, set.coverage);
    appendAll(merged.unknown, set.unknown);
    appendAll(merged.warnings, set.warnings);
  }
  return merged;
}
