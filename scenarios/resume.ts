/**
 * Reading an earlier sweep's NDJSON for `--resume`: which cases it already recorded, and which of
 * its lines to keep. A killed writer may leave a torn last line, and a stopped sweep leaves a
 * summary and possibly the timeline of a case whose record never came; those are dropped so the
 * resumed file reads as one sweep.
 */
import { existsSync, readFileSync } from "node:fs";
import type { CaseRecord } from "./records.js";

/** What `--resume` keeps of an earlier output. */
export interface ResumeState {
  /** Whole lines to write before the new records (ends with a newline, or is empty). */
  readonly keptText: string;
  /** The case records kept, in file order. */
  readonly records: readonly CaseRecord[];
  /** Lines dropped: a torn or invalid line, an old summary, a timeline without its case. */
  readonly droppedLines: number;
}

function parseLine(line: string): { type?: unknown } | undefined {
  try {
    const value = JSON.parse(line) as unknown;
    return value !== null && typeof value === "object" ? (value as { type?: unknown }) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Keeps every line up to the last complete case record (plus leading meta records when there is
 * none yet) and drops the rest: lines after it belong to a case that did not finish or to the old
 * summary, and rerunning that case writes them again.
 */
export function readResumeState(path: string): ResumeState {
  if (!existsSync(path)) return { keptText: "", records: [], droppedLines: 0 };
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  // The text after the last newline is a torn line (or nothing).
  const whole = lines.slice(0, -1);
  let dropped = lines.at(-1) === "" ? 0 : 1;
  const kept: string[] = [];
  const records: CaseRecord[] = [];
  let keepThrough = -1;
  whole.forEach((line, index) => {
    if (line.trim() === "") return;
    const record = parseLine(line);
    if (record === undefined) return;
    if (record.type === "case" && typeof (record as Partial<CaseRecord>).key === "string") {
      keepThrough = index;
    }
  });
  whole.forEach((line, index) => {
    if (line.trim() === "") return;
    const record = parseLine(line);
    const leadingMeta = keepThrough < 0 && record?.type === "meta";
    if (record === undefined || !(index <= keepThrough || leadingMeta) || record.type === "summary") {
      dropped += 1;
      return;
    }
    kept.push(line);
    if (record.type === "case") records.push(record as CaseRecord);
  });
  return { keptText: kept.map((l) => `${l}\n`).join(""), records, droppedLines: dropped };
}
