/**
 * The report fields lvmlab knows, with LVM2's names, headings, minimum widths and alignment
 * (`lib/report/columns.h`) and their values computed from the model (`lib/report/report.c`,
 * `pv_attr_dup`, `vg_attr_dup`, `lv_attr_dup_with_info_and_seg_status`).
 */
import {
  lvSizeExtents,
  pvFreeExtents,
  segDevices,
  segPeRanges,
  vgFreeExtents,
} from "../../metadata/extent-map.js";
import { type LogicalVolume, type Segment, segmentAreas } from "../../metadata/model.js";
import { raid1View } from "../../metadata/raid.js";
import { RAID_LV_FIELDS, raidAttrHealth, raidAttrType, raidHealthStatus } from "../raid/report.js";
import { raidRole } from "../raid/roles.js";
import type { ReportEnv, ReportRow, VgInfo } from "./rows.js";
import {
  thinAttr,
  thinChunkSize,
  thinCount,
  thinDeviceId,
  thinDevices,
  thinDiscards,
  thinLayout,
  thinLvRole,
  thinMetadataExtents,
  thinOrigin,
  thinPeRanges,
  thinPoolHealthStatus,
  thinPoolLv,
  thinRoleOf,
  thinSubLv,
  thinTransactionId,
  thinWhenFull,
  thinZero,
} from "./thin-fields.js";

/** How a value prints: strings left-aligned, the rest right-aligned; sizes through `--units`. */
export type FieldKind = "str" | "num" | "size" | "pct";

/** Which object a field reads; decides the rows a report needs. */
export type FieldScope = "pv" | "vg" | "lv" | "seg" | "pvseg";

/** One report field. */
export interface FieldDef {
  readonly name: string;
  readonly heading: string;
  readonly kind: FieldKind;
  readonly scope: FieldScope;
  readonly minWidth: number;
  /** A string, a number (sizes in sectors), or undefined for an empty cell. */
  readonly get: (row: ReportRow, env: ReportEnv) => string | number | undefined;
}

const ALLOC_CHAR: Readonly<Record<string, string>> = {
  contiguous: "c",
  cling: "l",
  normal: "n",
  anywhere: "a",
  inherit: "i",
};

/** A segment's type as `lvs -o segtype` names it (`linear` for a one-stripe striped segment). */
export function segType(seg: Segment): string {
  if (seg.type === "striped") return seg.stripeCount > 1 ? "striped" : "linear";
  if (seg.type === "other") return seg.segType;
  return seg.type;
}

function lvPartial(vg: VgInfo, lv: LogicalVolume, depth = 0): boolean {
  const missing = new Set(vg.handle.missing);
  if (depth > vg.vg.lvs.length) return false;
  // `_lv_mark_if_partial`: an LV is partial when an area is on a missing PV or in a partial sub-LV.
  const subPartial = (name: string): boolean => {
    const sub = vg.vg.lvs.find((l) => l.name === name);
    return sub !== undefined && lvPartial(vg, sub, depth + 1);
  };
  return lv.segments.some(
    (s) =>
      segmentAreas(s).some((a) => (a.kind === "pv" ? missing.has(a.pv) : subPartial(a.lv))) ||
      (s.type === "mirror" && s.mirrorLog !== undefined && subPartial(s.mirrorLog)),
  );
}

/** `lv_is_merging_origin`: some snapshot of this origin is merging into it. */
function mergingOrigin(vg: VgInfo, lv: LogicalVolume): boolean {
  return vg.vg.lvs.some((l) => {
    const seg = l.segments[0];
    return seg?.type === "snapshot" && seg.origin === lv.name && seg.merging;
  });
}

/** `lv_attr` as LVM2 prints it, with columns 5-6 from the runtime provider. */
function lvAttr(vg: VgInfo, lv: LogicalVolume, env: ReportEnv): string {
  const kind = vg.kinds.get(lv.name);
  const notSynced = lv.status.includes("NOTSYNCED");
  // lv_mirror_image_in_sync: only a live mirror at 100% proves its images are in sync.
  const imageInSync = (kind?.usedBy ?? []).some((p) => {
    const parent = vg.vg.lvs.find((l) => l.name === p);
    return parent !== undefined && env.runtime.copyPercent(vg.vg, parent) === 100;
  });
  const raid = raidRole(vg.vg, lv.name);
  let c0 = "-";
  if (kind?.pvmove) c0 = "p";
  else if (kind?.origin) c0 = mergingOrigin(vg, lv) ? "O" : "o";
  else if (raid !== undefined) c0 = raidAttrType(vg.vg, lv, raid, env.runtime);
  else if (kind?.mirrored) c0 = notSynced ? "M" : "m";
  else if (lv.segments.some((s) => s.type === "error" || s.type === "zero")) c0 = "v";
  else if (kind?.mirrorImage) c0 = imageInSync ? "i" : "I";
  else if (kind?.mirrorLog) c0 = "l";
  else if (kind?.cow) c0 = kind.mergingCow ? "S" : "s";
  const c1 = kind?.pvmove ? "-" : lv.status.includes("WRITE") ? "w" : lv.status.includes("READ") ? "r" : "-";
  let c2 = ALLOC_CHAR[lv.allocationPolicy] ?? "i";
  if (kind?.locked) c2 = c2.toUpperCase();
  const c3 = lv.status.includes("FIXED_MINOR") ? "m" : "-";
  const active = env.runtime.isActive(vg.vg, lv);
  let c45 = active === undefined ? "XX" : active ? "a-" : "--";
  // A live snapshot that overflowed or failed reports state I (`lv_attr_dup_with_info_and_seg_status`).
  if (active && kind?.cow && env.runtime.snapshotInvalid?.(vg.vg, lv)) c45 = "I-";
  // A live mirror holds its images and log open; LVs moved through a pvmove LV hold it open.
  else if (active && (kind?.mirrorImage || kind?.mirrorLog) && !kind.pvmove) c45 = "ao";
  else if (active && kind?.pvmove && vg.vg.lvs.some((l) => l.status.includes("LOCKED"))) c45 = "ao";
  else if (active && raid !== undefined && raid.kind !== "raid") c45 = "ao";
  let c6 = "-";
  if (raid !== undefined) c6 = "r";
  else if (kind?.mirrored || kind?.mirrorImage || kind?.mirrorLog || kind?.pvmove) c6 = "m";
  else if (kind?.cow || kind?.origin) c6 = "s";
  else if (lv.segments.some((s) => s.type === "other")) c6 = "u";
  else if (lv.segments.some((s) => s.type === "error" || s.type === "zero")) c6 = "v";
  let c7 = "-";
  const partial = lvPartial(vg, lv);
  let c8 = partial ? "p" : raid !== undefined ? raidAttrHealth(vg.vg, lv, raid, env.runtime) : "-";
  const thin = thinAttr(vg, lv, env);
  if (thin !== undefined) {
    c0 = thin.type;
    if (active && thin.open) c45 = "ao";
    // 'c' when the thin pool is active with its needs_check flag ('C' if suspended, not modelled).
    if (active && thin.needsCheck) c45 = `c${c45[1]}`;
    c6 = thin.target;
    c7 = thin.zero;
    if (c8 === "-") c8 = thin.health;
  }
  const c9 = lv.flags.includes("ACTIVATION_SKIP") ? "k" : "-";
  return `${c0}${c1}${c2}${c3}${c45}${c6}${c7}${c8}${c9}`;
}

function lvLayout(lv: LogicalVolume, vg: VgInfo): string {
  const thin = thinRoleOf(vg.vg, lv);
  if (thin !== undefined) return thinLayout(thin);
  const kind = vg.kinds.get(lv.name);
  const first = lv.segments[0];
  if (kind?.pvmove || first?.type === "mirror") return "mirror";
  if (raidRole(vg.vg, lv.name)?.kind === "raid") return "raid,raid1";
  if (first?.type === "snapshot") return "snapshot";
  if (!first) return "unknown";
  const t = segType(first);
  return t === "error" || t === "zero"
    ? t
    : lv.segments.some((s) => segType(s) === "striped")
      ? "striped"
      : t;
}

function lvRole(lv: LogicalVolume, vg: VgInfo): string {
  const thin = thinRoleOf(vg.vg, lv);
  if (thin !== undefined) return thinLvRole(vg.vg, lv, thin);
  const kind = vg.kinds.get(lv.name);
  if (kind?.pvmove) return "private,pvmove";
  if (kind?.mirrorImage) return "private,mirror,image";
  if (kind?.mirrorLog) return "private,mirror,log";
  const raid = raidRole(vg.vg, lv.name);
  if (raid?.kind === "image") return "private,raid,image";
  if (raid?.kind === "meta") return "private,raid,metadata";
  if (kind?.snapshot) return "private,snapshot";
  if (kind?.origin) {
    // `_lvrole_disp`: an origin of more than one snapshot is also a multithickorigin.
    const snapshots = vg.vg.lvs.filter((l) => {
      const seg = l.segments[0];
      return seg?.type === "snapshot" && seg.origin === lv.name;
    }).length;
    return snapshots > 1 ? "public,origin,thickorigin,multithickorigin" : "public,origin,thickorigin";
  }
  if (kind?.cow) return "public,snapshot,thicksnapshot";
  return kind?.visible ? "public" : "private";
}

function originOf(lv: LogicalVolume, vg: VgInfo): string | undefined {
  for (const other of vg.vg.lvs) {
    const seg = other.segments[0];
    if (seg?.type === "snapshot" && seg.cowStore === lv.name) return seg.origin;
  }
  return undefined;
}

function movePv(lv: LogicalVolume, vg: VgInfo): string | undefined {
  if (!lv.status.includes("PVMOVE")) return undefined;
  const area = segmentAreas(lv.segments[0]!)[0];
  if (area?.kind !== "pv") return undefined;
  const pv = vg.vg.pvs.find((p) => p.name === area.pv);
  return pv && !pv.status.includes("MISSING") ? pv.deviceHint : "[unknown]";
}

const pvField = (
  name: string,
  heading: string,
  kind: FieldKind,
  minWidth: number,
  get: FieldDef["get"],
): FieldDef => ({ name, heading, kind, scope: "pv", minWidth, get });
const vgField = (
  name: string,
  heading: string,
  kind: FieldKind,
  minWidth: number,
  get: (vg: VgInfo) => string | number | undefined,
): FieldDef => ({
  name,
  heading,
  kind,
  scope: "vg",
  minWidth,
  get: (row) => (row.vg ? get(row.vg) : undefined),
});
const lvField = (
  name: string,
  heading: string,
  kind: FieldKind,
  minWidth: number,
  get: (lv: LogicalVolume, vg: VgInfo, env: ReportEnv) => string | number | undefined,
): FieldDef => ({
  name,
  heading,
  kind,
  scope: "lv",
  minWidth,
  get: (row, env) => (row.lv && row.vg ? get(row.lv, row.vg, env) : undefined),
});
const segField = (
  name: string,
  heading: string,
  kind: FieldKind,
  get: (seg: Segment, vg: VgInfo) => string | number | undefined,
): FieldDef => ({
  name,
  heading,
  kind,
  scope: "seg",
  minWidth: 0,
  get: (row) => (row.seg && row.vg ? get(row.seg, row.vg) : undefined),
});

const ext = (vg: VgInfo): number => vg.vg.extentSizeSectors;

/** Every field, in LVM2's `-o help` spirit; the lookup is by name. */
const FIELDS: readonly FieldDef[] = [
  pvField("pv_name", "PV", "str", 10, (r) => r.pv?.device),
  pvField("pv_fmt", "Fmt", "str", 0, () => "lvm2"),
  pvField("pv_uuid", "PV UUID", "str", 38, (r) => r.pv?.uuid),
  pvField("dev_size", "DevSize", "size", 0, (r) => r.pv?.devSizeSectors),
  pvField("pe_start", "1st PE", "size", 7, (r) => r.pv?.peStartSectors),
  pvField("pv_size", "PSize", "size", 0, (r) =>
    r.pv?.pv && r.vg ? r.pv.pv.peCount * ext(r.vg) : r.pv?.devSizeSectors,
  ),
  pvField("pv_free", "PFree", "size", 0, (r) =>
    r.pv?.pv && r.vg
      ? pvFreeExtents(r.vg.vg, r.pv.pv.name) * ext(r.vg)
      : r.pv?.inUseNoVg
        ? 0
        : r.pv?.devSizeSectors,
  ),
  pvField("pv_used", "Used", "size", 0, (r) =>
    r.pv?.pv && r.vg ? (r.pv.pv.peCount - pvFreeExtents(r.vg.vg, r.pv.pv.name)) * ext(r.vg) : 0,
  ),
  pvField("pv_attr", "Attr", "str", 0, (r) => {
    const pv = r.pv?.pv;
    if (!pv) return r.pv?.inUseNoVg ? "u--" : "---";
    return `${pv.status.includes("ALLOCATABLE") ? "a" : "u"}${pv.status.includes("EXPORTED") ? "x" : "-"}${pv.status.includes("MISSING") ? "m" : "-"}`;
  }),
  pvField("pv_pe_count", "PE", "num", 3, (r) => r.pv?.pv?.peCount ?? 0),
  pvField("pv_pe_alloc_count", "Alloc", "num", 0, (r) =>
    r.pv?.pv && r.vg ? r.pv.pv.peCount - pvFreeExtents(r.vg.vg, r.pv.pv.name) : 0,
  ),
  pvField("pv_mda_count", "#PMda", "num", 0, (r) => r.pv?.mdaCount),
  // Binary fields (BIN in LVM2's columns.h) print their name or nothing, aligned right like numbers.
  pvField("pv_tags", "PV Tags", "str", 0, (r) => r.pv?.pv?.tags.join(",") ?? ""),
  pvField("pv_in_use", "PInUse", "num", 0, (r) => (r.pv?.pv || r.pv?.inUseNoVg ? "used" : "")),
  {
    name: "pvseg_start",
    heading: "Start",
    kind: "num",
    scope: "pvseg",
    minWidth: 0,
    get: (r) => r.pvseg?.pe,
  },
  {
    name: "pvseg_size",
    heading: "SSize",
    kind: "num",
    scope: "pvseg",
    minWidth: 0,
    get: (r) => r.pvseg?.count,
  },
  {
    name: "vg_name",
    heading: "VG",
    kind: "str",
    scope: "vg",
    minWidth: 0,
    get: (r) => r.vg?.vg.name ?? (r.pv?.inUseNoVg ? "[unknown]" : ""),
  },
  vgField("vg_fmt", "Fmt", "str", 0, () => "lvm2"),
  vgField("vg_uuid", "VG UUID", "str", 38, (vg) => vg.vg.id),
  vgField("vg_attr", "Attr", "str", 5, (vg) => {
    const v = vg.vg;
    return `${v.status.includes("WRITE") ? "w" : "r"}${v.status.includes("RESIZEABLE") ? "z" : "-"}${v.status.includes("EXPORTED") ? "x" : "-"}${vg.handle.missing.length > 0 ? "p" : "-"}${ALLOC_CHAR[v.allocationPolicy] ?? "n"}${v.status.includes("CLUSTERED") ? "c" : v.status.includes("SHARED") ? "s" : "-"}`;
  }),
  vgField("vg_size", "VSize", "size", 0, (vg) => vg.vg.pvs.reduce((s, pv) => s + pv.peCount, 0) * ext(vg)),
  vgField("vg_free", "VFree", "size", 0, (vg) => vgFreeExtents(vg.vg) * ext(vg)),
  vgField("vg_sysid", "SYS ID", "str", 0, (vg) => vg.vg.systemId ?? ""),
  vgField("vg_tags", "VG Tags", "str", 0, (vg) => vg.vg.tags.join(",")),
  vgField("vg_systemid", "System ID", "str", 0, (vg) => vg.vg.systemId ?? ""),
  vgField("vg_extent_size", "Ext", "size", 0, (vg) => ext(vg)),
  vgField("vg_extent_count", "#Ext", "num", 0, (vg) => vg.vg.pvs.reduce((s, pv) => s + pv.peCount, 0)),
  vgField("vg_free_count", "Free", "num", 0, (vg) => vgFreeExtents(vg.vg)),
  vgField("pv_count", "#PV", "num", 0, (vg) => vg.vg.pvs.length),
  vgField(
    "lv_count",
    "#LV",
    "num",
    0,
    (vg) => vg.vg.lvs.filter((lv) => vg.kinds.get(lv.name)?.visible).length,
  ),
  vgField("snap_count", "#SN", "num", 0, (vg) => vg.vg.lvs.filter((lv) => vg.kinds.get(lv.name)?.cow).length),
  vgField("vg_seqno", "Seq", "num", 0, (vg) => vg.vg.seqno),
  vgField("vg_mda_count", "#VMda", "num", 0, (vg) => vg.mdaCount),
  lvField("lv_name", "LV", "str", 4, (lv, vg) => (vg.kinds.get(lv.name)?.visible ? lv.name : `[${lv.name}]`)),
  lvField("lv_full_name", "LV", "str", 4, (lv, vg) => `${vg.vg.name}/${lv.name}`),
  lvField("lv_path", "Path", "str", 0, (lv, vg) =>
    vg.kinds.get(lv.name)?.visible ? `/dev/${vg.vg.name}/${lv.name}` : "",
  ),
  lvField("lv_uuid", "LV UUID", "str", 38, (lv) => lv.id),
  lvField("lv_attr", "Attr", "str", 0, (lv, vg, env) => lvAttr(vg, lv, env)),
  lvField("lv_size", "LSize", "size", 0, (lv, vg) => lvSizeExtents(lv) * ext(vg)),
  lvField("seg_count", "#Seg", "num", 0, (lv) => lv.segments.length),
  lvField("lv_layout", "Layout", "str", 10, (lv, vg) => lvLayout(lv, vg)),
  lvField("lv_role", "Role", "str", 10, (lv, vg) => lvRole(lv, vg)),
  lvField("lv_active", "Active", "str", 0, (lv, vg, env) => {
    const active = env.runtime.isActive(vg.vg, lv);
    return active === undefined ? "unknown" : active ? "active" : "";
  }),
  lvField("origin", "Origin", "str", 0, (lv, vg) => originOf(lv, vg) ?? thinOrigin(lv) ?? ""),
  lvField("pool_lv", "Pool", "str", 0, (lv) => thinPoolLv(lv) ?? ""),
  lvField("data_lv", "Data", "str", 0, (lv) => thinSubLv(lv, "data")),
  lvField("metadata_lv", "Meta", "str", 0, (lv) => thinSubLv(lv, "metadata")),
  lvField("lv_metadata_size", "MSize", "size", 0, (lv, vg) => {
    const extents = thinMetadataExtents(vg.vg, lv);
    return extents === undefined ? undefined : extents * ext(vg);
  }),
  // SEGS fields in LVM2 (`columns.h`): asking for them reports one row per segment, as real
  // `lvs` does for a grown `_tdata`/`_tmeta`; the value is the LV's thin segment's.
  { ...lvField("transaction_id", "TransId", "num", 0, (lv) => thinTransactionId(lv)), scope: "seg" },
  { ...lvField("thin_id", "ThId", "num", 0, (lv) => thinDeviceId(lv)), scope: "seg" },
  lvField("move_pv", "Move", "str", 0, (lv, vg) => movePv(lv, vg) ?? ""),
  lvField("convert_lv", "Convert", "str", 0, () => ""),
  lvField("mirror_log", "Log", "str", 0, (lv, vg) => {
    const seg = lv.segments[0];
    if (seg?.type !== "mirror" || seg.mirrorLog === undefined) return "";
    return vg.kinds.get(seg.mirrorLog)?.visible ? seg.mirrorLog : `[${seg.mirrorLog}]`;
  }),
  lvField("lv_host", "Host", "str", 10, (lv) => lv.creationHost ?? ""),
  lvField("lv_tags", "LV Tags", "str", 0, (lv) => lv.tags.join(",")),
  lvField(
    "data_percent",
    "Data%",
    "pct",
    6,
    (lv, vg, env) => env.runtime.thinDataPercent?.(vg.vg, lv) ?? env.runtime.snapPercent(vg.vg, lv),
  ),
  lvField("snap_percent", "Snap%", "pct", 6, (lv, vg, env) => env.runtime.snapPercent(vg.vg, lv)),
  lvField("metadata_percent", "Meta%", "pct", 6, (lv, vg, env) =>
    env.runtime.thinMetadataPercent?.(vg.vg, lv),
  ),
  lvField("lv_when_full", "WhenFull", "str", 15, (lv) => thinWhenFull(lv)),
  // `_lvcheckneeded_disp`: a live pool's needs_check flag; "unknown" for anything else.
  lvField("lv_check_needed", "CheckNeeded", "num", 15, (lv, vg, env) => {
    if (thinRoleOf(vg.vg, lv) !== "pool" || env.runtime.thinPoolMode?.(vg.vg, lv) === undefined)
      return "unknown";
    return env.runtime.thinPoolNeedsCheck?.(vg.vg, lv) ? "check needed" : "";
  }),
  // `_lvhealthstatus_disp`: "partial" first, then raid1's health, then a live thin pool's status
  // (failed, out_of_data, metadata_read_only); "" for everything else, an inactive pool included.
  lvField("lv_health_status", "Health", "str", 15, (lv, vg, env) => {
    if (lvPartial(vg, lv)) return "partial";
    const raid = raidHealthStatus(vg.vg, lv, env.runtime);
    if (raid !== undefined) return raid;
    if (thinRoleOf(vg.vg, lv) !== "pool") return "";
    return thinPoolHealthStatus(env.runtime.thinPoolMode?.(vg.vg, lv));
  }),
  // `_kdiscards_disp`: how the live pool's kernel table handles discards; "" when inactive.
  lvField("kernel_discards", "KDiscards", "str", 0, (lv, vg, env) =>
    thinRoleOf(vg.vg, lv) === "pool" ? (env.runtime.thinPoolKernelDiscards?.(vg.vg, lv) ?? "") : "",
  ),
  // Binary fields: their name when set, empty otherwise (`_binary_disp` without --binary). The two
  // snapshot status fields read the live snapshot's status; any other LV, or a snapshot without a
  // live table, has none and prints "unknown" (`_binary_undef_disp`), as real lvs does.
  lvField("lv_snapshot_invalid", "SnapInvalid", "num", 15, (lv, vg, env) => {
    if (!vg.kinds.get(lv.name)?.cow || env.runtime.snapPercent(vg.vg, lv) === undefined) return "unknown";
    return env.runtime.snapshotInvalid?.(vg.vg, lv) ? "snapshot invalid" : "";
  }),
  lvField("lv_merge_failed", "MergeFailed", "num", 15, (lv, vg, env) =>
    // lvmlab's merges do not fail (no merge-failed state is modelled): a live snapshot says so.
    !vg.kinds.get(lv.name)?.cow || env.runtime.snapPercent(vg.vg, lv) === undefined ? "unknown" : "",
  ),
  lvField("lv_merging", "Merging", "num", 10, (lv, vg) => {
    const kind = vg.kinds.get(lv.name);
    const merging = kind?.origin ? mergingOrigin(vg, lv) : kind?.cow ? kind.mergingCow : false;
    return merging ? "merging" : "";
  }),
  lvField("copy_percent", "Cpy%Sync", "pct", 0, (lv, vg, env) => env.runtime.copyPercent(vg.vg, lv)),
  lvField("sync_percent", "Cpy%Sync", "pct", 0, (lv, vg, env) => env.runtime.copyPercent(vg.vg, lv)),
  ...RAID_LV_FIELDS.map((f) =>
    lvField(f.name, f.heading, f.kind, f.minWidth, (lv, vg, env) => f.get(vg.vg, lv, env.runtime)),
  ),
  segField("segtype", "Type", "str", (seg) => segType(seg)),
  segField("stripes", "#Str", "num", (seg) =>
    seg.type === "striped"
      ? seg.stripeCount
      : seg.type === "mirror"
        ? seg.mirrorCount
        : (raid1View(seg)?.deviceCount ?? segmentAreas(seg).length),
  ),
  segField("stripe_size", "Stripe", "size", (seg) =>
    seg.type === "striped" ? (seg.stripeSizeSectors ?? 0) : 0,
  ),
  segField("region_size", "Region", "size", (seg) =>
    seg.type === "mirror" ? (seg.regionSizeSectors ?? 0) : (raid1View(seg)?.regionSizeSectors ?? 0),
  ),
  {
    name: "chunk_size",
    heading: "Chunk",
    kind: "size",
    scope: "seg",
    minWidth: 0,
    // A COW LV reports the chunk size of the snapshot that uses it (`find_snapshot`).
    get: (row) => {
      if (!row.seg || !row.vg) return undefined;
      if (row.seg.type === "snapshot") return row.seg.chunkSizeSectors;
      const thinChunk = thinChunkSize(row.seg);
      if (thinChunk !== undefined) return thinChunk;
      const name = row.lv?.name;
      for (const lv of row.vg.vg.lvs) {
        const first = lv.segments[0];
        if (first?.type === "snapshot" && first.cowStore === name) return first.chunkSizeSectors;
      }
      return 0;
    },
  },
  {
    name: "thin_count",
    heading: "#Thins",
    kind: "num",
    scope: "seg",
    minWidth: 0,
    get: (row) => (row.seg && row.vg && row.lv ? thinCount(row.vg.vg, row.lv, row.seg) : undefined),
  },
  segField("discards", "Discards", "str", (seg, vg) => thinDiscards(vg.vg, seg)),
  segField("zero", "Zero", "num", (seg, vg) => thinZero(vg.vg, seg)),
  segField("seg_start", "Start", "size", (seg, vg) => seg.startExtent * ext(vg)),
  segField("seg_start_pe", "Start", "num", (seg) => seg.startExtent),
  segField("seg_size", "SSize", "size", (seg, vg) => seg.extentCount * ext(vg)),
  segField("seg_size_pe", "SSize", "num", (seg) => seg.extentCount),
  segField(
    "seg_pe_ranges",
    "PE Ranges",
    "str",
    (seg, vg) => thinPeRanges(vg.vg, seg) ?? segPeRanges(vg.vg, seg),
  ),
  segField("devices", "Devices", "str", (seg, vg) => thinDevices(seg) ?? segDevices(vg.vg, seg)),
];

// libdm's `_is_same_field` ignores underscores and case: `stripesize` is `stripe_size`.
const squash = (name: string): string => name.replaceAll("_", "").toLowerCase();
const BY_NAME = new Map(FIELDS.map((f) => [squash(f.name), f] as const));

/** The field `name` (or `prefix_name` for the report's prefixes, as LVM2 allows), or undefined. */
export function findField(name: string, prefixes: readonly string[]): FieldDef | undefined {
  const exact = BY_NAME.get(squash(name));
  if (exact) return exact;
  for (const prefix of prefixes) {
    const hit = BY_NAME.get(squash(`${prefix}_${name}`));
    if (hit) return hit;
  }
  return undefined;
}
