/** The words every renderer uses for a case: its label, damage counts and verdict. */
import type { CaseRecord, VerifyCounts } from "./records.js";

/** Damage classes of the verify oracle, in severity order (ok is not damage). */
export const DAMAGE_CLASSES = ["lost", "stale", "torn", "misdirected", "corrupt", "unreadable"] as const;

/** "seed N" plus the crash point when there is one: the JUnit test name and table label. */
export function caseLabel(record: Pick<CaseRecord, "seed" | "crashPoint">): string {
  return record.crashPoint ? `seed ${record.seed} ${record.crashPoint}` : `seed ${record.seed}`;
}

/** Non-zero damage counts, e.g. "lost 2, torn 1", or "no damage" (the ok count is given separately). */
export function damageSummary(verify: VerifyCounts): string {
  const parts = DAMAGE_CLASSES.filter((k) => verify[k] > 0).map((k) => `${k} ${verify[k]}`);
  return parts.length === 0 ? "no damage" : parts.join(", ");
}

/** The case's verdict line: the writer's own when given, else one derived from the status. */
export function caseVerdict(record: Pick<CaseRecord, "status" | "verdict">): string {
  if (record.verdict !== undefined && record.verdict !== "") return record.verdict;
  return record.status === "pass" ? "passed" : "verification failed";
}

/** Fault kinds of a case, e.g. "power-cut, pv-loss", or "none". */
export function faultSummary(record: Pick<CaseRecord, "faults">): string {
  return record.faults.length === 0 ? "none" : record.faults.map((f) => f.kind).join(", ");
}
