/**
 * The architecture, checked (DESIGN.md): imports point down the layers (cli → bench → scenarios →
 * workloads → faults → engine; reports import none of them), there is no import cycle (type-only
 * and dynamic imports count), and a layer reaches into another layer's folder through its `mod.ts`.
 *
 * No source file exports a value nobody imports (dead-exports.ts): a file's `default` export is its
 * role as an entry (scenario library files, bench suites, the worker) and exported types are part
 * of the signatures they appear in, so both are left out.
 *
 * Private imports that predate this test are listed in private-imports.baseline.json; a new one
 * fails. Fix it by exporting what you need from the folder's mod.ts (and drop the baseline line
 * when you move an old one over).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { deadExports } from "./dead-exports.js";
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

describe("exports", () => {
  it("exports no value that no other file imports", () => {
    const dead = deadExports(ROOT).filter((d) => d.name !== "default" && !isTypeOnly(d.file, d.name));
    expect(
      dead.map((d) => `${d.file}: ${d.name}`),
      "drop the export (or the code, if nothing uses it)",
    ).toEqual([]);
  }, 120_000);
});

/** Whether `name` is declared in `file` as an interface or a type alias. */
function isTypeOnly(file: string, name: string): boolean {
  return new RegExp(`export\\s+(interface|type)\\s+${name}\\b`).test(readFileSync(file, "utf8"));
}

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

  it("flags an export nobody imports, and not one imported through a face or a namespace", () => {
    const root = mkdtempSync(join(tmpdir(), "lvmlab-dead-"));
    try {
      const write = (path: string, text: string) => {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), text);
      };
      write(
        "tsconfig.json",
        JSON.stringify({ compilerOptions: { module: "NodeNext", strict: true }, include: ["engine", "cli"] }),
      );
      write("engine/a.ts", "export const used = 1;\nexport const unused = 2;\nexport const viaFace = 3;\n");
      write("engine/ns.ts", "export const anything = 4;\n");
      write("engine/mod.ts", 'export { viaFace } from "./a.js";\n');
      write(
        "cli/b.ts",
        'import { used } from "../engine/a.js";\nimport { viaFace } from "../engine/mod.js";\nimport * as ns from "../engine/ns.js";\nexport const sum = used + viaFace + ns.anything;\n',
      );
      expect(deadExports(root).map((d) => `${d.file}: ${d.name}`)).toEqual([
        "cli/b.ts: sum",
        "engine/a.ts: unused",
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
