/**
 * The dm `raid` target at level raid1 (dm-raid.c over md raid1.c and md-bitmap.c, kernel 6.1):
 *
 * - Each leg is an rmeta (dm-raid superblock + md write-intent bitmap, {@link ./rmeta-format.ts})
 *   and an rimage (the data). A slot given as `- -` has no devices.
 * - A write sets its regions' bits and writes the bitmap to every live rmeta (FUA) **before** the
 *   data goes to the legs (`md_bitmap_startwrite` + `md_bitmap_unplug`); the bits are cleared
 *   lazily by the bitmap daemon every 5 s of virtual time, two passes after the region's last write,
 *   and only after the legs were flushed (the PREFLUSH of md_super_write reaches the rimage because
 *   it shares the PV with its rmeta).
 * - Reads are balanced across in-sync legs as `read_balance` does: a sequential stream sticks to
 *   its leg, otherwise the leg with the fewest requests in flight (lowest index on ties).
 * - A new set resyncs fully from leg 0 unless loaded `nosync`; a leg given `rebuild` (or whose
 *   rmeta is blank) recovers fully; a leg that failed and came back recovers only the regions the
 *   bitmap marked while it was away.
 * - After an unclean shutdown the dirty bits load without NEEDED on a synced, non-degraded set, so
 *   nothing resyncs and the legs may differ wherever writes were in flight (observed on 6.1).
 * - A failed leg is marked Faulty (`D`), its bit set in every live superblock's failed_devices, and
 *   the set runs degraded; every write from then on marks its regions NEEDED.
 * - `check` counts mismatching 64 KiB windows (mismatch_cnt, in sectors); `repair` also rewrites
 *   them from the lowest readable leg.
 *
 * Table: `raid1 <#params> 0 [nosync] [rebuild i]… region_size <sectors> <N> <meta> <data> …`.
 * Status: `raid1 <N> <health> <done>/<total> <sync_action> <mismatch_cnt> 0 -`.
 */

import { type BlockDevice, SECTOR_BYTES } from "../../block/device.js";
import { BlockDeviceError, isBlockDeviceError } from "../../block/errors.js";
import { type MutationInfo, type Mutations, NO_MUTATIONS } from "../../sim/mutations.js";
import type { ScheduledEvent, Scheduler } from "../../sim/scheduler.js";
import { STALL_POLL_NS, type SyncGate } from "../../sim/sync-gate.js";
import type { Trace, TraceEventInfo } from "../../sim/trace.js";
import { checkDeviceRef, type DeviceRef, deviceLabel, Target } from "../target.js";
import {
  BITMAP_DAEMON_SLEEP_SECONDS,
  BITMAP_SB_OFFSET_BYTES,
  bitmapAreaBytes,
  type DmRaidSuperblock,
  decodeBitmapSuperblock,
  decodeSuperblock,
  encodeBitmapSuperblock,
  encodeSuperblock,
  MAX_SECTOR,
  SUPERBLOCK_BYTES,
} from "./rmeta-format.js";

/** Trace events the raid1 target emits, for the scenarios' event catalogue (scenarios/event-catalogue.ts). */
export const RAID1_TRACE_EVENTS: readonly TraceEventInfo[] = [
  { name: "raid.superblock.new", description: "A raid1 set wrote fresh dm-raid superblocks (a new array)" },
  {
    name: "raid.superblock.write",
    description: "A raid1 set wrote its dm-raid superblocks (events counter, failed devices)",
  },
  { name: "raid.leg.fail", description: "A raid1 leg failed a write and was marked D in the superblock" },
  { name: "raid.leg.revive", description: "A failed raid1 leg came back and was taken into recovery" },
  { name: "raid.resync.step", description: "A raid1 resync copied one region to the other legs" },
  { name: "raid.resync.done", description: "A raid1 resync reached the end of the array" },
  {
    name: "raid.recover.step",
    description: "A returning raid1 leg got one dirty region recovered from the bitmap",
  },
  { name: "raid.recover.done", description: "A returning raid1 leg finished its bitmap-based recovery" },
  { name: "raid.check.step", description: "A raid1 check or repair scrub compared one region" },
  { name: "raid.check.done", description: "A raid1 check or repair scrub finished" },
  {
    name: "raid.bitmap.mark",
    description: "A raid1 write set its write-intent bitmap bits (written and flushed before the data)",
  },
  {
    name: "raid.bitmap.clear",
    description: "The bitmap daemon cleared idle raid1 regions after the legs were flushed",
  },
  {
    name: "raid.grow",
    description:
      "A raid1 table longer than its superblocks' array was loaded (lvextend): the new part resyncs",
  },
];

/** Mutation: the bitmap daemon clears bits without first flushing the legs. */
const RAID1_CLEAR_BEFORE_FLUSH = "raid1-bitmap-clear-before-flush";
/** Mutation: a write goes to the legs without setting its regions' bitmap bits. */
const RAID1_WRITE_WITHOUT_BIT = "raid1-write-without-bit";

/** Mutation: a grown table (lvextend) takes the new part as in sync instead of resyncing it. */
const RAID1_GROW_SKIPS_RESYNC = "raid1-grow-skips-resync";
/** Mutation: the superblocks record a recovering leg as in sync (recovery_offset MaxSector). */
const RAID1_RECOVERING_LEG_IN_SYNC = "raid1-recovering-leg-recorded-in-sync";
/** Mutation: a resync checkpoint records recovery_cp one region past the last region copied. */
const RAID1_CHECKPOINT_PAST_COPY = "raid1-resync-checkpoint-past-copy";
/** Mutation: a failed leg is marked Faulty in memory only; the superblocks never record it. */
const RAID1_FAILURE_NOT_RECORDED = "raid1-leg-failure-not-recorded";

/** Mutation: a write that spans regions sets only its first region's bit. */
const RAID1_MARKS_FIRST_REGION_ONLY: MutationInfo = {
  name: "raid1-marks-first-region-only",
  description:
    "a raid1 write that spans two bitmap regions sets only the first region's bit, so a crash can leave the legs different in a region the bitmap calls clean",
};

/** Mutation: read balancing ignores a recovering leg's recovery offset. */
const RAID1_READS_PAST_RECOVERY: MutationInfo = {
  name: "raid1-reads-past-recovery-offset",
  description:
    "raid1's read balancing counts a recovering leg as readable everywhere, not only below its recovery offset, so a read served by a new leg returns what the recovery has not copied yet",
};

/** The raid1 target's mutations, for the mutant catalogue. */
export const RAID1_MUTATIONS: readonly MutationInfo[] = [
  RAID1_READS_PAST_RECOVERY,
  {
    name: RAID1_CLEAR_BEFORE_FLUSH,
    description:
      "raid1's bitmap daemon clears a region's bit (FUA) before the legs' caches are flushed, so a power cut can leave the legs different in a region the bitmap calls clean",
  },
  {
    name: RAID1_WRITE_WITHOUT_BIT,
    description:
      "raid1 writes data to the legs without setting the region's write-intent bit first, so neither a crash nor a returning leg knows the region may differ",
  },
  {
    name: RAID1_GROW_SKIPS_RESYNC,
    description:
      "raid1 loaded longer than its superblocks' array (lvextend without --nosync) takes the new part as in sync, so the legs keep whatever the freed extents held",
  },
  {
    name: RAID1_RECOVERING_LEG_IN_SYNC,
    description:
      "raid1 writes a recovering leg's recovery_offset as MaxSector, so after a power cut the half-copied leg (a new image from lvconvert -m) is taken as in sync",
  },
  {
    name: RAID1_CHECKPOINT_PAST_COPY,
    description:
      "raid1's resync checkpoint records recovery_cp one region past the last region copied (off by one), so a resync resumed after a power cut skips a region and leaves the legs different there",
  },
  {
    name: RAID1_FAILURE_NOT_RECORDED,
    description:
      "raid1 marks a failed leg Faulty in memory without writing failed_devices to the surviving superblocks, so after a reboot the returning leg is taken as in sync and the writes it missed are never recovered",
  },
  RAID1_MARKS_FIRST_REGION_ONLY,
];

/** Most legs (`DEFAULT_RAID1_MAX_IMAGES`). */
const MAX_RAID1_LEGS = 64;
/** md's resync window for check/repair: one r1bio of up to 128 sectors (64 KiB). */
const CHECK_WINDOW_SECTORS = 128;
/** The bitmap daemon period. */
const DAEMON_SLEEP_NS = BITMAP_DAEMON_SLEEP_SECONDS * 1_000_000_000;
/** Daemon passes after a region's last write before its bit is cleared (counter 2 → 1 → 0). */
const CLEAN_PASSES = 2;
/** Bound on in-flight completion times remembered per leg for read balancing. */
const PENDING_MAX = 4096;

/** What the kernel is doing in the background (`sync_action`). */
export type RaidSyncAction = "idle" | "frozen" | "resync" | "recover" | "check" | "repair";

/** One slot of the table: both devices, or none (`- -`). */
export interface Raid1LegRef {
  readonly meta?: BlockDevice;
  readonly data?: DeviceRef;
}

/** Options of a raid1 target (its table line plus the simulation's hooks). */
export interface Raid1Options {
  readonly lengthSectors: number;
  readonly regionSizeSectors: number;
  readonly legs: readonly Raid1LegRef[];
  /** `nosync`: a new set starts in sync (lvcreate --nosync, mirror → raid1). */
  readonly nosync?: boolean;
  /** `rebuild i`: these legs get a fresh superblock and a full recovery. */
  readonly rebuild?: readonly number[];
  readonly scheduler?: Scheduler;
  readonly trace?: Trace;
  readonly mutations?: Mutations;
  /** Resync/recovery speed limit in bytes per second of virtual time; unlimited when absent or 0. */
  readonly syncSpeedBytesPerSecond?: number;
  readonly syncGate?: { readonly gate: SyncGate; readonly name: string };
  /** Virtual time of the load/resume. */
  readonly activateNs?: number;
}

/** One background step's outcome (resync, recover, check or repair). */
export interface Raid1SyncStep {
  readonly region: number | undefined;
  readonly doneNs: number;
  readonly nextStepNs: number;
  readonly done: boolean;
}

interface Leg {
  readonly index: number;
  readonly meta: BlockDevice | undefined;
  readonly data: DeviceRef | undefined;
  readonly baseBytes: number;
  faulty: boolean;
  /** Sectors recovered so far; MAX (as a number) when in sync. */
  recoveryOffsetSectors: number;
  /** The leg came back after a failure: recover only the regions the bitmap says (saved_raid_disk). */
  bitmapRecovery: boolean;
  headSector: number;
  nextSeqSector: number;
  pendingUntilNs: number[];
}

const IN_SYNC = Number.POSITIVE_INFINITY;

/** The dm-raid raid1 target. Construction is the table load and resume: superblocks and bitmap are read then. */
export class Raid1Target extends Target {
  readonly targetType = "raid";
  readonly regionSizeSectors: number;
  readonly regionCount: number;
  readonly #regionBytes: number;
  readonly #legs: Leg[];
  readonly #nosyncParam: boolean;
  readonly #rebuildParam: readonly number[];
  readonly #trace: Trace | undefined;
  #scheduler: Scheduler | undefined;
  readonly #syncGate: { readonly gate: SyncGate; readonly name: string } | undefined;
  readonly #syncSpeedBytesPerSecond: number;
  readonly #clearBeforeFlush: boolean;
  readonly #writeWithoutBit: boolean;
  readonly #marksFirstOnly: boolean;
  readonly #readsPastRecovery: boolean;
  readonly #growSkipsResync: boolean;
  readonly #recoveringInSync: boolean;
  /** 1 under the checkpoint-past-copy mutation, else 0: regions added to every resync checkpoint. */
  readonly #checkpointShift: number;
  readonly #failureNotRecorded: boolean;
  /** In-memory copy of the bitmap bits (what the last bitmap write put on disk). */
  readonly #bits: Uint8Array;
  /** Regions the next sync must copy (md's NEEDED). */
  readonly #needed: Uint8Array;
  /** Daemon passes left before a set bit may be cleared; 0 = nothing pending. */
  readonly #cleanPasses: Uint8Array;
  #events = 0n;
  #eventsCleared = 0n;
  /** recovery_cp in sectors; IN_SYNC when synced. */
  #resyncCpSectors: number;
  #action: RaidSyncAction = "idle";
  #lastCheckAction: RaidSyncAction | undefined;
  #mismatchSectors = 0;
  #syncCursorRegion = 0;
  #frozen = false;
  #daemon: ScheduledEvent | undefined;
  #broken = false;
  /** Regions synced since the last checkpoint superblock write. */
  #sinceCheckpoint = 0;
  readonly readyNs: number;
  #scratch: Uint8Array | undefined;
  /** The last bitmap write a data write had to wait for: its issue and completion times. */
  #bitmapWriteStartNs = Number.POSITIVE_INFINITY;
  #bitmapWriteDoneNs = 0;

  constructor(name: string, options: Raid1Options) {
    super(name, options.lengthSectors);
    const count = options.legs.length;
    if (count < 1 || count > MAX_RAID1_LEGS) {
      throw new RangeError(`raid1 ${name}: needs 1..${MAX_RAID1_LEGS} legs, got ${count}`);
    }
    const region = options.regionSizeSectors;
    if (
      !Number.isInteger(region) ||
      region < 8 ||
      (region & (region - 1)) !== 0 ||
      region > options.lengthSectors * 2
    ) {
      throw new RangeError(`raid1 ${name}: region size ${region} must be a power of 2 of at least 8 sectors`);
    }
    this.regionSizeSectors = region;
    this.#regionBytes = region * SECTOR_BYTES;
    this.regionCount = Math.ceil(options.lengthSectors / region);
    this.#nosyncParam = options.nosync ?? false;
    this.#rebuildParam = options.rebuild ?? [];
    this.#trace = options.trace;
    this.#scheduler = options.scheduler;
    this.#syncGate = options.syncGate;
    this.#syncSpeedBytesPerSecond = options.syncSpeedBytesPerSecond ?? 0;
    const mutations = options.mutations ?? NO_MUTATIONS;
    this.#clearBeforeFlush = mutations.has(RAID1_CLEAR_BEFORE_FLUSH);
    this.#writeWithoutBit = mutations.has(RAID1_WRITE_WITHOUT_BIT);
    this.#marksFirstOnly = mutations.has(RAID1_MARKS_FIRST_REGION_ONLY.name);
    this.#readsPastRecovery = mutations.has(RAID1_READS_PAST_RECOVERY.name);
    this.#growSkipsResync = mutations.has(RAID1_GROW_SKIPS_RESYNC);
    this.#recoveringInSync = mutations.has(RAID1_RECOVERING_LEG_IN_SYNC);
    this.#checkpointShift = mutations.has(RAID1_CHECKPOINT_PAST_COPY) ? 1 : 0;
    this.#failureNotRecorded = mutations.has(RAID1_FAILURE_NOT_RECORDED);
    this.#legs = options.legs.map((ref, index) => {
      if (ref.data !== undefined)
        checkDeviceRef(ref.data, { target: name, lengthSectors: options.lengthSectors });
      return {
        index,
        meta: ref.meta,
        data: ref.data,
        baseBytes: (ref.data?.offsetSectors ?? 0) * SECTOR_BYTES,
        faulty: ref.meta === undefined || ref.data === undefined,
        recoveryOffsetSectors: IN_SYNC,
        bitmapRecovery: false,
        headSector: 0,
        nextSeqSector: -1,
        pendingUntilNs: [],
      };
    });
    this.#bits = new Uint8Array(Math.ceil(this.regionCount / 8));
    this.#needed = new Uint8Array(this.regionCount);
    this.#cleanPasses = new Uint8Array(this.regionCount);
    this.#resyncCpSectors = IN_SYNC;
    this.readyNs = this.#load(options.activateNs ?? 0);
  }

  // ---------------------------------------------------------------- load

  /** `super_load` + `super_validate` + `md_bitmap_load`, then the preresume superblock write. */
  #load(nowNs: number): number {
    let t = nowNs;
    const sbs = new Map<number, DmRaidSuperblock>();
    let bitmapSource: Leg | undefined;
    let freshest: DmRaidSuperblock | undefined;
    const buf = new Uint8Array(SUPERBLOCK_BYTES);
    for (const leg of this.#legs) {
      if (leg.meta === undefined) continue;
      try {
        t = Math.max(t, leg.meta.read(0, buf, { issueNs: nowNs }));
        const sb = this.#rebuildParam.includes(leg.index) ? undefined : decodeSuperblock(buf);
        if (sb !== undefined) {
          sbs.set(leg.index, sb);
          if (freshest === undefined || sb.events > freshest.events) {
            freshest = sb;
            bitmapSource = leg;
          }
        }
      } catch (error) {
        if (!isBlockDeviceError(error)) throw error;
        leg.faulty = true;
      }
    }
    const rebuildOnly =
      this.#rebuildParam.length > 0 &&
      this.#legs.some((l) => !l.faulty && !this.#rebuildParam.includes(l.index));
    if (freshest === undefined && rebuildOnly) {
      // linear → raid1: blank superblocks, but `rebuild i` names the new legs; the others hold the data
      // and are taken as in sync, so the kernel recovers only the rebuilt legs ("Aa", recover).
      this.#events = 1n;
      this.#resyncCpSectors = IN_SYNC;
      for (const leg of this.#legs) if (this.#rebuildParam.includes(leg.index)) leg.recoveryOffsetSectors = 0;
      this.#bits.fill(0xff);
      this.#trimPadding();
      this.#cleanPasses.fill(CLEAN_PASSES);
    } else if (freshest === undefined) {
      // Every leg new: "Superblocks created for new raid set"; the bitmap starts all ones.
      this.#trace?.emit("raid.superblock.new", { raid: this.name });
      this.#resyncCpSectors = this.#nosyncParam ? IN_SYNC : 0;
      this.#events = 1n;
      this.#bits.fill(0xff);
      this.#trimPadding();
      // The new bitmap's ones are counted like written regions, so the daemon clears them once synced.
      if (!this.#nosyncParam) this.#needed.fill(1);
      else this.#cleanPasses.fill(CLEAN_PASSES);
    } else {
      this.#events = freshest.events;
      this.#resyncCpSectors =
        freshest.arrayResyncOffset === MAX_SECTOR ? IN_SYNC : Number(freshest.arrayResyncOffset);
      for (const leg of this.#legs) {
        if (leg.faulty) continue;
        const sb = sbs.get(leg.index);
        if (sb === undefined) {
          // A blank rmeta or `rebuild`: a new device, fully recovered.
          leg.recoveryOffsetSectors = 0;
          continue;
        }
        if (freshest.failedDevices.includes(leg.index)) {
          // Failed earlier and present again: re-added for a bitmap-based recovery.
          leg.recoveryOffsetSectors = 0;
          leg.bitmapRecovery = true;
          continue;
        }
        leg.recoveryOffsetSectors =
          sb.diskRecoveryOffset === MAX_SECTOR ? IN_SYNC : Number(sb.diskRecoveryOffset);
      }
      t = Math.max(t, this.#loadBitmap(bitmapSource as Leg, freshest, nowNs));
      if (freshest.arraySectors < this.lengthSectors && this.#rebuildParam.length === 0) this.#grow(freshest);
    }
    if (
      this.#legs.every((l) => l.faulty || l.recoveryOffsetSectors !== IN_SYNC) &&
      this.#legs.some((l) => !l.faulty)
    ) {
      if (
        this.#legs
          .filter((l) => !l.faulty)
          .every((l) => !l.bitmapRecovery && l.recoveryOffsetSectors === 0) &&
        freshest !== undefined
      ) {
        throw new BlockDeviceError("EIO", this.name, 0, 0, "Insufficient redundancy to activate array");
      }
    }
    // Preresume: the superblocks (and bitmap) are written out with the loaded state.
    this.#events += 1n;
    t = this.#writeBitmap(t, { flushLegs: false });
    t = this.#writeSuperblocks(t);
    this.#chooseAction();
    this.#scheduleDaemon();
    return t;
  }

  #loadBitmap(source: Leg, sb: DmRaidSuperblock, nowNs: number): number {
    const area = new Uint8Array(bitmapAreaBytes(this.regionCount));
    let t = nowNs;
    let stale = false;
    try {
      t = (source.meta as BlockDevice).read(BITMAP_SB_OFFSET_BYTES, area, { issueNs: nowNs });
      const bsb = decodeBitmapSuperblock(area.subarray(0, 256));
      this.#eventsCleared = bsb.eventsCleared;
      if (bsb.events < sb.events) stale = true;
      this.#bits.set(area.subarray(256, 256 + this.#bits.length));
    } catch (error) {
      if (!isBlockDeviceError(error) && !(error instanceof Error && error.name === "RmetaFormatError"))
        throw error;
      stale = true;
    }
    if (stale) {
      // "bitmap file is out of date … forcing full recovery"
      this.#bits.fill(0xff);
      this.#trimPadding();
    }
    // md_bitmap_load: bits at or past `start` become NEEDED; start = recovery_cp unless degraded.
    const degraded = this.#legs.some((l) => l.faulty || l.bitmapRecovery);
    const startSectors = degraded ? 0 : this.#resyncCpSectors;
    for (let r = 0; r < this.regionCount; r++) {
      const endSectors = Math.min((r + 1) * this.regionSizeSectors, this.lengthSectors);
      // Set bits that are not NEEDED are not aged: on real 6.1 they stayed set with no I/O (observed).
      if (this.#bit(r) && endSectors > startSectors) this.#needed[r] = 1;
    }
    return t;
  }

  /**
   * The table is longer than the superblocks' array (lvextend; `RT_FLAG_RS_GROW`): without `nosync`
   * recovery_cp drops to the old end (`rs_setup_recovery`) and the grown part resyncs from there;
   * with `nosync` it stays in sync and the new part holds whatever the legs had.
   */
  #grow(sb: DmRaidSuperblock): void {
    const oldSectors = sb.arraySectors;
    if (this.#nosyncParam || this.#growSkipsResync) return;
    this.#resyncCpSectors = Math.min(this.#resyncCpSectors, oldSectors);
    // md_bitmap_resize: new space is NEEDED and its bits go to disk set, so a cut resync resumes.
    for (let r = Math.floor(oldSectors / this.regionSizeSectors); r < this.regionCount; r++) {
      this.#needed[r] = 1;
      this.#setBit(r, true);
    }
    this.#trace?.emit("raid.grow", {
      raid: this.name,
      fromSectors: oldSectors,
      toSectors: this.lengthSectors,
    });
  }

  #trimPadding(): void {
    // Bits past the last region stay in memory as zero (on disk the padding may be ones).
    const extra = this.#bits.length * 8 - this.regionCount;
    if (extra > 0) this.#bits[this.#bits.length - 1]! &= 0xff >> extra;
  }

  #bit(r: number): boolean {
    return ((this.#bits[r >> 3] as number) & (1 << (r & 7))) !== 0;
  }

  #setBit(r: number, on: boolean): void {
    if (on) this.#bits[r >> 3]! |= 1 << (r & 7);
    else this.#bits[r >> 3]! &= ~(1 << (r & 7));
  }

  // ---------------------------------------------------------------- on-disk writes

  #liveMetas(): Leg[] {
    return this.#legs.filter((l) => !l.faulty && l.meta !== undefined);
  }

  /** `md_update_sb`: every live rmeta gets its superblock (PREFLUSH|FUA). */
  #writeSuperblocks(issueNs: number): number {
    const failed = this.#legs.filter((l) => l.faulty).map((l) => l.index);
    let t = issueNs;
    for (const leg of this.#liveMetas()) {
      const sb = encodeSuperblock({
        numDevices: this.#legs.length,
        arrayPosition: leg.index,
        events: this.#events,
        failedDevices: failed,
        diskRecoveryOffset:
          leg.recoveryOffsetSectors === IN_SYNC || this.#recoveringInSync
            ? MAX_SECTOR
            : BigInt(Math.floor(leg.recoveryOffsetSectors)),
        arrayResyncOffset: this.#resyncCpSectors === IN_SYNC ? MAX_SECTOR : BigInt(this.#resyncCpSectors),
        level: 1,
        arraySectors: this.lengthSectors,
        sectors: this.lengthSectors,
      });
      t = Math.max(
        t,
        this.#metaIo(leg, issueNs, (m) => m.write(0, sb, { issueNs: m.flush({ issueNs }), fua: true })),
      );
    }
    this.#trace?.emit("raid.superblock.write", { raid: this.name, events: Number(this.#events) });
    return t;
  }

  /**
   * Writes the bitmap (superblock and bits) to every live rmeta as `md_super_write` does, PREFLUSH
   * then FUA (`preflush: false` only for the clear-before-flush mutant); optionally flushes the
   * legs' data devices first, for rimages that do not share their rmeta's PV.
   */
  #writeBitmap(issueNs: number, options: { flushLegs: boolean; preflush?: boolean }): number {
    let t = issueNs;
    if (options.flushLegs) t = this.#flushLegs(t);
    const preflush = options.preflush ?? true;
    const area = new Uint8Array(bitmapAreaBytes(this.regionCount));
    area.set(
      encodeBitmapSuperblock({
        events: this.#events,
        eventsCleared: this.#eventsCleared,
        syncSizeSectors: this.lengthSectors,
        state: 0,
        chunkSizeBytes: this.#regionBytes,
        daemonSleepSeconds: BITMAP_DAEMON_SLEEP_SECONDS,
      }),
    );
    area.set(this.#bits, 256);
    let done = t;
    for (const leg of this.#liveMetas()) {
      done = Math.max(
        done,
        this.#metaIo(leg, t, (m) =>
          m.write(BITMAP_SB_OFFSET_BYTES, area, {
            issueNs: preflush ? m.flush({ issueNs: t }) : t,
            fua: true,
          }),
        ),
      );
    }
    return done;
  }

  /** An rmeta I/O; an error fails the leg (md_error) and returns the issue time. */
  #metaIo(leg: Leg, issueNs: number, io: (meta: BlockDevice) => number): number {
    try {
      return io(leg.meta as BlockDevice);
    } catch (error) {
      if (!isBlockDeviceError(error)) throw error;
      this.#failLeg(leg, issueNs);
      return issueNs;
    }
  }

  #flushLegs(issueNs: number): number {
    let t = issueNs;
    for (const leg of this.#legs) {
      if (leg.faulty || leg.data === undefined) continue;
      try {
        t = Math.max(t, leg.data.device.flush({ issueNs }));
      } catch (error) {
        if (!isBlockDeviceError(error)) throw error;
        this.#failLeg(leg, issueNs);
      }
    }
    return t;
  }

  // ---------------------------------------------------------------- failures

  /** `raid1_error`: mark the leg Faulty and record it; the last in-sync leg is never failed (MD_BROKEN). */
  #failLeg(leg: Leg, issueNs: number): void {
    if (leg.faulty) return;
    const inSync = this.#legs.filter((l) => !l.faulty && l.recoveryOffsetSectors === IN_SYNC);
    if (inSync.length === 1 && inSync[0] === leg) {
      this.#broken = true;
      return;
    }
    leg.faulty = true;
    this.#trace?.emit("raid.leg.fail", { raid: this.name, leg: leg.index });
    if (
      this.#action === "recover" &&
      !this.#legs.some((l) => !l.faulty && l.recoveryOffsetSectors !== IN_SYNC)
    ) {
      this.#action = "idle";
    }
    if (this.#failureNotRecorded) return;
    this.#events += 1n;
    this.#writeSuperblocks(issueNs);
  }

  // ---------------------------------------------------------------- status

  /** True when the set is degraded (a leg Faulty or absent). */
  get degraded(): boolean {
    return this.#legs.some((l) => l.faulty);
  }

  /** The kernel health char per leg (`A` alive and in sync, `a` syncing, `D` dead, `-` no device). */
  legHealth(): string {
    const resyncing = this.#action === "resync";
    const arrayInSync = this.#resyncCpSectors === IN_SYNC;
    return this.#legs
      .map((l) => {
        if (l.meta === undefined || l.data === undefined) return "-";
        if (l.faulty) return "D";
        if (resyncing || (!arrayInSync && l.recoveryOffsetSectors !== IN_SYNC)) return "a";
        if (l.recoveryOffsetSectors !== IN_SYNC) return "a";
        return "A";
      })
      .join("");
  }

  /** The current background action. */
  get syncAction(): RaidSyncAction {
    return this.#frozen ? "frozen" : this.#action;
  }

  /** mismatch_cnt as the status line reports it: only after a `check`. */
  get mismatchCount(): number {
    return this.#lastCheckAction === "check" ? this.#mismatchSectors : 0;
  }

  /** `<done>/<total>` in sectors, as the status line reports progress. */
  syncProgress(): { doneSectors: number; totalSectors: number } {
    const total = this.lengthSectors;
    if (this.#action === "resync" || this.#action === "check" || this.#action === "repair") {
      return {
        doneSectors: Math.min(total, this.#syncCursorRegion * this.regionSizeSectors),
        totalSectors: total,
      };
    }
    if (this.#action === "recover") {
      const leg = this.#legs.find((l) => !l.faulty && l.recoveryOffsetSectors !== IN_SYNC);
      return { doneSectors: Math.min(total, leg?.recoveryOffsetSectors ?? total), totalSectors: total };
    }
    if (this.#resyncCpSectors !== IN_SYNC) return { doneSectors: this.#resyncCpSectors, totalSectors: total };
    return { doneSectors: total, totalSectors: total };
  }

  /** True when the set is synced and every present leg in sync. */
  get inSync(): boolean {
    return (
      this.#resyncCpSectors === IN_SYNC &&
      this.#legs.every((l) => l.faulty || l.recoveryOffsetSectors === IN_SYNC) &&
      this.#action !== "resync" &&
      this.#action !== "recover"
    );
  }

  /** The regions whose write-intent bit is set in memory (what the last bitmap write persisted). */
  dirtyRegions(): number[] {
    const out: number[] = [];
    for (let r = 0; r < this.regionCount; r++) if (this.#bit(r)) out.push(r);
    return out;
  }

  /** The legs' data devices, in table order (undefined for an empty slot). */
  get legs(): readonly (DeviceRef | undefined)[] {
    return this.#legs.map((l) => l.data);
  }

  /** Indices of Faulty legs. */
  failedLegs(): number[] {
    return this.#legs.filter((l) => l.faulty).map((l) => l.index);
  }

  params(): string {
    const opts: string[] = ["0"];
    if (this.#nosyncParam) opts.push("nosync");
    for (const i of this.#rebuildParam) opts.push("rebuild", String(i));
    opts.push("region_size", String(this.regionSizeSectors));
    const devs = this.#legs
      .map((l) =>
        l.meta === undefined || l.data === undefined
          ? "- -"
          : `${deviceLabel(l.meta)} ${deviceLabel(l.data.device)}`,
      )
      .join(" ");
    return `raid1 ${opts.length} ${opts.join(" ")} ${this.#legs.length} ${devs}`;
  }

  override statusParams(): string {
    const p = this.syncProgress();
    return `raid1 ${this.#legs.length} ${this.legHealth()} ${p.doneSectors}/${p.totalSectors} ${this.syncAction} ${this.mismatchCount} 0 -`;
  }

  // ---------------------------------------------------------------- messages

  /**
   * `dmsetup message … check|repair|resync|recover|idle|frozen` (`raid_message`). Anything but idle
   * and frozen is refused (false, the kernel's EBUSY) unless the set is idle.
   */
  message(action: RaidSyncAction): boolean {
    if (action === "frozen") {
      this.#frozen = true;
      return true;
    }
    if (action === "idle") {
      this.#frozen = false;
      if (this.#action === "check" || this.#action === "repair") this.#action = "idle";
      return true;
    }
    // -EBUSY: only an idle set takes a new action.
    if (this.#action !== "idle" || this.#frozen) return false;
    if (action === "check" || action === "repair") {
      this.#action = action;
      this.#lastCheckAction = action;
      this.#mismatchSectors = 0;
      this.#syncCursorRegion = 0;
    } else if (action === "resync") {
      this.#resyncCpSectors = 0;
      this.#needed.fill(1);
      this.#chooseAction();
    } else this.#chooseAction();
    return true;
  }

  /**
   * A second resume (`lvchange --refresh`): Faulty legs whose rmeta superblock reads again are
   * revived ("Faulty raid1 device #%d has readable super block.  Attempting to revive it.") and
   * recover the regions the bitmap marked while they were away. Returns the legs revived.
   */
  refresh(issueNs: number): number[] {
    const revived: number[] = [];
    const buf = new Uint8Array(SUPERBLOCK_BYTES);
    for (const leg of this.#legs) {
      if (!leg.faulty || leg.meta === undefined || leg.data === undefined) continue;
      try {
        leg.meta.read(0, buf, { issueNs });
        if (decodeSuperblock(buf) === undefined) continue;
      } catch (error) {
        if (!isBlockDeviceError(error)) throw error;
        continue;
      }
      leg.faulty = false;
      leg.recoveryOffsetSectors = 0;
      leg.bitmapRecovery = true;
      revived.push(leg.index);
      this.#trace?.emit("raid.leg.revive", { raid: this.name, leg: leg.index });
    }
    if (revived.length > 0) {
      this.#events += 1n;
      this.#writeSuperblocks(issueNs);
      this.#chooseAction();
    }
    return revived;
  }

  #chooseAction(): void {
    if (this.#action === "check" || this.#action === "repair") return;
    if (this.#resyncCpSectors !== IN_SYNC && this.#legs.some((l) => !l.faulty)) {
      this.#action = "resync";
      // md resumes a resync at recovery_cp (resync_min); a degraded set rescans from 0.
      this.#syncCursorRegion = this.degraded ? 0 : Math.floor(this.#resyncCpSectors / this.regionSizeSectors);
    } else if (this.#legs.some((l) => !l.faulty && l.recoveryOffsetSectors !== IN_SYNC)) {
      this.#action = "recover";
    } else this.#action = "idle";
  }

  // ---------------------------------------------------------------- background sync

  /** True while resync, recovery, check or repair has work left. */
  get syncRunning(): boolean {
    return this.#action !== "idle";
  }

  /** One background step: the next region of resync, recovery, check or repair. */
  syncStep(options: { readonly issueNs?: number } = {}): Raid1SyncStep {
    const issueNs = options.issueNs ?? 0;
    const gate = this.#syncGate;
    if (this.#frozen || gate?.gate.isClosed(gate.name)) {
      return { region: undefined, doneNs: issueNs, nextStepNs: issueNs + STALL_POLL_NS, done: false };
    }
    if (this.#action === "idle")
      return { region: undefined, doneNs: issueNs, nextStepNs: issueNs, done: true };
    let t = issueNs;
    let region: number | undefined;
    if (this.#action === "resync") ({ region, t } = this.#resyncStep(t));
    else if (this.#action === "recover") ({ region, t } = this.#recoverStep(t));
    else ({ region, t } = this.#checkStep(t));
    const throttleNs =
      this.#syncSpeedBytesPerSecond > 0 && region !== undefined
        ? issueNs + Math.ceil((this.#regionBytes * 1e9) / this.#syncSpeedBytesPerSecond)
        : 0;
    return { region, doneNs: t, nextStepNs: Math.max(t, throttleNs), done: !this.syncRunning };
  }

  #primary(): Leg | undefined {
    return this.#legs.find((l) => !l.faulty && l.recoveryOffsetSectors === IN_SYNC && l.data !== undefined);
  }

  #regionRange(r: number): { startBytes: number; lengthBytes: number } {
    const startBytes = r * this.#regionBytes;
    return { startBytes, lengthBytes: Math.min(this.#regionBytes, this.sizeBytes - startBytes) };
  }

  /** Copies region r from `from` to each leg in `to`; returns completion time or undefined on a read error. */
  #copyRegion(r: number, from: Leg, to: readonly Leg[], issueNs: number): number | undefined {
    const { startBytes, lengthBytes } = this.#regionRange(r);
    this.#scratch ??= new Uint8Array(this.#regionBytes);
    const buf = this.#scratch.subarray(0, lengthBytes);
    let t: number;
    try {
      t = (from.data as DeviceRef).device.read(from.baseBytes + startBytes, buf, { issueNs });
    } catch (error) {
      if (!isBlockDeviceError(error)) throw error;
      this.#failLeg(from, issueNs);
      return undefined;
    }
    let done = t;
    for (const leg of to) {
      try {
        done = Math.max(
          done,
          (leg.data as DeviceRef).device.write(leg.baseBytes + startBytes, buf, { issueNs: t }),
        );
      } catch (error) {
        if (!isBlockDeviceError(error)) throw error;
        this.#failLeg(leg, t);
      }
    }
    return done;
  }

  #resyncStep(issueNs: number): { region: number | undefined; t: number } {
    let t = issueNs;
    while (this.#syncCursorRegion < this.regionCount && this.#needed[this.#syncCursorRegion] === 0) {
      this.#syncCursorRegion += 1;
    }
    if (this.#syncCursorRegion >= this.regionCount) {
      // Resync done: recovery_cp = MaxSector, recorded after the legs are flushed.
      t = this.#flushLegs(t);
      this.#resyncCpSectors = IN_SYNC;
      this.#events += 1n;
      t = this.#writeSuperblocks(t);
      this.#action = "idle";
      this.#chooseAction();
      this.#trace?.emit("raid.resync.done", { raid: this.name });
      return { region: undefined, t };
    }
    const r = this.#syncCursorRegion;
    const from = this.#primary() ?? this.#legs.find((l) => !l.faulty && l.data !== undefined);
    if (from === undefined) {
      this.#action = "idle";
      return { region: undefined, t };
    }
    const others = this.#legs.filter((l) => l !== from && !l.faulty && l.data !== undefined);
    const done = this.#copyRegion(r, from, others, t);
    if (done !== undefined) {
      t = done;
      this.#needed[r] = 0;
      if (this.#bit(r)) this.#cleanPasses[r] = CLEAN_PASSES;
    }
    this.#syncCursorRegion = r + 1;
    this.#sinceCheckpoint += 1;
    this.#trace?.emit("raid.resync.step", { raid: this.name, region: r, total: this.regionCount });
    if (this.#sinceCheckpoint >= Math.max(1, Math.floor(this.regionCount / 16))) {
      // A sync checkpoint: recovery_cp advances in the superblocks (legs flushed first by PREFLUSH).
      this.#sinceCheckpoint = 0;
      t = this.#flushLegs(t);
      this.#resyncCpSectors = Math.min(
        this.lengthSectors,
        (r + 1 + this.#checkpointShift) * this.regionSizeSectors,
      );
      this.#events += 1n;
      t = this.#writeSuperblocks(t);
    }
    this.#scheduleDaemon();
    return { region: r, t };
  }

  #recoverStep(issueNs: number): { region: number | undefined; t: number } {
    let t = issueNs;
    const leg = this.#legs.find((l) => !l.faulty && l.recoveryOffsetSectors !== IN_SYNC);
    const from = this.#primary();
    if (leg === undefined || from === undefined) {
      this.#action = "idle";
      return { region: undefined, t };
    }
    let r = Math.floor(leg.recoveryOffsetSectors / this.regionSizeSectors);
    // A returning leg recovers only what the bitmap marked NEEDED; a new one recovers everything.
    while (leg.bitmapRecovery && r < this.regionCount && this.#needed[r] === 0) r += 1;
    if (r >= this.regionCount) {
      t = this.#flushLegs(t);
      leg.recoveryOffsetSectors = IN_SYNC;
      leg.bitmapRecovery = false;
      if (!this.degraded) {
        for (let i = 0; i < this.regionCount; i++) {
          if (this.#needed[i]) {
            this.#needed[i] = 0;
            if (this.#bit(i)) this.#cleanPasses[i] = CLEAN_PASSES;
          }
        }
      }
      this.#events += 1n;
      t = this.#writeSuperblocks(t);
      this.#action = "idle";
      this.#chooseAction();
      this.#trace?.emit("raid.recover.done", { raid: this.name, leg: leg.index });
      this.#scheduleDaemon();
      return { region: undefined, t };
    }
    const done = this.#copyRegion(r, from, [leg], t);
    if (done !== undefined) t = done;
    if (!leg.faulty)
      leg.recoveryOffsetSectors = Math.min(this.lengthSectors, (r + 1) * this.regionSizeSectors);
    this.#trace?.emit("raid.recover.step", { raid: this.name, leg: leg.index, region: r });
    return { region: r, t };
  }

  #checkStep(issueNs: number): { region: number | undefined; t: number } {
    let t = issueNs;
    if (this.#syncCursorRegion >= this.regionCount) {
      this.#action = "idle";
      this.#trace?.emit("raid.check.done", { raid: this.name, mismatchSectors: this.#mismatchSectors });
      return { region: undefined, t };
    }
    const r = this.#syncCursorRegion;
    const { startBytes, lengthBytes } = this.#regionRange(r);
    const legs = this.#legs.filter((l) => !l.faulty && l.data !== undefined);
    const copies: { leg: Leg; buf: Uint8Array }[] = [];
    for (const leg of legs) {
      const buf = new Uint8Array(lengthBytes);
      try {
        t = Math.max(t, (leg.data as DeviceRef).device.read(leg.baseBytes + startBytes, buf, { issueNs }));
        copies.push({ leg, buf });
      } catch (error) {
        if (!isBlockDeviceError(error)) throw error;
      }
    }
    const primary = copies[0];
    if (primary !== undefined) {
      const windowBytes = CHECK_WINDOW_SECTORS * SECTOR_BYTES;
      for (const other of copies.slice(1)) {
        for (let w = 0; w < lengthBytes; w += windowBytes) {
          const end = Math.min(lengthBytes, w + windowBytes);
          let differs = false;
          for (let i = w; i < end; i++) {
            if (primary.buf[i] !== other.buf[i]) {
              differs = true;
              break;
            }
          }
          if (!differs) continue;
          this.#mismatchSectors += (end - w) / SECTOR_BYTES;
          if (this.#action === "repair") {
            const piece = primary.buf.subarray(w, end);
            try {
              t = Math.max(
                t,
                (other.leg.data as DeviceRef).device.write(other.leg.baseBytes + startBytes + w, piece, {
                  issueNs: t,
                }),
              );
            } catch (error) {
              if (!isBlockDeviceError(error)) throw error;
              this.#failLeg(other.leg, t);
            }
          }
        }
      }
    }
    this.#syncCursorRegion = r + 1;
    this.#trace?.emit("raid.check.step", { raid: this.name, region: r });
    return { region: r, t };
  }

  // ---------------------------------------------------------------- bitmap daemon

  #scheduleDaemon(): void {
    if (this.#scheduler === undefined || this.#daemon !== undefined) return;
    // Degraded sets keep their bits (NEEDED); the daemon only runs while some bit can be cleared.
    if (this.degraded || !this.#cleanPasses.some((n, r) => n > 0 && this.#needed[r] === 0)) return;
    this.#daemon = this.#scheduler.after(
      DAEMON_SLEEP_NS,
      (nowNs) => this.#daemonPass(nowNs),
      `raid.bitmap ${this.name}`,
    );
  }

  /** Runs the bitmap daemon on `scheduler` from now on (for sets built before their scheduler). */
  useScheduler(scheduler: Scheduler): void {
    this.stop();
    this.#scheduler = scheduler;
    this.#scheduleDaemon();
  }

  /** Stops the bitmap daemon (deactivation, reboot). */
  stop(): void {
    if (this.#daemon !== undefined) this.#scheduler?.cancel(this.#daemon);
    this.#daemon = undefined;
  }

  /** `md_bitmap_daemon_work`: age pending regions; clear bits whose counter reached zero (legs flushed first). */
  #daemonPass(nowNs: number): number {
    this.#daemon = undefined;
    const clear: number[] = [];
    for (let r = 0; r < this.regionCount; r++) {
      if (this.#cleanPasses[r] === 0) continue;
      if (this.#needed[r] || this.degraded) continue;
      this.#cleanPasses[r]! -= 1;
      if (this.#cleanPasses[r] === 0) clear.push(r);
    }
    let t = nowNs;
    if (clear.length > 0) {
      for (const r of clear) this.#setBit(r, false);
      this.#eventsCleared = this.#events;
      t = this.#writeBitmap(t, { flushLegs: !this.#clearBeforeFlush, preflush: !this.#clearBeforeFlush });
      this.#trace?.emit("raid.bitmap.clear", { raid: this.name, regions: clear.length });
    }
    this.#scheduleDaemon();
    return t;
  }

  /** Runs the daemon until every clearable bit is clear, as a clean stop does (`md_bitmap_flush`). */
  flushBitmap(issueNs: number): number {
    let t = issueNs;
    for (let i = 0; i <= CLEAN_PASSES; i++) t = this.#daemonPass(t);
    this.stop();
    return t;
  }

  // ---------------------------------------------------------------- I/O

  protected mapWrite(offsetBytes: number, data: Uint8Array, issueNs: number, fua: boolean): number {
    const first = Math.floor(offsetBytes / this.#regionBytes);
    const last = Math.floor((offsetBytes + data.byteLength - 1) / this.#regionBytes);
    // md_bitmap_unplug waits for a bitmap write in flight before any queued write reaches a leg.
    let t = issueNs >= this.#bitmapWriteStartNs ? Math.max(issueNs, this.#bitmapWriteDoneNs) : issueNs;
    if (!this.#writeWithoutBit) {
      let changed = false;
      for (let r = first; r <= (this.#marksFirstOnly ? first : last); r++) {
        if (!this.#bit(r)) {
          this.#setBit(r, true);
          changed = true;
        }
      }
      if (changed) {
        // md_bitmap_unplug: the bits are on disk (PREFLUSH|FUA) before any leg sees the data, and the
        // writes queued behind it wait too (raid1d is blocked in md_bitmap_wait_writes meanwhile).
        this.#bitmapWriteStartNs = t;
        t = this.#writeBitmap(t, { flushLegs: false });
        this.#bitmapWriteDoneNs = t;
        this.#trace?.emit("raid.bitmap.mark", { raid: this.name, first, last });
      }
    }
    let done = t;
    let written = 0;
    for (const leg of this.#legs) {
      if (leg.faulty || leg.data === undefined) continue;
      try {
        done = Math.max(done, leg.data.device.write(leg.baseBytes + offsetBytes, data, { issueNs: t, fua }));
        written += 1;
      } catch (error) {
        if (!isBlockDeviceError(error)) throw error;
        this.#failLeg(leg, t);
        if (!leg.faulty) {
          throw new BlockDeviceError(
            "EIO",
            this.name,
            offsetBytes,
            data.byteLength,
            `the last in-sync leg failed the write (${error.message})`,
          );
        }
      }
    }
    if (written === 0) {
      throw new BlockDeviceError(
        "EIO",
        this.name,
        offsetBytes,
        data.byteLength,
        "no raid1 leg is left to write to",
      );
    }
    const degraded = this.degraded;
    for (let r = first; r <= last; r++) {
      if (degraded) this.#needed[r] = 1;
      this.#cleanPasses[r] = CLEAN_PASSES;
    }
    this.#scheduleDaemon();
    return done;
  }

  protected mapRead(offsetBytes: number, dst: Uint8Array, issueNs: number): number {
    const sector = offsetBytes / SECTOR_BYTES;
    const endSector = sector + dst.byteLength / SECTOR_BYTES;
    const tried = new Set<Leg>();
    let lastError: BlockDeviceError | undefined;
    for (let attempt = 0; attempt < this.#legs.length; attempt++) {
      const leg = this.#readBalance(sector, endSector, issueNs, tried);
      if (leg === undefined) break;
      tried.add(leg);
      try {
        const done = (leg.data as DeviceRef).device.read(leg.baseBytes + offsetBytes, dst, { issueNs });
        leg.headSector = endSector;
        leg.nextSeqSector = endSector;
        if (leg.pendingUntilNs.length < PENDING_MAX) leg.pendingUntilNs.push(done);
        if (lastError !== undefined) this.#fixReadError(offsetBytes, dst, done, tried);
        return done;
      } catch (error) {
        if (!isBlockDeviceError(error)) throw error;
        lastError = error;
      }
    }
    throw new BlockDeviceError(
      "EIO",
      this.name,
      offsetBytes,
      dst.byteLength,
      `no raid1 leg could serve the read${lastError === undefined ? "" : ` (last: ${lastError.message})`}`,
    );
  }

  /** `fix_read_error`: rewrite the good data over the legs that failed the read; a failing rewrite fails the leg. */
  #fixReadError(offsetBytes: number, good: Uint8Array, issueNs: number, tried: ReadonlySet<Leg>): void {
    const ok = [...tried].pop();
    for (const leg of tried) {
      if (leg === ok || leg.faulty || leg.data === undefined) continue;
      try {
        leg.data.device.write(leg.baseBytes + offsetBytes, good, { issueNs });
        const check = new Uint8Array(good.byteLength);
        leg.data.device.read(leg.baseBytes + offsetBytes, check, { issueNs });
      } catch (error) {
        if (!isBlockDeviceError(error)) throw error;
        this.#failLeg(leg, issueNs);
      }
    }
  }

  /** md raid1 `read_balance` (non-rotational legs, io_opt 0). */
  #readBalance(sector: number, endSector: number, issueNs: number, tried: ReadonlySet<Leg>): Leg | undefined {
    const candidates = this.#legs.filter(
      (l) =>
        !tried.has(l) &&
        !l.faulty &&
        l.data !== undefined &&
        (l.recoveryOffsetSectors === IN_SYNC ||
          l.recoveryOffsetSectors >= endSector ||
          this.#readsPastRecovery),
    );
    if (candidates.length === 0) return undefined;
    // Not yet resynced there: the first usable leg (its copy is the one resync propagates).
    if (this.#resyncCpSectors !== IN_SYNC && this.#resyncCpSectors < endSector) {
      const regionStart = Math.floor(sector / this.regionSizeSectors);
      if (this.#action !== "resync" || this.#syncCursorRegion <= regionStart) return candidates[0];
    }
    let best: Leg | undefined;
    let bestPending = Number.POSITIVE_INFINITY;
    for (const leg of candidates) {
      if (leg.nextSeqSector === sector || leg.headSector === sector) return leg;
      leg.pendingUntilNs = leg.pendingUntilNs.filter((doneNs) => doneNs > issueNs);
      const pending = leg.pendingUntilNs.length;
      if (pending < bestPending) {
        bestPending = pending;
        best = leg;
      }
    }
    return best;
  }

  protected mapFlush(issueNs: number): number {
    const t = this.#flushLegs(issueNs);
    if (this.#legs.every((l) => l.faulty)) {
      throw new BlockDeviceError("EIO", this.name, 0, 0, "every raid1 leg failed");
    }
    return t;
  }

  protected mapDiscard(offsetBytes: number, lengthBytes: number, issueNs: number): number {
    // dm-raid on 6.1 passes discards to raid1 legs that support them.
    let t = issueNs;
    for (const leg of this.#legs) {
      if (leg.faulty || leg.data === undefined) continue;
      try {
        t = Math.max(t, leg.data.device.discard(leg.baseBytes + offsetBytes, lengthBytes, { issueNs }));
      } catch (error) {
        if (!isBlockDeviceError(error)) throw error;
      }
    }
    return t;
  }

  /** True when md gave up on the set (the last in-sync leg failed). */
  get broken(): boolean {
    return this.#broken;
  }
}
