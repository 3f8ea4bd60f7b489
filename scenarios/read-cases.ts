import { createReadStream } from "node:fs";
import ndjson from "ndjson";

/** A shard file that cannot be merged; names the file and the line. */
export class CaseFileError extends Error {
  override readonly name = "CaseFileError";
}

/** One record of a run's NDJSON, of any type. */
export interface RunRecord {
  readonly type: string;
  readonly [field: string]: unknown;
}

/**
 * Streams every record of one NDJSON file written by lvmlab, in file order (merge keeps all of
 * them: meta, case timelines, bench samples, …). A line that is not a JSON object with a string
 * `type`, or a case record without its `key`, is refused with the file and line.
 */
export function readRunRecords(path: string): Promise<RunRecord[]> {
  return new Promise((resolve, reject) => {
    const records: RunRecord[] = [];
    let line = 0;
    let failed = false;
    const fail = (message: string) => {
      failed = true;
      reject(new CaseFileError(`${path}:${line}: ${message}`));
    };
    const input = createReadStream(path);
    input.on("error", (error) => reject(new CaseFileError(`Cannot read ${path}: ${error.message}`)));
    input
      .pipe(ndjson.parse({ strict: true }))
      .on("data", (record: { type?: unknown; key?: unknown }) => {
        line += 1;
        if (failed) return;
        if (record === null || typeof record !== "object" || typeof record.type !== "string") {
          fail('not a record: expected a JSON object with a string "type"');
          return;
        }
        if (record.type === "case" && typeof record.key !== "string") {
          fail('case record without "key"; was it written by an older lvmlab?');
          return;
        }
        records.push(record as RunRecord);
      })
      .on("error", () => {
        line += 1;
        fail("not a JSON record; if the run was killed mid-line, delete that line and merge again");
      })
      .on("end", () => resolve(records));
  });
}
