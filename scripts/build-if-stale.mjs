#!/usr/bin/env node
/**
 * `npm start` runs this instead of a full build: it compiles only when a source file, a tsconfig
 * or package.json is newer than dist/.build-stamp, which the last build left. A build of the whole
 * tree takes half a minute on a loaded machine; checking the times takes milliseconds.
 *
 *   node scripts/build-if-stale.mjs [ROOT]           build when stale, then stamp
 *   node scripts/build-if-stale.mjs --check [ROOT]   exit 0 when dist/ is current, 1 when stale
 *   node scripts/build-if-stale.mjs --stamp [ROOT]   record that dist/ was just built (npm run build)
 *
 * Plain JavaScript, because it must run before anything is compiled.
 */
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync, utimesSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

/** Folders tsconfig.build.json compiles. */
const SOURCE_DIRS = ["cli", "engine", "workloads", "faults", "scenarios", "reports", "bench"];
/** Files whose change changes the build. */
const CONFIG_FILES = ["tsconfig.json", "tsconfig.build.json", "package.json"];
/** Bound on files visited, so a stray huge folder cannot hang `npm start`. */
const MAX_FILES = 100_000;

/** Newest modification time (ms) of the build's inputs under `root`, and how many there are. */
function newestInput(root) {
  let newestMs = 0;
  let newestPath = "";
  let count = 0;
  const visit = (path) => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path)) {
        if (name === "node_modules" || name.startsWith(".")) continue;
        visit(join(path, name));
      }
      return;
    }
    count += 1;
    if (count > MAX_FILES) throw new Error(`More than ${MAX_FILES} files under ${root}; refusing to scan`);
    if (stat.mtimeMs > newestMs) {
      newestMs = stat.mtimeMs;
      newestPath = path;
    }
  };
  for (const dir of SOURCE_DIRS) if (existsSync(join(root, dir))) visit(join(root, dir));
  for (const file of CONFIG_FILES) if (existsSync(join(root, file))) visit(join(root, file));
  return { newestMs, newestPath, count };
}

/** Why dist/ under `root` needs a build, or undefined when it is current. */
function staleReason(root) {
  const stamp = join(root, "dist", ".build-stamp");
  if (!existsSync(stamp)) return "dist/ has no build stamp";
  const stampMs = statSync(stamp).mtimeMs;
  const { newestMs, newestPath } = newestInput(root);
  return newestMs > stampMs ? `${newestPath} changed after the last build` : undefined;
}

/** Records a build of the sources as they were at `builtMs`. */
function writeStamp(root, builtMs = Date.now()) {
  mkdirSync(join(root, "dist"), { recursive: true });
  const stamp = join(root, "dist", ".build-stamp");
  closeSync(openSync(stamp, "w"));
  utimesSync(stamp, builtMs / 1000, builtMs / 1000);
}

function main(argv) {
  const flags = argv.filter((a) => a.startsWith("--"));
  const root = resolve(argv.find((a) => !a.startsWith("--")) ?? ".");
  if (flags.includes("--stamp")) {
    writeStamp(root);
    return 0;
  }
  const reason = staleReason(root);
  if (flags.includes("--check")) {
    process.stdout.write(reason === undefined ? "dist/ is current\n" : `stale: ${reason}\n`);
    return reason === undefined ? 0 : 1;
  }
  if (reason === undefined) {
    process.stderr.write("dist/ is current; not rebuilding\n");
    return 0;
  }
  process.stderr.write(`building: ${reason}\n`);
  // Stamp with the time the build started: a file saved during the build is newer and rebuilds next time.
  const startedMs = Date.now();
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const built = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], {
    stdio: "inherit",
  });
  if (built.status !== 0) return built.status ?? 1;
  writeStamp(root, startedMs);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
