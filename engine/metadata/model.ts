/**
 * The in-memory model of one LVM2 volume group: plain, immutable data that mirrors what LVM2's text
 * metadata holds (`lib/format_text/export.c`, `import_vsn1.c`). Commands in `engine/lvm` build new
 * values instead of mutating old ones, so a precommitted and a committed VG can coexist. Anything
 * derived (free space, which LV is a mirror image, …) is computed from this model, never stored.
 */

import type { ConfigNode, ConfigSection } from "../format/config-tree.js";

/** LVM2's allocation policies as written in metadata; `inherit` means "use the VG's". */
export type AllocPolicy = "contiguous" | "cling" | "normal" | "anywhere" | "inherit";

/** The policies in LVM2's enum order (`alloc_policy_t`, `lib/metadata/vg.h`), minus internal ones. */
export const ALLOC_POLICIES: readonly AllocPolicy[] = [
  "contiguous",
  "cling",
  "normal",
  "anywhere",
  "inherit",
];

/** VG STATUS strings in the order LVM2 prints them (`_vg_flags`, `lib/format_text/flags.c`). */
export const VG_STATUS_FLAGS = [
  "EXPORTED",
  "RESIZEABLE",
  "PVMOVE",
  "READ",
  "WRITE",
  "CLUSTERED",
  "SHARED",
] as const;
/** A VG status flag. */
export type VgStatusFlag = (typeof VG_STATUS_FLAGS)[number];
/** VG COMPATIBLE flags LVM2 knows (kept in `flags`, printed in this order before unknown ones). */
export const VG_COMPAT_FLAGS: readonly string[] = ["WRITE_LOCKED", "NOAUTOACTIVATE"];

/**
 * PV STATUS strings in print order (`_pv_flags`). LVM2 accepts `MISSING` in `status` but prints it in
 * `flags` (the COMPATIBLE entry comes first in its table and consumes the bit), so export does too.
 */
export const PV_STATUS_FLAGS = ["ALLOCATABLE", "EXPORTED", "MISSING"] as const;
/** A PV status flag. */
export type PvStatusFlag = (typeof PV_STATUS_FLAGS)[number];

/** LV STATUS strings in print order (`_lv_flags`); in-core flags such as MIRROR_IMAGE are derived, never stored. */
export const LV_STATUS_FLAGS = [
  "READ",
  "WRITE",
  "FIXED_MINOR",
  "VISIBLE",
  "PVMOVE",
  "LOCKED",
  "NOTSYNCED",
  "REBUILD",
  "WRITEMOSTLY",
] as const;
/** An LV status flag. */
export type LvStatusFlag = (typeof LV_STATUS_FLAGS)[number];
/** LV COMPATIBLE flags LVM2 knows, in print order. */
export const LV_COMPAT_FLAGS: readonly string[] = [
  "WRITE_LOCKED",
  "ACTIVATION_SKIP",
  "NOAUTOACTIVATE",
  "ERROR_WHEN_FULL",
  "CACHE_VOL",
];

/** A PV's place in the VG: `pvN` as it appears in metadata. */
export interface PhysicalVolume {
  /** The metadata key, `pv0`, `pv1`, …; export renumbers by position so references follow. */
  readonly name: string;
  /** The 38-character dashed uuid. */
  readonly id: string;
  /** `device = "/dev/…"`, only a hint: the label scan finds the real device by id. */
  readonly deviceHint: string;
  readonly deviceIdType?: string;
  readonly deviceId?: string;
  readonly status: readonly PvStatusFlag[];
  /** COMPATIBLE flags other than MISSING, kept verbatim (LVM2 ignores unknown ones). */
  readonly flags: readonly string[];
  readonly tags: readonly string[];
  /** Absent in very old metadata ("late addition" in `_read_pv`). */
  readonly devSizeSectors?: number;
  readonly peStartSectors: number;
  readonly peCount: number;
  readonly baStartSectors?: number;
  readonly baSizeSectors?: number;
  /** Assignments this model does not know, printed after the known ones so nothing is lost. */
  readonly extra: readonly ConfigNode[];
}

/** One parallel area of a segment: a PV extent range start or a layered LV extent start. */
export type SegmentArea =
  | { readonly kind: "pv"; readonly pv: string; readonly pe: number }
  | { readonly kind: "lv"; readonly lv: string; readonly le: number };

/** What every segment has: its logical position in the LV. */
export interface SegmentBase {
  readonly startExtent: number;
  readonly extentCount: number;
  /** `reshape_count`, only written for raid reshapes; kept for round trips. */
  readonly reshapeCount?: number;
  /** Flags LVM2 appends to the type (`"raid5+RESHAPE"`), without the `+`. */
  readonly typeFlags: readonly string[];
  readonly tags: readonly string[];
  /** Keys this model does not know (LVM2 ignores them); written after the known fields. */
  readonly extra?: readonly ConfigNode[];
}

/** `type = "striped"` (linear when `stripeCount` is 1): `areaLen = extentCount / stripeCount`. */
export interface StripedSegment extends SegmentBase {
  readonly type: "striped";
  readonly stripeCount: number;
  /** Only present (and required) when `stripeCount > 1`. */
  readonly stripeSizeSectors?: number;
  readonly areas: readonly SegmentArea[];
}

/** `type = "mirror"`: each area holds a full copy (`areaLen = extentCount`). pvmove uses PV areas. */
export interface MirrorSegment extends SegmentBase {
  readonly type: "mirror";
  readonly mirrorCount: number;
  /** Present only on pvmove segments (segment status PVMOVE): the committed copy checkpoint. */
  readonly extentsMoved?: number;
  /** Name of the disk log LV (`<lv>_mlog`); absent for a core log. */
  readonly mirrorLog?: string;
  readonly regionSizeSectors?: number;
  readonly areas: readonly SegmentArea[];
}

/** `type = "snapshot"`, the segment of the internal `snapshotN` LV tying origin and COW together. */
export interface SnapshotSegment extends SegmentBase {
  readonly type: "snapshot";
  readonly chunkSizeSectors: number;
  readonly origin: string;
  readonly cowStore: string;
  /** Written as `merging_store` instead of `cow_store` while `lvconvert --merge` is pending or running. */
  readonly merging: boolean;
}

/** `type = "error"`: every I/O fails (what a finished pvmove0 becomes before it is removed). */
export interface ErrorSegment extends SegmentBase {
  readonly type: "error";
}

/** `type = "zero"`: reads return zeros, writes are discarded. */
export interface ZeroSegment extends SegmentBase {
  readonly type: "zero";
}

/**
 * Any other segment type (raid1, thin, cache, …), kept verbatim: `segType` is the type string without
 * flags, `items` every node after `type` (and `tags`) in order, so a round trip loses nothing.
 */
export interface OtherSegment extends SegmentBase {
  readonly type: "other";
  readonly segType: string;
  readonly items: readonly ConfigNode[];
}

/** A segment of an LV. */
export type Segment =
  | StripedSegment
  | MirrorSegment
  | SnapshotSegment
  | ErrorSegment
  | ZeroSegment
  | OtherSegment;

/** A logical volume as stored in metadata (hidden sub-LVs such as `_mimage_0` are LVs too). */
export interface LogicalVolume {
  readonly name: string;
  readonly id: string;
  readonly status: readonly LvStatusFlag[];
  /** COMPATIBLE flags, verbatim. */
  readonly flags: readonly string[];
  readonly tags: readonly string[];
  /** Unix seconds; LVM2 writes `creation_time` and `creation_host` together or not at all. */
  readonly creationTime?: number;
  readonly creationHost?: string;
  readonly lockArgs?: string;
  readonly allocationPolicy: AllocPolicy;
  readonly profile?: string;
  /** `read_ahead` in sectors, -1 for "none"; absent means "auto". */
  readonly readAheadSectors?: number;
  readonly major?: number;
  readonly minor?: number;
  readonly segments: readonly Segment[];
  readonly extra: readonly ConfigNode[];
}

/** A volume group: the root of one metadata text. */
export interface VolumeGroup {
  readonly name: string;
  readonly id: string;
  readonly seqno: number;
  /** `format = "lvm2"` (informational; absent in some hand-written files). */
  readonly format?: string;
  readonly status: readonly VgStatusFlag[];
  readonly flags: readonly string[];
  readonly tags: readonly string[];
  readonly systemId?: string;
  readonly lockType?: string;
  readonly lockArgs?: string;
  /** `pr = [ … ]` persistent-reservation settings, verbatim. */
  readonly pr?: readonly string[];
  readonly extentSizeSectors: number;
  readonly maxLv: number;
  readonly maxPv: number;
  readonly allocationPolicy: AllocPolicy;
  readonly profile?: string;
  readonly metadataCopies: number;
  readonly pvs: readonly PhysicalVolume[];
  /** In `vg->lvs` order (import order); export puts visible LVs first, as `_print_lvs` does. */
  readonly lvs: readonly LogicalVolume[];
  /** `historical_logical_volumes { … }`, verbatim. */
  readonly historicalLvs?: ConfigSection;
  readonly extra: readonly ConfigNode[];
}

/** Number of parallel areas of a segment (0 for snapshot/error/zero/other). */
export function segmentAreas(seg: Segment): readonly SegmentArea[] {
  return seg.type === "striped" || seg.type === "mirror" ? seg.areas : [];
}

/** Extents each area of a segment covers: `extent_count / stripe_count` for striped, the full length otherwise. */
export function segmentAreaLen(seg: Segment): number {
  if (seg.type === "striped") return seg.stripeCount > 0 ? Math.floor(seg.extentCount / seg.stripeCount) : 0;
  return seg.extentCount;
}

/** The LV named `name`, or undefined. */
export function findLv(vg: VolumeGroup, name: string): LogicalVolume | undefined {
  return vg.lvs.find((lv) => lv.name === name);
}

/** The PV named `name` (`pvN`), or undefined. */
export function findPv(vg: VolumeGroup, name: string): PhysicalVolume | undefined {
  return vg.pvs.find((pv) => pv.name === name);
}

/** The PV whose device hint is `device` (`/dev/loop0`), or undefined. */
export function findPvByDevice(vg: VolumeGroup, device: string): PhysicalVolume | undefined {
  return vg.pvs.find((pv) => pv.deviceHint === device);
}

/** True if the flag list contains `flag`. */
export function hasFlag<T extends string>(list: readonly T[], flag: T): boolean {
  return list.includes(flag);
}

/** `list` plus `flag`, in the canonical `order` (used to keep status arrays in LVM2's print order). */
export function withFlag<T extends string>(list: readonly T[], flag: T, order: readonly T[]): readonly T[] {
  if (list.includes(flag)) return list;
  return order.filter((f) => f === flag || list.includes(f));
}

/** `list` without `flag`. */
export function withoutFlag<T extends string>(list: readonly T[], flag: T): readonly T[] {
  return list.filter((f) => f !== flag);
}

/** A copy of `vg` with the LV named `lv.name` replaced (or appended when new). */
export function putLv(vg: VolumeGroup, lv: LogicalVolume): VolumeGroup {
  const index = vg.lvs.findIndex((l) => l.name === lv.name);
  const lvs = index < 0 ? [...vg.lvs, lv] : vg.lvs.map((l, i) => (i === index ? lv : l));
  return { ...vg, lvs };
}

/** A copy of `vg` without the LV named `name`. */
export function removeLv(vg: VolumeGroup, name: string): VolumeGroup {
  return { ...vg, lvs: vg.lvs.filter((l) => l.name !== name) };
}
