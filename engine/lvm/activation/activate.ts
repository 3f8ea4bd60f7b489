/**
 * Activation: turns VG metadata into device-mapper tables the way LVM2 loads them into the kernel
 * (`lib/activate/dev_manager.c`, `lib/mirror/mirrored.c`, `lib/snapshot/snapshot.c`), and registers
 * the mapped devices in the machine's {@link DeviceMapper}. Sub-LVs (mirror images and logs, the
 * pvmove LV) become devices of their own that their parents stack on; an origin gets a `-real`
 * device under its snapshot-origin; a snapshot is `snapshot <real> <cow> P <chunk>`.
 */
import type { BlockDevice } from "../../block/device.js";
import { ErrorTarget } from "../../dm/error.js";
import { LinearTarget } from "../../dm/linear.js";
import { MirrorTarget } from "../../dm/mirror/mirror.js";
import { startMirrorResync } from "../../dm/mirror/resync-driver.js";
import { MultiSegmentDevice } from "../../dm/multi-segment.js";
import { SnapshotMergeTarget } from "../../dm/snapshot/merge.js";
import { SnapshotTarget } from "../../dm/snapshot/snapshot.js";
import { SnapshotOriginTarget } from "../../dm/snapshot/snapshot-origin.js";
import { StripedTarget } from "../../dm/striped.js";
import type { DeviceRef, MappedDevice, Target } from "../../dm/target.js";
import { ThinPoolTarget } from "../../dm/thin/pool.js";
import { ThinTarget } from "../../dm/thin/thin.js";
import { ZeroTarget } from "../../dm/zero.js";
import { lvKinds } from "../../metadata/lv-kind.js";
import {
  findLv,
  findPv,
  type LogicalVolume,
  type MirrorSegment,
  type OtherSegment,
  type Segment,
  type SegmentArea,
  type SnapshotSegment,
  segmentAreaLen,
  type VolumeGroup,
} from "../../metadata/model.js";
import { thinInfo } from "../../metadata/thin.js";
import type { Host } from "../host.js";
import { buildRaid1Target } from "../raid/kernel.js";
import { loadPoolTarget } from "../thin/kernel.js";
import { DmDevice } from "./dm-device.js";
import { dmName } from "./dm-name.js";
import { type ActiveLv, type DeviceMapper, deviceMapperOf } from "./registry.js";

// Lives in registry.ts so that target builders (raid) can reach it without importing activation.
export { deviceMapperOf };

/** Options for activation. */
export interface ActivateOptions {
  /** Mirror resync throttle in bytes per second of virtual time (0 = unthrottled). */
  readonly syncSpeedBytesPerSecond?: number;
  /** Start background resync of mirrors that are not in sync (default true; pvmove copies are polled by pvmove). */
  readonly startResync?: boolean;
  /** Load raid1 tables with `nosync` this once (`init_mirror_in_sync(1)`: mirror → raid1 takeover). */
  readonly raidInSync?: boolean;
}

/** Whether a pvmove mirror segment has been checkpointed as fully copied. */
function pvmoveSegmentCompleted(seg: MirrorSegment): boolean {
  return (seg.extentsMoved ?? 0) >= seg.extentCount;
}

/** Builds the tables of one VG on one machine; memoises sub-LV devices within one activation. */
class TableBuilder {
  readonly #built = new Map<string, MappedDevice>();
  readonly #kinds;

  constructor(
    readonly host: Host,
    readonly dm: DeviceMapper,
    readonly vg: VolumeGroup,
    readonly options: ActivateOptions,
    /** dm names whose tables are rebuilt and swapped in place (a reload) instead of reused. */
    readonly reload: ReadonlySet<string> = new Set(),
  ) {
    this.#kinds = lvKinds(vg);
  }

  /** A live device to reuse, unless this build reloads it. */
  #existing(name: string): MappedDevice | undefined {
    const built = this.#built.get(name);
    if (built !== undefined) return built;
    return this.reload.has(name) ? undefined : this.dm.device(name);
  }

  /** Registers a freshly built table under `name`, swapping it into the live device on a reload. */
  #register(name: string, table: MappedDevice): DmDevice {
    const live = this.dm.device(name);
    let device: DmDevice;
    if (live instanceof DmDevice) {
      live.reload(table);
      device = live;
    } else {
      device = new DmDevice(name, table);
      this.dm.load(name, device);
    }
    this.#built.set(name, device);
    return device;
  }

  get extentSectors(): number {
    return this.vg.extentSizeSectors;
  }

  lv(name: string): LogicalVolume {
    const lv = findLv(this.vg, name);
    if (lv === undefined)
      throw new Error(`Cannot activate ${this.vg.name}/${name}: no such LV in the metadata`);
    return lv;
  }

  /** The device I/O to `lvName` goes through, building (and registering) it on first use. */
  top(lvName: string): MappedDevice {
    const name = dmName(this.vg.name, lvName);
    const live = this.#existing(name);
    if (live !== undefined) return live;
    const kind = this.#kinds.get(lvName);
    if (kind?.cow) return this.#snapshotDevice(lvName);
    if (kind?.origin) return this.#originDevice(lvName);
    return this.segments(lvName);
  }

  /** The LV's own segments as one mapped device named `vg-lv[-layer]`. */
  segments(lvName: string, layer?: string): MappedDevice {
    const name = dmName(this.vg.name, lvName, layer);
    const live = this.#existing(name);
    if (live !== undefined) return live;
    const lv = this.lv(lvName);
    const isPvmove = lv.status.includes("PVMOVE");
    let runningSeen = false;
    const targets: Target[] = lv.segments.map((seg, index) => {
      const lengthSectors = seg.extentCount * this.extentSectors;
      const targetName = `${name}[${index}]`;
      if (isPvmove && seg.type === "mirror" && seg.areas.every((a) => a.kind === "pv")) {
        // LVM2 `_mirrored_add_target_line` for pvmove: completed → linear to the destination, the
        // first incomplete segment → a core-log mirror, later ones → linear to the source.
        if (pvmoveSegmentCompleted(seg)) return this.#linear(targetName, seg.areas[1]!, lengthSectors);
        if (runningSeen) return this.#linear(targetName, seg.areas[0]!, lengthSectors);
        runningSeen = true;
        return this.#mirror(targetName, seg, lengthSectors, { core: true });
      }
      return this.#target(targetName, seg, lengthSectors, isPvmove);
    });
    return this.#register(name, new MultiSegmentDevice(name, targets));
  }

  #target(name: string, seg: Segment, lengthSectors: number, isPvmove: boolean): Target {
    switch (seg.type) {
      case "striped": {
        if (seg.stripeCount === 1) return this.#linear(name, seg.areas[0]!, lengthSectors);
        return new StripedTarget(name, {
          lengthSectors,
          chunkSizeSectors: seg.stripeSizeSectors ?? 128,
          stripes: seg.areas.map((area) => this.#ref(area, segmentAreaLen(seg) * this.extentSectors)),
          mutations: this.host.mutations,
        });
      }
      case "mirror":
        return this.#mirror(name, seg, lengthSectors, { core: isPvmove || seg.mirrorLog === undefined });
      case "error":
        return new ErrorTarget(name, lengthSectors);
      case "zero":
        return new ZeroTarget(name, lengthSectors);
      case "snapshot":
        throw new Error(`Cannot map ${name}: snapshot segments are activated through their COW LV`);
      case "other":
        if (seg.segType === "thin-pool" || seg.segType === "thin")
          return this.#thinTarget(name, seg, lengthSectors);
        if (seg.segType === "raid1") {
          return buildRaid1Target(
            {
              host: this.host,
              vg: this.vg,
              subDevice: (lvName) => this.segments(lvName),
              ...(this.options.raidInSync ? { inSync: true } : {}),
              ...(this.options.syncSpeedBytesPerSecond === undefined
                ? {}
                : { syncSpeedBytesPerSecond: this.options.syncSpeedBytesPerSecond }),
            },
            { name, lv: this.#lvOf(seg), seg, lengthSectors },
          );
        }
        throw new Error(
          `Cannot activate segment type ${seg.segType} (${name}); lvmlab models linear, striped, mirror, snapshot, error and zero`,
        );
    }
  }

  /**
   * A used pool's `vg-pool` is linear over `vg-pool-tpool` (the thin-pool target); a thin LV maps
   * to that tpool by device id (`_thin_pool_add_target_line`, `_thin_add_target_line`).
   */
  #thinTarget(name: string, seg: OtherSegment, lengthSectors: number): Target {
    const lvOfSeg = this.vg.lvs.find((lv) => lv.segments.includes(seg));
    if (lvOfSeg === undefined) throw new Error(`Segment ${name} belongs to no LV`);
    if (seg.segType === "thin-pool") {
      return new LinearTarget(name, {
        device: this.#thinPool(lvOfSeg.name),
        offsetSectors: 0,
        lengthSectors,
      });
    }
    const info = thinInfo(seg);
    return new ThinTarget(name, { pool: this.#thinPool(info.pool), deviceId: info.deviceId, lengthSectors });
  }

  #thinPool(poolName: string): ThinPoolTarget {
    const name = dmName(this.vg.name, poolName, "tpool");
    const live = this.#existing(name);
    const table = live instanceof DmDevice ? live.live : live;
    if (table instanceof ThinPoolTarget) return table;
    const target = loadPoolTarget(this.host, this.vg, poolName, (lvName) => this.segments(lvName));
    this.#register(name, target);
    return target;
  }

  #lvOf(seg: Segment): LogicalVolume {
    const lv = this.vg.lvs.find((l) => l.segments.includes(seg));
    if (lv === undefined) throw new Error(`No LV of ${this.vg.name} holds the segment being activated`);
    return lv;
  }

  #linear(name: string, area: SegmentArea, lengthSectors: number): Target {
    const ref = this.#ref(area, lengthSectors);
    return new LinearTarget(name, { ...ref, lengthSectors });
  }

  #mirror(name: string, seg: MirrorSegment, lengthSectors: number, options: { core: boolean }): Target {
    const legs = seg.areas.map((area) => this.#ref(area, lengthSectors));
    const lvOfSeg = this.vg.lvs.find((lv) => lv.segments.includes(seg));
    const notSynced = lvOfSeg?.status.includes("NOTSYNCED") ?? false;
    const logDevice: BlockDevice | undefined =
      options.core || seg.mirrorLog === undefined ? undefined : this.segments(seg.mirrorLog);
    const mirror = new MirrorTarget(name, {
      lengthSectors,
      regionSizeSectors: seg.regionSizeSectors ?? 4096,
      legs,
      trace: this.host.trace,
      mutations: this.host.mutations,
      activateNs: this.host.scheduler.nowNs,
      ...(logDevice === undefined ? {} : { logDevice }),
      ...(notSynced ? { sync: "nosync" as const } : {}),
      ...(lvOfSeg !== undefined && this.host.mirrorsKnownInSync.has(`${this.vg.name}/${lvOfSeg.name}`)
        ? { assumeInSync: true }
        : {}),
      ...(lvOfSeg === undefined
        ? {}
        : { syncGate: { gate: this.host.syncGate, name: `${this.vg.name}/${lvOfSeg.name}` } }),
      ...(this.options.syncSpeedBytesPerSecond === undefined
        ? {}
        : { syncSpeedBytesPerSecond: this.options.syncSpeedBytesPerSecond }),
    });
    return mirror;
  }

  /** Where an area's data lives: a PV offset, a sub-LV offset, or an error device for a missing PV. */
  #ref(area: SegmentArea, lengthSectors: number): DeviceRef {
    if (area.kind === "lv") {
      return { device: this.top(area.lv), offsetSectors: area.le * this.extentSectors };
    }
    const pv = findPv(this.vg, area.pv);
    const device =
      pv === undefined || pv.status.includes("MISSING") ? undefined : this.host.device(pv.deviceHint);
    if (pv === undefined || device === undefined) {
      // LVM2 maps missing PVs to the `error` target (activation/missing_stripe_filler).
      return { device: new ErrorTarget(`missing-${area.pv}`, lengthSectors), offsetSectors: 0 };
    }
    return { device, offsetSectors: pv.peStartSectors + area.pe * this.extentSectors };
  }

  #snapshotSegmentFor(cowName: string): SnapshotSegment {
    for (const lv of this.vg.lvs) {
      const seg = lv.segments[0];
      if (seg?.type === "snapshot" && seg.cowStore === cowName) return seg;
    }
    throw new Error(`No snapshot segment uses ${cowName} as its COW store`);
  }

  #originDevice(originName: string): MappedDevice {
    const real = this.segments(originName, "real");
    const name = dmName(this.vg.name, originName);
    const merging = this.vg.lvs
      .map((lv) => lv.segments[0])
      .find(
        (seg): seg is SnapshotSegment => seg?.type === "snapshot" && seg.origin === originName && seg.merging,
      );
    if (merging !== undefined) {
      // The origin's other snapshots stay live while the merge runs, and copy each chunk before the
      // merge overwrites it on the origin (dm-snap's snapshot_merge_next_chunks → origin_write_extent).
      const others = this.vg.lvs
        .map((lv) => lv.segments[0])
        .filter(
          (seg): seg is SnapshotSegment =>
            seg?.type === "snapshot" && seg.origin === originName && !seg.merging,
        )
        .map((seg) => this.#snapshotTarget(seg, real));
      // The kernel loads `snapshot-merge <real> <cow>` on the origin while a merge runs.
      const merge = new SnapshotMergeTarget(name, {
        others,
        origin: real,
        cow: this.segments(merging.cowStore, "cow"),
        chunkSizeSectors: merging.chunkSizeSectors,
        syncGate: { gate: this.host.syncGate, name: `${this.vg.name}/${originName}` },
        trace: this.host.trace,
        mutations: this.host.mutations,
        activateNs: this.host.scheduler.nowNs,
      });
      return this.#register(name, merge);
    }
    const origin = new SnapshotOriginTarget(name, { origin: real, mutations: this.host.mutations });
    // dm-snap defers every origin write that needs an exception until the exception is committed
    // (origin_map → __origin_write); queued writers (the workload runner) take that path, and
    // concurrent writes to a chunk whose copy is in flight wait on the same pending exception.
    origin.startQueueing(this.host.scheduler);
    const device = this.#register(name, origin);
    for (const lv of this.vg.lvs) {
      const seg = lv.segments[0];
      if (seg?.type === "snapshot" && seg.origin === originName)
        origin.register(this.#snapshotTarget(seg, real));
    }
    return device;
  }

  #snapshotTarget(seg: SnapshotSegment, real: MappedDevice): SnapshotTarget {
    const name = dmName(this.vg.name, seg.cowStore);
    const existing = this.#existing(name);
    if (existing instanceof DmDevice && existing.live instanceof SnapshotTarget) return existing.live;
    const snapshot = new SnapshotTarget(name, {
      origin: real,
      cow: this.segments(seg.cowStore, "cow"),
      chunkSizeSectors: seg.chunkSizeSectors,
      trace: this.host.trace,
      mutations: this.host.mutations,
      activateNs: this.host.scheduler.nowNs,
    });
    this.#register(name, snapshot);
    return snapshot;
  }

  #snapshotDevice(cowName: string): MappedDevice {
    const seg = this.#snapshotSegmentFor(cowName);
    // Activating a snapshot activates its origin, which registers the snapshot with it.
    this.top(seg.origin);
    const device =
      this.#built.get(dmName(this.vg.name, cowName)) ?? this.dm.device(dmName(this.vg.name, cowName));
    if (device === undefined)
      throw new Error(`Snapshot ${cowName} was not built with its origin ${seg.origin}`);
    return device;
  }

  mirrorsOf(lvName: string): MirrorTarget[] {
    const layer = this.#kinds.get(lvName)?.origin ? "real" : undefined;
    return mirrorsIn(this.dm, dmName(this.vg.name, lvName, layer));
  }
}

/** The mirror targets in the live table of the dm device `name`. */
export function mirrorsIn(dm: DeviceMapper, name: string): MirrorTarget[] {
  const device = dm.device(name);
  const table = device instanceof DmDevice ? device.live : device;
  if (!(table instanceof MultiSegmentDevice)) return [];
  return table.targets.filter((t): t is MirrorTarget => t instanceof MirrorTarget);
}

/** The snapshot target behind a snapshot LV's device, if it is one. */
function snapshotIn(device: MappedDevice): SnapshotTarget | undefined {
  const table = device instanceof DmDevice ? device.live : device;
  return table instanceof SnapshotTarget && !(table instanceof SnapshotMergeTarget) ? table : undefined;
}

/**
 * Reloads the tables of `lvName` from (new) metadata, as `lv_update_and_reload` does: its own
 * segment table is rebuilt and swapped in place, so LVs stacked on it keep working. Sub-LVs that
 * already exist are reused. Returns the updated activation record.
 */
export function reloadLv(
  host: Host,
  vg: VolumeGroup,
  lvName: string,
  options: ActivateOptions = {},
): ActiveLv {
  const dm = deviceMapperOf(host);
  const kinds = lvKinds(vg);
  const layer = kinds.get(lvName)?.origin ? "real" : undefined;
  const names = new Set([dmName(vg.name, lvName, layer), dmName(vg.name, lvName)]);
  const builder = new TableBuilder(host, dm, vg, options, names);
  const device = builder.top(lvName);
  if (layer !== undefined) builder.segments(lvName, layer);
  return recordActive(host, builder, lvName, device);
}

/** Records what activation built for an LV (its device, mirror targets, snapshot target). */
function recordActive(host: Host, builder: TableBuilder, lvName: string, device: MappedDevice): ActiveLv {
  const lv = builder.lv(lvName);
  const snapshot = snapshotIn(device);
  const active: ActiveLv = {
    vgName: builder.vg.name,
    lvName,
    lvId: lv.id,
    device,
    mirrors: builder.mirrorsOf(lvName),
    ...(snapshot === undefined ? {} : { snapshot }),
  };
  builder.dm.setLv(active);
  host.activeLvs.add(lv.id);
  return active;
}

/** Activates one LV (and everything it stacks on); returns its activation record. */
export function activateLv(
  host: Host,
  vg: VolumeGroup,
  lvName: string,
  options: ActivateOptions = {},
): ActiveLv {
  const dm = deviceMapperOf(host);
  const builder = new TableBuilder(host, dm, vg, options);
  const lv = builder.lv(lvName);
  const existing = dm.lv(lv.id);
  if (existing !== undefined) return existing;
  const active = recordActive(host, builder, lvName, builder.top(lvName));
  if ((options.startResync ?? true) && !lv.status.includes("PVMOVE")) {
    for (const mirror of active.mirrors) {
      if (!mirror.inSync) startMirrorResync(mirror, host.scheduler);
    }
  }
  return active;
}

/**
 * Activates every top-level LV of the VG as `vgchange -ay` does: visible LVs and pvmove LVs (sub-LVs
 * come up with their parents). Returns the activations in metadata order.
 */
export function activateVg(host: Host, vg: VolumeGroup, options: ActivateOptions = {}): ActiveLv[] {
  const kinds = lvKinds(vg);
  const active: ActiveLv[] = [];
  for (const lv of vg.lvs) {
    const kind = kinds.get(lv.name);
    if (kind === undefined) continue;
    if (kind.visible || kind.pvmove) active.push(activateLv(host, vg, lv.name, options));
  }
  return active;
}

/** Removes every device of the VG from the machine's tables (`vgchange -an`). */
export function deactivateVg(host: Host, vg: VolumeGroup): void {
  const dm = deviceMapperOf(host);
  const prefix = `${vg.name.replaceAll("-", "--")}-`;
  for (const name of dm.names()) if (name.startsWith(prefix)) dm.remove(name);
  for (const lv of vg.lvs) {
    dm.dropLv(lv.id);
    host.activeLvs.delete(lv.id);
  }
}

/** The `dmsetup table` text of every live device of the machine, by name. */
export function dmsetupTable(host: Host): string {
  const dm = deviceMapperOf(host);
  return dm
    .names()
    .map((name) => {
      const device = dm.device(name)!;
      return device
        .table()
        .split("\n")
        .filter(Boolean)
        .map((line) => `${name}: ${line}`)
        .join("\n");
    })
    .join("\n");
}
