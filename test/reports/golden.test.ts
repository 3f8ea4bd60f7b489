import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compareRecordSets } from "../../reports/compare.js";
import {
  renderCompareJson,
  renderCompareMarkdown,
  renderCompareTerminal,
} from "../../reports/compare-render.js";
import { renderHtml } from "../../reports/html.js";
import { renderJson } from "../../reports/json.js";
import { renderJunit } from "../../reports/junit.js";
import { renderMarkdown } from "../../reports/markdown.js";
import { parseRecords, readRecords } from "../../reports/read-records.js";
import { summarizeRecords } from "../../reports/summarize.js";
import { renderTerminal } from "../../reports/terminal.js";
import { expectGolden, fixture } from "./helpers.js";

// Relative paths keep the golden files free of this checkout's location (warnings name the file).
const RESULTS = fixture("results.ndjson");
const HEAD = fixture("head.ndjson");

async function model() {
  return summarizeRecords(await readRecords(RESULTS));
}

describe("renderers on the fixed fixture (golden files, byte for byte)", () => {
  it("terminal summary", async () => {
    expectGolden(renderTerminal(await model()), "results.golden.txt");
  });

  it("terminal summary in colour", async () => {
    expectGolden(renderTerminal(await model(), { color: true }), "results.color.golden.txt");
  });

  it("Markdown", async () => {
    expectGolden(renderMarkdown(await model()), "results.golden.md");
  });

  it("HTML", async () => {
    expectGolden(renderHtml(await model()), "results.golden.html");
  });

  it("JUnit XML", async () => {
    expectGolden(renderJunit(await model(), { timestamp: "1970-01-01T00:00:00" }), "results.golden.xml");
  });

  it("JSON", async () => {
    expectGolden(renderJson(await model()), "results.golden.json");
  });

  it("compare: terminal, Markdown and JSON", async () => {
    const result = compareRecordSets(await readRecords(RESULTS), await readRecords(HEAD));
    expectGolden(renderCompareTerminal(result), "compare.golden.txt");
    expectGolden(renderCompareMarkdown(result), "compare.golden.md");
    expectGolden(renderCompareJson(result), "compare.golden.json");
  });
});

describe("determinism", () => {
  it("renders the same bytes twice", async () => {
    const a = await model();
    const b = await model();
    expect(renderHtml(b)).toBe(renderHtml(a));
    expect(renderMarkdown(b)).toBe(renderMarkdown(a));
  });

  it("does not depend on the order shards were concatenated in", () => {
    const lines = readFileSync(RESULTS, "utf8")
      .split("\n")
      .filter((l) => l !== "" && !l.includes("future-record"));
    const forward = parseRecords(`${lines.join("\n")}\n`, { source: "x" });
    const backward = parseRecords(`${[...lines].reverse().join("\n")}\n`, { source: "x" });
    const a = summarizeRecords(forward);
    const b = summarizeRecords(backward);
    expect(renderHtml(b)).toBe(renderHtml(a));
    expect(renderJunit(b)).toBe(renderJunit(a));
    expect(renderJson(b)).toBe(renderJson(a));
  });

  it("plain output has no ANSI escapes; colour output has them", async () => {
    const m = await model();
    expect(renderTerminal(m)).not.toContain("\u001b[");
    expect(renderTerminal(m, { color: true })).toContain("\u001b[31m");
  });
});
