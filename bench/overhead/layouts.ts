/**
 * The LV layouts the overhead benchmark compares, built straight from device-mapper targets over
 * timed PVs (MemoryDevice → TimedDevice), without LVM commands: each config is what `dmsetup table`
 * would show for the LV, and each PV is its own disk unless the config says "shared bus".
 */

import type { BlockDevice } from "../../engine/block/device.js";
import { MemoryDevice } from "../../engine/block/memory.js";
import { TimedDevice } from "../../engine/block/timed.js";
import { LinearTarget } from "../../engine/dm/linear.js";
import { MirrorTarget } from "../../engine/dm/mirror/mirror.js";
import { startMirrorResync } from "../../engine/dm/mirror/resync-driver.js";
import { SnapshotTarget } from "../../engine/dm/snapshot/snapshot.js";
import { SnapshotOriginTarget } from "../../engine/dm/snapshot/snapshot-origin.js";
import { StripedTarget } from "../../engine/dm/striped.js";
import type { Rng } from "../../engine/sim/rng.js";
import type { Scheduler } from "../../engine/sim/scheduler.js";
import { Bus, type DeviceProfile, resolveProfile } from "../../engine/sim/timing/mod.js";
import { buildRaid1 } from "./raid1-layout.js";
import { buildThin, THIN_CHUNK_BYTES } from "./thin-layout.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const SECTOR = 512;

/** Stripe size of the striped configs (LVM2's default `-I 64k`). */
export const STRIPE_BYTES = 64 * KiB;
/** Mirror region size (LVM2's `mirror_region_size` default of 2 MiB) for mirrors and pvmove. */
export const REGION_BYTES = 2 * MiB;
/** Size of the disk log PV: one 4 MiB extent, as LVM2 allocates for `lv_mlog`. */
const LOG_PV_BYTES = 4 * MiB;
/**
 * LV sizes must split evenly into 2 and 3 stripes of 64 KiB, 2 MiB mirror regions and 512 KiB
 * snapshot chunks; 6 MiB is the least common multiple.
 */
export const LV_SIZE_QUANTUM_BYTES = 6 * MiB;
/** Largest LV a cell may build; every PV is a sparse MemoryDevice, but prefill touches every page. */
export const MAX_LV_BYTES = 1024 * MiB;
/**
 * Shared-bus variant: the controller carries 1.5× one disk's bandwidth, so two legs streaming
 * together get 0.75 each, the middle of the classic "60–80 %" figure (two disks on one ATA-100
 * channel, or on one SATA port multiplier, are in this range).
 */
export const SHARED_BUS_FACTOR = 1.5;

/** What one config is made of. */
export type LayoutSpec =
  | { readonly kind: "linear" }
  | { readonly kind: "striped"; readonly stripes: 2 | 3 }
  | {
      readonly kind: "mirror";
      readonly legs: 2 | 3;
      readonly log: "core" | "disk";
      readonly sharedBus: boolean;
    }
  | {
      readonly kind: "snapshot";
      readonly snapshots: 1 | 4;
      readonly chunkBytes: number;
      /** `first`: fresh snapshots, every chunk's first write copies; `overwrite`: every chunk already copied. */
      readonly pass: "first" | "overwrite";
    }
  | { readonly kind: "pvmove" }
  | {
      readonly kind: "raid1";
      readonly legs: 2 | 3;
      /** Bits already set (the LV was written in the last ~10 s), so no write waits for a bitmap write. */
      readonly warmBitmap?: boolean;
    }
  | {
      readonly kind: "thin";
      /** Thin snapshots of the thin LV taken after it was fully written. */
      readonly snapshots: 0 | 1 | 4;
      /** `first`: every write provisions a block or breaks sharing; `overwrite`: every block already the LV's own. */
      readonly pass: "first" | "overwrite";
    };

/** A named config of the benchmark. */
export interface ConfigDef {
  readonly name: string;
  readonly spec: LayoutSpec;
  readonly description: string;
}

function mirrorConfig(legs: 2 | 3, log: "core" | "disk", sharedBus = false): ConfigDef {
  return {
    name: `mirror-${legs}leg-${log}${sharedBus ? "-sharedbus" : ""}`,
    spec: { kind: "mirror", legs, log, sharedBus },
    description:
      `${legs}-leg dm-mirror, ${log} log${log === "disk" ? " on its own PV" : ""}, ` +
      (sharedBus
        ? `legs behind one controller of ${SHARED_BUS_FACTOR}× a disk's bandwidth`
        : "legs on separate disks"),
  };
}

function thinConfig(snapshots: 0 | 1 | 4, pass: "first" | "overwrite"): ConfigDef {
  const name = snapshots === 0 ? `thin-${pass}` : `thin-${snapshots}snap-${pass}`;
  const what =
    snapshots === 0
      ? pass === "first"
        ? "fresh for write workloads: every first write provisions a block (partial ones zeroed first); workloads that read find it written"
        : "every block already provisioned: overwrites"
      : pass === "first"
        ? `${snapshots} thin snapshot${snapshots > 1 ? "s" : ""} of a fully written thin LV: first writes break sharing (copy the block once, whatever the count)`
        : `${snapshots} thin snapshot${snapshots > 1 ? "s" : ""}, sharing already broken everywhere: overwrites`;
  return {
    name,
    spec: { kind: "thin", snapshots, pass },
    description: `thin LV in a pool of ${THIN_CHUNK_BYTES / KiB} KiB chunks (_tdata and _tmeta on their own PVs), ${what}`,
  };
}

function snapshotConfig(snapshots: 1 | 4, chunkKiB: number, pass: "first" | "overwrite"): ConfigDef {
  return {
    name: `origin-${snapshots}snap-${chunkKiB}k-${pass}`,
    spec: { kind: "snapshot", snapshots, chunkBytes: chunkKiB * KiB, pass },
    description:
      `origin with ${snapshots} snapshot${snapshots > 1 ? "s" : ""} of ${chunkKiB} KiB chunks (COW on another PV), ` +
      (pass === "first" ? "fresh: first writes" : "every chunk already copied: overwrites"),
  };
}

/** Every config, linear (the baseline) first. */
export const CONFIGS: readonly ConfigDef[] = [
  { name: "linear", spec: { kind: "linear" }, description: "linear LV on one PV (the baseline)" },
  {
    name: "striped-2",
    spec: { kind: "striped", stripes: 2 },
    description: "2 stripes of 64 KiB on 2 PVs",
  },
  {
    name: "striped-3",
    spec: { kind: "striped", stripes: 3 },
    description: "3 stripes of 64 KiB on 3 PVs",
  },
  mirrorConfig(2, "core"),
  mirrorConfig(3, "core"),
  mirrorConfig(2, "disk"),
  mirrorConfig(3, "disk"),
  mirrorConfig(2, "core", true),
  ...([1, 4] as const).flatMap((count) =>
    [4, 64, 512].flatMap((chunk) => [
      snapshotConfig(count, chunk, "first"),
      snapshotConfig(count, chunk, "overwrite"),
    ]),
  ),
  ...([2, 3] as const).map(
    (legs): ConfigDef => ({
      name: `raid1-${legs}leg`,
      spec: { kind: "raid1", legs },
      description: `${legs}-leg dm-raid raid1 (md raid1 + write-intent bitmap, 2 MiB regions), legs on separate disks, idle before the run (bitmap clean)`,
    }),
  ),
  thinConfig(0, "first"),
  thinConfig(0, "overwrite"),
  thinConfig(1, "first"),
  thinConfig(4, "first"),
  thinConfig(1, "overwrite"),
  {
    name: "raid1-2leg-warm",
    spec: { kind: "raid1", legs: 2, warmBitmap: true },
    description:
      "2-leg dm-raid raid1 written in the last ~10 s: every region's bit still set, so no write waits for a bitmap write",
  },
  {
    name: "pvmove",
    spec: { kind: "pvmove" },
    description:
      "linear LV during pvmove: core-log mirror source→destination, unthrottled copy in the background",
  },
];

/** Name of the baseline config. */
export const LINEAR_CONFIG = "linear";

/** The config called `name`; throws naming the known configs when there is none. */
export function configByName(name: string): ConfigDef {
  const found = CONFIGS.find((c) => c.name === name);
  if (found === undefined) {
    throw new RangeError(
      `Unknown overhead config "${name}"; use one of ${CONFIGS.map((c) => c.name).join(", ")}`,
    );
  }
  return found;
}

/** Options of {@link buildLayout}. */
export interface LayoutOptions {
  /** LV size; a multiple of {@link LV_SIZE_QUANTUM_BYTES}. */
  readonly lvBytes: number;
  /** Device timing stream; each PV forks its own child by name. */
  readonly rng: Rng;
  /** Write the whole LV before measuring, so reads find data (done before snapshots or pvmove start). */
  readonly prefill: boolean;
}

/** A built layout, ready for a workload at {@link Layout.readyNs}. */
export interface Layout {
  readonly config: ConfigDef;
  readonly profile: DeviceProfile;
  /** The LV the workload runs on. */
  readonly device: BlockDevice;
  /** Every PV, for device-level write amplification. */
  readonly pvs: readonly TimedDevice[];
  /** Virtual time by which setup (activation, prefill, overwrite pass) completed. */
  readonly readyNs: number;
  /** Starts background work (the pvmove copy) on the run's scheduler; call at {@link readyNs}. */
  start(scheduler: Scheduler): void;
}

/** Bytes and timing of one prefill write: large, so setup costs few calls. */
const PREFILL_CHUNK_BYTES = 1 * MiB;

/**
 * Write `[0, lengthBytes)` of `device` once, one request at a time from `startNs`, with a
 * non-zero pattern; returns when the last write completed.
 */
export function prefill(device: BlockDevice, lengthBytes: number, startNs: number): number {
  const buffer = new Uint8Array(Math.min(PREFILL_CHUNK_BYTES, lengthBytes));
  for (let i = 0; i < buffer.length; i++) buffer[i] = (i * 31 + 7) & 0xff;
  let nowNs = startNs;
  for (let at = 0; at < lengthBytes; at += buffer.length) {
    const piece = buffer.subarray(0, Math.min(buffer.length, lengthBytes - at));
    nowNs = device.write(at, piece, { issueNs: nowNs });
  }
  return nowNs;
}

class PvFactory {
  readonly pvs: TimedDevice[] = [];

  constructor(
    readonly profile: DeviceProfile,
    readonly rng: Rng,
  ) {}

  make(name: string, sizeBytes: number, bus?: Bus): TimedDevice {
    const pv = new TimedDevice(new MemoryDevice(name, sizeBytes), this.profile, {
      rng: this.rng.fork(name),
      ...(bus === undefined ? {} : { bus }),
    });
    this.pvs.push(pv);
    return pv;
  }
}

function checkLvBytes(lvBytes: number): void {
  if (
    !Number.isSafeInteger(lvBytes) ||
    lvBytes <= 0 ||
    lvBytes % LV_SIZE_QUANTUM_BYTES !== 0 ||
    lvBytes > MAX_LV_BYTES
  ) {
    throw new RangeError(
      `Overhead LV size ${lvBytes} bytes is not a positive multiple of ${LV_SIZE_QUANTUM_BYTES} up to ${MAX_LV_BYTES}; ` +
        "pick e.g. 12 MiB or 48 MiB",
    );
  }
}

/** COW space for one snapshot: the whole origin plus its exception areas and header, with slack. */
function cowBytesFor(lvBytes: number, chunkBytes: number): number {
  const bytes = lvBytes + Math.ceil(lvBytes / 8) + 4 * chunkBytes;
  return Math.ceil(bytes / MiB) * MiB;
}

/** Build `config` on fresh PVs with `profileName`'s timing (a built-in name or a `custom:` spec). */
export function buildLayout(config: ConfigDef, profileName: string, options: LayoutOptions): Layout {
  checkLvBytes(options.lvBytes);
  const profile = resolveProfile(profileName);
  const pvs = new PvFactory(profile, options.rng);
  const lvBytes = options.lvBytes;
  const lvSectors = lvBytes / SECTOR;
  const spec = config.spec;
  const noBackground = () => {};
  const done = (
    device: BlockDevice,
    readyNs: number,
    start: (s: Scheduler) => void = noBackground,
  ): Layout => ({
    config,
    profile,
    device,
    pvs: pvs.pvs,
    readyNs,
    start,
  });
  const filled = (device: BlockDevice, fromNs: number) =>
    options.prefill ? prefill(device, lvBytes, fromNs) : fromNs;

  switch (spec.kind) {
    case "linear": {
      const lv = new LinearTarget("lv", {
        device: pvs.make("pv0", lvBytes),
        offsetSectors: 0,
        lengthSectors: lvSectors,
      });
      return done(lv, filled(lv, 0));
    }
    case "striped": {
      const stripes = Array.from({ length: spec.stripes }, (_, i) => ({
        device: pvs.make(`pv${i}`, lvBytes / spec.stripes),
        offsetSectors: 0,
      }));
      const lv = new StripedTarget("lv", {
        lengthSectors: lvSectors,
        chunkSizeSectors: STRIPE_BYTES / SECTOR,
        stripes,
      });
      return done(lv, filled(lv, 0));
    }
    case "mirror": {
      const bus = spec.sharedBus
        ? new Bus("controller0", { bandwidthBytesPerSec: SHARED_BUS_FACTOR * profile.bandwidthBytesPerSec })
        : undefined;
      const legs = Array.from({ length: spec.legs }, (_, i) => ({
        device: pvs.make(`leg${i}`, lvBytes, bus),
        offsetSectors: 0,
      }));
      // LVM2 never puts the log on a leg's PV unless --alloc anywhere, so the disk log gets its own PV.
      const logDevice = spec.log === "disk" ? pvs.make("mlog", LOG_PV_BYTES) : undefined;
      // nosync leaves every region in sync and clean: the same state a completed initial resync
      // leaves, without spending the run copying zeros (lvcreate waits for that sync anyway).
      const lv = new MirrorTarget("lv", {
        lengthSectors: lvSectors,
        regionSizeSectors: REGION_BYTES / SECTOR,
        legs,
        ...(logDevice === undefined ? {} : { logDevice }),
        sync: "nosync",
      });
      if (!lv.inSync)
        throw new Error(`Mirror layout ${config.name} is not in sync after a nosync activation`);
      // The workload's queued writes go through dm-raid1's worker, batched per pass as in the kernel.
      return done(lv, filled(lv, lv.readyNs), (scheduler) => lv.startQueueing(scheduler));
    }
    case "snapshot": {
      const real = pvs.make("origin", lvBytes);
      const origin = new SnapshotOriginTarget("lv", { origin: real });
      let nowNs = filled(origin, 0);
      const cowBytes = cowBytesFor(lvBytes, spec.chunkBytes);
      // Every COW on one other PV, one after the other, as lvcreate -s allocates them in a 2-PV VG.
      const cowPv = pvs.make("cow", cowBytes * spec.snapshots);
      for (let i = 0; i < spec.snapshots; i++) {
        const cow = new LinearTarget(`snap${i}-cow`, {
          device: cowPv,
          offsetSectors: (i * cowBytes) / SECTOR,
          lengthSectors: cowBytes / SECTOR,
        });
        const snapshot = new SnapshotTarget(`snap${i}`, {
          origin: real,
          cow,
          chunkSizeSectors: spec.chunkBytes / SECTOR,
          activateNs: nowNs,
        });
        origin.register(snapshot);
        nowNs = Math.max(nowNs, snapshot.readyNs);
      }
      if (spec.pass === "overwrite") nowNs = prefill(origin, lvBytes, nowNs);
      // Queued origin writes wait on pending exceptions that commit in batches, as dm-snap's do.
      return done(origin, nowNs, (scheduler) => origin.startQueueing(scheduler));
    }
    case "raid1": {
      const built = buildRaid1(spec.legs, lvBytes, (name, bytes) => pvs.make(name, bytes), {
        warmBitmap: spec.warmBitmap ?? false,
      });
      return done(built.device, filled(built.device, built.readyNs), built.start);
    }
    case "thin": {
      const built = buildThin(spec, lvBytes, (name, bytes) => pvs.make(name, bytes));
      // A fresh thin LV stays unwritten for write workloads (prefilling would provision it); reads
      // need data, so workloads that read find it provisioned. The others are written first.
      const fresh = spec.snapshots === 0 && spec.pass === "first" && !options.prefill;
      let nowNs = fresh ? 0 : prefill(built.device, lvBytes, 0);
      for (let i = 0; i < spec.snapshots; i++) nowNs = built.snapshot(i + 2, nowNs);
      if (spec.pass === "overwrite") nowNs = prefill(built.device, lvBytes, nowNs);
      return done(built.device, nowNs);
    }
    case "pvmove": {
      const source = pvs.make("pv-src", lvBytes);
      const destination = pvs.make("pv-dst", lvBytes);
      const before = new LinearTarget("lv", { device: source, offsetSectors: 0, lengthSectors: lvSectors });
      const filledNs = filled(before, 0);
      // pvmove's temporary mirror: core log, full resync from the source (leg 0, the default leg).
      const move = new MirrorTarget("pvmove0", {
        lengthSectors: lvSectors,
        regionSizeSectors: REGION_BYTES / SECTOR,
        legs: [
          { device: source, offsetSectors: 0 },
          { device: destination, offsetSectors: 0 },
        ],
        sync: "sync",
        activateNs: filledNs,
      });
      return done(move, Math.max(filledNs, move.readyNs), (scheduler) => {
        // Unthrottled, as LVM2's pvmove is: dm-mirror has no sync speed limit of its own.
        startMirrorResync(move, scheduler);
      });
    }
  }
}
