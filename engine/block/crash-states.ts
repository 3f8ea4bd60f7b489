/**
 * Counting and enumerating the distinct persisted images a power cut can leave, the
 * CrashMonkey model: any subset of the writes since the last flush may reach the media (and, with
 * torn writes, any subset of their sectors). Two choices that leave the same bytes are one state.
 *
 * Why it is fast in the common case: writes that share no sector are independent, so the count
 * is a product over groups of overlapping writes. Inside a group, a depth-first search from the
 * newest write skips older writes whose every sector a newer kept write already decided, so N
 * writes to one sector cost N+1 leaves, not 2^N. With torn writes every sector is independent,
 * so the count is a product over sectors of the distinct contents that sector can hold.
 */

import { Buffer } from "node:buffer";
import zlib from "node:zlib";
import type { MutationInfo, Mutations } from "../sim/mutations.js";
import { NO_MUTATIONS } from "../sim/mutations.js";
import type { CrashState, KeptWrite } from "./crash-state.js";
import { SECTOR_BYTES } from "./device.js";
import type { LoggedWrite } from "./write-log.js";
import { isLive, runsOf, sectorCount } from "./write-log.js";

/** Mutation: count 2^writes as if no two writes overlapped and no content repeated. */
export const MUTATION_COUNT_ASSUMES_DISJOINT = "block.crash.count-assumes-disjoint";

/** Catalogue entry for {@link MUTATION_COUNT_ASSUMES_DISJOINT}. */
export const COUNT_ASSUMES_DISJOINT: MutationInfo = {
  name: MUTATION_COUNT_ASSUMES_DISJOINT,
  description: "Crash-state counting ignores overlapping writes and identical content",
};

// Node 20.20 has zlib.crc32 but the pinned @types/node (20.9) predates it.
const crc32 = (zlib as unknown as { crc32(data: Uint8Array): number }).crc32;

/** Default bound on counted or enumerated crash states. */
export const DEFAULT_CRASH_STATE_LIMIT = 1_000_000;
// The largest limit accepted: beyond this a sweep could not run the states anyway.
const MAX_CRASH_STATE_LIMIT = 100_000_000;
// Sectors one analysis may look at; the cache's byte bound keeps real logs far below this.
const MAX_AFFECTED_SECTORS = 1 << 22;

/** Options for counting or enumerating crash states. */
export interface CrashStateOptions {
  /** Also let surviving writes keep only some of their sectors. Defaults to false. */
  readonly torn?: boolean;
  /** Stop after this many distinct states. Defaults to {@link DEFAULT_CRASH_STATE_LIMIT}. */
  readonly limit?: number;
  /** Search leaves allowed before giving up; defaults to 16 × limit (at least 65 536). */
  readonly maxWork?: number;
  /** Deliberate bugs to build in; empty in normal runs. */
  readonly mutations?: Mutations;
}

/** How many distinct crash states exist, up to the limit. */
export interface CrashStateCount {
  /** Distinct states found; exact when `limitHit` is false, otherwise a lower bound ≤ limit. */
  readonly count: number;
  /** True when the limit or the work budget stopped the search before every state was seen. */
  readonly limitHit: boolean;
}

/** Reads the persisted layer; used to tell a write that changes nothing from one that does. */
export type PersistedReader = (offsetBytes: number, dst: Uint8Array) => void;

interface Analysis {
  /** Live writes, by log order. */
  readonly writes: readonly { readonly write: LoggedWrite; readonly logIndex: number }[];
  /** For each write, the local indexes of its live sectors and their content class. */
  readonly writeSectors: readonly number[][];
  readonly writeClasses: readonly number[][];
  /** For each write, the sector index (relative to the write) of each entry in writeSectors. */
  readonly writeRelative: readonly number[][];
  /** For each local sector: the number of distinct contents, and a representative source per class. */
  readonly classCount: Int32Array;
  readonly classSource: readonly { readonly write: number; readonly relative: number }[][];
  readonly sectorCount: number;
}

function checkLimit(options: CrashStateOptions): { limit: number; maxWork: number } {
  const limit = options.limit ?? DEFAULT_CRASH_STATE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CRASH_STATE_LIMIT) {
    throw new RangeError(
      `Crash-state limit ${limit} is invalid; use an integer from 1 to ${MAX_CRASH_STATE_LIMIT}`,
    );
  }
  const maxWork = options.maxWork ?? Math.max(16 * limit, 65_536);
  if (!Number.isInteger(maxWork) || maxWork < 1) {
    throw new RangeError(`Crash-state maxWork ${maxWork} is invalid; use a positive integer`);
  }
  return { limit, maxWork };
}

/** Group sector contents into classes of identical bytes; class 0 is the first candidate's. */
function classify(candidates: readonly Uint8Array[]): { classes: number[]; count: number } {
  const classes: number[] = [];
  const representatives: Uint8Array[] = [];
  const byHash = new Map<number, number[]>();
  for (const bytes of candidates) {
    const hash = crc32(bytes);
    const bucket = byHash.get(hash) ?? [];
    let found = -1;
    for (const id of bucket) {
      if (Buffer.compare(representatives[id]!, bytes) === 0) {
        found = id;
        break;
      }
    }
    if (found < 0) {
      found = representatives.length;
      representatives.push(bytes);
      bucket.push(found);
      byHash.set(hash, bucket);
    }
    classes.push(found);
  }
  return { classes, count: representatives.length };
}

function analyse(log: readonly LoggedWrite[], readPersisted: PersistedReader): Analysis {
  const writes: { write: LoggedWrite; logIndex: number }[] = [];
  log.forEach((write, logIndex) => {
    if (write.liveSectors > 0) writes.push({ write, logIndex });
  });
  const localOf = new Map<number, number>();
  const absolute: number[] = [];
  const cover: { write: number; relative: number; position: number }[][] = [];
  const writeSectors: number[][] = [];
  const writeRelative: number[][] = [];
  writes.forEach(({ write }, w) => {
    const sectors: number[] = [];
    const relatives: number[] = [];
    const firstSector = write.offsetBytes / SECTOR_BYTES;
    for (let i = 0; i < sectorCount(write); i++) {
      if (!isLive(write, i)) continue;
      let local = localOf.get(firstSector + i);
      if (local === undefined) {
        local = absolute.length;
        if (local >= MAX_AFFECTED_SECTORS) {
          throw new RangeError(
            `Crash-state analysis covers more than ${MAX_AFFECTED_SECTORS} sectors; flush the cache more ` +
              "often or lower its maxLogBytes",
          );
        }
        localOf.set(firstSector + i, local);
        absolute.push(firstSector + i);
        cover.push([]);
      }
      cover[local]!.push({ write: w, relative: i, position: sectors.length });
      sectors.push(local);
      relatives.push(i);
    }
    writeSectors.push(sectors);
    writeRelative.push(relatives);
  });

  // Read what persisted for every affected sector, one request per run of adjacent sectors.
  const persisted: Uint8Array[] = new Array(absolute.length);
  const order = absolute.map((_, local) => local).sort((a, b) => absolute[a]! - absolute[b]!);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && absolute[order[end]!] === absolute[order[end - 1]!]! + 1) end += 1;
    const buffer = new Uint8Array((end - start) * SECTOR_BYTES);
    readPersisted(absolute[order[start]!]! * SECTOR_BYTES, buffer);
    for (let k = start; k < end; k++) {
      persisted[order[k]!] = buffer.subarray((k - start) * SECTOR_BYTES, (k - start + 1) * SECTOR_BYTES);
    }
    start = end;
  }

  const classCount = new Int32Array(absolute.length);
  const classSource: { write: number; relative: number }[][] = [];
  const writeClasses: number[][] = writeSectors.map((sectors) => new Array<number>(sectors.length).fill(0));
  for (let local = 0; local < absolute.length; local++) {
    const covering = cover[local]!;
    const candidates = [persisted[local]!];
    for (const { write, relative } of covering) {
      const data = writes[write]!.write.data;
      candidates.push(data.subarray(relative * SECTOR_BYTES, (relative + 1) * SECTOR_BYTES));
    }
    const { classes, count } = classify(candidates);
    classCount[local] = count;
    const sources: { write: number; relative: number }[] = [{ write: -1, relative: -1 }];
    covering.forEach((source, j) => {
      const cls = classes[j + 1]!;
      writeClasses[source.write]![source.position] = cls;
      if (sources[cls] === undefined) sources[cls] = { write: source.write, relative: source.relative };
    });
    classSource.push(sources);
  }
  return {
    writes,
    writeSectors,
    writeClasses,
    writeRelative,
    classCount,
    classSource,
    sectorCount: absolute.length,
  };
}

/** Groups of writes linked by shared sectors (union-find), each listed newest first. */
function components(analysis: Analysis): number[][] {
  const parent = analysis.writes.map((_, w) => w);
  const find = (w: number): number => {
    let root = w;
    while (parent[root] !== root) root = parent[root]!;
    while (parent[w] !== root) {
      const next = parent[w]!;
      parent[w] = root;
      w = next;
    }
    return root;
  };
  const firstWriter = new Int32Array(analysis.sectorCount).fill(-1);
  analysis.writeSectors.forEach((sectors, w) => {
    for (const local of sectors) {
      const other = firstWriter[local]!;
      if (other < 0) firstWriter[local] = w;
      else parent[find(w)] = find(other);
    }
  });
  const groups = new Map<number, number[]>();
  for (let w = analysis.writes.length - 1; w >= 0; w--) {
    const root = find(w);
    const group = groups.get(root) ?? [];
    group.push(w);
    groups.set(root, group);
  }
  return [...groups.values()];
}

interface GroupStates {
  /** Kept writes (analysis indexes) of each distinct state of the group. */
  readonly states: number[][];
  readonly complete: boolean;
}

/**
 * Distinct states of one group of overlapping writes, by depth-first search from the newest
 * write; stops once `cap` states are found or `workLeft.leaves` runs out.
 */
function groupStates(
  analysis: Analysis,
  group: readonly number[],
  bounds: { readonly cap: number; readonly workLeft: { leaves: number }; readonly keepStates: boolean },
): GroupStates {
  const sectorSet = new Set<number>();
  for (const w of group) for (const local of analysis.writeSectors[w]!) sectorSet.add(local);
  const sectors = [...sectorSet];
  const decided = new Map<number, number>(); // local sector -> content class of its newest kept write
  const choice = new Int8Array(group.length); // 0 untried, 1 skipped, 2 kept
  const marked: number[][] = group.map(() => []);
  const seen = new Set<string>();
  const states: number[][] = [];
  let depth = 0;
  while (depth >= 0) {
    if (depth === group.length) {
      if (bounds.workLeft.leaves <= 0) return { states, complete: false };
      bounds.workLeft.leaves -= 1;
      let key = "";
      for (const local of sectors) key += `${decided.get(local) ?? 0},`;
      if (!seen.has(key)) {
        seen.add(key);
        if (bounds.keepStates) {
          const kept: number[] = [];
          for (let d = group.length - 1; d >= 0; d--) if (choice[d] === 2) kept.push(group[d]!);
          states.push(kept);
        } else states.push([]);
        if (states.length >= bounds.cap) return { states, complete: false };
      }
      depth -= 1;
      continue;
    }
    const w = group[depth]!;
    if (choice[depth] === 0) {
      choice[depth] = 1; // skip first, so the first state found is "nothing survived"
      depth += 1;
      continue;
    }
    if (choice[depth] === 1) {
      const fresh: number[] = [];
      const writeSectors = analysis.writeSectors[w]!;
      const writeClasses = analysis.writeClasses[w]!;
      for (let k = 0; k < writeSectors.length; k++) {
        const local = writeSectors[k]!;
        if (!decided.has(local)) {
          decided.set(local, writeClasses[k]!);
          fresh.push(local);
        }
      }
      if (fresh.length > 0) {
        // Keeping a write whose every sector a newer kept write covers changes nothing: no branch.
        choice[depth] = 2;
        marked[depth] = fresh;
        depth += 1;
        continue;
      }
    } else {
      for (const local of marked[depth]!) decided.delete(local);
      marked[depth] = [];
    }
    choice[depth] = 0;
    depth -= 1;
  }
  return { states, complete: true };
}

function countDisjointMutant(analysis: Analysis, limit: number): CrashStateCount {
  let count = 1;
  for (let w = 0; w < analysis.writes.length; w++) {
    count *= 2;
    if (count > limit) return { count: limit, limitHit: true };
  }
  return { count, limitHit: false };
}

/** Count the distinct persisted images a crash can leave from this log, up to `options.limit`. */
export function countCrashStates(
  log: readonly LoggedWrite[],
  readPersisted: PersistedReader,
  options: CrashStateOptions = {},
): CrashStateCount {
  const { limit, maxWork } = checkLimit(options);
  const analysis = analyse(log, readPersisted);
  if ((options.mutations ?? NO_MUTATIONS).has(MUTATION_COUNT_ASSUMES_DISJOINT))
    return countDisjointMutant(analysis, limit);
  let count = 1;
  if (options.torn === true) {
    for (const classes of analysis.classCount) {
      count *= classes;
      if (count > limit) return { count: limit, limitHit: true };
    }
    return { count, limitHit: false };
  }
  const workLeft = { leaves: maxWork };
  for (const group of components(analysis)) {
    // Other groups contribute at least one state each, so more than cap here already passes limit.
    const cap = Math.floor(limit / count) + 1;
    const { states, complete } = groupStates(analysis, group, { cap, workLeft, keepStates: false });
    count *= states.length;
    if (count > limit) return { count: limit, limitHit: true };
    if (!complete) return { count, limitHit: true };
  }
  return { count, limitHit: false };
}

function stateOf(analysis: Analysis, keptSectors: Map<number, number[]>): CrashState {
  const kept: KeptWrite[] = [];
  for (const w of [...keptSectors.keys()].sort((a, b) => a - b)) {
    const { write, logIndex } = analysis.writes[w]!;
    const relatives = keptSectors.get(w)!.sort((a, b) => a - b);
    const base = { logIndex, seq: write.seq, offsetBytes: write.offsetBytes, lengthBytes: write.lengthBytes };
    kept.push(relatives.length === write.liveSectors ? base : { ...base, keptRuns: runsOf(relatives) });
  }
  return { kept };
}

/**
 * Yield each distinct crash state reachable from this log (at most `options.limit`), drop-all
 * first. The generator's return value says whether the limit cut the list short.
 */
export function* enumerateCrashStates(
  log: readonly LoggedWrite[],
  readPersisted: PersistedReader,
  options: CrashStateOptions = {},
): Generator<CrashState, CrashStateCount> {
  const { limit, maxWork } = checkLimit(options);
  const analysis = analyse(log, readPersisted);
  // Each dimension lists the choices of one independent part: a group of writes, or a torn sector.
  const dimensions: number[][][] = [];
  let complete = true;
  let product = 1;
  if (options.torn === true) {
    for (let local = 0; local < analysis.sectorCount; local++) {
      const classes = analysis.classCount[local]!;
      if (classes > 1) dimensions.push(Array.from({ length: classes }, (_, cls) => [local, cls]));
    }
  } else {
    const workLeft = { leaves: maxWork };
    for (const group of components(analysis)) {
      const cap = Math.floor(limit / product) + 1;
      const result = groupStates(analysis, group, { cap, workLeft, keepStates: true });
      product *= result.states.length;
      dimensions.push(result.states);
      if (!result.complete) complete = false;
      if (product > limit || !result.complete) break;
    }
  }
  const odometer = new Array<number>(dimensions.length).fill(0);
  let yielded = 0;
  while (yielded < limit) {
    const keptSectors = new Map<number, number[]>();
    const addSector = (w: number, relative: number): void => {
      const list = keptSectors.get(w) ?? [];
      list.push(relative);
      keptSectors.set(w, list);
    };
    dimensions.forEach((choices, d) => {
      const choice = choices[odometer[d]!]!;
      if (options.torn === true) {
        const [local, cls] = choice as [number, number];
        const source = analysis.classSource[local]![cls]!;
        if (source.write >= 0) addSector(source.write, source.relative);
      } else {
        for (const w of choice) for (const relative of analysis.writeRelative[w]!) addSector(w, relative);
      }
    });
    yield stateOf(analysis, keptSectors);
    yielded += 1;
    let d = 0;
    while (d < dimensions.length && odometer[d] === dimensions[d]!.length - 1) {
      odometer[d] = 0;
      d += 1;
    }
    if (d === dimensions.length) return { count: yielded, limitHit: !complete };
    odometer[d]! += 1;
  }
  return { count: yielded, limitHit: true };
}
