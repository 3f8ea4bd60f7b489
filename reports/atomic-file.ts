import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * The temporary file an output is written to before it replaces `path`: hidden, beside the target
 * (so the rename stays on one file system and is atomic), and unique to this process.
 */
export function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
}

/**
 * Writes `text` to `path` all or nothing: into a temporary file beside it, flushed, then renamed
 * over the target. A run that fails half way (or a full disk) leaves the earlier file untouched.
 */
export function writeFileAtomic(path: string, text: string): void {
  const temporary = temporaryPathFor(path);
  try {
    const fd = openSync(temporary, "w");
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
