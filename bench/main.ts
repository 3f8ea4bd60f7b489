/**
 * `npm run bench`: discovers every suite in `bench/suites/` (each default-exports a BenchSuite),
 * runs them in one process, and prints one table per suite with each case's ratio to its group's
 * baseline measured in the same run. `--json FILE` writes NDJSON `microbench` records for
 * `lvmlab compare`. Run compiled, with `node --expose-gc dist/bench/main.js`.
 */

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { BenchRow, BenchSuite } from "./suite.js";

const USAGE = `Usage: npm run bench -- [options]

Options:
  --quick              fewer samples per case (for CI); same cases
  --filter NAME        run only suites whose name or file contains NAME (repeatable)
  --json FILE          also write the rows as NDJSON microbench records to FILE
  --repetitions N      run every suite N times (default 1); each run is one repetition in --json
  --list               list the suites and exit
  -h, --help           show this help
`;

// More repetitions than this is a typo, not a benchmark plan.
const MAX_REPETITIONS = 100;

class UsageError extends Error {}

interface Flags {
  readonly quick: boolean;
  readonly filters: readonly string[];
  readonly jsonPath: string | undefined;
  readonly repetitions: number;
  readonly list: boolean;
  readonly help: boolean;
}

interface LoadedSuite {
  readonly file: string;
  readonly suite: BenchSuite;
}

function parseFlags(argv: readonly string[]): Flags {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        quick: { type: "boolean", default: false },
        filter: { type: "string", multiple: true },
        json: { type: "string" },
        repetitions: { type: "string", default: "1" },
        list: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: false,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const values = parsed.values as {
    quick: boolean;
    filter?: string[];
    json?: string;
    repetitions: string;
    list: boolean;
    help: boolean;
  };
  const repetitions = Number(values.repetitions);
  if (!Number.isInteger(repetitions) || repetitions < 1 || repetitions > MAX_REPETITIONS) {
    throw new UsageError(
      `Invalid --repetitions "${values.repetitions}": give an integer from 1 to ${MAX_REPETITIONS}`,
    );
  }
  if (values.json !== undefined && values.json.trim() === "") {
    throw new UsageError("Invalid --json: give the path of the NDJSON file to write");
  }
  return {
    quick: values.quick,
    filters: (values.filter ?? []).map((f) => f.toLowerCase()),
    jsonPath: values.json,
    repetitions,
    list: values.list,
    help: values.help,
  };
}

function isBenchSuite(value: unknown): value is BenchSuite {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<BenchSuite>;
  return (
    typeof candidate.name === "string" &&
    typeof candidate.description === "string" &&
    typeof candidate.run === "function"
  );
}

async function loadSuites(suitesDir: string): Promise<LoadedSuite[]> {
  if (!fs.existsSync(suitesDir)) {
    throw new Error(`No benchmark suites at ${suitesDir}; run \`npm run build\` first`);
  }
  const files = fs
    .readdirSync(suitesDir)
    .filter((file) => file.endsWith(".js"))
    .sort();
  const loaded: LoadedSuite[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(path.join(suitesDir, file)).href)) as { default?: unknown };
    if (!isBenchSuite(module.default)) {
      throw new Error(
        `Benchmark suite ${file} has no valid default export; export default a BenchSuite ` +
          "({ name, description, run }) from bench/suite.ts",
      );
    }
    loaded.push({ file, suite: module.default });
  }
  return loaded;
}

function formatTime(ns: number): string {
  if (ns < 1_000) return `${ns.toFixed(1)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(2)} µs`;
  if (ns < 1_000_000_000) return `${(ns / 1_000_000).toFixed(2)} ms`;
  return `${(ns / 1_000_000_000).toFixed(2)} s`;
}

function formatThroughput(row: BenchRow): string {
  if (row.bytesPerOp === undefined || row.nsPerOp <= 0) return "";
  const bytesPerSecond = (row.bytesPerOp / row.nsPerOp) * 1e9;
  if (bytesPerSecond >= 1e9) return `${(bytesPerSecond / 1e9).toFixed(2)} GB/s`;
  return `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`;
}

function formatRatio(row: BenchRow): string {
  if (row.baseline === undefined) return "baseline";
  if (row.ratioToBaseline === undefined) return "";
  return `${row.ratioToBaseline.toFixed(2)}× ${row.baseline}`;
}

/** The suite's rows as a text table, one block per group. */
function renderTable(rows: readonly BenchRow[]): string {
  const header = ["case", "time/op", "throughput", "vs baseline"];
  const groups = new Map<string, BenchRow[]>();
  for (const row of rows) {
    const list = groups.get(row.group) ?? [];
    list.push(row);
    groups.set(row.group, list);
  }
  const cells = rows.map((row) => [
    row.name,
    formatTime(row.nsPerOp),
    formatThroughput(row),
    formatRatio(row),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (parts: readonly string[]): string =>
    parts.map((p, i) => (i === 0 ? p.padEnd(widths[i]!) : p.padStart(widths[i]!))).join("  ");
  const out: string[] = [line(header), widths.map((w) => "-".repeat(w)).join("  ")];
  for (const [group, list] of groups) {
    out.push(`• ${group}`);
    for (const row of list)
      out.push(line([row.name, formatTime(row.nsPerOp), formatThroughput(row), formatRatio(row)]));
  }
  return `${out.join("\n")}\n`;
}

function checkRows(suite: string, rows: readonly BenchRow[]): void {
  for (const row of rows) {
    if (!(Number.isFinite(row.nsPerOp) && row.nsPerOp > 0)) {
      throw new Error(
        `Suite ${suite} case "${row.name}" reported nsPerOp ${row.nsPerOp}; a case must take time`,
      );
    }
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let flags: Flags;
  try {
    flags = parseFlags(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const suitesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "suites");
  const all = await loadSuites(suitesDir);
  if (flags.list) {
    for (const { suite, file } of all)
      process.stdout.write(`${suite.name.padEnd(16)} ${suite.description} (${file})\n`);
    return 0;
  }
  const selected = all.filter(
    ({ suite, file }) =>
      flags.filters.length === 0 ||
      flags.filters.some((f) => suite.name.toLowerCase().includes(f) || file.toLowerCase().includes(f)),
  );
  if (selected.length === 0) {
    process.stderr.write(
      `No benchmark suite matches --filter ${flags.filters.join(", ")}; available: ${all.map((s) => s.suite.name).join(", ")}\n`,
    );
    return 2;
  }
  const cpu = os.cpus()[0]?.model ?? "unknown cpu";
  process.stdout.write(
    `cpu: ${cpu} (${os.cpus().length} cores)\nruntime: node ${process.version} (${process.arch})` +
      `${typeof globalThis.gc === "function" ? "" : "  [no --expose-gc: GC noise not controlled]"}` +
      `${flags.quick ? "  [quick]" : ""}\n\n`,
  );
  const records: string[] = [
    JSON.stringify({
      type: "meta",
      schema: 1,
      tool: "lvmlab bench",
      command:
        `node ${path.relative(process.cwd(), fileURLToPath(import.meta.url))} ${argv.join(" ")}`.trim(),
      node: process.version,
      cpu,
      cores: os.cpus().length,
    }),
  ];
  let failures = 0;
  for (const { suite } of selected) {
    for (let repetition = 0; repetition < flags.repetitions; repetition++) {
      const label = flags.repetitions > 1 ? ` (repetition ${repetition + 1}/${flags.repetitions})` : "";
      process.stdout.write(`${suite.name} — ${suite.description}${label}\n`);
      let rows: BenchRow[];
      try {
        rows = await suite.run({ quick: flags.quick });
        checkRows(suite.name, rows);
      } catch (error) {
        failures += 1;
        process.stderr.write(
          `Suite ${suite.name} failed: ${error instanceof Error ? error.stack : String(error)}\n\n`,
        );
        break;
      }
      process.stdout.write(`${renderTable(rows)}\n`);
      for (const row of rows)
        records.push(JSON.stringify({ type: "microbench", suite: suite.name, ...row, repetition }));
    }
  }
  if (flags.jsonPath !== undefined) {
    fs.writeFileSync(flags.jsonPath, `${records.join("\n")}\n`);
    process.stdout.write(`Wrote ${records.length - 1} microbench records to ${flags.jsonPath}\n`);
  }
  return failures > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
