/** Writes every report format for one record set into a directory (what `npm start` calls). */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic-file.js";
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
 * report.json into `outDir` (created if missing) and returns their paths. Each file is replaced
 * atomically, so a failed render leaves the earlier report in place.
 */
export function writeAllReports(
  records: RecordSet,
  outDir: string,
  options: { readonly timestamp?: string } = {},
): WrittenReports {
  mkdirSync(outDir, { recursive: true });
  const model = summarizeRecords(records);
  const paths: WrittenReports = {
    summary: join(outDir, "summary.txt"),
    markdown: join(outDir, "report.md"),
    html: join(outDir, "report.html"),
    junit: join(outDir, "junit.xml"),
    json: join(outDir, "report.json"),
  };
  writeFileAtomic(paths.summary, renderTerminal(model, { color: false }));
  writeFileAtomic(paths.markdown, renderMarkdown(model));
  writeFileAtomic(paths.html, renderHtml(model));
  writeFileAtomic(paths.junit, renderJunit(model, options));
  writeFileAtomic(paths.json, renderJson(model));
  return paths;
}
