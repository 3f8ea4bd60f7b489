/**
 * The mirror's dirty region log (dm-log.c): a clean bit and a sync bit per region. The core log
 * keeps both in memory, so every activation resyncs the whole mirror; the disk log persists the
 * clean bits in the kernel's on-disk format, so after a crash only regions that were dirty resync.
 *
 * Disk format (dm-log.c): at byte 0 a header {u32 magic 0x4D695272, u32 version 2, u64 nr_regions}
 * (little-endian), zeros to byte 1024, then the clean bits (bit i = byte i/8, bit i%8; 1 = clean),
 * rounded up to 32 bits. Header and bits are always read and written as ONE I/O.
 */

import { type BlockDevice, SECTOR_BYTES } from "../../block/device.js";
import { BlockDeviceError, isBlockDeviceError } from "../../block/errors.js";
import { type MutationInfo, type Mutations, NO_MUTATIONS } from "../../sim/mutations.js";
import type { Trace, TraceEventInfo } from "../../sim/trace.js";
import { deviceLabel } from "../target.js";

/** Mutation: a disk log write that marks regions dirty is not flushed, so data may reach the legs before the mark is durable. */
export const MIRROR_MARK_NOT_FLUSHED: MutationInfo = {
  name: "mirror-mark-not-flushed",
  description:
    "the disk log writes dirty marks without flushing the log device, so leg writes can become durable before their region's mark",
};

/** Trace event: a mirror region was marked dirty in the region log before a write to it. */
export const MIRROR_REGION_MARK_EVENT: TraceEventInfo = {
  name: "mirror.region.mark",
  description: "A mirror region was marked dirty in the region log before a write to it",
};

/** Trace event: a mirror region was marked clean (idle and in sync on every leg). */
export const MIRROR_REGION_CLEAR_EVENT: TraceEventInfo = {
  name: "mirror.region.clear",
  description: "A mirror region was marked clean (idle and in sync on every leg)",
};

/** Trace event: a disk log's write or flush failed. */
export const MIRROR_LOG_FAIL_EVENT: TraceEventInfo = {
  name: "mirror.log.fail",
  description: "A disk log's write or flush failed",
};

/** Trace event: a disk log's dirty bits were written and flushed. */
export const MIRROR_LOG_FLUSH_EVENT: TraceEventInfo = {
  name: "mirror.log.flush",
  description: "A disk log's dirty bits were written and flushed",
};

/** dm-log's MIRROR_MAGIC ("MiRr" read as a big-endian number; stored little-endian). */
export const MIRROR_LOG_MAGIC = 0x4d695272;
/** dm-log's MIRROR_DISK_VERSION. */
export const MIRROR_LOG_VERSION = 2;
/** Byte offset of the clean bits (LOG_OFFSET = 2 sectors). */
const MIRROR_LOG_BITS_OFFSET_BYTES = 1024;
/** Most regions a log may track; keeps the bitsets bounded (the kernel has no lower cap than memory). */
const MAX_MIRROR_REGIONS = 1 << 26;

/** The table's sync argument: none (DEFAULTSYNC), `sync` (force a full resync) or `nosync` (assume in sync). */
export type LogSyncMode = "default" | "sync" | "nosync";

/** Result of flushing every leg: completion time and whether any leg failed its flush. */
export interface LegFlushResult {
  readonly doneNs: number;
  readonly failed: boolean;
}

/** Called by a flush that cleaned bits: must flush every mirror leg first (dm-raid1's `mirror_flush`). */
export type FlushLegs = (issueNs: number) => LegFlushResult;

/** Options shared by both log kinds. */
export interface RegionLogOptions {
  readonly regionSizeSectors: number;
  /** Length of the mirror in sectors; the last region may be short. */
  readonly targetSectors: number;
  readonly sync?: LogSyncMode;
  /**
   * Start a core log with every region in sync without saying `nosync` in the table: the kernel
   * of a machine restored between two `lvmlab lvm` runs still held it so. Ignored by disk logs.
   */
  readonly assumeInSync?: boolean;
  /** Where to emit `mirror.region.mark`, `mirror.region.clear` and `mirror.log.flush`. */
  readonly trace?: Trace;
  /** Mirror name for trace payloads. */
  readonly mirrorName?: string;
}

/** Options of a disk log: the log device (a whole small LV, `lv_mlog`). */
export interface DiskLogOptions extends RegionLogOptions {
  readonly device: BlockDevice;
  readonly mutations?: Mutations;
}

/** Bytes of a bitset for `regionCount` regions, rounded up to 32 bits as dm-log does. */
export function regionBitsetBytes(regionCount: number): number {
  return Math.ceil(regionCount / 32) * 4;
}

/** Bytes of the disk log's single I/O: header area plus bitset, rounded up to a sector. */
export function diskLogIoBytes(regionCount: number): number {
  const raw = MIRROR_LOG_BITS_OFFSET_BYTES + regionBitsetBytes(regionCount);
  return Math.ceil(raw / SECTOR_BYTES) * SECTOR_BYTES;
}

/** Test bit `i` in little-endian bit order (the kernel's `test_bit_le`). */
export function testBitLe(bits: Uint8Array, i: number): boolean {
  return ((bits[i >>> 3]! >>> (i & 7)) & 1) === 1;
}

function setBitLe(bits: Uint8Array, i: number): void {
  bits[i >>> 3]! |= 1 << (i & 7);
}

function clearBitLe(bits: Uint8Array, i: number): void {
  bits[i >>> 3]! &= ~(1 << (i & 7));
}

/**
 * The core log (`core <#args> <region size> [sync|nosync]`): clean bits start all set, sync bits
 * all clear (unless `nosync`), nothing persists. The disk log extends it with persistence.
 */
export class CoreRegionLog {
  readonly kind: "core" | "disk" = "core";
  readonly regionSizeSectors: number;
  readonly regionCount: number;
  readonly sync: LogSyncMode;
  /** 1 = clean; for the disk log this is a view into the on-disk buffer at byte 1024. */
  protected cleanBits: Uint8Array;
  protected readonly syncBits: Uint8Array;
  protected readonly recoveringBits: Uint8Array;
  protected touchedDirtied = false;
  protected touchedCleaned = false;
  protected readonly trace: Trace | undefined;
  protected readonly mirrorName: string;
  #syncCount = 0;
  #syncSearch = 0;

  constructor(options: RegionLogOptions) {
    const region = options.regionSizeSectors;
    // dm-log's create_log_context insists on a power of two.
    if (!Number.isSafeInteger(region) || region < 1 || (region & (region - 1)) !== 0) {
      throw new RangeError(`Mirror log: region size must be a power of two in sectors, got ${region}`);
    }
    const count = Math.ceil(options.targetSectors / region);
    if (count < 1 || count > MAX_MIRROR_REGIONS) {
      throw new RangeError(
        `Mirror log: ${count} regions of ${region} sectors is outside 1..${MAX_MIRROR_REGIONS}; use a larger region size`,
      );
    }
    this.regionSizeSectors = region;
    this.regionCount = count;
    this.sync = options.sync ?? "default";
    this.trace = options.trace;
    this.mirrorName = options.mirrorName ?? "mirror";
    const bytes = regionBitsetBytes(count);
    this.cleanBits = new Uint8Array(bytes).fill(0xff);
    this.syncBits = new Uint8Array(bytes);
    this.recoveringBits = new Uint8Array(bytes);
    if (this.sync === "nosync" || options.assumeInSync === true) {
      this.syncBits.fill(0xff);
      this.#syncCount = count;
    }
  }

  /** Regions currently in sync (the numerator of `sync_percent`). */
  get syncCount(): number {
    return this.#syncCount;
  }

  /** True when the log device failed (never for a core log). */
  get failed(): boolean {
    return false;
  }

  /** The clean bit: false once marked dirty and not yet cleared. */
  isClean(region: number): boolean {
    this.#checkRegion(region);
    return testBitLe(this.cleanBits, region);
  }

  /** The sync bit: the legs hold the same data for this region. */
  inSync(region: number): boolean {
    this.#checkRegion(region);
    return testBitLe(this.syncBits, region);
  }

  /** Record that writes are about to hit the region: clear its clean bit (persisted by the next flush). */
  markRegion(region: number): void {
    this.#checkRegion(region);
    // The kernel flags the log touched even when the bit was already clear; skipping the no-op
    // rewrite is safe because the clear bit is already durable from the earlier mark.
    if (testBitLe(this.cleanBits, region)) {
      clearBitLe(this.cleanBits, region);
      this.touchedDirtied = true;
    }
    this.trace?.emit(MIRROR_REGION_MARK_EVENT.name, { mirror: this.mirrorName, region });
  }

  /** Record that the region is idle and in sync on every leg: set its clean bit. */
  clearRegion(region: number): void {
    this.#checkRegion(region);
    if (!testBitLe(this.cleanBits, region)) {
      setBitLe(this.cleanBits, region);
      this.touchedCleaned = true;
    }
    this.trace?.emit(MIRROR_REGION_CLEAR_EVENT.name, { mirror: this.mirrorName, region });
  }

  /** Set or clear the sync bit; also ends any recovery of the region. */
  setRegionSync(region: number, inSync: boolean): void {
    this.#checkRegion(region);
    clearBitLe(this.recoveringBits, region);
    const was = testBitLe(this.syncBits, region);
    if (inSync && !was) {
      setBitLe(this.syncBits, region);
      this.#syncCount += 1;
    } else if (!inSync && was) {
      clearBitLe(this.syncBits, region);
      this.#syncCount -= 1;
    }
  }

  /**
   * The next region to resync, flagged as recovering, or undefined. Like dm-log the search only
   * moves forward, so regions that fall out of sync behind it wait for the next activation.
   */
  getResyncWork(): number | undefined {
    while (this.#syncSearch < this.regionCount) {
      const region = this.#syncSearch;
      this.#syncSearch += 1;
      if (!testBitLe(this.syncBits, region) && !testBitLe(this.recoveringBits, region)) {
        setBitLe(this.recoveringBits, region);
        return region;
      }
    }
    return undefined;
  }

  /** Persist the clean bits if they changed; the core log has nothing to persist. */
  flush(issueNs: number, _flushLegs: FlushLegs): number {
    this.touchedCleaned = false;
    this.touchedDirtied = false;
    return issueNs;
  }

  /** Load state at activation; the core log starts fresh every time. */
  resume(issueNs: number): number {
    this.#syncSearch = 0;
    return issueNs;
  }

  /** The log's part of the mirror table: `core 1 <region>` (+ `sync`/`nosync`). */
  params(): string {
    const extra = this.sync === "default" ? "" : ` ${this.sync}`;
    return `core ${this.sync === "default" ? 1 : 2} ${this.regionSizeSectors}${extra}`;
  }

  /** The log's part of the mirror status: `1 core`. */
  statusParams(): string {
    return "1 core";
  }

  /** Recount sync bits after they were rebuilt wholesale (disk log resume). */
  protected resetSync(): void {
    let count = 0;
    for (let i = 0; i < this.regionCount; i++) if (testBitLe(this.syncBits, i)) count += 1;
    this.#syncCount = count;
    this.#syncSearch = 0;
    this.recoveringBits.fill(0);
  }

  #checkRegion(region: number): void {
    if (!Number.isInteger(region) || region < 0 || region >= this.regionCount) {
      throw new RangeError(`Mirror ${this.mirrorName}: region ${region} outside 0..${this.regionCount - 1}`);
    }
  }
}

/**
 * The disk log (`disk <#args> <log dev> <region size> [sync|nosync]`): clean bits persist on the
 * log device; activation resyncs exactly the regions not clean on disk.
 */
export class DiskRegionLog extends CoreRegionLog {
  override readonly kind = "disk" as const;
  readonly device: BlockDevice;
  /** Header plus bitset: the single buffer every log I/O moves. */
  readonly #buffer: Uint8Array;
  readonly #view: DataView;
  readonly #markNotFlushed: boolean;
  #failed = false;
  #flushFailed = false;

  constructor(options: DiskLogOptions) {
    super(options);
    this.device = options.device;
    this.#markNotFlushed = (options.mutations ?? NO_MUTATIONS).has(MIRROR_MARK_NOT_FLUSHED.name);
    const ioBytes = diskLogIoBytes(this.regionCount);
    if (ioBytes > options.device.sizeBytes) {
      throw new BlockDeviceError(
        "EINVAL",
        options.device.name,
        0,
        ioBytes,
        `mirror log device is too small: ${this.regionCount} regions need ${ioBytes} bytes; use a larger log or region size`,
      );
    }
    this.#buffer = new Uint8Array(ioBytes);
    this.#view = new DataView(this.#buffer.buffer);
    this.cleanBits = this.#buffer.subarray(
      MIRROR_LOG_BITS_OFFSET_BYTES,
      MIRROR_LOG_BITS_OFFSET_BYTES + regionBitsetBytes(this.regionCount),
    );
  }

  override get failed(): boolean {
    return this.#failed;
  }

  /** Bytes of the last header+bitset image in memory (what the next flush writes). */
  get image(): Uint8Array {
    return this.#buffer;
  }

  /**
   * Write the log if bits changed. Cleaned bits first flush every leg (the data they vouch for must
   * be durable before the log says clean); dirtied bits are followed by a flush of the log device
   * (the mark must be durable before any data write is dispatched).
   */
  override flush(issueNs: number, flushLegs: FlushLegs): number {
    if (!this.touchedCleaned && !this.touchedDirtied) return issueNs;
    let nowNs = issueNs;
    const cleaned = this.touchedCleaned;
    if (cleaned) {
      const legs = flushLegs(nowNs);
      nowNs = legs.doneNs;
      if (legs.failed) {
        // The data the cleaned bits vouch for may not be durable: distrust every region.
        for (let i = 0; i < this.regionCount; i++) clearBitLe(this.cleanBits, i);
        this.touchedDirtied = true;
      }
    }
    const dirtiedNow = this.touchedDirtied;
    try {
      this.#encodeHeader(this.regionCount);
      nowNs = this.device.write(0, this.#buffer, { issueNs: nowNs });
      if (dirtiedNow && !this.#markNotFlushed) {
        try {
          nowNs = this.device.flush({ issueNs: nowNs });
        } catch (error) {
          if (isBlockDeviceError(error)) this.#flushFailed = true;
          throw error;
        }
      }
    } catch (error) {
      if (!isBlockDeviceError(error)) throw error;
      this.#failed = true;
      this.trace?.emit(MIRROR_LOG_FAIL_EVENT.name, {
        mirror: this.mirrorName,
        log: this.device.name,
        code: error.code,
      });
      throw error;
    }
    this.touchedDirtied = false;
    this.touchedCleaned = false;
    this.trace?.emit(MIRROR_LOG_FLUSH_EVENT.name, {
      mirror: this.mirrorName,
      log: this.device.name,
      dirtied: dirtiedNow,
      cleaned,
    });
    return nowNs;
  }

  /**
   * Read the log at activation: an unreadable log or a wrong magic (or an explicit sync/nosync in
   * the table) means no region is known; those are dirty (clean with `nosync`). Sync bits = clean
   * bits, then the header is rewritten with the real region count and flushed.
   */
  override resume(issueNs: number): number {
    let nowNs = issueNs;
    let knownRegions = 0;
    try {
      nowNs = this.device.read(0, this.#buffer, { issueNs: nowNs });
      const magic = this.#view.getUint32(0, true);
      let version = this.#view.getUint32(4, true);
      if (this.sync === "default" && magic === MIRROR_LOG_MAGIC) {
        if (version === 1) version = 2; // dm-log upgrades v1 in core on little-endian hosts.
        if (version !== MIRROR_LOG_VERSION) {
          throw new BlockDeviceError(
            "EINVAL",
            this.device.name,
            4,
            4,
            `incompatible mirror log version ${version} (expected ${MIRROR_LOG_VERSION}); recreate the log`,
          );
        }
        const stored = this.#view.getBigUint64(8, true);
        knownRegions = stored > BigInt(this.regionCount) ? this.regionCount : Number(stored);
      }
    } catch (error) {
      if (!isBlockDeviceError(error) || error.code === "EINVAL") throw error;
      // An unreadable log must not report in-sync regions: treat every region as unknown.
      this.#failed = true;
      knownRegions = 0;
    }
    for (let i = knownRegions; i < this.regionCount; i++) {
      if (this.sync === "nosync") setBitLe(this.cleanBits, i);
      else clearBitLe(this.cleanBits, i);
    }
    for (let i = this.regionCount; i < this.cleanBits.byteLength * 8; i++) clearBitLe(this.cleanBits, i);
    this.syncBits.set(this.cleanBits);
    this.resetSync();
    this.#encodeHeader(this.regionCount);
    try {
      nowNs = this.device.write(0, this.#buffer, { issueNs: nowNs });
      nowNs = this.device.flush({ issueNs: nowNs });
    } catch (error) {
      if (!isBlockDeviceError(error)) throw error;
      this.#failed = true;
    }
    this.touchedCleaned = false;
    this.touchedDirtied = false;
    return nowNs;
  }

  override params(): string {
    const extra = this.sync === "default" ? "" : ` ${this.sync}`;
    return `disk ${this.sync === "default" ? 2 : 3} ${deviceLabel(this.device)} ${this.regionSizeSectors}${extra}`;
  }

  override statusParams(): string {
    const health = this.#flushFailed ? "F" : this.#failed ? "D" : "A";
    return `3 disk ${deviceLabel(this.device)} ${health}`;
  }

  #encodeHeader(nrRegions: number): void {
    this.#view.setUint32(0, MIRROR_LOG_MAGIC, true);
    this.#view.setUint32(4, MIRROR_LOG_VERSION, true);
    this.#view.setBigUint64(8, BigInt(nrRegions), true);
  }
}

/** Either kind of region log. */
export type RegionLog = CoreRegionLog;
