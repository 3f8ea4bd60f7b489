/**
 * NDJSON reader for lvmlab records: streams files line by line, validates each line against the
 * schema, and fails with the file, line and field that is wrong.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { z } from "zod";
import {
  addRecord,
  emptyRecordSet,
  mergeRecordSets,
  type RecordSet,
  type UnknownRecord,
} from "./record-set.js";
import { KNOWN_RECORD_TYPES, type LvmlabRecord, RecordSchema } from "./records.js";
import { REHEARSAL_RECORD_TYPES } from "./rehearse.js";

/** Longest accepted line; a longer one is a corrupt or hostile file, not a record. */
export const MAX_LINE_CHARS = 1 << 20;
/** Most records accepted from one file, so a runaway writer cannot exhaust memory. */
export const MAX_RECORDS_PER_FILE = 5_000_000;

/** Bad or unreadable record input; `source:line` and the zod field path say where. */
export class RecordInputError extends Error {
  override readonly name = "RecordInputError";
  constructor(
    message: string,
    readonly source: string,
    readonly line: number | undefined,
    readonly field: string | undefined,
  ) {
    super(message);
  }
}

/** True for a RecordInputError (also across module copies). */
export function isRecordInputError(error: unknown): error is RecordInputError {
  return error instanceof Error && error.name === "RecordInputError";
}

/** Where a line came from, for error messages. */
export interface LineOrigin {
  readonly source: string;
  readonly line: number;
}

function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(record)" : out;
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): { field: string; text: string } {
  const first = issues[0];
  if (first === undefined) return { field: "(record)", text: "invalid record" };
  const field = fieldPath(first.path);
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problems)` : "";
  return { field, text: `field "${field}": ${first.message}${more}` };
}

/**
 * Parses one NDJSON line; returns null for a blank line, an UnknownRecord for a type this reader
 * does not know, and throws RecordInputError for anything malformed.
 */
export function parseRecordLine(text: string, origin: LineOrigin): LvmlabRecord | UnknownRecord | null {
  const where = `${origin.source}:${origin.line}`;
  const trimmed = text.trim();
  if (trimmed === "") return null;
  if (trimmed.length > MAX_LINE_CHARS) {
    throw new RecordInputError(
      `${where}: line is ${trimmed.length} characters, over the ${MAX_LINE_CHARS} limit; the file is not lvmlab NDJSON`,
      origin.source,
      origin.line,
      undefined,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new RecordInputError(
      `${where}: not valid JSON (${reason}); each line must hold one JSON object`,
      origin.source,
      origin.line,
      undefined,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RecordInputError(
      `${where}: expected a JSON object, found ${Array.isArray(value) ? "an array" : typeof value}; each line must hold one record object`,
      origin.source,
      origin.line,
      undefined,
    );
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string" || type === "") {
    throw new RecordInputError(
      `${where}: field "type": missing or not a string; every record needs a type such as ${[...KNOWN_RECORD_TYPES].join(", ")}`,
      origin.source,
      origin.line,
      "type",
    );
  }
  if (!KNOWN_RECORD_TYPES.has(type)) {
    return { type, source: origin.source, line: origin.line, value: value as Record<string, unknown> };
  }
  const parsed = RecordSchema.safeParse(value);
  if (!parsed.success) {
    const { field, text: detail } = describeIssues(parsed.error.issues);
    throw new RecordInputError(
      `${where}: ${type} record, ${detail}; fix the writer or remove that line`,
      origin.source,
      origin.line,
      field,
    );
  }
  return parsed.data;
}

function isUnknown(record: LvmlabRecord | UnknownRecord): record is UnknownRecord {
  return "value" in record && "source" in record && !KNOWN_RECORD_TYPES.has(record.type);
}

/** Accumulates lines into a record set, warning once per unknown type per source. */
class RecordCollector {
  readonly set = emptyRecordSet();
  private lineCount = 0;
  private recordCount = 0;
  private readonly warnedTypes = new Set<string>();

  constructor(private readonly source: string) {}

  add(text: string): void {
    this.lineCount += 1;
    const line = this.lineCount;
    const record = parseRecordLine(line === 1 ? text.replace(/^\uFEFF/, "") : text, {
      source: this.source,
      line,
    });
    if (record === null) return;
    this.recordCount += 1;
    if (this.recordCount > MAX_RECORDS_PER_FILE) {
      throw new RecordInputError(
        `${this.source}:${line}: more than ${MAX_RECORDS_PER_FILE} records; split the file into shards`,
        this.source,
        line,
        undefined,
      );
    }
    if (isUnknown(record)) {
      this.set.unknown.push(record);
      // A rehearsal's own record types are known; only its report renders them.
      if (!this.warnedTypes.has(record.type) && !REHEARSAL_RECORD_TYPES.has(record.type)) {
        this.warnedTypes.add(record.type);
        this.set.warnings.push(
          `${this.source}:${line}: unknown record type "${record.type}" ignored (written by a newer lvmlab?)`,
        );
      }
      return;
    }
    addRecord(this.set, record);
  }
}

/** Parses NDJSON text held in memory; `source` names it in errors (default "<input>"). */
export function parseRecords(text: string, options: { source?: string } = {}): RecordSet {
  const collector = new RecordCollector(options.source ?? "<input>");
  for (const line of text.split("\n")) collector.add(line);
  return collector.set;
}

function describeFsError(error: unknown, path: string): RecordInputError {
  const code = (error as { code?: unknown }).code;
  const reason =
    code === "ENOENT"
      ? "no such file"
      : code === "EISDIR"
        ? "it is a directory"
        : code === "EACCES"
          ? "permission denied"
          : error instanceof Error
            ? error.message
            : String(error);
  return new RecordInputError(
    `Cannot read ${path}: ${reason}; pass an NDJSON file written by lvmlab`,
    path,
    undefined,
    undefined,
  );
}

/** The path that means standard input, as in most Unix tools. */
export const STDIN_PATH = "-";

/**
 * Reads records from a file path (streamed line by line; "-" is standard input) or from `{text}`
 * in memory, and groups them by type. Throws RecordInputError naming file, line and field.
 */
export async function readRecords(input: string | { text: string; source?: string }): Promise<RecordSet> {
  if (typeof input !== "string") return parseRecords(input.text, { source: input.source ?? "<input>" });
  const fromStdin = input === STDIN_PATH;
  const collector = new RecordCollector(fromStdin ? "<stdin>" : input);
  const stream = fromStdin
    ? process.stdin.setEncoding("utf8")
    : createReadStream(input, { encoding: "utf8" });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) collector.add(line);
  } catch (error) {
    if (isRecordInputError(error)) throw error;
    throw describeFsError(error, input);
  } finally {
    lines.close();
    if (!fromStdin) stream.destroy();
  }
  return collector.set;
}

/** Reads several NDJSON files (e.g. shard outputs) and concatenates their records in argument order. */
export async function readRecordFiles(paths: readonly string[]): Promise<RecordSet> {
  const sets: RecordSet[] = [];
  for (const path of paths) sets.push(await readRecords(path));
  return mergeRecordSets(sets);
}
