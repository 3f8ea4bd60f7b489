/**
 * The shadow model: for every written verify unit ("block") of every LV, which write generations
 * may legally be found there after a crash, and the read-back that classifies what is found.
 *
 * Per block it keeps the durable generation (acknowledged and then covered by a completed flush,
 * or written with FUA) and the generations still in flight or in a volatile cache (issued, or
 * acknowledged but not yet flushed). After a crash the allowed set is {durable} ∪ {cached newer
 * than durable}; "never written" (zeros) counts as durable generation 0. Classifications are
 * defined in verify-header.ts.
 *
 * Memory is proportional to blocks written: one Map entry (a number) per durable block, one small
 * record per block with unflushed writes, and per snapshot one frozen record per block the origin
 * changed after the snapshot (copy-on-write, as dm-snapshot's exception store).
 *
 * Ordering follows calls, not virtual time: the engine's devices are synchronous, so a write whose
 * `write()` returned is in the device's cache when a later `flush()` is called.
 */

import type { BlockDevice } from "../engine/block/device.js";
import { isBlockDeviceError } from "../engine/block/errors.js";
import type { MutationInfo, Mutations } from "../engine/sim/mutations.js";
import { NO_MUTATIONS } from "../engine/sim/mutations.js";
import type { BlockCheck, BlockExpectation, Classification, HeaderVerifyKind } from "./verify-header.js";
import { CLASSIFICATIONS, checkBlock, HEADER_BYTES, MAX_UNIT_BYTES } from "./verify-header.js";

/** Mutation: an acknowledged write counts as durable at once, forgetting the volatile cache (too strict). */
export const MUTATION_ORACLE_ACK_IS_DURABLE = "workloads.oracle.ack-is-durable";

/** Mutation: zeros are always allowed, so a lost write that reads as zeros passes (too lenient). */
export const MUTATION_ORACLE_ZEROS_ALWAYS_ALLOWED = "workloads.oracle.zeros-always-allowed";

/** Mutation: an older generation found where a newer one was flushed is reported stale, not lost. */
export const MUTATION_ORACLE_LOST_AS_STALE = "workloads.oracle.lost-as-stale";

/** Catalogue entry for {@link MUTATION_ORACLE_LOST_AS_STALE}. */
export const ORACLE_LOST_AS_STALE: MutationInfo = {
  name: MUTATION_ORACLE_LOST_AS_STALE,
  description:
    "ShadowOracle reports a flushed write that was overwritten by an older generation as stale instead of lost",
};

/** Mutation: a flush promotes every volatile block but the first, which stays volatile (too lenient). */
const MUTATION_ORACLE_FLUSH_SKIPS_BLOCK = "workloads.oracle.flush-skips-block";

/** Catalogue entry for {@link MUTATION_ORACLE_FLUSH_SKIPS_BLOCK}. */
export const ORACLE_FLUSH_SKIPS_BLOCK: MutationInfo = {
  name: MUTATION_ORACLE_FLUSH_SKIPS_BLOCK,
  description:
    "ShadowOracle's flush leaves one acknowledged block volatile, so losing that flushed write after a crash passes as allowed",
};

const NO_GENERATIONS: readonly number[] = [];

/** Generation 0: the block was never written; it must read as zeros. */
const NEVER_WRITTEN = 0;
/** Unflushed generations one block may hold before the oracle refuses (a missing fsync, most likely). */
const MAX_CACHED_GENERATIONS_PER_BLOCK = 4096;
/** Default bound on examples kept per verification report. */
const DEFAULT_MAX_EXAMPLES = 16;
/** Largest read issued by a verification pass. */
const VERIFY_READ_BYTES = 1 << 20;
/** Most blocks one `verifyDevice` call will read with `allBlocks`. */
const MAX_VERIFY_BLOCKS = 1 << 24;

/** How an LV's blocks are written and checked. */
export interface LvRegistration {
  /** Bytes per verify unit; offsets and lengths of writes are multiples of it. */
  readonly blockBytes: number;
  readonly sizeBytes: number;
  readonly seed: number;
  readonly verify: HeaderVerifyKind;
  readonly pattern?: Uint8Array;
  /** Name used in messages, e.g. "vg0/lv0". */
  readonly name?: string;
}

interface PendingRecord {
  durable: number;
  /** Acknowledged, not yet flushed, ascending. */
  acked: number[];
  /** Issued, not acknowledged (in flight, or failed with an error), ascending. */
  inflight: number[];
  /**
   * Per generation, the older ones still in flight when it was issued: overlapping writes in
   * flight together are unordered (a disk or a stacked target may apply them either way), so
   * where that generation settles the block, any of its rivals may be what the media holds.
   */
  rivals?: Map<number, readonly number[]>;
  /**
   * A snapshot's first write to a block it still shared: what the block showed through its origin
   * then (another LV's writes), which stays on the media until a write of its own is durable.
   */
  inherited?: { readonly writerId: number; readonly durable: number; readonly others: readonly number[] };
}

/** The older generations that may hold a block `generation` settled (see {@link PendingRecord.rivals}). */
function rivalsOf(record: PendingRecord, generation: number): readonly number[] {
  return record.rivals?.get(generation) ?? NO_GENERATIONS;
}

/** What a crash may leave of a block with unflushed writes, beside its durable generation. */
function crashCandidates(record: PendingRecord): number[] {
  const inherited = record.inherited;
  const base =
    inherited !== undefined && record.durable === inherited.durable ? inherited.others : NO_GENERATIONS;
  return [...base, ...rivalsOf(record, record.durable), ...record.acked, ...record.inflight];
}

interface FrozenRecord {
  readonly durable: number;
  readonly others: readonly number[];
}

interface LvState {
  readonly id: number;
  readonly registration: LvRegistration;
  readonly durable: Map<number, number>;
  readonly pending: Map<number, PendingRecord>;
  readonly snapshots: LvState[];
  /**
   * Blocks a discard reached, each with the newest generation handed out when it came: zeros are
   * allowed there besides what else is, until a write issued after the discard is durable (a
   * write issued before it, made durable by a later flush, does not undo the discard).
   */
  readonly mayBeZero: Map<number, number>;
  /** Blocks a discard unmapped whole: they read as zeros once the next flush (pool commit) completes. */
  readonly unmapped: Set<number>;
  readonly base?: { readonly origin: LvState; readonly frozen: Map<number, FrozenRecord> };
}

/** One classified block kept as an example for a report. */
export interface VerifyExample {
  readonly blockIndex: number;
  readonly offsetBytes: number;
  readonly lengthBytes: number;
  readonly classification: Classification;
  readonly expected: { readonly allowed: readonly number[]; readonly durable: number };
  readonly found: { readonly generation?: number; readonly lvId?: number; readonly offsetBytes?: number };
  readonly fioReason: string;
  readonly detail: string;
}

/** The result of reading back one LV. */
export interface VerifyReport {
  readonly lvId: number;
  readonly device: string;
  readonly blocksChecked: number;
  readonly counts: Readonly<Record<Classification, number>>;
  /** The first few failures in offset order. */
  readonly examples: readonly VerifyExample[];
  /** True when every block checked is ok. */
  readonly ok: boolean;
  /** Virtual time at which the last read completed. */
  readonly completionNs: number;
}

/** Options of {@link ShadowOracle.verifyDevice}. */
export interface VerifyOptions {
  /** Read every block of the LV, not only written ones; unwritten blocks must read as zeros. */
  readonly allBlocks?: boolean;
  /** "crash" (default): any generation a crash may leave; "latest": the newest acknowledged one, for checks during a run. */
  readonly mode?: "crash" | "latest";
  readonly issueNs?: number;
  readonly maxExamples?: number;
  /** After the check, take each ok block's found generation as its durable state (recovery done). */
  readonly adopt?: boolean;
  /** Check only these block indices (e.g. a verify_backlog batch). */
  readonly blocks?: readonly number[];
}

function emptyCounts(): Record<Classification, number> {
  return Object.fromEntries(CLASSIFICATIONS.map((c) => [c, 0])) as Record<Classification, number>;
}

/** The shadow model of what each LV must hold. */
export class ShadowOracle {
  readonly #lvs = new Map<number, LvState>();
  readonly #mutations: Mutations;
  #generation = 0;

  constructor(options: { mutations?: Mutations } = {}) {
    this.#mutations = options.mutations ?? NO_MUTATIONS;
  }

  /** The lost-as-stale mutation: an older generation found where a newer one is durable passes as stale. */
  #misreport(check: BlockCheck): BlockCheck {
    if (
      check.classification !== "lost" ||
      check.foundGeneration === undefined ||
      check.foundGeneration === NEVER_WRITTEN ||
      !this.#mutations.has(MUTATION_ORACLE_LOST_AS_STALE)
    ) {
      return check;
    }
    return { ...check, classification: "stale" };
  }

  /** Declare an LV before writing to it. */
  registerLv(lvId: number, registration: LvRegistration): void {
    if (this.#lvs.has(lvId)) throw new Error(`Oracle: LV ${lvId} is already registered`);
    const { blockBytes, sizeBytes } = registration;
    if (!Number.isInteger(lvId) || lvId < 0 || lvId > 0xffffffff) {
      throw new RangeError(`Oracle: LV id must be a u32, got ${lvId}`);
    }
    if (
      blockBytes < 512 ||
      blockBytes % 512 !== 0 ||
      blockBytes > MAX_UNIT_BYTES ||
      blockBytes <= HEADER_BYTES
    ) {
      throw new RangeError(
        `Oracle: LV ${lvId} block size ${blockBytes} must be a multiple of 512 up to ${MAX_UNIT_BYTES}`,
      );
    }
    if (sizeBytes % blockBytes !== 0 && sizeBytes < blockBytes) {
      throw new RangeError(`Oracle: LV ${lvId} of ${sizeBytes} bytes holds no ${blockBytes}-byte block`);
    }
    this.#lvs.set(lvId, emptyLvState(lvId, registration));
  }

  /**
   * Become a deep copy of `other` (an oracle with no LVs of its own): crash-point branching judges
   * each branch against the oracle as the run had it at the crash point, while the run goes on.
   */
  adoptStateOf(other: ShadowOracle): void {
    if (this.#lvs.size > 0) throw new Error("Oracle: adoptStateOf needs an oracle with no LVs registered");
    const copies = new Map<LvState, LvState>();
    const copyOf = (lv: LvState): LvState => {
      const copy = copies.get(lv);
      if (copy === undefined) throw new Error(`Oracle: LV ${lv.id} is referenced but not registered`);
      return copy;
    };
    for (const lv of other.#lvs.values()) {
      const pending = new Map<number, PendingRecord>();
      for (const [block, r] of lv.pending) {
        pending.set(block, {
          durable: r.durable,
          acked: r.acked.slice(),
          inflight: r.inflight.slice(),
          ...(r.rivals === undefined ? {} : { rivals: new Map(r.rivals) }),
          ...(r.inherited === undefined ? {} : { inherited: r.inherited }),
        });
      }
      copies.set(lv, {
        id: lv.id,
        registration: lv.registration,
        durable: new Map(lv.durable),
        pending,
        snapshots: [],
        mayBeZero: new Map(lv.mayBeZero),
        unmapped: new Set(lv.unmapped),
      });
    }
    for (const [lv, copy] of copies) {
      copy.snapshots.push(...lv.snapshots.map(copyOf));
      const base =
        lv.base === undefined
          ? undefined
          : { origin: copyOf(lv.base.origin), frozen: new Map(lv.base.frozen) };
      this.#lvs.set(lv.id, base === undefined ? copy : { ...copy, base });
    }
    // Snapshot lists and origins point at the copies made first; re-point them at the stored ones.
    for (const copy of this.#lvs.values()) {
      for (let i = 0; i < copy.snapshots.length; i++)
        copy.snapshots[i] = this.#lvs.get(copy.snapshots[i]!.id)!;
      if (copy.base !== undefined) {
        (copy.base as { origin: LvState }).origin = this.#lvs.get(copy.base.origin.id)!;
      }
    }
    this.#generation = other.#generation;
  }

  /** True when `lvId` is registered. */
  has(lvId: number): boolean {
    return this.#lvs.has(lvId);
  }

  /** The registration of `lvId`. */
  registration(lvId: number): LvRegistration {
    return this.#lv(lvId).registration;
  }

  /** A fresh generation number for the next write (1, 2, 3, …; unique across LVs). */
  nextGeneration(): number {
    this.#generation += 1;
    return this.#generation;
  }

  /** Blocks with any record, own or frozen: the oracle's memory footprint in entries. */
  trackedBlocks(lvId: number): number {
    const lv = this.#lv(lvId);
    return lv.durable.size + lv.pending.size + (lv.base?.frozen.size ?? 0);
  }

  #lv(lvId: number): LvState {
    const lv = this.#lvs.get(lvId);
    if (lv === undefined) throw new Error(`Oracle: LV ${lvId} is not registered; call registerLv first`);
    return lv;
  }

  *#blocksOf(lv: LvState, offsetBytes: number, lengthBytes: number): Generator<number> {
    const unit = lv.registration.blockBytes;
    if (offsetBytes % unit !== 0 || lengthBytes % unit !== 0 || lengthBytes <= 0) {
      throw new RangeError(
        `Oracle: write at ${offsetBytes} (+${lengthBytes}) on LV ${lv.id} is not a whole number of ${unit}-byte blocks`,
      );
    }
    if (offsetBytes + lengthBytes > lv.registration.sizeBytes) {
      throw new RangeError(`Oracle: write at ${offsetBytes} (+${lengthBytes}) runs past LV ${lv.id}'s end`);
    }
    for (let b = offsetBytes / unit; b < (offsetBytes + lengthBytes) / unit; b++) yield b;
  }

  // The state a snapshot shares with its origin is copied out before the origin changes it.
  #freezeForSnapshots(lv: LvState, block: number): void {
    for (const snap of lv.snapshots) {
      const frozen = snap.base!.frozen;
      if (frozen.has(block)) continue;
      const pending = lv.pending.get(block);
      frozen.set(
        block,
        pending === undefined
          ? { durable: lv.durable.get(block) ?? NEVER_WRITTEN, others: [] }
          : { durable: pending.durable, others: crashCandidates(pending) },
      );
    }
  }

  #pendingFor(lv: LvState, block: number): PendingRecord {
    let record = lv.pending.get(block);
    if (record === undefined) {
      const own = lv.durable.get(block);
      // A snapshot (or a merging origin, which writes as its snapshot) shows its origin's data
      // where it never wrote: until its own write is durable, a crash leaves that data there.
      const shared = own === undefined && lv.base !== undefined ? this.#recordOf(lv, block) : undefined;
      if (shared !== undefined && shared.writerId !== lv.id) {
        const { durable, others } = shared.record;
        record = {
          durable,
          acked: [],
          inflight: [],
          inherited: { writerId: shared.writerId, durable, others },
        };
      } else record = { durable: own ?? NEVER_WRITTEN, acked: [], inflight: [] };
      lv.pending.set(block, record);
    }
    return record;
  }

  /** A write of `generation` was issued: from now on it may be on the media. */
  issueWrite(lvId: number, offsetBytes: number, lengthBytes: number, generation: number): void {
    const lv = this.#lv(lvId);
    for (const block of this.#blocksOf(lv, offsetBytes, lengthBytes)) {
      this.#freezeForSnapshots(lv, block);
      // A write after a discard provisions afresh: the discard no longer decides this block.
      lv.unmapped.delete(block);
      const record = this.#pendingFor(lv, block);
      const newest = Math.max(record.durable, record.acked.at(-1) ?? 0, record.inflight.at(-1) ?? 0);
      if (generation <= newest) {
        throw new Error(
          `Oracle: generation ${generation} for LV ${lvId} block ${block} is not newer than ${newest}`,
        );
      }
      if (record.acked.length + record.inflight.length >= MAX_CACHED_GENERATIONS_PER_BLOCK) {
        throw new Error(
          `Oracle: LV ${lvId} block ${block} has ${MAX_CACHED_GENERATIONS_PER_BLOCK} unflushed generations; ` +
            "the workload never flushes, add fsync=N",
        );
      }
      if (record.inflight.length > 0) {
        record.rivals ??= new Map();
        record.rivals.set(generation, record.inflight.slice());
      }
      record.inflight.push(generation);
    }
  }

  /** The write of `generation` completed; with FUA it is durable now. */
  ackWrite(
    lvId: number,
    offsetBytes: number,
    lengthBytes: number,
    options: { generation: number; fua?: boolean },
  ): void {
    const lv = this.#lv(lvId);
    const generation = options.generation;
    for (const block of this.#blocksOf(lv, offsetBytes, lengthBytes)) {
      const record = lv.pending.get(block);
      const at = record?.inflight.indexOf(generation) ?? -1;
      if (record === undefined || at < 0) {
        throw new Error(
          `Oracle: ack of generation ${generation} on LV ${lvId} block ${block} that was never issued`,
        );
      }
      this.#freezeForSnapshots(lv, block);
      record.inflight.splice(at, 1);
      // A newer overlapping write, issued while this one was in flight, settled the block first:
      // this one stays allowed as that write's rival, and must not take the block back.
      if (generation < record.durable) {
        this.#dropIfSettled(lv, block, record);
        continue;
      }
      if (options.fua === true || this.#mutations.has(MUTATION_ORACLE_ACK_IS_DURABLE)) {
        this.#promote(lv, block, record, generation);
      } else {
        record.acked.push(generation);
        record.acked.sort((a, b) => a - b);
      }
    }
  }

  #promote(lv: LvState, block: number, record: PendingRecord, generation: number): void {
    if (generation < record.durable) {
      throw new Error(
        `Oracle invariant: LV ${lv.id} block ${block} would go back from durable generation ${record.durable} to ${generation}`,
      );
    }
    record.durable = generation;
    const discardedAfter = lv.mayBeZero.get(block);
    if (discardedAfter !== undefined && generation > discardedAfter) lv.mayBeZero.delete(block);
    record.acked = record.acked.filter((g) => g > generation);
    if (record.rivals !== undefined) {
      // Generations older than the durable one can no longer settle the block.
      for (const g of record.rivals.keys()) if (g < generation) record.rivals.delete(g);
    }
    this.#dropIfSettled(lv, block, record);
  }

  // Older in-flight writes may still land (they were issued but never acknowledged), and rivals of
  // the durable generation may be what the media holds: the record stays while either is left.
  #dropIfSettled(lv: LvState, block: number, record: PendingRecord): void {
    if (record.acked.length > 0 || record.inflight.length > 0) return;
    if (rivalsOf(record, record.durable).length > 0) return;
    lv.pending.delete(block);
    // No write of its own settled the block: it goes on showing what it shares.
    if (record.inherited !== undefined && record.durable === record.inherited.durable) return;
    lv.durable.set(block, record.durable);
  }

  /** A flush of the LV completed: every acknowledged write is durable now. */
  flush(lvId: number): void {
    const lv = this.#lv(lvId);
    const pending = [...lv.pending];
    if (this.#mutations.has(MUTATION_ORACLE_FLUSH_SKIPS_BLOCK)) pending.shift();
    for (const [block, record] of pending) {
      const newest = record.acked.at(-1);
      if (newest === undefined) continue;
      this.#freezeForSnapshots(lv, block);
      this.#promote(lv, block, record, newest);
    }
    // The commit this flush made drops the discarded mappings for good: those blocks read as zeros.
    for (const block of lv.unmapped) {
      this.#freezeForSnapshots(lv, block);
      lv.pending.delete(block);
      lv.durable.set(block, NEVER_WRITTEN);
      lv.mayBeZero.delete(block);
    }
    lv.unmapped.clear();
    // A completed flush leaves no acknowledged write volatile: were one left, a crash could lose it
    // and the verdict would call that allowed.
    for (const [block, record] of lv.pending) {
      if (record.acked.length > 0) {
        throw new Error(
          `Oracle invariant: LV ${lvId} block ${block} still holds acknowledged generation ${record.acked.at(-1)} as volatile after a flush`,
        );
      }
    }
  }

  /**
   * A discard of `[offsetBytes, offsetBytes + lengthBytes)` completed on `lvId`. Verify units that
   * lie inside a whole `unmapUnitBytes` unit (a thin pool block: dm-thin unmaps only whole blocks)
   * read as zeros once the next flush completes, and as their old data or zeros until then. Units
   * the discard reaches but cannot be known to unmap (a partial pool block, or no unit given) may
   * read as their old data or zeros from now on. Blocks outside the range are untouched.
   */
  discard(
    lvId: number,
    offsetBytes: number,
    lengthBytes: number,
    options: { unmapUnitBytes?: number } = {},
  ): void {
    const lv = this.#lv(lvId);
    const unitBytes = options.unmapUnitBytes;
    if (unitBytes !== undefined && (unitBytes <= 0 || unitBytes % lv.registration.blockBytes !== 0)) {
      throw new RangeError(
        `Oracle: discard unit ${unitBytes} on LV ${lvId} is not a multiple of its ${lv.registration.blockBytes}-byte blocks`,
      );
    }
    const endBytes = offsetBytes + lengthBytes;
    for (const block of this.#blocksOf(lv, offsetBytes, lengthBytes)) {
      this.#freezeForSnapshots(lv, block);
      lv.mayBeZero.set(block, this.#generation);
      if (unitBytes === undefined) continue;
      const unitStart = Math.floor((block * lv.registration.blockBytes) / unitBytes) * unitBytes;
      if (unitStart >= offsetBytes && unitStart + unitBytes <= endBytes) lv.unmapped.add(block);
    }
  }

  /**
   * `snapshotLvId` becomes a snapshot of `originLvId` as it is now: after a crash it must show,
   * per block, what the origin was allowed to show at this moment.
   */
  snapshot(originLvId: number, snapshotLvId: number, options: { name?: string } = {}): void {
    const origin = this.#lv(originLvId);
    if (origin.base !== undefined)
      throw new Error(`Oracle: LV ${originLvId} is a snapshot; snapshots of snapshots are not modelled`);
    if (this.#lvs.has(snapshotLvId)) throw new Error(`Oracle: LV ${snapshotLvId} is already registered`);
    const registration = {
      ...origin.registration,
      ...(options.name === undefined ? {} : { name: options.name }),
    };
    const snap: LvState = {
      ...emptyLvState(snapshotLvId, registration),
      base: { origin, frozen: new Map() },
    };
    origin.snapshots.push(snap);
    this.#lvs.set(snapshotLvId, snap);
  }

  /** True when `lvId` was registered with {@link snapshot}. */
  isSnapshot(lvId: number): boolean {
    return this.#lv(lvId).base !== undefined;
  }

  /** The LV `snapshotLvId` is a snapshot of, or undefined when it is none. */
  originOf(snapshotLvId: number): number | undefined {
    return this.#lv(snapshotLvId).base?.origin.id;
  }

  /** Forget a snapshot (lvremove); the origin stops copying state for it. */
  dropSnapshot(snapshotLvId: number): void {
    const snap = this.#lv(snapshotLvId);
    if (snap.base === undefined) throw new Error(`Oracle: LV ${snapshotLvId} is not a snapshot`);
    const list = snap.base.origin.snapshots;
    list.splice(list.indexOf(snap), 1);
    this.#lvs.delete(snapshotLvId);
  }

  // Which LV's writes a block shows: its own, else (for a snapshot) the origin's as frozen.
  #recordOf(lv: LvState, block: number): { record: FrozenRecord; writerId: number } | undefined {
    const pending = lv.pending.get(block);
    if (pending !== undefined) {
      return { record: { durable: pending.durable, others: crashCandidates(pending) }, writerId: lv.id };
    }
    const durable = lv.durable.get(block);
    if (durable !== undefined) return { record: { durable, others: [] }, writerId: lv.id };
    if (lv.base === undefined) return undefined;
    const frozen = lv.base.frozen.get(block);
    if (frozen !== undefined) return { record: frozen, writerId: lv.base.origin.id };
    return this.#recordOf(lv.base.origin, block);
  }

  /** What block `blockIndex` of `lvId` may hold: after a crash ("crash") or right now ("latest"). */
  expectation(
    lvId: number,
    blockIndex: number,
    options: { mode?: "crash" | "latest" } = {},
  ): BlockExpectation {
    return this.#expectation(this.#lv(lvId), blockIndex, options.mode ?? "crash");
  }

  // Hot in every read-back: no object spreads and no wrapper records on the durable-only path.
  #expectation(lv: LvState, blockIndex: number, mode: "crash" | "latest"): BlockExpectation {
    const reg = lv.registration;
    const pending = lv.pending.get(blockIndex);
    let writerId = lv.id;
    let durable: number;
    let others: readonly number[] = NO_GENERATIONS;
    let writers: Map<number, number> | undefined;
    if (pending !== undefined) {
      durable = pending.durable;
      others =
        pending.acked.length === 0 && pending.rivals === undefined && pending.inherited === undefined
          ? pending.inflight
          : crashCandidates(pending);
      const inherited = pending.inherited;
      if (inherited !== undefined && durable === inherited.durable) {
        writers = new Map();
        for (const g of [inherited.durable, ...inherited.others])
          if (g !== NEVER_WRITTEN) writers.set(g, inherited.writerId);
      }
    } else {
      const own = lv.durable.get(blockIndex);
      if (own !== undefined) durable = own;
      else {
        const found = lv.base === undefined ? undefined : this.#recordOf(lv, blockIndex);
        durable = found?.record.durable ?? NEVER_WRITTEN;
        others = found?.record.others ?? NO_GENERATIONS;
        writerId = found?.writerId ?? lv.id;
      }
    }
    let allowed: number[];
    if (mode === "latest" && pending !== undefined) {
      const settled = pending.acked.at(-1) ?? pending.durable;
      allowed = [settled, ...rivalsOf(pending, settled)];
      for (const g of pending.inflight) if (g > settled) allowed.push(g);
    } else if (others.length === 0) {
      allowed = [durable];
    } else {
      allowed = [durable, ...others];
    }
    if (
      (lv.mayBeZero.has(blockIndex) || this.#mutations.has(MUTATION_ORACLE_ZEROS_ALWAYS_ALLOWED)) &&
      !allowed.includes(NEVER_WRITTEN)
    ) {
      allowed.push(NEVER_WRITTEN);
    }
    return {
      lvId: writerId,
      offsetBytes: blockIndex * reg.blockBytes,
      seed: reg.seed,
      verify: reg.verify,
      pattern: reg.pattern,
      allowed,
      durable,
      candidates: others,
      ...(writers === undefined || writers.size === 0 ? {} : { writers }),
    };
  }

  /** Block indices with any record for `lvId`, ascending. */
  writtenBlocks(lvId: number): number[] {
    const lv = this.#lv(lvId);
    const set = new Set<number>([...lv.durable.keys(), ...lv.pending.keys()]);
    if (lv.base !== undefined) {
      for (const b of lv.base.frozen.keys()) set.add(b);
      const origin = lv.base.origin;
      for (const b of origin.durable.keys()) set.add(b);
      for (const b of origin.pending.keys()) set.add(b);
    }
    // A typed array sorts numbers natively, without calling a comparator per comparison.
    return Array.from(Float64Array.from(set).sort());
  }

  /**
   * Read back `lvId` from `device` and classify every written block (or every block with
   * `allBlocks`). EIO and ENXIO make a block unreadable; any other error, a simulation halt
   * included, propagates.
   */
  verifyDevice(device: BlockDevice, lvId: number, options: VerifyOptions = {}): VerifyReport {
    const lv = this.#lv(lvId);
    const unit = lv.registration.blockBytes;
    const totalBlocks = Math.floor(Math.min(lv.registration.sizeBytes, device.sizeBytes) / unit);
    let blocks: readonly number[];
    if (options.blocks !== undefined) blocks = options.blocks;
    else if (options.allBlocks === true) {
      if (totalBlocks > MAX_VERIFY_BLOCKS) {
        throw new RangeError(
          `Oracle: LV ${lvId} has ${totalBlocks} blocks, more than ${MAX_VERIFY_BLOCKS} to read back`,
        );
      }
      blocks = Array.from({ length: totalBlocks }, (_, i) => i);
    } else blocks = this.writtenBlocks(lvId);
    const buffer = takeVerifyBuffer(Math.max(unit, Math.floor(VERIFY_READ_BYTES / unit) * unit));
    try {
      return this.#verifyBlocks(device, lv, blocks, buffer, totalBlocks, options);
    } finally {
      giveVerifyBuffer(buffer);
    }
  }

  #verifyBlocks(
    device: BlockDevice,
    lv: LvState,
    blocks: readonly number[],
    buffer: Uint8Array,
    totalBlocks: number,
    options: VerifyOptions,
  ): VerifyReport {
    const lvId = lv.id;
    const unit = lv.registration.blockBytes;
    const maxExamples = options.maxExamples ?? DEFAULT_MAX_EXAMPLES;
    const counts = emptyCounts();
    const examples: VerifyExample[] = [];
    const adopted: [number, number][] = [];
    let nowNs = options.issueNs ?? 0;
    let completionNs = nowNs;
    const record = (block: number, check: BlockCheck, expected: BlockExpectation): void => {
      counts[check.classification] += 1;
      if (check.classification === "ok") {
        if (options.adopt === true) adopted.push([block, check.foundGeneration ?? NEVER_WRITTEN]);
        return;
      }
      if (examples.length < maxExamples) examples.push(exampleOf(block, unit, check, expected));
    };
    const mode = options.mode ?? "crash";
    let i = 0;
    while (i < blocks.length) {
      const first = blocks[i]!;
      if (!(first >= 0 && first < totalBlocks)) {
        throw new RangeError(`Oracle: block ${first} is outside LV ${lvId} (${totalBlocks} blocks)`);
      }
      let count = 1;
      while (
        i + count < blocks.length &&
        blocks[i + count] === first + count &&
        (count + 1) * unit <= buffer.length
      ) {
        count += 1;
      }
      const span = buffer.subarray(0, count * unit);
      let readOk = true;
      try {
        completionNs = Math.max(completionNs, device.read(first * unit, span, { issueNs: nowNs }));
      } catch (error) {
        if (!isBlockDeviceError(error, "EIO") && !isBlockDeviceError(error, "ENXIO")) throw error;
        readOk = false;
      }
      for (let k = 0; k < count; k++) {
        const block = first + k;
        const expected = this.#expectation(lv, block, mode);
        const view = span.subarray(k * unit, (k + 1) * unit);
        let check: BlockCheck;
        if (readOk) check = checkBlock(view, expected);
        else {
          try {
            completionNs = Math.max(completionNs, device.read(block * unit, view, { issueNs: nowNs }));
            check = checkBlock(view, expected);
          } catch (error) {
            if (!isBlockDeviceError(error, "EIO") && !isBlockDeviceError(error, "ENXIO")) throw error;
            check = {
              classification: "unreadable",
              fioReason: `io_u error on file ${device.name}: Input/output error: read offset=${block * unit}, buflen=${unit}`,
              detail: `unreadable: ${(error as Error).message}`,
            };
          }
        }
        record(block, this.#misreport(check), expected);
      }
      nowNs = completionNs;
      i += count;
    }
    for (const [block, generation] of adopted) this.#adopt(lv, block, generation);
    const failed = blocks.length - counts.ok;
    return {
      lvId,
      device: device.name,
      blocksChecked: blocks.length,
      counts,
      examples,
      ok: failed === 0,
      completionNs,
    };
  }

  /**
   * Check units already read (e.g. a workload's read) against the oracle; blocks with no record
   * are skipped with `onlyWritten`, since a read-only job cannot know what they should hold.
   */
  checkBuffer(
    lvId: number,
    offsetBytes: number,
    data: Uint8Array,
    options: { mode?: "crash" | "latest"; onlyWritten?: boolean; maxExamples?: number } = {},
  ): { checked: number; counts: Record<Classification, number>; examples: VerifyExample[] } {
    const lv = this.#lv(lvId);
    const unit = lv.registration.blockBytes;
    if (offsetBytes % unit !== 0 || data.length % unit !== 0) {
      throw new RangeError(
        `Oracle: read at ${offsetBytes} (+${data.length}) is not whole ${unit}-byte blocks of LV ${lvId}`,
      );
    }
    const counts = emptyCounts();
    const examples: VerifyExample[] = [];
    let checked = 0;
    for (let k = 0; k < data.length / unit; k++) {
      const block = offsetBytes / unit + k;
      if (options.onlyWritten === true && this.#recordOf(lv, block) === undefined) continue;
      const expected = this.expectation(lvId, block, { mode: options.mode ?? "latest" });
      const check = this.#misreport(checkBlock(data.subarray(k * unit, (k + 1) * unit), expected));
      checked += 1;
      counts[check.classification] += 1;
      if (check.classification !== "ok" && examples.length < (options.maxExamples ?? DEFAULT_MAX_EXAMPLES)) {
        examples.push(exampleOf(block, unit, check, expected));
      }
    }
    return { checked, counts, examples };
  }

  #adopt(lv: LvState, block: number, generation: number): void {
    this.#freezeForSnapshots(lv, block);
    lv.pending.delete(block);
    if (generation === NEVER_WRITTEN && lv.base === undefined) lv.durable.delete(block);
    else lv.durable.set(block, generation);
  }
}

// The read buffer of verifyDevice, kept between calls: a fresh 1 MiB buffer per call (one per
// explored crash point and LV) cost a calloc and made the collector run more often. A nested call
// (none today) gets a buffer of its own.
let spareVerifyBuffer: Uint8Array | undefined;

function takeVerifyBuffer(lengthBytes: number): Uint8Array {
  const spare = spareVerifyBuffer;
  if (spare !== undefined && spare.length === lengthBytes) {
    spareVerifyBuffer = undefined;
    return spare;
  }
  return new Uint8Array(lengthBytes);
}

function giveVerifyBuffer(buffer: Uint8Array): void {
  spareVerifyBuffer = buffer;
}

/** An LV with nothing written, discarded or shared yet. */
function emptyLvState(id: number, registration: LvRegistration): LvState {
  return {
    id,
    registration,
    durable: new Map(),
    pending: new Map(),
    snapshots: [],
    mayBeZero: new Map(),
    unmapped: new Set(),
  };
}

function exampleOf(
  block: number,
  unit: number,
  check: BlockCheck,
  expected: BlockExpectation,
): VerifyExample {
  return {
    blockIndex: block,
    offsetBytes: block * unit,
    lengthBytes: unit,
    classification: check.classification,
    expected: { allowed: expected.allowed, durable: expected.durable },
    found: {
      ...(check.foundGeneration === undefined ? {} : { generation: check.foundGeneration }),
      ...(check.foundLvId === undefined ? {} : { lvId: check.foundLvId }),
      ...(check.foundOffsetBytes === undefined ? {} : { offsetBytes: check.foundOffsetBytes }),
    },
    fioReason: check.fioReason,
    detail: check.detail,
  };
}
