import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readResumeState } from "../../scenarios/resume.js";

const dir = mkdtempSync(join(tmpdir(), "lvmlab-resume-"));
const line = (record: object) => `${JSON.stringify(record)}\n`;

describe("readResumeState", () => {
  it("keeps whole lines through the last case and drops a torn line, the summary and an orphan timeline", () => {
    const path = join(dir, "a.ndjson");
    const meta = line({ type: "meta", command: "lvmlab run x" });
    const progress = line({ type: "progress", scenario: "x", seed: 1, kind: "pvmove", tNs: 1, percent: 5 });
    const case1 = line({ type: "case", key: "x@1", status: "pass" });
    const orphan = line({ type: "progress", scenario: "x", seed: 2, kind: "pvmove", tNs: 1, percent: 5 });
    const summary = line({ type: "summary", cases: 1 });
    writeFileSync(path, `${meta}${progress}${case1}${summary}${orphan}{"type":"ca`);
    const state = readResumeState(path);
    expect(state.keptText).toBe(`${meta}${progress}${case1}`);
    expect(state.records.map((r) => r.key)).toEqual(["x@1"]);
    expect(state.droppedLines).toBe(3);
  });

  it("keeps only the meta record of a file with no case yet, and nothing of a missing file", () => {
    const path = join(dir, "b.ndjson");
    writeFileSync(path, `${line({ type: "meta" })}{"type":"progress"`);
    expect(readResumeState(path)).toEqual({ keptText: line({ type: "meta" }), records: [], droppedLines: 1 });
    expect(readResumeState(join(dir, "none.ndjson"))).toEqual({ keptText: "", records: [], droppedLines: 0 });
  });
});
