/**
 * How a sweep's output says to reproduce it: the exact `lvmlab run` command of the meta record
 * (selectors, seeds, shard, scenario files) and replay commands that load the `--file` scenarios
 * their case needs.
 */
import type { CaseResult } from "./records.js";
import type { Shard } from "./shard.js";
import type { CaseRunner } from "./sweep.js";

/** Quotes a word for a POSIX shell only when it needs quoting. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/** What a sweep was asked to run, as the command line records it. */
export interface SweepCommand {
  readonly selectors: readonly string[];
  readonly seeds?: string;
  readonly explore?: boolean;
  /** The resolved shard (`--shard auto` is recorded as the k/n it resolved to). */
  readonly shard?: Shard;
  readonly files?: readonly string[];
}

/** The command that reruns exactly this sweep (or this shard of it). */
export function sweepCommandLine(command: SweepCommand): string {
  const words = ["lvmlab", "run", ...command.selectors];
  if (command.explore) words.push("--explore");
  if (command.seeds !== undefined) words.push("--seeds", command.seeds);
  if (command.shard !== undefined) words.push("--shard", `${command.shard.index}/${command.shard.count}`);
  for (const file of command.files ?? []) words.push("--file", file);
  return words.map(shellQuote).join(" ");
}

/** Removes `--shard k/n` from a recorded command: what the shards of one sweep have in common. */
export function withoutShard(command: string): string {
  return command.replace(/ --shard \d+\/\d+(?= |$)/, "");
}

/**
 * Adds `--file PATH` to the replay command of cases whose scenario came from a scenario file, so
 * the printed `lvmlab replay …` line works as printed.
 */
export function withFileReplay(runner: CaseRunner, fileOf: ReadonlyMap<string, string>): CaseRunner {
  if (fileOf.size === 0) return runner;
  return {
    crashPoints: (scenario, seed) => runner.crashPoints(scenario, seed),
    close: async () => runner.close?.(),
    async run(spec) {
      return withFile(spec.scenario, await runner.run(spec));
    },
    ...(runner.explore === undefined
      ? {}
      : {
          explore: async (cases) =>
            (await runner.explore!(cases)).map((result, i) => withFile(cases[i]!.scenario, result)),
        }),
  };
  function withFile(scenario: string, result: CaseResult): CaseResult {
    const file = fileOf.get(scenario);
    if (file === undefined || result.record.replay.includes(" --file ")) return result;
    const replay = `${result.record.replay} --file ${shellQuote(file)}`;
    return { ...result, record: { ...result.record, replay } };
  }
}
