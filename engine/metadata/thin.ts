/**
 * Thin provisioning in VG metadata (`lib/thin/thin.c`, `lib/metadata/pool_manip.c`,
 * `thin_manip.c`): a `thin-pool` LV over a hidden `<pool>_tdata` and `<pool>_tmeta`, one hidden
 * `lvolN_pmspare` per VG, and `thin` LVs (thin snapshots name an `origin`). Both segment types are
 * kept verbatim in the model as {@link OtherSegment}s, in LVM2's own key order, so an import and
 * export round trip is exact; this module reads and builds them.
 */
import { type ConfigNode, cfg } from "../format/config-tree.js";
import { AllocationError } from "./alloc.js";
import { createLv, type LvIdentity } from "./lv-alloc.js";
import {
  findLv,
  type LogicalVolume,
  type OtherSegment,
  putLv,
  type Segment,
  type VolumeGroup,
} from "./model.js";
import { nextLvName } from "./names.js";
import type { PvSelection } from "./pv-list.js";

/** `discards` of a pool. */
export type ThinDiscards = "passdown" | "nopassdown" | "ignore";

/** A queued pool message (`message1 { create = "lv" }` or `{ delete = id }`). */
export type ThinMessage = { readonly create: string } | { readonly delete: number };

/** What a `thin-pool` segment says. */
export interface ThinPoolInfo {
  readonly metadataLv: string;
  readonly dataLv: string;
  readonly transactionId: number;
  readonly chunkSizeSectors: number;
  readonly discards: ThinDiscards;
  readonly zeroNewBlocks: boolean;
  readonly cropMetadata?: boolean;
  readonly messages: readonly ThinMessage[];
}

/** What a `thin` segment says. */
export interface ThinInfo {
  readonly pool: string;
  readonly transactionId: number;
  readonly deviceId: number;
  readonly origin?: string;
  readonly externalOrigin?: string;
  readonly merge?: string;
}

/** Largest thin device id LVM2 hands out (`DM_THIN_MAX_DEVICE_ID`). */
const THIN_MAX_DEVICE_ID = (1 << 24) - 1;
/** Default pool chunk: 64 KiB (`thin_pool_chunk_size_policy = generic`). */
const THIN_DEFAULT_CHUNK_SECTORS = 128;
/** Chunk size limits (64 KiB – 1 GiB), in sectors. */
export const THIN_CHUNK_SECTORS_MIN = 128;
export const THIN_CHUNK_SECTORS_MAX = 2097152;
/** Pool metadata size limits: 2 MiB and 255 × 16320 × 4 KiB (`<15.88g`), in sectors. */
const THIN_METADATA_SECTORS_MIN = 4096;
export const THIN_METADATA_SECTORS_MAX = 255 * 16320 * 8;

function str(items: readonly ConfigNode[], key: string): string | undefined {
  const node = items.find((n) => n.kind === "assign" && n.key === key);
  return node?.kind === "assign" && node.value.kind === "string" ? node.value.value : undefined;
}

function int(items: readonly ConfigNode[], key: string): number | undefined {
  const node = items.find((n) => n.kind === "assign" && n.key === key);
  return node?.kind === "assign" && node.value.kind === "int" ? node.value.value : undefined;
}

/** The pool segment of an LV, when it is a thin pool. */
export function thinPoolSegment(lv: LogicalVolume | undefined): OtherSegment | undefined {
  const seg = lv?.segments[0];
  return seg?.type === "other" && seg.segType === "thin-pool" ? seg : undefined;
}

/** The thin segment of an LV, when it is a thin volume. */
export function thinSegment(lv: LogicalVolume | undefined): OtherSegment | undefined {
  const seg = lv?.segments[0];
  return seg?.type === "other" && seg.segType === "thin" ? seg : undefined;
}

/** Reads a `thin-pool` segment; throws naming the missing key. */
export function thinPoolInfo(seg: OtherSegment): ThinPoolInfo {
  const metadataLv = str(seg.items, "metadata");
  const dataLv = str(seg.items, "pool");
  const transactionId = int(seg.items, "transaction_id");
  const chunkSizeSectors = int(seg.items, "chunk_size");
  if (
    metadataLv === undefined ||
    dataLv === undefined ||
    transactionId === undefined ||
    chunkSizeSectors === undefined
  ) {
    throw new Error("Thin pool segment needs metadata, pool, transaction_id and chunk_size");
  }
  const discards = (str(seg.items, "discards") ?? "ignore") as ThinDiscards;
  const crop = int(seg.items, "crop_metadata");
  const messages: ThinMessage[] = [];
  for (const node of seg.items) {
    if (node.kind !== "section" || !/^message\d+$/.test(node.key)) continue;
    const create = str(node.items, "create");
    const del = int(node.items, "delete");
    if (create !== undefined) messages.push({ create });
    else if (del !== undefined) messages.push({ delete: del });
  }
  return {
    metadataLv,
    dataLv,
    transactionId,
    chunkSizeSectors,
    discards,
    zeroNewBlocks: int(seg.items, "zero_new_blocks") === 1,
    ...(crop === undefined ? {} : { cropMetadata: crop === 1 }),
    messages,
  };
}

/** Reads a `thin` segment. */
export function thinInfo(seg: OtherSegment): ThinInfo {
  const pool = str(seg.items, "thin_pool");
  const transactionId = int(seg.items, "transaction_id");
  const deviceId = int(seg.items, "device_id");
  if (pool === undefined || transactionId === undefined || deviceId === undefined) {
    throw new Error("Thin segment needs thin_pool, transaction_id and device_id");
  }
  const origin = str(seg.items, "origin");
  const externalOrigin = str(seg.items, "external_origin");
  const merge = str(seg.items, "merge");
  return {
    pool,
    transactionId,
    deviceId,
    ...(origin === undefined ? {} : { origin }),
    ...(externalOrigin === undefined ? {} : { externalOrigin }),
    ...(merge === undefined ? {} : { merge }),
  };
}

/** A `thin-pool` segment printed as `_thin_pool_text_export` does. */
export function thinPoolSegmentOf(extentCount: number, info: ThinPoolInfo): OtherSegment {
  const items: ConfigNode[] = [
    cfg.set("metadata", info.metadataLv),
    cfg.set("pool", info.dataLv),
    cfg.set("transaction_id", info.transactionId),
    cfg.set("chunk_size", info.chunkSizeSectors),
    cfg.set("discards", info.discards),
  ];
  if (info.zeroNewBlocks) items.push(cfg.set("zero_new_blocks", 1));
  if (info.cropMetadata !== undefined) items.push(cfg.set("crop_metadata", info.cropMetadata ? 1 : 0));
  info.messages.forEach((m, i) => {
    const body = "create" in m ? cfg.set("create", m.create) : cfg.set("delete", m.delete);
    items.push({ ...cfg.section(`message${i + 1}`, [body]), ...(i === 0 ? { blankLineBefore: true } : {}) });
  });
  return { startExtent: 0, extentCount, typeFlags: [], tags: [], type: "other", segType: "thin-pool", items };
}

/** A `thin` segment printed as `_thin_text_export` does. */
export function thinSegmentOf(extentCount: number, info: ThinInfo): OtherSegment {
  const items: ConfigNode[] = [
    cfg.set("thin_pool", info.pool),
    cfg.set("transaction_id", info.transactionId),
    cfg.set("device_id", info.deviceId),
  ];
  if (info.externalOrigin !== undefined) items.push(cfg.set("external_origin", info.externalOrigin));
  if (info.origin !== undefined) items.push(cfg.set("origin", info.origin));
  if (info.merge !== undefined) items.push(cfg.set("merge", info.merge));
  return { startExtent: 0, extentCount, typeFlags: [], tags: [], type: "other", segType: "thin", items };
}

/** The thin LVs of `pool`, in VG order. */
export function thinVolumesOf(vg: VolumeGroup, pool: string): LogicalVolume[] {
  return vg.lvs.filter((lv) => {
    const seg = thinSegment(lv);
    return seg !== undefined && thinInfo(seg).pool === pool;
  });
}

/** The pool metadata spare of the VG (`lvolN_pmspare`), if any. */
export function poolMetadataSpare(vg: VolumeGroup): LogicalVolume | undefined {
  return vg.lvs.find((lv) => lv.name.includes("_pmspare") && !lv.status.includes("VISIBLE"));
}

/** Replaces the pool segment of `pool` with `info`. */
export function withPoolInfo(vg: VolumeGroup, pool: string, info: ThinPoolInfo): VolumeGroup {
  const lv = findLv(vg, pool);
  const seg = thinPoolSegment(lv);
  if (lv === undefined || seg === undefined)
    throw new AllocationError(`${pool} is not a thin pool in ${vg.name}`);
  return putLv(vg, { ...lv, segments: [thinPoolSegmentOf(seg.extentCount, info)] });
}

/** What creating a pool needs. */
export interface CreateThinPoolSpec extends LvIdentity {
  readonly name?: string;
  readonly dataExtents: number;
  readonly metadataExtents: number;
  readonly chunkSizeSectors: number;
  readonly discards: ThinDiscards;
  readonly zeroNewBlocks: boolean;
  /** `--poolmetadataspare n` skips the spare. */
  readonly spare: boolean;
  /** `allocation/thin_pool_metadata_require_separate_pvs` (default false). */
  readonly metadataSeparatePvs?: boolean;
  readonly errorWhenFull: boolean;
  readonly pvs?: readonly PvSelection[];
}

/** Largest pmspare, 16 GiB, in extents of `extentSizeSectors`. */
function spareMaxExtents(extentSizeSectors: number): number {
  return Math.ceil((2 * 16 * 1024 * 1024) / extentSizeSectors);
}

/**
 * Makes sure the VG has a pool metadata spare at least `extents` large (`handle_pool_metadata_spare`):
 * a new `lvolN` renamed `lvolN_pmspare` and hidden, or the existing one extended.
 */
export function ensurePoolMetadataSpare(
  vg: VolumeGroup,
  spec: LvIdentity & { readonly extents: number; readonly pvs?: readonly PvSelection[] },
): VolumeGroup {
  const extents = Math.min(spec.extents, spareMaxExtents(vg.extentSizeSectors));
  const existing = poolMetadataSpare(vg);
  if (existing !== undefined) return vg; // grown by lvextend --poolmetadatasize only
  const base = nextLvName(vg, "lvol");
  const created = createLv(vg, {
    makeId: spec.makeId,
    ...(spec.creationTime !== undefined ? { creationTime: spec.creationTime } : {}),
    ...(spec.creationHost !== undefined ? { creationHost: spec.creationHost } : {}),
    name: base,
    extents,
    ...(spec.pvs ? { pvs: spec.pvs } : {}),
  });
  const lv = findLv(created.vg, base) as LogicalVolume;
  const renamed: LogicalVolume = { ...lv, name: `${base}_pmspare`, status: ["READ", "WRITE"] };
  return { ...created.vg, lvs: created.vg.lvs.map((l) => (l.name === base ? renamed : l)) };
}

/**
 * `lvcreate --type thin-pool`: the spare first (as `_lvcreate_single` does), then the pool's data
 * and metadata (`create_pool`): the pool LV keeps its name and id, its extents move to a new
 * hidden `<pool>_tdata`, and the metadata extents become `<pool>_tmeta`.
 */
export function createThinPool(vg: VolumeGroup, spec: CreateThinPoolSpec): { vg: VolumeGroup; name: string } {
  let next = vg;
  if (spec.spare) next = ensurePoolMetadataSpare(next, { ...spec, extents: spec.metadataExtents });
  const identity = {
    makeId: spec.makeId,
    ...(spec.creationTime !== undefined ? { creationTime: spec.creationTime } : {}),
    ...(spec.creationHost !== undefined ? { creationHost: spec.creationHost } : {}),
    ...(spec.pvs ? { pvs: spec.pvs } : {}),
  };
  // create_pool: data and metadata come from one allocation (`lv_extend` with `log_count = 1`):
  // the metadata is its log area, so it lands on the smallest PV that fits it and that the data
  // did not take (the same PV only when no other one can hold it).
  const name = spec.name ?? nextLvName(next, "lvol");
  const pool = createLv(next, {
    ...identity,
    name,
    extents: spec.dataExtents,
    poolMetadata: {
      lvName: `${name}_tmeta`,
      extents: spec.metadataExtents,
      separatePvs: spec.metadataSeparatePvs ?? false,
    },
  });
  const tmeta = findLv(pool.vg, `${name}_tmeta`) as LogicalVolume;
  next = putLv(pool.vg, { ...tmeta, status: ["READ", "WRITE"] });
  const poolLv = findLv(next, name) as LogicalVolume;
  const tdata: LogicalVolume = {
    ...poolLv,
    name: `${name}_tdata`,
    id: spec.makeId(`${name}_tdata`),
    status: ["READ", "WRITE"],
  };
  next = putLv(next, tdata);
  const seg = thinPoolSegmentOf(spec.dataExtents, {
    metadataLv: `${name}_tmeta`,
    dataLv: `${name}_tdata`,
    transactionId: 0,
    chunkSizeSectors: spec.chunkSizeSectors,
    discards: spec.discards,
    zeroNewBlocks: spec.zeroNewBlocks,
    messages: [],
  });
  next = putLv(next, {
    ...poolLv,
    flags: spec.errorWhenFull ? [...poolLv.flags, "ERROR_WHEN_FULL"] : poolLv.flags,
    segments: [seg],
  });
  return { vg: next, name };
}

/** The smallest unused device id of `pool` above the highest in use (`get_free_thin_pool_device_id`). */
function nextThinDeviceId(vg: VolumeGroup, pool: string): number {
  let high = 0;
  for (const lv of thinVolumesOf(vg, pool))
    high = Math.max(high, thinInfo(thinSegment(lv) as OtherSegment).deviceId);
  if (high + 1 > THIN_MAX_DEVICE_ID) throw new AllocationError("Cannot find free device_id.");
  return high + 1;
}

/** What creating a thin LV or thin snapshot needs. */
export interface CreateThinSpec extends LvIdentity {
  readonly pool: string;
  readonly name?: string;
  readonly virtualExtents: number;
  /** A thin snapshot's origin (a thin LV of the same pool). */
  readonly origin?: string;
  /** `-kn` clears, default sets ACTIVATION_SKIP on thin snapshots (`lv_set_activation_skip`). */
  readonly activationSkip?: boolean;
}

/**
 * `lvcreate -V … --thinpool P` or `lvcreate -s THIN`: a new thin LV with the next device id,
 * and a queued `create` message that bumps the pool's transaction_id (`attach_pool_message`: only
 * the first queued message bumps it).
 */
export function createThinVolume(
  vg: VolumeGroup,
  spec: CreateThinSpec,
): { vg: VolumeGroup; name: string; deviceId: number } {
  const poolLv = findLv(vg, spec.pool);
  const poolSeg = thinPoolSegment(poolLv);
  if (poolLv === undefined || poolSeg === undefined)
    throw new AllocationError(`Pool ${spec.pool} not found in Volume group ${vg.name}.`);
  const name = spec.name ?? nextLvName(vg, "lvol");
  if (findLv(vg, name))
    throw new AllocationError(`Logical Volume "${name}" already exists in volume group "${vg.name}"`);
  const pool = thinPoolInfo(poolSeg);
  const deviceId = nextThinDeviceId(vg, spec.pool);
  const seg = thinSegmentOf(spec.virtualExtents, {
    pool: spec.pool,
    transactionId: pool.transactionId,
    deviceId,
    ...(spec.origin !== undefined ? { origin: spec.origin } : {}),
  });
  const lv: LogicalVolume = {
    name,
    id: spec.makeId(name),
    status: ["READ", "WRITE", "VISIBLE"],
    flags: spec.activationSkip ? ["ACTIVATION_SKIP"] : [],
    tags: [],
    ...(spec.creationTime !== undefined
      ? { creationTime: spec.creationTime, creationHost: spec.creationHost ?? "" }
      : {}),
    allocationPolicy: "inherit",
    segments: [seg],
    extra: [],
  };
  const bumped = pool.messages.length === 0 ? pool.transactionId + 1 : pool.transactionId;
  let next = putLv(vg, lv);
  next = withPoolInfo(next, spec.pool, {
    ...pool,
    transactionId: bumped,
    messages: [...pool.messages, { create: name }],
  });
  return { vg: next, name, deviceId };
}

/** `lvremove` of a thin LV: queues `delete <id>` (bumping the transaction_id if first) and drops the LV. */
export function removeThinVolume(vg: VolumeGroup, name: string): VolumeGroup {
  const lv = findLv(vg, name);
  const seg = thinSegment(lv);
  if (seg === undefined) throw new AllocationError(`${name} is not a thin volume`);
  const info = thinInfo(seg);
  const poolSeg = thinPoolSegment(findLv(vg, info.pool)) as OtherSegment;
  const pool = thinPoolInfo(poolSeg);
  // A create still queued for this very LV is simply dropped with it.
  const pending = pool.messages.filter((m) => !("create" in m && m.create === name));
  const messages =
    pending.length === pool.messages.length ? [...pool.messages, { delete: info.deviceId }] : pending;
  const bumped = pool.messages.length === 0 ? pool.transactionId + 1 : pool.transactionId;
  const next = { ...vg, lvs: vg.lvs.filter((l) => l.name !== name) };
  return withPoolInfo(next, info.pool, { ...pool, transactionId: bumped, messages });
}

/** True for segments of either thin type. */
export function isThinSegment(seg: Segment): boolean {
  return seg.type === "other" && (seg.segType === "thin" || seg.segType === "thin-pool");
}

/**
 * LVM2's default pool metadata size (`estimate_thin_pool_metadata_size`, `update_thin_pool_params`):
 * 64 bytes per chunk, the chunk doubled while that exceeds 128 MiB (when not given), clamped to
 * 2 MiB … <15.88 GiB. Returns sectors, before rounding to extents.
 */
export function defaultThinPoolSizes(
  dataSectors: number,
  chunkSizeSectors?: number,
): { chunkSizeSectors: number; metadataSectors: number } {
  let chunk = chunkSizeSectors ?? THIN_DEFAULT_CHUNK_SECTORS;
  const estimate = (c: number): number => Math.ceil(dataSectors / (c * 8));
  if (chunkSizeSectors === undefined) {
    while (estimate(chunk) > 128 * 2048 && chunk < THIN_CHUNK_SECTORS_MAX) chunk *= 2;
  }
  const metadataSectors = Math.min(
    THIN_METADATA_SECTORS_MAX,
    Math.max(THIN_METADATA_SECTORS_MIN, estimate(chunk)),
  );
  return { chunkSizeSectors: chunk, metadataSectors };
}
