/**
 * The shared body of `lvmlab run` and `lvmlab nightly`: pick scenarios, build the runner (in this
 * thread or on workers), run the sweep with progress on stderr and records to NDJSON, stop cleanly
 * on Ctrl-C, and say how to resume.
 */
import { existsSync, readFileSync } from "node:fs";
import type { CaseSpec } from "./case.js";
import { loadLibrary } from "./load.js";
import { localRunner } from "./local-runner.js";
import { NdjsonSink } from "./ndjson-sink.js";
import { parsePolicyList } from "./policy-text.js";
import { poolRunner } from "./pool-runner.js";
import { SILENT_PROGRESS, streamProgress } from "./progress.js";
import type { CaseRecord } from "./records.js";
import { parseSeeds } from "./seeds.js";
import { selectScenarios } from "./select.js";
import { parseShard } from "./shard.js";
import { runSweep, type SweepResult } from "./sweep.js";
import { lvmlabVersion } from "./version.js";

/** Options of a sweep as the CLI collects them. */
export interface SweepCliOptions {
  readonly selectors: readonly string[];
  readonly files?: readonly string[];
  readonly seeds?: string;
  readonly explore?: boolean;
  /** `--policies drop-all,subset,torn`: crash policies swept at every explored point. */
  readonly policies?: string;
  /** `--max-points N`: most explored cases per (scenario, seed) before sampling. */
  readonly maxPoints?: number;
  readonly workers?: number;
  readonly shard?: string;
  readonly ndjson?: string;
  readonly resume?: string;
  readonly devices?: "memory" | "file";
  readonly workDir?: string;
  readonly mutations?: readonly string[];
  readonly quiet?: boolean;
  /** Leave each case's PV images (at the crash, after recovery) under this directory. */
  readonly keep?: string;
}

/** Case keys already in an NDJSON file (for `--resume`). */
export function recordedKeys(path: string): Set<string> {
  const keys = new Set<string>();
  if (!existsSync(path)) return keys;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    try {
      const record = JSON.parse(line) as Partial<CaseRecord>;
      if (record.type === "case" && typeof record.key === "string") keys.add(record.key);
    } catch {
      // A torn last line from a killed run: the case it described reruns.
    }
  }
  return keys;
}

/** Runs a sweep for the CLI; the caller maps the summary to an exit code. */
export async function runSweepFromCli(options: SweepCliOptions): Promise<SweepResult> {
  const all = await loadLibrary(options.files ?? []);
  const scenarios = selectScenarios(all, options.selectors);
  const storage = {
    kind: options.devices ?? "memory",
    ...(options.workDir === undefined ? {} : { workDir: options.workDir }),
  } as const;
  const mutations = options.mutations ?? [];
  const workers = options.workers ?? 1;
  const keep = options.keep === undefined ? {} : { keepRoot: options.keep };
  const runner =
    workers > 1
      ? poolRunner({ workers, files: options.files ?? [], mutations, storage, ...keep })
      : localRunner(scenarios, { storage, mutations: new Set(mutations), ...keep });
  const output = options.resume ?? options.ndjson;
  const sink =
    output === undefined ? undefined : NdjsonSink.open(output, { append: options.resume !== undefined });
  if (sink !== undefined && options.resume === undefined) sink.write(metaRecord(options));
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write("\nlvmlab: interrupted; finishing running cases (Ctrl-C again to stop now)\n");
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  try {
    return await runSweep({
      scenarios,
      ...(options.seeds === undefined ? {} : { seeds: parseSeeds(options.seeds) }),
      ...(options.shard === undefined ? {} : { shard: parseShard(options.shard) }),
      explore: options.explore ?? false,
      ...(options.policies === undefined ? {} : { policies: parsePolicyList(options.policies) }),
      ...(options.maxPoints === undefined ? {} : { maxExploreCases: options.maxPoints }),
      ...(options.resume === undefined ? {} : { skipKeys: recordedKeys(options.resume) }),
      runner,
      ...(sink === undefined ? {} : { sink }),
      progress: options.quiet ? SILENT_PROGRESS : streamProgress(process.stderr),
      concurrency: workers,
      signal: controller.signal,
    });
  } finally {
    process.off("SIGINT", onSigint);
    sink?.close();
    await runner.close?.();
  }
}

/** Provenance for reports: what wrote the file and how (no timestamps, so reruns stay identical). */
function metaRecord(options: SweepCliOptions): object {
  return {
    type: "meta",
    schema: 1,
    tool: "lvmlab",
    version: lvmlabVersion(),
    command: ["lvmlab", options.explore ? "run --explore" : "run", ...options.selectors].join(" "),
    node: process.version,
    ...(options.shard === undefined ? {} : { shard: parseShard(options.shard) }),
  };
}

/** A one-line summary like Deno's test runner prints. */
export function summaryLine(result: SweepResult): string {
  const { summary } = result;
  return `${summary.failed === 0 ? "ok" : "FAILED"} | ${summary.passed} passed | ${summary.failed} failed${summary.interrupted ? " | interrupted (rerun with --resume to finish)" : ""}`;
}

export type { CaseSpec };
