import { parseCaseKey } from "./case.js";
import type { CaseRecord, SummaryRecord } from "./records.js";

/** Merged shard outputs: every case once, in a stable order, with recomputed totals. */
export interface MergeResult {
  readonly records: readonly CaseRecord[];
  readonly summary: SummaryRecord;
  /** Keys that appeared in more than one input with different results. */
  readonly conflicts: readonly string[];
}

function sortKey(record: CaseRecord): [string, number, number] {
  const spec = parseCaseKey(record.key);
  return [spec.scenario, spec.seed, spec.crashPoint?.index ?? 0];
}

/**
 * Merges the case records of several shard (or resumed) outputs. A case present twice with the
 * same status is kept once; with different statuses it is a conflict (a nondeterminism bug) and
 * the failing record wins so that it cannot be hidden.
 */
export function mergeCaseRecords(inputs: readonly (readonly CaseRecord[])[]): MergeResult {
  const byKey = new Map<string, CaseRecord>();
  const conflicts: string[] = [];
  for (const records of inputs) {
    for (const record of records) {
      const existing = byKey.get(record.key);
      if (existing === undefined) {
        byKey.set(record.key, record);
      } else if (JSON.stringify(existing) !== JSON.stringify(record)) {
        conflicts.push(record.key);
        if (record.status === "fail") byKey.set(record.key, record);
      }
    }
  }
  const records = [...byKey.values()].sort((a, b) => {
    const [sa, ea, ca] = sortKey(a);
    const [sb, eb, cb] = sortKey(b);
    return sa < sb ? -1 : sa > sb ? 1 : ea - eb || ca - cb;
  });
  const passed = records.filter((r) => r.status === "pass").length;
  return {
    records,
    summary: {
      type: "summary",
      cases: records.length,
      passed,
      failed: records.length - passed,
      interrupted: false,
      shard: null,
    },
    conflicts: [...new Set(conflicts)],
  };
}
