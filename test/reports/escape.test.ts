import { describe, expect, it } from "vitest";
import { escapeMarkdownCell, escapeXml, markdownCode, stripControl } from "../../reports/escape.js";
import { renderHtml } from "../../reports/html.js";
import { renderJunit } from "../../reports/junit.js";
import { renderMarkdown } from "../../reports/markdown.js";
import { parseRecords } from "../../reports/read-records.js";
import { summarizeRecords } from "../../reports/summarize.js";
import { renderTerminal } from "../../reports/terminal.js";
import { benchRecord, caseRecord, ndjson } from "./helpers.js";

const EVIL = `<script>alert("x")</script> & 'co' | ]]> \u001b[2J`;

function hostileRecords() {
  return parseRecords(
    ndjson([
      { type: "meta", tool: "lvmlab", version: "0.1.0", commit: "<b>c</b>", command: `lvmlab run ${EVIL}` },
      caseRecord({
        scenario: EVIL,
        status: "fail",
        crashPoint: "pvmove.checkpoint#1 <x>",
        verdict: `lost & found | ${EVIL}\nsecond line`,
        faults: [{ kind: `<svg onload=alert(1)>` }],
        replay: `lvmlab replay --scenario '${EVIL}' --seed 1`,
      }),
      benchRecord({ config: "<b>mirror</b>", workload: "a&b|c", profile: "ssd" }),
      benchRecord({ config: "linear", workload: "a&b|c", profile: "ssd" }),
      { type: "mutant", name: "<img src=x onerror=alert(1)>", caught: false, caughtBy: [] },
      { type: "progress", scenario: EVIL, seed: 1, kind: "pvmove", tNs: 0, percent: 0, lv: "<lv>" },
      { type: "progress", scenario: EVIL, seed: 1, kind: "pvmove", tNs: 1e6, percent: 50, lv: "<lv>" },
      { type: "fault", scenario: EVIL, seed: 1, kind: "power-cut & <boom>", tNs: 5e5, detail: '"quoted"' },
    ]),
    { source: "evil.ndjson" },
  );
}

const KNOWN_TAGS = new Set(
  (
    "html head body meta title style header h1 h2 h3 p code div span section table thead tbody tr th td ul li " +
    "figure svg rect line circle path text g testsuites testsuite testcase properties property failure"
  ).split(" "),
);

/**
 * A strict scanner for the markup we emit: every `<` must open a known tag with quoted attributes
 * and no event handlers, every `&` must start an entity, and tags must balance. Returns the problems.
 */
function markupProblems(markup: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const tag = /^<(\/?)([A-Za-z][\w-]*)((?:\s+[\w:-]+="[^"<>]*")*)\s*(\/?)>/;
  const attribute = /\s+([\w:-]+)="[^"<>]*"/g;
  for (let i = 0; i < markup.length; i++) {
    const ch = markup[i];
    if (ch === "&") {
      if (!/^&(amp|lt|gt|quot|#39);/.test(markup.slice(i, i + 6))) problems.push(`bare & at ${i}`);
      continue;
    }
    if (ch !== "<") continue;
    const rest = markup.slice(i, i + 4000);
    if (rest.startsWith("<?xml") || rest.startsWith("<!DOCTYPE")) continue;
    const match = tag.exec(rest);
    if (match === null) {
      problems.push(`unparsable < at ${i}: ${rest.slice(0, 40)}`);
      continue;
    }
    const [, closing, name = "", attrs = "", selfClosing] = match;
    if (!KNOWN_TAGS.has(name)) problems.push(`unexpected tag <${name}> at ${i}`);
    for (const [, attrName = ""] of attrs.matchAll(attribute)) {
      if (/^on/i.test(attrName)) problems.push(`event handler attribute in <${name}> at ${i}`);
    }
    if (name === "meta") continue;
    if (closing) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open}> at ${i}`);
    } else if (!selfClosing) stack.push(name);
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(", ")}`);
  return problems;
}

describe("escaping of record text", () => {
  const model = summarizeRecords(hostileRecords());

  it("HTML: hostile names appear only as escaped text; markup stays well-formed", () => {
    const html = renderHtml(model);
    expect(markupProblems(html)).toEqual([]);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).toContain("power-cut &amp; &lt;boom&gt;");
    // No network: the only URL is the SVG namespace name, which browsers never fetch.
    expect(html.match(/https?:\/\/[^\s"']+/g)?.every((u) => u === "http://www.w3.org/2000/svg")).toBe(true);
  });

  it("JUnit: attributes and bodies are escaped and the document is well-formed", () => {
    const xml = renderJunit(model);
    expect(markupProblems(xml)).toEqual([]);
    expect(xml).not.toContain("<script");
    expect(xml).not.toContain("\u001b");
    expect(xml).toContain(
      'classname="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39; | ]]&gt;',
    );
  });

  it("Markdown: pipes and newlines cannot break table rows, and no raw HTML gets through", () => {
    const md = renderMarkdown(model);
    // Code spans show their content literally, so only text outside them could inject HTML.
    const outsideCode = md.replace(/(`+)[^`]*?\1/g, "");
    expect(outsideCode).not.toMatch(/<script/i);
    expect(outsideCode).not.toMatch(/<img/i);
    expect(md).toContain("`lvmlab replay --scenario '<script>");
    expect(md).not.toContain("\u001b");
    for (const table of md.split("\n\n").filter((block) => block.startsWith("|"))) {
      const rows = table.split("\n").filter((r) => r !== "");
      const cellsPerRow = rows.map((r) => r.split(/(?<!\\)\|/).length);
      expect(new Set(cellsPerRow).size, `table rows disagree:\n${table}\n${cellsPerRow.join(",")}`).toBe(1);
    }
  });

  it("terminal: control characters in records cannot reach the terminal", () => {
    const text = renderTerminal(model, { color: false });
    expect(text).not.toContain("\u001b");
    expect(text).toContain("<script>");
  });

  it("the scanner itself catches unescaped output (a deliberately broken escaper)", () => {
    const broken = `<td>${EVIL}</td>`;
    expect(markupProblems(broken).length).toBeGreaterThan(0);
    expect(markupProblems(`<td>${escapeXml(EVIL)}</td>`)).toEqual([]);
    expect(markupProblems('<g onclick="x"></g>')).toEqual(["event handler attribute in <g> at 0"]);
  });
});

describe("escape helpers", () => {
  it("escapes the five XML specials and drops invalid control characters", () => {
    expect(escapeXml(`<a href="x">'&'</a>\u0001`)).toBe(
      "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\uFFFD",
    );
  });

  it("escapes Markdown table cells", () => {
    expect(escapeMarkdownCell("a|b\nc <d> `e` \\")).toBe("a\\|b c &lt;d&gt; \\`e\\` \\\\");
  });

  it("builds code spans that backticks cannot close early", () => {
    expect(markdownCode("a`b")).toBe("``a`b``");
    expect(markdownCode("x | y", { inTable: true })).toBe("`x \\| y`");
  });

  it("strips terminal control characters but keeps tabs and newlines", () => {
    expect(stripControl("a\u001b[31mb\tc\nd")).toBe("a\uFFFD[31mb\tc\nd");
  });
});
