/** Writes every report format for one record set into a directory (what `npm start` calls). */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderHtml } from "./html.js";
import { renderJson } from "./json.js";
import { renderJunit } from "./junit.js";
import { renderMarkdown } from "./markdown.js";
import type { RecordSet } from "./record-set.js";
import { summarizeRecords } from "./summarize.js";
import { renderTerminal } from "./terminal.js";

/** Paths of the files writeAllReports wrote. */
export interface WrittenReports {
  readonly summary: string;
  readonly markdown: string;
  readonly html: string;
  readonly junit: string;
  readonly json: string;
}

/**
 * Renders summary.txt (plain terminal summary), report.md, report.html, junit.xml and
 * report.json into `outDir` (created if missing) and returns their paths.
 */
export function writeAllReports(records: RecordSet, outDir: string): WrittenReports {
  mkdirSync(outDir, { recursive: true });
  const model = summarizeRecords(records);
  const paths: WrittenReports = {
    summary: join(outDir, "summary.txt"),
    markdown: join(outDir, "report.md"),
    html: join(outDir, "report.html"),
    junit: join(outDir, "junit.xml"),
    json: join(outDir, "report.json"),
  };
  writeFileSync(paths.summary, renderTerminal(model, { color: false }));
  writeFileSync(paths.markdown, renderMarkdown(model));
  writeFileSync(paths.html, renderHtml(model));
  writeFileSync(paths.junit, renderJunit(model));
  writeFileSync(paths.json, renderJson(model));
  return paths;
}
