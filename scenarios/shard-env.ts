/**
 * `--shard auto`: the shard index and count from the environment of the CI engine or scheduler that
 * started this process, so one command line serves every job of a parallel build. A GitHub Actions
 * matrix has no such variables; it passes `--shard ${{ matrix.shard }}/N` explicitly.
 */
import { parseShard, type Shard } from "./shard.js";

/** Where a CI engine keeps the job's index and the job count, and whether its index is 0-based. */
interface ShardSource {
  readonly engine: string;
  readonly index: string;
  /** Undefined when the engine does not expose the count (a Kubernetes Indexed Job). */
  readonly count: string | undefined;
  readonly zeroBased: boolean;
}

/** The engines `--shard auto` knows, tried in this order. */
const SHARD_SOURCES: readonly ShardSource[] = [
  { engine: "Kubernetes Indexed Job", index: "JOB_COMPLETION_INDEX", count: undefined, zeroBased: true },
  { engine: "GitLab CI", index: "CI_NODE_INDEX", count: "CI_NODE_TOTAL", zeroBased: false },
  {
    engine: "Buildkite",
    index: "BUILDKITE_PARALLEL_JOB",
    count: "BUILDKITE_PARALLEL_JOB_COUNT",
    zeroBased: true,
  },
  { engine: "CircleCI", index: "CIRCLE_NODE_INDEX", count: "CIRCLE_NODE_TOTAL", zeroBased: true },
];

/** A resolved shard and where it came from. */
export interface ResolvedShard {
  readonly shard: Shard;
  /** "command line", or the engine whose variables gave it. */
  readonly source: string;
}

function wholeNumber(text: string, variable: string): number {
  if (!/^\d+$/.test(text.trim())) {
    throw new RangeError(`Bad shard: ${variable}="${text}" is not a whole number`);
  }
  return Number(text.trim());
}

/**
 * Resolves `--shard k/n`, `--shard auto` or `--shard auto/n` (the count given, as a Kubernetes
 * Indexed Job needs: its pods see only their index). Throws a RangeError naming the variable.
 */
export function resolveShard(text: string, env: Readonly<Record<string, string | undefined>>): ResolvedShard {
  const auto = /^auto(?:\/(\d+))?$/.exec(text.trim());
  if (auto === null) return { shard: parseShard(text), source: "command line" };
  const given = auto[1] === undefined ? undefined : Number(auto[1]);
  const source = SHARD_SOURCES.find((s) => env[s.index] !== undefined && env[s.index] !== "");
  if (source === undefined) {
    const names = SHARD_SOURCES.map((s) => s.index).join(", ");
    throw new RangeError(`Bad shard "auto": none of ${names} is set; give --shard k/n`);
  }
  const index = wholeNumber(env[source.index]!, source.index) + (source.zeroBased ? 1 : 0);
  const countText = source.count === undefined ? undefined : env[source.count];
  const count = countText === undefined ? given : wholeNumber(countText, source.count!);
  if (count === undefined) {
    throw new RangeError(
      `Bad shard "auto": ${source.engine} gives ${source.index} but not the shard count; give it as --shard auto/N`,
    );
  }
  if (given !== undefined && given !== count) {
    throw new RangeError(`Bad shard "${text}": ${source.engine} says ${source.count}=${count}, not ${given}`);
  }
  const shard = parseShard(`${index}/${count}`);
  return { shard, source: source.engine };
}
