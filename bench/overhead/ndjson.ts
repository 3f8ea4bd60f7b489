/**
 * Writes an overhead run as NDJSON: one `meta` record (provenance, with the command that
 * reproduces the file) followed by one `bench` record per sample, as reports/RECORDS.md specifies.
 */

import os from "node:os";
import { writeFileAtomic } from "../../reports/atomic-file.js";
import { RECORD_SCHEMA_VERSION } from "../../reports/records.js";
import { configByName } from "./layouts.js";
import { describeBuiltinProfile } from "./plan.js";
import type { OverheadRecord } from "./run.js";

/** Options of {@link overheadNdjson}. */
export interface OverheadNdjsonOptions {
  /** The command line that reproduces the records, e.g. "lvmlab bench overhead --quick". */
  readonly command: string;
  /** First seed of the run, for the meta record. */
  readonly seed?: number;
}

/** The profile definitions and config meanings of the records, for the meta record. */
function definitions(records: readonly OverheadRecord[]): {
  profiles: Record<string, string>;
  configs: Record<string, string>;
} {
  const profiles: Record<string, string> = {};
  const configs: Record<string, string> = {};
  for (const r of records) {
    profiles[r.profile] ??= describeBuiltinProfile(r.profile);
    configs[r.config] ??= configByName(r.config).description;
  }
  return { profiles, configs };
}

/** The meta record of an overhead run; machine facts are there because `cpuNsPerOp` is measured. */
export function overheadMeta(
  options: OverheadNdjsonOptions,
  records: readonly OverheadRecord[] = [],
): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    type: "meta",
    schema: RECORD_SCHEMA_VERSION,
    tool: "lvmlab",
    command: options.command,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    node: process.version,
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    ...definitions(records),
  };
}

/** The NDJSON text of a run: meta first, then the records in run order; ends with a newline. */
export function overheadNdjson(records: readonly OverheadRecord[], options: OverheadNdjsonOptions): string {
  const lines = [JSON.stringify(overheadMeta(options, records)), ...records.map((r) => JSON.stringify(r))];
  return `${lines.join("\n")}\n`;
}

/** Write the run to `path` (replaced atomically); throws naming the file when it cannot be written. */
export function writeOverheadNdjson(
  path: string,
  records: readonly OverheadRecord[],
  options: OverheadNdjsonOptions,
): void {
  try {
    writeFileAtomic(path, overheadNdjson(records, options));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot write overhead records to ${path}: ${reason}; check that the directory exists`);
  }
}
