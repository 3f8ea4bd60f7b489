import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { temporaryPathFor, writeFileAtomic } from "../../reports/atomic-file.js";

describe("writeFileAtomic", () => {
  it("replaces the file whole and leaves no temporary file, also when the write fails", () => {
    const dir = mkdtempSync(join(tmpdir(), "lvmlab-atomic-"));
    const path = join(dir, "report.md");
    writeFileSync(path, "old");
    writeFileAtomic(path, "new");
    expect(readFileSync(path, "utf8")).toBe("new");
    expect(temporaryPathFor(path)).toBe(join(dir, `.report.md.${process.pid}.tmp`));
    // The target is a directory: the rename fails, the temporary file is removed, the error says why.
    const folder = join(dir, "folder");
    mkdirSync(join(folder, "x"), { recursive: true });
    expect(() => writeFileAtomic(folder, "text")).toThrow();
    expect(readdirSync(dir).sort()).toEqual(["folder", "report.md"]);
  });
});
