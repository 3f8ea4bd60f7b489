/**
 * The source tree's import graph, read with TypeScript's own pre-processor (so imports in comments
 * and strings do not count): every static import and re-export, type-only ones included, and every
 * dynamic `import("…")`, between the project's own files.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

/** The layers, top to bottom: a folder may import the folders listed for it, and itself. */
export const ALLOWED_DEPENDENCIES: Readonly<Record<string, readonly string[]>> = {
  cli: ["bench", "real", "scenarios", "workloads", "faults", "engine", "reports"],
  // lvmlab real: scenarios on real LVM2 in a QEMU guest, diffed against the model's run.
  real: ["scenarios", "workloads", "faults", "engine", "reports"],
  bench: ["scenarios", "workloads", "faults", "engine", "reports"],
  scenarios: ["workloads", "faults", "engine"],
  workloads: ["faults", "engine"],
  faults: ["engine"],
  engine: [],
  // Reports read NDJSON records only: they never import the engine or the runner.
  reports: [],
};

/** Source folders the graph covers (the build's folders). */
export const SOURCE_FOLDERS = Object.keys(ALLOWED_DEPENDENCIES);

/** File (relative to the root, `.ts`) → the project files it imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

function sourceFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) files.push(relative(root, path));
    }
  };
  for (const folder of SOURCE_FOLDERS) if (existsSync(join(root, folder))) walk(join(root, folder));
  return files;
}

/** Reads the graph of every `.ts` file under the source folders of `root`. */
export function readImportGraph(root: string): ImportGraph {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(root)) {
    const info = ts.preProcessFile(readFileSync(join(root, file), "utf8"), true, true);
    const targets = info.importedFiles
      .map((f) => f.fileName)
      .filter((name) => name.startsWith("."))
      .map((name) => relative(root, resolve(root, dirname(file), name)).replace(/\.js$/, ".ts"));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Top-level folder of a file. */
export function folderOf(file: string): string {
  return file.split("/")[0]!;
}

/** Imports that point up the layers (or into a folder the table does not allow). */
export function upwardImports(graph: ImportGraph): string[] {
  const problems: string[] = [];
  for (const [file, targets] of graph) {
    const from = folderOf(file);
    for (const target of targets) {
      const to = folderOf(target);
      if (to !== from && !(ALLOWED_DEPENDENCIES[from] ?? []).includes(to)) {
        problems.push(`${file} imports ${target}: ${from}/ may not import ${to}/`);
      }
    }
  }
  return problems;
}

/** Every import cycle (strongly connected component of two or more files, or a self-import). */
export function importCycles(graph: ImportGraph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  // Iterative Tarjan: the graph has a few thousand files, too deep for recursion to be safe.
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: { node: string; next: number }[] = [{ node: start, next: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const targets = (graph.get(frame.node) ?? []).filter((t) => graph.has(t));
      if (frame.next < targets.length) {
        const target = targets[frame.next++]!;
        if (!index.has(target)) {
          index.set(target, counter);
          low.set(target, counter++);
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, next: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(target)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        const selfImport = (graph.get(frame.node) ?? []).includes(frame.node);
        if (component.length > 1 || selfImport) cycles.push(component.sort());
      }
    }
  }
  return cycles;
}

/** The folder whose `mod.ts` is the public face of `file` (the innermost one with a mod.ts). */
export function faceOf(root: string, file: string): string | undefined {
  let dir = dirname(file);
  let face: string | undefined;
  // The innermost folder with a mod.ts, walking up to the top-level folder.
  for (;;) {
    if (face === undefined && existsSync(join(root, dir, "mod.ts"))) face = dir;
    if (!dir.includes("/")) break;
    dir = dirname(dir);
  }
  return face;
}

/**
 * Imports of another layer's private files: the importer is in another top-level folder, the
 * target sits in a folder with a `mod.ts`, and the target is not a `mod.ts`. Returned as
 * "importer's top-level folder -> target" pairs.
 */
export function privateImports(root: string, graph: ImportGraph): string[] {
  const pairs = new Set<string>();
  for (const [file, targets] of graph) {
    for (const target of targets) {
      if (folderOf(file) === folderOf(target) || target.endsWith("/mod.ts")) continue;
      if (faceOf(root, target) === undefined) continue;
      pairs.add(`${folderOf(file)} -> ${target}`);
    }
  }
  return [...pairs].sort();
}
