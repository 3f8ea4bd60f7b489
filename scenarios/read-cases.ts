import { createReadStream } from "node:fs";
import ndjson from "ndjson";
import type { CaseRecord } from "./records.js";

/** A shard file that cannot be merged; names the file and the line. */
export class CaseFileError extends Error {
  override readonly name = "CaseFileError";
}

/**
 * Streams the case records of one NDJSON file written by `lvmlab run` (other record types are
 * skipped), so merging many large shards never holds more than the records themselves.
 */
export function readCaseRecords(path: string): Promise<CaseRecord[]> {
  return new Promise((resolve, reject) => {
    const records: CaseRecord[] = [];
    let line = 0;
    const fail = (message: string) => reject(new CaseFileError(`${path}:${line}: ${message}`));
    const input = createReadStream(path);
    input.on("error", (error) => reject(new CaseFileError(`Cannot read ${path}: ${error.message}`)));
    input
      .pipe(ndjson.parse({ strict: true }))
      .on("data", (record: { type?: unknown; key?: unknown }) => {
        line += 1;
        if (record === null || typeof record !== "object" || record.type !== "case") return;
        if (typeof record.key !== "string") {
          fail('case record without "key"; was it written by an older lvmlab?');
          return;
        }
        records.push(record as CaseRecord);
      })
      .on("error", () => {
        line += 1;
        fail("not a JSON record; if the run was killed mid-line, delete that line and merge again");
      })
      .on("end", () => resolve(records));
  });
}
