import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { expandInputPaths } from "../../reports/input-paths.js";
import {
  isRecordInputError,
  parseRecords,
  type RecordInputError,
  readRecordFiles,
  readRecords,
} from "../../reports/read-records.js";
import { benchRecord, caseRecord, fixture, ndjson } from "./helpers.js";

function errorOf(run: () => unknown): RecordInputError {
  try {
    run();
  } catch (error) {
    if (isRecordInputError(error)) return error;
    throw error;
  }
  throw new Error("Expected a RecordInputError, but nothing was thrown");
}

async function asyncErrorOf(run: () => Promise<unknown>): Promise<RecordInputError> {
  try {
    await run();
  } catch (error) {
    if (isRecordInputError(error)) return error;
    throw error;
  }
  throw new Error("Expected a RecordInputError, but nothing was thrown");
}

describe("readRecords", () => {
  it("streams the fixture file and groups every record type", async () => {
    const set = await readRecords(fixture("results.ndjson"));
    expect(set.meta).toHaveLength(1);
    expect(set.cases).toHaveLength(6);
    expect(set.summaries).toHaveLength(1);
    expect(set.bench).toHaveLength(18);
    expect(set.microbench).toHaveLength(4);
    expect(set.mutants).toHaveLength(3);
    expect(set.progress).toHaveLength(20);
    expect(set.faults).toHaveLength(3);
    expect(set.unknown.map((u) => u.type)).toEqual(["future-record"]);
  });

  it("keeps unknown record types with one warning per type, naming file and line", () => {
    const text = ndjson([caseRecord(), { type: "shiny", a: 1 }, { type: "shiny", a: 2 }]);
    const set = parseRecords(text, { source: "new.ndjson" });
    expect(set.cases).toHaveLength(1);
    expect(set.unknown).toHaveLength(2);
    expect(set.warnings).toEqual([
      'new.ndjson:2: unknown record type "shiny" ignored (written by a newer lvmlab?)',
    ]);
  });

  it("keeps extra fields of known records, so newer writers can add fields", () => {
    const set = parseRecords(ndjson([caseRecord({ shrunkFrom: 17 })]));
    expect(set.cases[0]?.shrunkFrom).toBe(17);
  });

  it("fills defaults for optional lists and repetition", () => {
    const { faults: _faults, ...withoutFaults } = caseRecord();
    const { seed: _seed, repetition: _rep, ...bare } = benchRecord();
    const set = parseRecords(ndjson([withoutFaults, bare]));
    expect(set.cases[0]?.faults).toEqual([]);
    expect(set.bench[0]?.seed).toBe(0);
    expect(set.bench[0]?.repetition).toBe(0);
  });

  it("tolerates blank lines, CRLF line ends and a byte-order mark", () => {
    const text = `\uFEFF${JSON.stringify(caseRecord())}\r\n\r\n${JSON.stringify(caseRecord({ seed: 2 }))}\r\n`;
    expect(parseRecords(text).cases.map((c) => c.seed)).toEqual([1, 2]);
  });

  it("names file, line and field of a wrong-typed field", () => {
    const bad = caseRecord({ verify: { ...(caseRecord().verify as object), lost: "two" } });
    const error = errorOf(() => parseRecords(ndjson([caseRecord(), bad]), { source: "run.ndjson" }));
    expect(error.source).toBe("run.ndjson");
    expect(error.line).toBe(2);
    expect(error.field).toBe("verify.lost");
    expect(error.message).toMatch(/^run\.ndjson:2: case record, field "verify\.lost": .*expected number/);
    expect(error.message).not.toMatch(/\.$/);
  });

  it("names array indexes in field paths", () => {
    const bad = caseRecord({ faults: [{ kind: "power-cut" }, { kind: 3 }] });
    const error = errorOf(() => parseRecords(ndjson([bad]), { source: "f" }));
    expect(error.field).toBe("faults[1].kind");
  });

  it("rejects invalid JSON, non-objects and records without a type", () => {
    expect(errorOf(() => parseRecords('{"type":"case",', { source: "x" })).message).toMatch(
      /^x:1: not valid JSON/,
    );
    expect(errorOf(() => parseRecords("[1,2]\n", { source: "x" })).message).toMatch(/found an array/);
    const noType = errorOf(() => parseRecords('\n{"scenario":"a"}\n', { source: "x" }));
    expect(noType.line).toBe(2);
    expect(noType.field).toBe("type");
  });

  it("rejects out-of-range values: negative seeds, percent over 100, bad status", () => {
    expect(errorOf(() => parseRecords(ndjson([caseRecord({ seed: -1 })]))).field).toBe("seed");
    expect(errorOf(() => parseRecords(ndjson([caseRecord({ status: "ok" })]))).field).toBe("status");
    const progress = { type: "progress", scenario: "s", seed: 1, kind: "pvmove", tNs: 0, percent: 101 };
    expect(errorOf(() => parseRecords(ndjson([progress]))).field).toBe("percent");
  });

  it("reports a missing file as one clear line", async () => {
    const error = await asyncErrorOf(() => readRecords("/nonexistent/results.ndjson"));
    expect(error.message).toBe(
      "Cannot read /nonexistent/results.ndjson: no such file; pass an NDJSON file written by lvmlab",
    );
  });

  it("reports a bad line inside a streamed file with its line number", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lvmlab-records-"));
    const path = join(dir, "bad.ndjson");
    writeFileSync(path, ndjson([caseRecord(), caseRecord(), benchRecord({ iops: -5 })]));
    const error = await asyncErrorOf(() => readRecords(path));
    expect(error.message.startsWith(`${path}:3: bench record, field "iops"`)).toBe(true);
  });

  it("merges shard files in argument order and expands directories to sorted *.ndjson", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lvmlab-shards-"));
    writeFileSync(join(dir, "shard-2.ndjson"), ndjson([caseRecord({ seed: 2 })]));
    writeFileSync(join(dir, "shard-1.ndjson"), ndjson([caseRecord({ seed: 1 })]));
    writeFileSync(join(dir, "notes.txt"), "not a shard");
    const files = expandInputPaths([dir]);
    expect(files).toEqual([join(dir, "shard-1.ndjson"), join(dir, "shard-2.ndjson")]);
    const set = await readRecordFiles(files);
    expect(set.cases.map((c) => c.seed)).toEqual([1, 2]);
    expect(() => expandInputPaths([join(dir, "missing")])).toThrow(/no such file or directory/);
    const empty = mkdtempSync(join(tmpdir(), "lvmlab-empty-"));
    expect(() => expandInputPaths([empty])).toThrow(/holds no \*\.ndjson files/);
  });

  it('reads standard input for the path "-"', async () => {
    const original = Object.getOwnPropertyDescriptor(process, "stdin")!;
    const fake = Readable.from([ndjson([caseRecord({ seed: 7 })])]) as Readable & {
      setEncoding: Readable["setEncoding"];
    };
    Object.defineProperty(process, "stdin", { value: fake, configurable: true });
    try {
      const set = await readRecords("-");
      expect(set.cases.map((c) => c.seed)).toEqual([7]);
      expect(expandInputPaths(["-"])).toEqual(["-"]);
    } finally {
      Object.defineProperty(process, "stdin", original);
    }
  });

  it("accepts text in memory through readRecords", async () => {
    const set = await readRecords({ text: ndjson([caseRecord()]), source: "mem" });
    expect(set.cases).toHaveLength(1);
  });

  it("parses the example in reports/RECORDS.md, so the documentation stays valid", () => {
    const doc = readFileSync(join("reports", "RECORDS.md"), "utf8");
    const example = /## Example\n\n```\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    const set = parseRecords(example!, { source: "RECORDS.md" });
    expect(set.warnings).toEqual([]);
    expect([
      set.meta.length,
      set.cases.length,
      set.progress.length,
      set.faults.length,
      set.bench.length,
    ]).toEqual([1, 1, 1, 1, 1]);
  });
});
