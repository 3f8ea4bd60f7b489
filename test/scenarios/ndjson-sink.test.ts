import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NdjsonSink } from "../../scenarios/ndjson-sink.js";

describe("NdjsonSink", () => {
  it("replaces the target only when it closes, and never when the run is discarded", () => {
    const dir = mkdtempSync(join(tmpdir(), "lvmlab-sink-"));
    const path = join(dir, "out.ndjson");
    writeFileSync(path, "earlier\n");
    const sink = NdjsonSink.open(path, { initialText: '{"type":"meta"}\n' });
    sink.write({ type: "case", key: "a@1" });
    expect(readFileSync(path, "utf8")).toBe("earlier\n");
    sink.close();
    expect(readFileSync(path, "utf8")).toBe('{"type":"meta"}\n{"type":"case","key":"a@1"}\n');
    const failed = NdjsonSink.open(path);
    failed.write({ type: "case", key: "b@1" });
    failed.discard();
    expect(readFileSync(path, "utf8")).toContain("a@1");
    expect(readdirSync(dir)).toEqual(["out.ndjson"]);
    expect(() => failed.write({})).toThrow(/closed/);
    expect(existsSync(path)).toBe(true);
  });
});
