/**
 * The architecture, checked (DESIGN.md): imports point down the layers (cli → bench → scenarios →
 * workloads → faults → engine; reports import none of them), there is no import cycle (type-only
 * and dynamic imports count), and a layer reaches into another layer's folder through its `mod.ts`.
 *
 * Private imports that predate this test are listed in private-imports.baseline.json; a new one
 * fails. Fix it by exporting what you need from the folder's mod.ts (and drop the baseline line
 * when you move an old one over).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { importCycles, privateImports, readImportGraph, upwardImports } from "./import-graph.js";

const ROOT = ".";
const graph = readImportGraph(ROOT);
const baseline = new Set(
  JSON.parse(readFileSync("test/architecture/private-imports.baseline.json", "utf8")) as string[],
);

describe("architecture", () => {
  it("reads the whole tree", () => {
    expect(graph.size).toBeGreaterThan(200);
    expect(graph.get("cli/main.ts")).toContain("cli/program.ts");
  });

  it("has no import pointing up the layers", () => {
    expect(upwardImports(graph)).toEqual([]);
  });

  it("has no import cycle", () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it("reaches other layers through their mod.ts (no new private import)", () => {
    const fresh = privateImports(ROOT, graph).filter((pair) => !baseline.has(pair));
    expect(fresh, "import these through the folder's mod.ts").toEqual([]);
  });
});

describe("the checks can fail", () => {
  const fake = new Map<string, string[]>([
    ["engine/a.ts", ["scenarios/b.ts"]],
    ["scenarios/b.ts", ["engine/a.ts", "engine/sim/rng.ts"]],
    ["reports/c.ts", ["engine/a.ts"]],
    ["cli/d.ts", ["cli/d.ts"]],
    ["engine/sim/rng.ts", []],
  ]);

  it("flags an upward import, a cycle (and a self-import) and a private import", () => {
    expect(upwardImports(fake)).toEqual([
      "engine/a.ts imports scenarios/b.ts: engine/ may not import scenarios/",
      "reports/c.ts imports engine/a.ts: reports/ may not import engine/",
    ]);
    expect(importCycles(fake)).toEqual([["engine/a.ts", "scenarios/b.ts"], ["cli/d.ts"]]);
    // engine/sim has a mod.ts in the real tree, so rng.ts is private to it.
    expect(privateImports(ROOT, fake)).toEqual(["scenarios -> engine/sim/rng.ts"]);
  });
});
