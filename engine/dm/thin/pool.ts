/**
 * The `thin-pool` target (drivers/md/dm-thin.c): provisions data blocks on first write, shares
 * them between thin snapshots, and makes mappings durable only at a metadata commit — on a flush
 * or FUA to a changed thin device, on the periodic commit (1 s), on messages — each commit first
 * flushing the data device. Out of data space it holds writes that need a block on its retry list
 * (`retry_on_resume`) until the pool grows or `no_space_timeout` (60 s) fails them with ENOSPC, or
 * errors them at once with `error_if_no_space`; a failed metadata operation rolls back, sets
 * NEEDS_CHECK and leaves the pool read-only until repaired.
 *
 * Holding needs the queued side of the BlockDevice contract ({@link ThinPoolTarget.submitThinWrite},
 * with a scheduler): a synchronous write cannot wait, so it fails with ENOSPC where the kernel
 * would hold it.
 */

import type { BlockDevice } from "../../block/device.js";
import { SECTOR_BYTES } from "../../block/device.js";
import { BlockDeviceError, isBlockDeviceError } from "../../block/errors.js";
import type { QueuedDone } from "../../block/queued.js";
import { isPersistentDataError, PoolMetadata } from "../../persistent-data/mod.js";
import { isSimulationHalt } from "../../sim/halt.js";
import type { MutationInfo, Mutations } from "../../sim/mutations.js";
import { NO_MUTATIONS } from "../../sim/mutations.js";
import type { ScheduledEvent, Scheduler } from "../../sim/scheduler.js";
import type { Trace, TraceEventInfo } from "../../sim/trace.js";
import { Target } from "../target.js";

/** Trace events the thin-pool target emits, for the scenarios' event catalogue (scenarios/event-catalogue.ts). */
export const THIN_TRACE_EVENTS: readonly TraceEventInfo[] = [
  {
    name: "thin.provision",
    description:
      "A thin device provisioned a new data block (the mapping is durable only at the next commit)",
  },
  { name: "thin.commit", description: "A thin pool committed its metadata transaction" },
  {
    name: "thin.commit.blocks-written",
    description: "A thin pool commit wrote its shadowed metadata blocks",
  },
  {
    name: "thin.commit.blocks-flushed",
    description: "A thin pool commit flushed its metadata blocks, before the superblock",
  },
  { name: "thin.commit.superblock-written", description: "A thin pool commit wrote the new superblock" },
  { name: "thin.pool.fail", description: "A thin pool failed (bad metadata) and fails all I/O" },
  {
    name: "thin.pool.mode",
    description: "A thin pool changed mode (write, out-of-data-space, read-only, fail)",
  },
  {
    name: "thin.pool.no-space-timeout",
    description:
      "A thin pool stayed out of data space for no_space_timeout: it switched to error IO and failed its held writes with ENOSPC",
  },
  {
    name: "thin.pool.metadata-full",
    description:
      "A thin pool commit found no free metadata blocks beyond the reserve: the pool goes out-of-metadata-space (read-only)",
  },
  {
    name: "thin.pool.write-held",
    description: "A write needing a data block was held on a full pool's retry list (queue_if_no_space)",
  },
  {
    name: "thin.pool.writes-requeued",
    description: "A thin pool left out-of-data-space mode and requeued the writes it held",
  },
  {
    name: "thin.pool.low-water",
    description: "A thin pool's free data blocks fell to its low-water mark (dmeventd's cue)",
  },
  {
    name: "thin.pool.close",
    description: "A thin pool was deactivated: its metadata committed and the kernel dropped it",
  },
  {
    name: "thin.pool.metadata-error",
    description: "A thin pool metadata operation failed; the pool aborts to read-only",
  },
];

/** Mutation: a commit skips the data device flush (`pre_commit_fn`), so mappings can outlive their data. */
export const MUTATION_THIN_COMMIT_SKIPS_DATA_FLUSH = "dm.thin.commit-skips-data-flush";
/** Catalogue entry for {@link MUTATION_THIN_COMMIT_SKIPS_DATA_FLUSH}. */
export const THIN_COMMIT_SKIPS_DATA_FLUSH: MutationInfo = {
  name: MUTATION_THIN_COMMIT_SKIPS_DATA_FLUSH,
  description: "dm-thin commits pool metadata without first flushing the data device",
};

/** Mutation: a flush or FUA to a thin device completes without committing its new mappings. */
export const MUTATION_THIN_FLUSH_SKIPS_COMMIT = "dm.thin.flush-skips-commit";
/** Catalogue entry for {@link MUTATION_THIN_FLUSH_SKIPS_COMMIT}. */
export const THIN_FLUSH_SKIPS_COMMIT: MutationInfo = {
  name: MUTATION_THIN_FLUSH_SKIPS_COMMIT,
  description: "dm-thin acknowledges a flush/FUA with the provisioning it covers still uncommitted",
};

/** Mutation: the pool never sends its low-water event, so dmeventd learns of a filling pool only at its next poll. */
const MUTATION_THIN_LOW_WATER_EVENT_LOST = "dm.thin.low-water-event-lost";
/** Catalogue entry for {@link MUTATION_THIN_LOW_WATER_EVENT_LOST}. */
export const THIN_LOW_WATER_EVENT_LOST: MutationInfo = {
  name: MUTATION_THIN_LOW_WATER_EVENT_LOST,
  description: "dm-thin crosses its low-water mark without sending the event dmeventd autoextends on",
};

/** Mutation: a failed metadata operation rolls back without writing NEEDS_CHECK, so the next activation is writable. */
const MUTATION_THIN_ABORT_SKIPS_NEEDS_CHECK = "dm.thin.abort-skips-needs-check";
/** Catalogue entry for {@link MUTATION_THIN_ABORT_SKIPS_NEEDS_CHECK}. */
export const THIN_ABORT_SKIPS_NEEDS_CHECK: MutationInfo = {
  name: MUTATION_THIN_ABORT_SKIPS_NEEDS_CHECK,
  description: "dm-thin aborts a failed metadata transaction without persisting needs_check",
};

/** Mutation: growing the data device of a full pool leaves it out of data space (writes needing blocks keep failing). */
const MUTATION_THIN_RESIZE_STAYS_FULL = "dm.thin.resize-stays-out-of-data-space";
/** Catalogue entry for {@link MUTATION_THIN_RESIZE_STAYS_FULL}. */
export const THIN_RESIZE_STAYS_FULL: MutationInfo = {
  name: MUTATION_THIN_RESIZE_STAYS_FULL,
  description: "dm-thin grows a full pool's data space map but stays in out-of-data-space mode",
};

/** Mutation: a full pool fails writes needing a block at once, as if error_if_no_space were set. */
const MUTATION_THIN_NO_SPACE_FAILS_AT_ONCE = "dm.thin.no-space-fails-at-once";
/** Catalogue entry for {@link MUTATION_THIN_NO_SPACE_FAILS_AT_ONCE}. */
export const THIN_NO_SPACE_FAILS_AT_ONCE: MutationInfo = {
  name: MUTATION_THIN_NO_SPACE_FAILS_AT_ONCE,
  description:
    "dm-thin fails writes needing a block on a full queue_if_no_space pool at once instead of holding them",
};

/** Mutation: a grown pool acknowledges the writes it held without writing them. */
const MUTATION_THIN_RESUME_DROPS_HELD = "dm.thin.resume-drops-held-writes";
/** Catalogue entry for {@link MUTATION_THIN_RESUME_DROPS_HELD}. */
export const THIN_RESUME_DROPS_HELD: MutationInfo = {
  name: MUTATION_THIN_RESUME_DROPS_HELD,
  description:
    "dm-thin completes the writes held while out of data space without writing them when the pool grows",
};

/** Mutation: provisioning eats into the metadata reserve without the commit that would stop it there. */
const MUTATION_THIN_SKIPS_RESERVE_COMMIT = "dm.thin.skips-metadata-reserve-commit";
/** Catalogue entry for {@link MUTATION_THIN_SKIPS_RESERVE_COMMIT}. */
export const THIN_SKIPS_RESERVE_COMMIT: MutationInfo = {
  name: MUTATION_THIN_SKIPS_RESERVE_COMMIT,
  description:
    "dm-thin allocates a data block with no metadata beyond the reserve left without committing first, so a fill runs into the reserve and fails a metadata operation",
};

/** Mutation: a FUA write is acknowledged once its data is written, without committing the provisioning it needed. */
export const THIN_FUA_SKIPS_COMMIT: MutationInfo = {
  name: "dm.thin.fua-skips-commit",
  description:
    "dm-thin acknowledges a FUA write to a newly provisioned block without committing the mapping, so a power cut loses a write the caller was told was durable",
};

/** Mutation: a new block a partial write provisions is not zeroed first, though the pool zeroes new blocks. */
export const THIN_SKIPS_BLOCK_ZEROING: MutationInfo = {
  name: "dm.thin.skips-block-zeroing",
  description:
    "dm-thin provisions a block for a write that covers only part of it without zeroing the rest first (schedule_zero), so a reused block shows the data it held before",
};

/** Commit period of the kernel's waker (`COMMIT_PERIOD = HZ`). */
const THIN_COMMIT_PERIOD_NS = 1_000_000_000;
/** The module parameter `no_space_timeout` default: 60 s. */
export const THIN_NO_SPACE_TIMEOUT_NS = 60_000_000_000;

/** Pool modes (`enum pool_mode`). */
export type PoolMode = "write" | "out-of-data-space" | "out-of-metadata-space" | "read-only" | "fail";

/** Discard handling of the pool table. */
export type PoolDiscards = "passdown" | "nopassdown" | "ignore";

/** Options of a pool table: `thin-pool <meta> <data> <block> <low water> [features]`. */
export interface ThinPoolOptions {
  readonly metadata: BlockDevice;
  readonly data: BlockDevice;
  readonly blockSizeSectors: number;
  readonly lowWaterBlocks?: number;
  readonly zeroNewBlocks?: boolean;
  readonly discards?: PoolDiscards;
  readonly errorIfNoSpace?: boolean;
  readonly trace?: Trace;
  readonly mutations?: Mutations;
  readonly activateNs?: number;
  /** The clock held writes and the no-space timer run on; without it writes cannot be held. */
  readonly scheduler?: Scheduler;
}

/** What a pool did with the writes it held since its activation (for expectations and reports). */
export interface HeldWriteCounts {
  /** Writes held on the retry list (each counted once, however often it was requeued). */
  readonly held: number;
  /** Held writes that completed after the pool was grown (or space was freed). */
  readonly resumed: number;
  /** Held writes failed with ENOSPC by the no-space timeout. */
  readonly timedOut: number;
  /** Virtual time from entering out-of-data-space to the timeout that failed the held writes. */
  readonly timeoutAfterNs: number | undefined;
}

/** The metadata space map when a commit first found no free blocks beyond the reserve. */
export interface MetadataFullAt {
  /** Free metadata blocks then, reserve included. */
  readonly freeBlocks: number;
  readonly reserveBlocks: number;
}

/** A write on the retry list (`retry_on_resume`). */
interface HeldWrite {
  readonly id: number;
  readonly offsetBytes: number;
  readonly data: Uint8Array;
  readonly fua: boolean;
  readonly done: QueuedDone;
  held: boolean;
}

/** `notify_of_pool_mode_change`'s names (both read-only modes print "read-only"). */
const MODE_LOG_NAMES: Record<PoolMode, string> = {
  write: "write",
  "out-of-data-space": "out-of-data-space",
  "out-of-metadata-space": "read-only",
  "read-only": "read-only",
  fail: "fail",
};

/** A pool's counters for reports: `dmsetup status` numbers. */
export interface PoolUsage {
  readonly transactionId: number;
  readonly usedMetadataBlocks: number;
  readonly totalMetadataBlocks: number;
  readonly usedDataBlocks: number;
  readonly totalDataBlocks: number;
}

/** The `thin-pool` target. */
export class ThinPoolTarget extends Target {
  readonly targetType = "thin-pool";
  readonly metadataDevice: BlockDevice;
  readonly dataDevice: BlockDevice;
  readonly blockSizeSectors: number;
  readonly #options: ThinPoolOptions;
  readonly #mutations: Mutations;
  #md: PoolMetadata | undefined;
  #mode: PoolMode = "write";
  #lastCommitNs: number;
  #noSpaceSinceNs: number | undefined;
  #errorIfNoSpace: boolean;
  #lowWaterSent = false;
  #lowWaterBlocks: number;
  /** Thin devices open on this pool, by device id. */
  readonly openDevices = new Set<number>();
  /** Writes that needed a block of a full pool and failed (at once, or after the timeout). */
  noSpaceFailures = 0;
  readonly #scheduler: Scheduler | undefined;
  /** The retry list: writes held while out of data space. */
  #held: HeldWrite[] = [];
  #noSpaceTimer: ScheduledEvent | undefined;
  #heldCount = 0;
  #resumedCount = 0;
  #timedOutCount = 0;
  #timeoutAfterNs: number | undefined;
  #metadataFull: MetadataFullAt | undefined;

  constructor(name: string, options: ThinPoolOptions) {
    super(name, Math.floor(options.data.sizeBytes / SECTOR_BYTES));
    const bs = options.blockSizeSectors;
    if (!Number.isInteger(bs) || bs < 128 || bs > 2097152 || bs % 128 !== 0) {
      throw new BlockDeviceError(
        "EINVAL",
        name,
        0,
        0,
        `Invalid block size: ${bs} sectors (128..2097152, a multiple of 128)`,
      );
    }
    this.metadataDevice = options.metadata;
    this.dataDevice = options.data;
    this.blockSizeSectors = bs;
    this.#options = options;
    this.#mutations = options.mutations ?? NO_MUTATIONS;
    this.#errorIfNoSpace = options.errorIfNoSpace ?? false;
    this.#lowWaterBlocks = options.lowWaterBlocks ?? 0;
    this.#lastCommitNs = options.activateNs ?? 0;
    this.#scheduler = options.scheduler;
    try {
      const md = PoolMetadata.open(options.metadata, {
        dataBlockSizeSectors: bs,
        nrDataBlocks: this.dataBlocks,
        mutations: this.#mutations,
        issueNs: options.activateNs ?? 0,
        onCommitStep: (step) => this.trace?.emit(`thin.commit.${step}`, { pool: name }),
      });
      this.#md = md;
      // Preresume: the data device grew (or a new pool): grow the space maps and commit.
      if (md.dataBlocksTotal < this.dataBlocks && !md.needsCheck) md.resizeData(this.dataBlocks);
      if (!md.needsCheck) md.resizeMetadata();
      if (md.needsCheck) this.#setMode("read-only");
      else this.#commit(options.activateNs ?? 0);
    } catch (error) {
      if (!isPersistentDataError(error)) throw error;
      this.#md = undefined;
      this.#setMode("fail");
      this.trace?.emit("thin.pool.fail", { pool: name, reason: error.message });
    }
  }

  get trace(): Trace | undefined {
    return this.#options.trace;
  }

  /** Data blocks the data device holds. */
  get dataBlocks(): number {
    return Math.floor(this.dataDevice.sizeBytes / (this.blockSizeSectors * SECTOR_BYTES));
  }

  /** The pool mode. */
  get mode(): PoolMode {
    return this.#mode;
  }

  /** The open metadata; undefined in fail mode. */
  get metadata(): PoolMetadata | undefined {
    return this.#md;
  }

  /** What the pool does with discards (`--discards`): passdown by default. */
  get discards(): PoolDiscards {
    return this.#options.discards ?? "passdown";
  }

  /** Data block size in bytes. */
  get blockBytes(): number {
    return this.blockSizeSectors * SECTOR_BYTES;
  }

  params(): string {
    const features: string[] = [];
    if (this.#options.zeroNewBlocks === false) features.push("skip_block_zeroing");
    if (this.#options.discards === "ignore") features.push("ignore_discard");
    if (this.#options.discards === "nopassdown") features.push("no_discard_passdown");
    if (this.#options.errorIfNoSpace) features.push("error_if_no_space");
    const tail = features.length === 0 ? "0" : `${features.length} ${features.join(" ")}`;
    return `${this.metadataDevice.name} ${this.dataDevice.name} ${this.blockSizeSectors} ${this.#lowWaterBlocks} ${tail}`;
  }

  /** `pool_status`: transaction id, metadata and data use, held root, mode, discards, no-space policy, needs_check. */
  override statusParams(): string {
    const md = this.#md;
    if (this.#mode === "fail" || md === undefined) return "Fail";
    const u = this.usage();
    const mode =
      this.#mode === "out-of-data-space" ? "out_of_data_space" : this.#mode === "write" ? "rw" : "ro";
    const discards =
      this.#options.discards === "ignore"
        ? "ignore_discard"
        : this.#options.discards === "nopassdown"
          ? "no_discard_passdown"
          : "discard_passdown";
    const space = this.#errorIfNoSpace ? "error_if_no_space" : "queue_if_no_space";
    const lowWater = Math.min(1024, Math.floor(u.totalMetadataBlocks / 4));
    return `${u.transactionId} ${u.usedMetadataBlocks}/${u.totalMetadataBlocks} ${u.usedDataBlocks}/${u.totalDataBlocks} - ${mode} ${discards} ${space} ${md.needsCheck ? "needs_check" : "-"} ${lowWater} `;
  }

  /** Metadata reserve (`__set_metadata_reserve`): min(4096, blocks/10) blocks are reported as used. */
  get metadataReserveBlocks(): number {
    const md = this.#md;
    return md === undefined ? 0 : Math.min(4096, Math.floor(md.metadataBlocksTotal / 10));
  }

  /** The numbers `dmsetup status` prints; the metadata reserve counts as used. */
  usage(): PoolUsage {
    const md = this.#md;
    if (md === undefined) throw new Error(`Pool ${this.name} is in fail mode; it has no usage`);
    const freeMeta = Math.max(0, md.metadataBlocksFree - this.metadataReserveBlocks);
    return {
      transactionId: md.transactionId,
      usedMetadataBlocks: md.metadataBlocksTotal - freeMeta,
      totalMetadataBlocks: md.metadataBlocksTotal,
      usedDataBlocks: md.dataBlocksTotal - md.dataBlocksFree,
      totalDataBlocks: md.dataBlocksTotal,
    };
  }

  /**
   * A pool message (`pool_message`): create_thin, create_snap, delete, set_transaction_id; each
   * successful one commits. Throws BlockDeviceError EINVAL/… with the kernel's wording.
   */
  message(text: string, issueNs: number): number {
    const md = this.#md;
    if (
      md === undefined ||
      this.#mode === "read-only" ||
      this.#mode === "fail" ||
      this.#mode === "out-of-metadata-space"
    ) {
      throw new BlockDeviceError(
        "EINVAL",
        this.name,
        0,
        0,
        "unable to service pool target messages in READ_ONLY or FAIL mode",
      );
    }
    const argv = text.trim().split(/\s+/);
    const want: Record<string, number> = { create_thin: 2, create_snap: 3, delete: 2, set_transaction_id: 3 };
    const cmd = argv[0] ?? "";
    if (want[cmd] === undefined)
      throw new BlockDeviceError(
        "EINVAL",
        this.name,
        0,
        0,
        `Unrecognised thin pool target message received: ${cmd}`,
      );
    if (argv.length !== want[cmd]) {
      throw new BlockDeviceError(
        "EINVAL",
        this.name,
        0,
        0,
        `Message received with ${argv.length} arguments instead of ${want[cmd]}.`,
      );
    }
    const num = (s: string | undefined): number => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0)
        throw new BlockDeviceError(
          "EINVAL",
          this.name,
          0,
          0,
          `Message received with invalid device id: ${s}`,
        );
      return n;
    };
    try {
      if (cmd === "create_thin") md.createThin(num(argv[1]));
      else if (cmd === "create_snap") md.createSnap(num(argv[1]), num(argv[2]));
      else if (cmd === "delete") {
        const id = num(argv[1]);
        if (this.openDevices.has(id))
          throw new ThinMessageError("EBUSY", `delete: Thin device ${id} is open`);
        md.deleteThin(id);
      } else md.setTransactionId(num(argv[1]), num(argv[2]));
    } catch (error) {
      if (isPersistentDataError(error)) {
        // The caller (LVM2) treats EEXIST on create and ENODATA on delete as success.
        throw new ThinMessageError(error.code, `${cmd}: ${error.message}`);
      }
      throw error;
    }
    const done = this.#commit(issueNs);
    const mode = this.#mode as PoolMode;
    if (mode === "read-only" || mode === "fail") {
      throw new ThinMessageError(
        "ENOSPC",
        `${cmd}: metadata operation 'commit' failed; the pool is now ${this.#mode}`,
      );
    }
    return done;
  }

  /**
   * Deactivation (`pool_postsuspend`, then `__destroy_persistent_data_objects`): commits what
   * changed, then the kernel holds nothing of this pool; later reads of its metadata come from disk.
   */
  close(issueNs: number): number {
    this.#cancelNoSpaceTimer();
    this.#failHeld(issueNs, "EIO", "the pool was deactivated with the write still held");
    const done = this.#commit(issueNs);
    this.trace?.emit("thin.pool.close", { pool: this.name });
    return done;
  }

  /** Metadata blocks in use (for a metadata-exhaustion fault); 0 in fail mode. */
  metadataBlocksUsed(): number {
    return this.#md?.metadataBlocksUsed ?? 0;
  }

  /** Caps the metadata blocks at those in use plus `freeBlocks` (undefined lifts it): a fault hook. */
  setMetadataFreeBlocks(freeBlocks: number | undefined): void {
    this.#md?.limitMetadataBlocks(freeBlocks);
  }

  /** Commits if anything changed (postsuspend, status with flush, metadata close). */
  commit(issueNs: number): number {
    return this.#commit(issueNs);
  }

  /**
   * Grows the pool to a new data device size (a reload with the grown `_tdata` and a resume after
   * lvextend, `maybe_resize_data_dev`): the table's new low-water mark, the event re-armed.
   */
  resizeData(issueNs: number, options: { readonly lowWaterBlocks?: number } = {}): number {
    const md = this.#md;
    if (md === undefined || md.needsCheck) {
      throw new BlockDeviceError("EIO", this.name, 0, 0, "unable to grow the data device until repaired.");
    }
    md.resizeData(this.dataBlocks);
    if (options.lowWaterBlocks !== undefined) this.#lowWaterBlocks = options.lowWaterBlocks;
    this.#lowWaterSent = false;
    const done = this.#commit(issueNs);
    if (this.#mode === "out-of-data-space" && !this.#mutations.has(MUTATION_THIN_RESIZE_STAYS_FULL))
      this.#leaveOutOfDataSpace(done);
    return done;
  }

  /** Grows the metadata space map to the metadata device's size (a resume after lvextend of `_tmeta`). */
  resizeMetadata(issueNs: number): number {
    const md = this.#md;
    if (md === undefined || md.needsCheck) {
      throw new BlockDeviceError(
        "EIO",
        this.name,
        0,
        0,
        "unable to grow the metadata device until repaired.",
      );
    }
    md.resizeMetadata();
    if (this.#mode === "out-of-metadata-space") this.#setMode("write");
    return this.#commit(issueNs);
  }

  /** Runs the periodic commit and the no-space timeout as the waker would by `nowNs`. */
  tick(nowNs: number): void {
    // Without a scheduler there is no timer: the timeout is noticed at the next request.
    const since = this.#noSpaceSinceNs;
    if (this.#scheduler === undefined && since !== undefined && nowNs - since >= THIN_NO_SPACE_TIMEOUT_NS)
      this.#noSpaceTimeout(nowNs);
    if (this.#md?.changed && nowNs - this.#lastCommitNs >= THIN_COMMIT_PERIOD_NS) this.#commit(nowNs);
  }

  // ---- I/O on behalf of thin devices ----

  /** Reads `dst.byteLength` bytes of thin device `id` at `offsetBytes`. */
  thinRead(id: number, offsetBytes: number, dst: Uint8Array, issueNs: number): number {
    this.tick(issueNs);
    const md = this.#requireMd(offsetBytes, dst.byteLength);
    let done = issueNs;
    this.#eachBlock(offsetBytes, dst.byteLength, (vblock, inBlock, at, len) => {
      const m = md.lookup(id, vblock);
      const part = dst.subarray(at, at + len);
      if (m === undefined) part.fill(0);
      else
        done = Math.max(
          done,
          this.dataDevice.read(m.dataBlock * this.blockBytes + inBlock, part, { issueNs }),
        );
    });
    return done;
  }

  /**
   * Writes through thin device `id`, provisioning unmapped blocks and breaking sharing. A write that
   * needs a block of a full pool fails with ENOSPC here: only {@link submitThinWrite} can hold it.
   */
  thinWrite(id: number, offsetBytes: number, data: Uint8Array, issueNs: number, fua: boolean): number {
    return this.#write(id, offsetBytes, data, issueNs, fua, false) as number;
  }

  /** True when writes can be held (a scheduler runs the retry list and the no-space timer). */
  get holdsWrites(): boolean {
    return this.#scheduler !== undefined;
  }

  /**
   * A queued write through thin device `id` (the kernel's bio path): done at once, held on the
   * retry list while the pool is out of data space with queue_if_no_space, or failed. `done` runs
   * once, from a scheduler event. `data` must be the caller's own copy.
   */
  submitThinWrite(
    id: number,
    offsetBytes: number,
    data: Uint8Array,
    options: { readonly issueNs: number; readonly fua: boolean },
    done: QueuedDone,
  ): void {
    if (this.#scheduler === undefined)
      throw new Error(
        `Thin pool ${this.name}: submitThinWrite needs a scheduler (ThinPoolOptions.scheduler)`,
      );
    this.#attempt({ id, offsetBytes, data, fua: options.fua, done, held: false }, options.issueNs);
  }

  /** What the pool did with held writes since it was activated. */
  heldWrites(): HeldWriteCounts {
    return {
      held: this.#heldCount,
      resumed: this.#resumedCount,
      timedOut: this.#timedOutCount,
      timeoutAfterNs: this.#timeoutAfterNs,
    };
  }

  /** When this pool first went out of metadata space (since its activation), else undefined. */
  metadataFullAt(): MetadataFullAt | undefined {
    return this.#metadataFull;
  }

  /** Writes on the retry list now. */
  get heldNow(): number {
    return this.#held.length;
  }

  #attempt(write: HeldWrite, atNs: number): void {
    const scheduler = this.#scheduler as Scheduler;
    let completeNs: number | undefined;
    try {
      completeNs = this.#write(write.id, write.offsetBytes, write.data, atNs, write.fua, true);
    } catch (error) {
      if (!isBlockDeviceError(error)) throw error;
      scheduler.at(atNs, () => write.done({ completeNs: atNs, error }), `thin ${this.name} write failed`);
      return;
    }
    if (completeNs === undefined) {
      if (!write.held) {
        write.held = true;
        this.#heldCount += 1;
      }
      this.#held.push(write);
      this.trace?.emit("thin.pool.write-held", { pool: this.name, dev: write.id, held: this.#held.length });
      return;
    }
    if (write.held) this.#resumedCount += 1;
    scheduler.at(completeNs, (t) => write.done({ completeNs: t }), `thin ${this.name} write end`);
  }

  /** `requeue_bios` after the pool left out-of-data-space: the worker retries every held write. */
  #requeueHeld(atNs: number): void {
    const scheduler = this.#scheduler;
    if (scheduler === undefined || this.#held.length === 0) return;
    const writes = this.#held;
    this.#held = [];
    this.trace?.emit("thin.pool.writes-requeued", { pool: this.name, writes: writes.length });
    scheduler.at(
      atNs,
      (t) => {
        for (const write of writes) {
          if (this.#mutations.has(MUTATION_THIN_RESUME_DROPS_HELD)) {
            this.#resumedCount += 1;
            scheduler.at(t, () => write.done({ completeNs: t }), `thin ${this.name} write end`);
          } else this.#attempt(write, t);
        }
      },
      `thin ${this.name} requeue`,
    );
  }

  /** `do_no_space_timeout`: still out of data space, so error from now on and fail the held writes. */
  #noSpaceTimeout(nowNs: number): void {
    this.#noSpaceTimer = undefined;
    if (this.#mode !== "out-of-data-space" || this.#errorIfNoSpace) return;
    this.#errorIfNoSpace = true;
    const failed = this.#held.length;
    this.#timeoutAfterNs = nowNs - (this.#noSpaceSinceNs ?? nowNs);
    this.trace?.emit("thin.pool.no-space-timeout", {
      pool: this.name,
      failed,
      message: `${this.name}: switching pool to out-of-data-space (error IO) mode`,
    });
    this.#timedOutCount += failed;
    this.#failHeld(
      nowNs,
      "ENOSPC",
      `thin pool out of data space for no_space_timeout (${THIN_NO_SPACE_TIMEOUT_NS / 1e9} s)`,
    );
  }

  #failHeld(atNs: number, code: "ENOSPC" | "EIO", why: string): void {
    const scheduler = this.#scheduler;
    if (scheduler === undefined) return;
    const writes = this.#held;
    this.#held = [];
    for (const write of writes) {
      if (code === "ENOSPC") this.noSpaceFailures += 1;
      const error = new BlockDeviceError(code, this.name, write.offsetBytes, write.data.byteLength, why);
      scheduler.at(
        atNs,
        () => write.done({ completeNs: atNs, error }),
        `thin ${this.name} held write failed`,
      );
    }
  }

  #cancelNoSpaceTimer(): void {
    if (this.#noSpaceTimer !== undefined) this.#scheduler?.cancel(this.#noSpaceTimer);
    this.#noSpaceTimer = undefined;
  }

  /** Back to write mode (`set_pool_mode(PM_WRITE)`): the table's no-space policy again, held writes requeued. */
  #leaveOutOfDataSpace(atNs: number): void {
    this.#setMode("write");
    this.#cancelNoSpaceTimer();
    this.#noSpaceSinceNs = undefined;
    this.#errorIfNoSpace = this.#options.errorIfNoSpace ?? false;
    this.#requeueHeld(atNs);
  }

  /** Returns undefined when the write must be held (only when `canHold`). */
  #write(
    id: number,
    offsetBytes: number,
    data: Uint8Array,
    issueNs: number,
    fua: boolean,
    canHold: boolean,
  ): number | undefined {
    this.tick(issueNs);
    const md = this.#requireMd(offsetBytes, data.byteLength);
    let done = issueNs;
    // dm-thin splits bios at block boundaries; a request held part-way is retried whole on
    // resume, rewriting its first, already mapped part with the same bytes.
    let hold = false;
    this.#eachBlock(offsetBytes, data.byteLength, (vblock, inBlock, at, len) => {
      if (hold) return;
      const part = data.subarray(at, at + len);
      const m = md.lookup(id, vblock);
      if (m !== undefined && !m.shared) {
        done = Math.max(
          done,
          this.dataDevice.write(m.dataBlock * this.blockBytes + inBlock, part, { issueNs }),
        );
        return;
      }
      if (this.#mode !== "write" && this.#mode !== "out-of-data-space") {
        throw new BlockDeviceError(
          "EIO",
          this.name,
          offsetBytes,
          data.byteLength,
          `pool is in ${this.#mode} mode`,
        );
      }
      const b = this.#allocDataBlock(issueNs, { offsetBytes, lengthBytes: data.byteLength }, canHold);
      if (b === undefined) {
        hold = true;
        return;
      }
      const whole = inBlock === 0 && len === this.blockBytes;
      let t = issueNs;
      if (!whole) {
        // break_sharing (schedule_copy): kcopyd copies the whole old block; a new block is zeroed
        // whole (schedule_zero's ll_zero) unless skip_block_zeroing. Either way the bio itself is
        // remapped and issued only once that finished, as its own request.
        if (m !== undefined) {
          const copy = new Uint8Array(this.blockBytes);
          t = this.dataDevice.read(m.dataBlock * this.blockBytes, copy, { issueNs: t });
          t = this.dataDevice.write(b * this.blockBytes, copy, { issueNs: t });
        } else if (
          this.#options.zeroNewBlocks !== false &&
          !this.#mutations.has(THIN_SKIPS_BLOCK_ZEROING.name)
        ) {
          t = this.dataDevice.write(b * this.blockBytes, new Uint8Array(this.blockBytes), { issueNs: t });
        }
        t = this.dataDevice.write(b * this.blockBytes + inBlock, part, { issueNs: t });
      } else {
        t = this.dataDevice.write(b * this.blockBytes, part, { issueNs: t });
      }
      this.#metadataOp("dm_thin_insert_block", () => md.insert(id, vblock, b), issueNs);
      this.trace?.emit("thin.provision", {
        pool: this.name,
        dev: id,
        vblock,
        block: b,
        shared: m !== undefined,
      });
      done = Math.max(done, t);
    });
    if (hold) return undefined;
    if (fua && !this.#mutations.has(THIN_FUA_SKIPS_COMMIT.name)) done = this.#commitForFlush(done);
    return done;
  }

  /** A flush to thin device `id`: commits the pool's changes (data flushed first), else flushes data. */
  thinFlush(_id: number, issueNs: number): number {
    this.tick(issueNs);
    if (this.#mode === "fail") throw new BlockDeviceError("EIO", this.name, 0, 0, "pool is in fail mode");
    return this.#commitForFlush(issueNs);
  }

  /** Discards whole blocks of thin device `id`, returning unshared ones to the pool. */
  thinDiscard(id: number, offsetBytes: number, lengthBytes: number, issueNs: number): number {
    this.tick(issueNs);
    const md = this.#requireMd(offsetBytes, lengthBytes);
    if (this.#options.discards === "ignore" || this.#mode !== "write") return issueNs;
    let done = issueNs;
    this.#eachBlock(offsetBytes, lengthBytes, (vblock, inBlock, _at, len) => {
      if (inBlock !== 0 || len !== this.blockBytes) return;
      const m = md.lookup(id, vblock);
      if (m === undefined) return;
      this.#metadataOp("dm_thin_remove_range", () => md.remove(id, vblock), issueNs);
      if (this.#options.discards !== "nopassdown" && md.dataRefCount(m.dataBlock) === 0) {
        done = Math.max(
          done,
          this.dataDevice.discard(m.dataBlock * this.blockBytes, this.blockBytes, { issueNs }),
        );
      }
    });
    return done;
  }

  // ---- the pool device's own I/O passes to the data device (pool_map) ----

  protected mapRead(offsetBytes: number, dst: Uint8Array, issueNs: number): number {
    return this.dataDevice.read(offsetBytes, dst, { issueNs });
  }
  protected mapWrite(offsetBytes: number, data: Uint8Array, issueNs: number, fua: boolean): number {
    return this.dataDevice.write(offsetBytes, data, { issueNs, fua });
  }
  protected mapFlush(issueNs: number): number {
    return this.#commit(issueNs);
  }
  protected mapDiscard(offsetBytes: number, lengthBytes: number, issueNs: number): number {
    return this.dataDevice.discard(offsetBytes, lengthBytes, { issueNs });
  }

  #requireMd(offsetBytes: number, lengthBytes: number): PoolMetadata {
    if (this.#mode === "fail" || this.#md === undefined) {
      throw new BlockDeviceError("EIO", this.name, offsetBytes, lengthBytes, "pool is in fail mode");
    }
    return this.#md;
  }

  #eachBlock(
    offsetBytes: number,
    lengthBytes: number,
    visit: (vblock: number, inBlock: number, at: number, len: number) => void,
  ): void {
    const bb = this.blockBytes;
    let at = 0;
    while (at < lengthBytes) {
      const pos = offsetBytes + at;
      const vblock = Math.floor(pos / bb);
      const inBlock = pos - vblock * bb;
      const len = Math.min(bb - inBlock, lengthBytes - at);
      visit(vblock, inBlock, at, len);
      at += len;
    }
  }

  /**
   * `alloc_data_block`: low-water event, commit to reclaim at 0 free, then out-of-data-space.
   * Undefined means "hold the write" (`retry_on_resume`), which only a queued write can be.
   */
  #allocDataBlock(
    issueNs: number,
    range: { offsetBytes: number; lengthBytes: number },
    canHold: boolean,
  ): number | undefined {
    const md = this.#md as PoolMetadata;
    const low = this.#lowWaterBlocks;
    if (!this.#lowWaterSent && md.dataBlocksFree <= low) {
      this.#lowWaterSent = true;
      if (!this.#mutations.has(MUTATION_THIN_LOW_WATER_EVENT_LOST))
        this.trace?.emit("thin.pool.low-water", { pool: this.name, free: md.dataBlocksFree });
    }
    let b = md.allocDataBlock();
    if (b === undefined) {
      this.#commit(issueNs);
      b = md.allocDataBlock();
    }
    if (b !== undefined) {
      if (this.#mode === "out-of-data-space") this.#leaveOutOfDataSpace(issueNs);
      // "Let's commit before we use up the metadata reserve": the commit finds no free metadata
      // blocks beyond the reserve and switches to out-of-metadata-space, so this bio's own insert
      // still fits in the reserve.
      if (
        md.metadataBlocksFree <= this.metadataReserveBlocks &&
        !this.#mutations.has(MUTATION_THIN_SKIPS_RESERVE_COMMIT)
      )
        this.#commit(issueNs);
      return b;
    }
    if (this.#mode !== "out-of-data-space") {
      this.#setMode("out-of-data-space");
      this.#noSpaceSinceNs = issueNs;
      // set_pool_mode(PM_OUT_OF_DATA_SPACE) arms the timer only when queueing (no_space_timeout 0 = never).
      if (!this.#errorIfNoSpace && this.#scheduler !== undefined) {
        this.#noSpaceTimer = this.#scheduler.at(
          issueNs + THIN_NO_SPACE_TIMEOUT_NS,
          (t) => this.#noSpaceTimeout(t),
          `thin ${this.name} no_space_timeout`,
        );
      }
    }
    const queueing = !this.#errorIfNoSpace && !this.#mutations.has(MUTATION_THIN_NO_SPACE_FAILS_AT_ONCE);
    if (queueing && canHold) return undefined;
    this.noSpaceFailures += 1;
    const how = this.#errorIfNoSpace
      ? "error_if_no_space"
      : `queue_if_no_space holds it for no_space_timeout (${THIN_NO_SPACE_TIMEOUT_NS / 1e9} s), but a synchronous write cannot wait`;
    throw new BlockDeviceError(
      "ENOSPC",
      this.name,
      range.offsetBytes,
      range.lengthBytes,
      `thin pool out of data space (${how})`,
    );
  }

  /** Runs a metadata change; a failure aborts the transaction, sets needs_check and makes the pool read-only. */
  #metadataOp(what: string, op: () => void, issueNs: number): void {
    try {
      op();
    } catch (error) {
      if (!isPersistentDataError(error)) throw error;
      this.trace?.emit("thin.pool.metadata-error", { pool: this.name, op: what, code: error.code });
      this.#abort(issueNs);
      throw new BlockDeviceError(
        "EIO",
        this.name,
        0,
        0,
        `metadata operation '${what}' failed: error = ${error.code === "ENOSPC" ? -28 : -5}`,
      );
    }
  }

  #abort(issueNs: number): void {
    const md = this.#md as PoolMetadata;
    try {
      md.abort();
      if (!this.#mutations.has(MUTATION_THIN_ABORT_SKIPS_NEEDS_CHECK)) md.setNeedsCheck(issueNs);
      this.#setMode("read-only");
    } catch (error) {
      // A power cut as the pool switches mode unwinds; only a failed abort leaves it in fail mode.
      if (isSimulationHalt(error)) throw error;
      this.#setMode("fail");
    }
  }

  #commitForFlush(issueNs: number): number {
    const md = this.#md;
    if (md === undefined) return issueNs;
    if (!md.changed) return this.dataDevice.flush({ issueNs });
    if (this.#mutations.has(MUTATION_THIN_FLUSH_SKIPS_COMMIT)) return this.dataDevice.flush({ issueNs });
    const done = this.#commit(issueNs);
    if (this.#mode === "read-only" || this.#mode === "fail") {
      throw new BlockDeviceError("EIO", this.name, 0, 0, "metadata operation 'commit' failed: error = -28");
    }
    return done;
  }

  #commit(issueNs: number): number {
    const md = this.#md;
    if (md === undefined || !md.changed || this.#mode === "read-only" || this.#mode === "fail")
      return issueNs;
    let t = issueNs;
    if (!this.#mutations.has(MUTATION_THIN_COMMIT_SKIPS_DATA_FLUSH))
      t = this.dataDevice.flush({ issueNs: t });
    try {
      t = md.commit(t);
    } catch (error) {
      if (!isPersistentDataError(error)) throw error;
      this.#abort(t);
      return t;
    }
    this.#lastCommitNs = t;
    this.trace?.emit("thin.commit", { pool: this.name, transactionId: md.transactionId });
    // check_for_data_space: a commit that finds free blocks (discards) ends out-of-data-space.
    if (
      this.#mode === "out-of-data-space" &&
      md.dataBlocksFree > 0 &&
      !this.#mutations.has(MUTATION_THIN_RESIZE_STAYS_FULL)
    )
      this.#leaveOutOfDataSpace(t);
    if (this.#mode === "write" && md.metadataBlocksFree <= this.metadataReserveBlocks) {
      // check_for_metadata_space: DMERR "No free metadata blocks".
      this.#metadataFull ??= { freeBlocks: md.metadataBlocksFree, reserveBlocks: this.metadataReserveBlocks };
      this.trace?.emit("thin.pool.metadata-full", {
        pool: this.name,
        free: md.metadataBlocksFree,
        reserve: this.metadataReserveBlocks,
        message: `${this.name}: No free metadata blocks`,
      });
      this.#setMode("out-of-metadata-space");
    }
    return t;
  }

  #setMode(mode: PoolMode): void {
    if (mode === this.#mode) return;
    this.#mode = mode;
    const io = mode !== "out-of-data-space" ? "" : this.#errorIfNoSpace ? " (error IO)" : " (queue IO)";
    this.trace?.emit("thin.pool.mode", {
      pool: this.name,
      mode,
      message: `${this.name}: switching pool to ${MODE_LOG_NAMES[mode]}${io} mode`,
    });
  }
}

/** A refused pool message, with the errno LVM2 looks at (EEXIST, ENODATA, EINVAL). */
export class ThinMessageError extends Error {
  override readonly name = "ThinMessageError";

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
