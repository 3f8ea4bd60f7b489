/**
 * Crash states of a volatile write cache: which logged writes (and, for torn writes, which of
 * their sectors) reach the persisted layer when the power goes. A policy picks one state from a
 * seed or a rule; the state is plain data so it can be written to NDJSON and replayed exactly.
 */

import { type MutationInfo, type Mutations, NO_MUTATIONS } from "../sim/mutations.js";
import { Rng } from "../sim/rng.js";
import type { BlockDevice } from "./device.js";
import { SECTOR_BYTES } from "./device.js";
import type { LoggedWrite, SectorRun } from "./write-log.js";
import { isLive, liveRuns, normaliseRuns, runsOf, sectorCount } from "./write-log.js";

/** Which logged writes survive a power cut. */
export type CrashPolicy =
  /** Nothing since the last flush survives. */
  | { readonly kind: "drop-all" }
  /** Everything in the cache survives, as if flushed. */
  | { readonly kind: "keep-all" }
  /** The first `count` logged writes survive (in-order write-back). */
  | { readonly kind: "prefix"; readonly count: number }
  /** Each logged write survives or not, chosen by a seeded stream. */
  | { readonly kind: "subset"; readonly seed: number | string }
  /** Like subset, but a surviving write may keep only some of its 512-byte sectors. */
  | { readonly kind: "torn"; readonly seed: number | string }
  /** Exactly these writes and sectors survive: a replay of a recorded crash state. */
  | { readonly kind: "explicit"; readonly kept: readonly KeptWriteRef[] };

/** A reference to a logged write in a recorded crash state. */
export interface KeptWriteRef {
  /** Position in the log, 0 = oldest write since the last flush. */
  readonly logIndex: number;
  /** Sequence number of the write, checked on replay when present. */
  readonly seq?: number;
  /** Kept sectors relative to the write; absent = every live sector. */
  readonly keptRuns?: readonly SectorRun[];
}

/** A logged write that survives a crash, with enough detail for reports. */
export interface KeptWrite extends KeptWriteRef {
  readonly seq: number;
  readonly offsetBytes: number;
  readonly lengthBytes: number;
}

/** One crash state: the writes that persist, in log order. */
export interface CrashState {
  readonly kept: readonly KeptWrite[];
}

/** Summary numbers of a crash state relative to its log, for NDJSON records. */
export interface CrashStateSummary {
  readonly pendingWrites: number;
  readonly keptWrites: number;
  readonly tornWrites: number;
  readonly droppedWrites: number;
  readonly keptSectors: number;
}

// Torn writes: each write is dropped, kept whole or torn with equal odds, so a short log still
// shows every shape; a torn write keeps each live sector with probability one half.
const TORN_DROP = 1 / 3;
const TORN_KEEP = 2 / 3;

/** Mutation: the torn policy never tears a write (it keeps or drops each whole), so torn scenarios test nothing torn. */
export const TORN_NEVER_TEARS: MutationInfo = {
  name: "block.crash-state.torn-never-tears",
  description:
    "the torn crash policy keeps or drops every write whole, so a scenario cut with it never sees a torn block",
};

/** Mutation: the subset policy keeps every cached write (a subset that never drops one). */
export const SUBSET_KEEPS_ALL: MutationInfo = {
  name: "block.crash-state.subset-keeps-all",
  description:
    "the subset crash policy keeps every cached write, so a scenario cut with it is a keep-all cut and never loses what it claims to",
};

/** The random stream for a seeded policy, forked by policy kind so subset and torn streams differ. */
function streamFor(kind: string, seed: number | string): () => number {
  const rng = Rng.fromSeed(seed).fork(`crash-${kind}`);
  return () => rng.next();
}

function keptWhole(write: LoggedWrite, logIndex: number): KeptWrite {
  return { logIndex, seq: write.seq, offsetBytes: write.offsetBytes, lengthBytes: write.lengthBytes };
}

/** Pick the crash state a policy describes for this log; nothing is written. */
export function chooseCrashState(
  log: readonly LoggedWrite[],
  policy: CrashPolicy,
  options: { readonly mutations?: Mutations } = {},
): CrashState {
  const kept: KeptWrite[] = [];
  switch (policy.kind) {
    case "drop-all":
      break;
    case "keep-all":
      log.forEach((write, logIndex) => {
        if (write.liveSectors > 0) kept.push(keptWhole(write, logIndex));
      });
      break;
    case "prefix": {
      const { count } = policy;
      if (!Number.isInteger(count) || count < 0 || count > log.length) {
        throw new RangeError(
          `Crash policy prefix(${count}) is invalid for a log of ${log.length} writes; ` +
            `use a count from 0 to ${log.length}`,
        );
      }
      for (let logIndex = 0; logIndex < count; logIndex++) {
        const write = log[logIndex]!;
        if (write.liveSectors > 0) kept.push(keptWhole(write, logIndex));
      }
      break;
    }
    case "subset": {
      const random = streamFor("subset", policy.seed);
      const keepsAll = (options.mutations ?? NO_MUTATIONS).has(SUBSET_KEEPS_ALL.name);
      log.forEach((write, logIndex) => {
        // Draw for every write, live or not, so one write's fate never shifts another's.
        const keep = random() < 0.5 || keepsAll;
        if (keep && write.liveSectors > 0) kept.push(keptWhole(write, logIndex));
      });
      break;
    }
    case "torn": {
      const random = streamFor("torn", policy.seed);
      const neverTears = (options.mutations ?? NO_MUTATIONS).has(TORN_NEVER_TEARS.name);
      log.forEach((write, logIndex) => {
        const roll = random();
        if (roll < TORN_DROP || write.liveSectors === 0) return;
        if (roll < TORN_KEEP || write.liveSectors === 1 || neverTears) {
          kept.push(keptWhole(write, logIndex));
          return;
        }
        const sectors: number[] = [];
        for (let i = 0; i < sectorCount(write); i++) {
          if (isLive(write, i) && random() < 0.5) sectors.push(i);
        }
        if (sectors.length === 0) return;
        if (sectors.length === write.liveSectors) kept.push(keptWhole(write, logIndex));
        else kept.push({ ...keptWhole(write, logIndex), keptRuns: runsOf(sectors) });
      });
      break;
    }
    case "explicit":
      return { kept: resolveRefs(log, policy.kept) };
    default: {
      const unknown: never = policy;
      throw new TypeError(
        `Unknown crash policy ${JSON.stringify(unknown)}; use drop-all, keep-all, prefix, subset, torn or explicit`,
      );
    }
  }
  return { kept };
}

/** Check recorded references against the log and fill in their details. */
function resolveRefs(log: readonly LoggedWrite[], refs: readonly KeptWriteRef[]): KeptWrite[] {
  const kept: KeptWrite[] = [];
  let previous = -1;
  for (const ref of refs) {
    const write = log[ref.logIndex];
    if (write === undefined || !Number.isInteger(ref.logIndex) || ref.logIndex <= previous) {
      throw new RangeError(
        `Crash state refers to log index ${ref.logIndex}, but the log holds ${log.length} writes and ` +
          "indexes must increase; replay it against the same run at the same point",
      );
    }
    if (ref.seq !== undefined && ref.seq !== write.seq) {
      throw new RangeError(
        `Crash state expects write seq ${ref.seq} at log index ${ref.logIndex}, found seq ${write.seq}; ` +
          "the log differs from the recorded run",
      );
    }
    previous = ref.logIndex;
    const base = keptWhole(write, ref.logIndex);
    if (ref.keptRuns === undefined) {
      kept.push(base);
      continue;
    }
    const runs = normaliseRuns(ref.keptRuns, sectorCount(write));
    for (const [first, count] of runs) {
      for (let i = first; i < first + count; i++) {
        if (!isLive(write, i)) {
          throw new RangeError(
            `Crash state keeps sector ${i} of write seq ${write.seq}, which a later durable request ` +
              "superseded; record crash states from the same log",
          );
        }
      }
    }
    kept.push({ ...base, keptRuns: runs });
  }
  return kept;
}

/**
 * Write the kept parts of a crash state onto `target` (the persisted layer, or a clone of it) in
 * log order; returns the completion time of the last write.
 */
export function applyCrashState(
  log: readonly LoggedWrite[],
  state: CrashState,
  target: BlockDevice,
  options: { readonly issueNs?: number } = {},
): number {
  let atNs = options.issueNs ?? 0;
  for (const kept of resolveRefs(log, state.kept)) {
    const write = log[kept.logIndex]!;
    for (const [first, count] of kept.keptRuns ?? liveRuns(write)) {
      const data = write.data.subarray(first * SECTOR_BYTES, (first + count) * SECTOR_BYTES);
      atNs = target.write(write.offsetBytes + first * SECTOR_BYTES, data, { issueNs: atNs });
    }
  }
  return atNs;
}

/** Count kept, torn and dropped writes of a state against its log. */
export function summariseCrashState(log: readonly LoggedWrite[], state: CrashState): CrashStateSummary {
  let keptSectors = 0;
  let tornWrites = 0;
  for (const kept of state.kept) {
    const write = log[kept.logIndex]!;
    if (kept.keptRuns === undefined) keptSectors += write.liveSectors;
    else {
      tornWrites += 1;
      for (const [, count] of kept.keptRuns) keptSectors += count;
    }
  }
  const liveWrites = log.filter((write) => write.liveSectors > 0).length;
  return {
    pendingWrites: log.length,
    keptWrites: state.kept.length,
    tornWrites,
    droppedWrites: liveWrites - state.kept.length,
    keptSectors,
  };
}
