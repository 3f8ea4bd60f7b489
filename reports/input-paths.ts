/** Expands report inputs: a file stays itself, a directory means every *.ndjson file in it. */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { RecordInputError, STDIN_PATH } from "./read-records.js";

/** Most shard files taken from one directory, so a wrong directory cannot open thousands of files. */
export const MAX_FILES_PER_DIRECTORY = 10_000;

/**
 * Returns the NDJSON files named by `paths`, in argument order; a directory contributes its
 * *.ndjson files sorted by name, and "-" (standard input) passes through. Throws RecordInputError for a missing path or an empty directory.
 */
export function expandInputPaths(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (path === STDIN_PATH) {
      files.push(path);
      continue;
    }
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      throw new RecordInputError(
        `Cannot read ${path}: no such file or directory; pass NDJSON files written by lvmlab`,
        path,
        undefined,
        undefined,
      );
    }
    if (!isDirectory) {
      files.push(path);
      continue;
    }
    const names = readdirSync(path)
      .filter((name) => name.endsWith(".ndjson"))
      .sort();
    if (names.length === 0) {
      throw new RecordInputError(
        `Directory ${path} holds no *.ndjson files; pass the directory the shards were written to`,
        path,
        undefined,
        undefined,
      );
    }
    if (names.length > MAX_FILES_PER_DIRECTORY) {
      throw new RecordInputError(
        `Directory ${path} holds ${names.length} *.ndjson files, over the ${MAX_FILES_PER_DIRECTORY} limit; merge shards first`,
        path,
        undefined,
        undefined,
      );
    }
    for (const name of names) files.push(join(path, name));
  }
  return files;
}
