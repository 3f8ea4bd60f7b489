import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import { ScenarioError, scenarioIssues } from "./define.js";
import { type Scenario, scenarioSchema } from "./schema.js";

/** The built-in scenario library, beside this module (TypeScript in the tree, JavaScript in dist/). */
export const LIBRARY_DIR = fileURLToPath(new URL("./library/", import.meta.url));

/** A scenario and where it came from. */
export interface LoadedScenario {
  readonly scenario: Scenario;
  readonly file: string;
}

function isScenarioModule(file: string): boolean {
  return /\.scenario\.(js|ts)$/.test(file) && !file.endsWith(".d.ts");
}

/** Loads every `*.scenario.ts|js` module of a directory; each default-exports a scenario or a list. */
export async function loadScenarioModules(dir: string = LIBRARY_DIR): Promise<LoadedScenario[]> {
  const files = readdirSync(dir).filter(isScenarioModule).sort();
  const loaded: LoadedScenario[] = [];
  for (const file of files) {
    const path = join(dir, file);
    let module: { default?: Scenario | Scenario[] };
    try {
      module = (await import(pathToFileURL(path).href)) as typeof module;
    } catch (error) {
      // defineScenario refuses a bad scenario while the module loads; say which file it was.
      if (error instanceof ScenarioError && error.file === undefined)
        throw new ScenarioError(error.issues, path);
      throw error;
    }
    if (module.default === undefined) {
      throw new ScenarioError(["the module has no default export; export default defineScenario({…})"], path);
    }
    for (const scenario of Array.isArray(module.default) ? module.default : [module.default]) {
      loaded.push({ scenario, file: path });
    }
  }
  const seen = new Map<string, string>();
  for (const { scenario, file } of loaded) {
    const other = seen.get(scenario.name);
    if (other !== undefined) {
      throw new ScenarioError(
        [`name "${scenario.name}" is also used by ${other}; names must be unique`],
        file,
      );
    }
    seen.set(scenario.name, file);
  }
  return loaded;
}

/**
 * Parses a JSON or YAML scenario file; errors name the file, the field path, and for YAML (JSON
 * is YAML) the line and column of the offending node.
 */
export function parseScenarioFile(text: string, file: string): Scenario {
  const ext = extname(file).toLowerCase();
  if (![".json", ".yaml", ".yml"].includes(ext)) {
    throw new ScenarioError([`unknown scenario file type "${ext}"; use .json, .yaml or .yml`], file);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.slice(0, 10).map((e) => {
      const at = e.linePos?.[0];
      const first = (e.message.split("\n")[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, "");
      return at === undefined ? first : `line ${at.line} column ${at.col}: ${first}`;
    });
    throw new ScenarioError(issues, file);
  }
  const result = scenarioSchema.safeParse(doc.toJS({ maxAliasCount: 100 }));
  if (result.success) return result.data;
  const issues = scenarioIssues(result.error).map((line, i) => {
    const path = result.error.issues[i]?.path ?? [];
    const node = nodeAt(doc.contents, path);
    const offset = node?.range?.[0];
    if (offset === undefined) return line;
    const pos = lineCounter.linePos(offset);
    return `line ${pos.line} column ${pos.col}: ${line}`;
  });
  throw new ScenarioError(issues, file);
}

interface RangedNode {
  readonly range?: readonly [number, number, number] | null;
}

function nodeAt(root: unknown, path: readonly PropertyKey[]): RangedNode | undefined {
  let node: unknown = root;
  let last: RangedNode | undefined = root as RangedNode;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
      if (pair === undefined) break;
      node = pair.value;
    } else if (isSeq(node) && typeof key === "number") {
      node = node.items[key];
    } else {
      break;
    }
    if (node !== null && typeof node === "object" && "range" in node) last = node as RangedNode;
  }
  return last;
}

/** Reads and parses a JSON/YAML scenario file from disk. */
export function loadScenarioFile(file: string): LoadedScenario {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ScenarioError([`cannot read the file: ${(error as Error).message}`], file);
  }
  return { scenario: parseScenarioFile(text, file), file };
}

/** The built-in library plus scenario files given on the command line (`--file`). */
export async function loadLibrary(files: readonly string[] = []): Promise<LoadedScenario[]> {
  const all = [...(await loadScenarioModules()), ...files.map((f) => loadScenarioFile(f))];
  const seen = new Map<string, string>();
  for (const { scenario, file } of all) {
    const other = seen.get(scenario.name);
    if (other !== undefined)
      throw new ScenarioError([`name "${scenario.name}" is also used by ${other}`], file);
    seen.set(scenario.name, file);
  }
  return all;
}
