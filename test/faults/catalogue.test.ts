import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FAULT_CATALOGUE, formatCatalogue, formatCatalogueMarkdown } from "../../faults/catalogue.js";
import { FAULT_KIND_NAMES, schemaOfKind } from "../../faults/schema.js";

const COMMON_FIELDS = new Set(["kind", "id", "at", "window"]);

describe("fault catalogue", () => {
  it("lists every kind in schema order", () => {
    expect(FAULT_CATALOGUE.map((e) => e.kind)).toEqual([...FAULT_KIND_NAMES]);
  });

  it("documents exactly the parameters each schema accepts, and windows where the schema has one", () => {
    for (const entry of FAULT_CATALOGUE) {
      const keys = Object.keys(schemaOfKind(entry.kind).shape);
      const params = keys.filter((k) => !COMMON_FIELDS.has(k)).sort();
      expect(entry.params.map((p) => p.name).sort(), entry.kind).toEqual(params);
      expect(entry.windowed, entry.kind).toBe(keys.includes("window"));
    }
  });

  it("formats a plain table and a Markdown table with every kind", () => {
    const text = formatCatalogue();
    const markdown = formatCatalogueMarkdown();
    for (const kind of FAULT_KIND_NAMES) {
      expect(text).toContain(`\n${kind}`.slice(kind === "pv-loss" ? 1 : 0));
      expect(markdown).toContain(`| \`${kind}\` |`);
    }
    expect(markdown.split("\n").filter((l) => l.startsWith("| `"))).toHaveLength(FAULT_KIND_NAMES.length);
  });
});

describe("faults/README.md", () => {
  it("carries the current catalogue table (regenerate with lvmlab faults --list --markdown)", () => {
    const readme = readFileSync(new URL("../../faults/README.md", import.meta.url), "utf8");
    // Biome pads Markdown tables, so compare cell by cell.
    const rows = (text: string) =>
      text
        .split("\n")
        .filter((line) => line.startsWith("| ") && !/^\|[\s|-]+\|$/.test(line))
        .map((line) => line.split("|").map((cell) => cell.trim()));
    expect(rows(readme)).toEqual(rows(formatCatalogueMarkdown()));
  });
});
