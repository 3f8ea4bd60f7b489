/**
 * Report values of thin pools and thin LVs (`lib/report/report.c`, `lv_attr_dup_with_info_and_seg_status`,
 * `lv_layout_and_role`): the lv_attr characters, layout and role strings, pool_lv,
 * transaction_id, thin_id, the pool's chunk size and devices. Kept apart from fields.ts so the
 * generic fields only ask "is this thin?" and delegate.
 */
import { lvSizeExtents } from "../../metadata/extent-map.js";
import type { LogicalVolume, OtherSegment, Segment, VolumeGroup } from "../../metadata/model.js";
import {
  poolMetadataSpare,
  thinInfo,
  thinPoolInfo,
  thinPoolSegment,
  thinSegment,
  thinVolumesOf,
} from "../../metadata/thin.js";
import type { ReportEnv, VgInfo } from "./rows.js";

/** What a thin-related LV is. */
export type ThinRole = "pool" | "data" | "metadata" | "spare" | "thin";

/** The thin role of `lv` in `vg`, or undefined for other LVs. */
export function thinRoleOf(vg: VolumeGroup, lv: LogicalVolume): ThinRole | undefined {
  if (thinPoolSegment(lv) !== undefined) return "pool";
  if (thinSegment(lv) !== undefined) return "thin";
  if (poolMetadataSpare(vg)?.name === lv.name) return "spare";
  for (const other of vg.lvs) {
    const seg = thinPoolSegment(other);
    if (seg === undefined) continue;
    const info = thinPoolInfo(seg);
    if (info.dataLv === lv.name) return "data";
    if (info.metadataLv === lv.name) return "metadata";
  }
  return undefined;
}

function poolOf(vg: VolumeGroup, lv: LogicalVolume): LogicalVolume | undefined {
  const seg = thinSegment(lv);
  if (seg !== undefined) return vg.lvs.find((l) => l.name === thinInfo(seg).pool);
  return thinPoolSegment(lv) !== undefined ? lv : undefined;
}

/** lv_attr characters a thin LV overrides: type (0), open (5), target (6), zero (7), health (8). */
export interface ThinAttr {
  readonly type: string;
  readonly open: boolean;
  readonly target: string;
  readonly zero: string;
  readonly health: string;
  /** A live pool whose metadata has NEEDS_CHECK: state `c` in place of `a`. */
  readonly needsCheck: boolean;
}

/** The thin lv_attr characters of `lv`, or undefined when it is not thin-related. */
export function thinAttr(vg: VgInfo, lv: LogicalVolume, env: ReportEnv): ThinAttr | undefined {
  const role = thinRoleOf(vg.vg, lv);
  if (role === undefined) return undefined;
  const type = { pool: "t", data: "T", metadata: "e", spare: "e", thin: "V" }[role];
  const pool = poolOf(vg.vg, lv);
  const poolSeg = thinPoolSegment(pool);
  const zero =
    poolSeg !== undefined && thinPoolInfo(poolSeg).zeroNewBlocks && (role === "pool" || role === "thin")
      ? "z"
      : "-";
  const target = role === "pool" || role === "thin" ? "t" : "-";
  let open = false;
  if (role === "data" || role === "metadata") open = env.runtime.isActive(vg.vg, lv) === true;
  if (role === "pool")
    open = thinVolumesOf(vg.vg, lv.name).some((t) => env.runtime.isActive(vg.vg, t) === true);
  const mode = pool === undefined ? undefined : env.runtime.thinPoolMode?.(vg.vg, pool);
  let health = "-";
  if (role === "pool")
    health =
      mode === "fail"
        ? "F"
        : mode === "out-of-data-space"
          ? "D"
          : mode === "read-only" || mode === "out-of-metadata-space"
            ? "M"
            : "-";
  if (role === "thin" && mode === "fail") health = "F";
  const needsCheck =
    role === "pool" && pool !== undefined && env.runtime.thinPoolNeedsCheck?.(vg.vg, pool) === true;
  return { type, open, target, zero, health, needsCheck };
}

/**
 * `lv_health_status` of a thin pool from its live mode, as libdm parses the status: "Fail" is
 * failed, out_of_data_space out_of_data, "ro" (read-only, or out of metadata space) metadata_read_only.
 */
export function thinPoolHealthStatus(mode: string | undefined): string {
  if (mode === "fail") return "failed";
  if (mode === "out-of-data-space") return "out_of_data";
  if (mode === "read-only" || mode === "out-of-metadata-space") return "metadata_read_only";
  return "";
}

/** `lv_layout` of a thin-related LV. */
export function thinLayout(role: ThinRole): string {
  return role === "pool" ? "thin,pool" : role === "thin" ? "thin,sparse" : "linear";
}

/** `lv_role` of a thin-related LV. */
export function thinLvRole(vg: VolumeGroup, lv: LogicalVolume, role: ThinRole): string {
  switch (role) {
    case "pool":
      return "private";
    case "data":
      return "private,thin,pool,data";
    case "metadata":
      return "private,thin,pool,metadata";
    case "spare":
      return "private,pool,spare";
    case "thin": {
      const parts = ["public"];
      const origin = vg.lvs.some((l) => {
        const seg = thinSegment(l);
        return seg !== undefined && thinInfo(seg).origin === lv.name;
      });
      const snapshot = thinInfo(thinSegment(lv) as OtherSegment).origin !== undefined;
      if (origin) parts.push("origin", "thinorigin");
      if (snapshot) parts.push("snapshot", "thinsnapshot");
      return parts.join(",");
    }
  }
}

/** `pool_lv`: the pool of a thin LV. */
export function thinPoolLv(lv: LogicalVolume): string | undefined {
  const seg = thinSegment(lv);
  return seg === undefined ? undefined : thinInfo(seg).pool;
}

/** `origin` of a thin snapshot. */
export function thinOrigin(lv: LogicalVolume): string | undefined {
  const seg = thinSegment(lv);
  return seg === undefined ? undefined : thinInfo(seg).origin;
}

/** `transaction_id`: the pool's, or the one a thin LV was created in. */
export function thinTransactionId(lv: LogicalVolume): number | undefined {
  const pool = thinPoolSegment(lv);
  if (pool !== undefined) return thinPoolInfo(pool).transactionId;
  const thin = thinSegment(lv);
  return thin === undefined ? undefined : thinInfo(thin).transactionId;
}

/** `thin_id`: a thin LV's device id. */
export function thinDeviceId(lv: LogicalVolume): number | undefined {
  const thin = thinSegment(lv);
  return thin === undefined ? undefined : thinInfo(thin).deviceId;
}

/** The pool's chunk size for `chunk_size` of its segment. */
export function thinChunkSize(seg: Segment): number | undefined {
  return seg.type === "other" && seg.segType === "thin-pool" ? thinPoolInfo(seg).chunkSizeSectors : undefined;
}

/** `devices` of a pool segment: its data LV, `pool_tdata(0)`. */
export function thinDevices(seg: Segment): string | undefined {
  return seg.type === "other" && seg.segType === "thin-pool" ? `${thinPoolInfo(seg).dataLv}(0)` : undefined;
}

/** `seg_pe_ranges` of a pool segment: its data LV's extents, `pool_tdata:0-N`. */
export function thinPeRanges(vg: VolumeGroup, seg: Segment): string | undefined {
  if (seg.type !== "other" || seg.segType !== "thin-pool") return undefined;
  const data = thinPoolInfo(seg).dataLv;
  const lv = vg.lvs.find((l) => l.name === data);
  return `${data}:0-${(lv === undefined ? 0 : lvSizeExtents(lv)) - 1}`;
}

/** `lv_when_full`: "error" or "queue" for a pool (`_lvwhenfull_disp`), empty for other LVs. */
export function thinWhenFull(lv: LogicalVolume): string {
  if (thinPoolSegment(lv) === undefined) return "";
  return lv.flags.includes("ERROR_WHEN_FULL") ? "error" : "queue";
}

/** The pool a thin LV's or pool's segment belongs to (`first_seg(seg->pool_lv)` for a thin LV). */
function poolSegmentOf(vg: VolumeGroup, seg: Segment): OtherSegment | undefined {
  if (seg.type !== "other") return undefined;
  if (seg.segType === "thin-pool") return seg;
  if (seg.segType !== "thin") return undefined;
  return thinPoolSegment(vg.lvs.find((l) => l.name === thinInfo(seg).pool));
}

/** `data_lv` / `metadata_lv` of a pool: its hidden sub-LV, bracketed as `_lvname_disp` shows it. */
export function thinSubLv(lv: LogicalVolume, which: "data" | "metadata"): string {
  const seg = thinPoolSegment(lv);
  if (seg === undefined) return "";
  const info = thinPoolInfo(seg);
  return `[${which === "data" ? info.dataLv : info.metadataLv}]`;
}

/** `lv_metadata_size` of a pool in extents (its `_tmeta`'s size); undefined for other LVs. */
export function thinMetadataExtents(vg: VolumeGroup, lv: LogicalVolume): number | undefined {
  const seg = thinPoolSegment(lv);
  if (seg === undefined) return undefined;
  const meta = vg.lvs.find((l) => l.name === thinPoolInfo(seg).metadataLv);
  return meta === undefined ? undefined : lvSizeExtents(meta);
}

/** `discards` of a pool's or thin LV's segment (the pool's setting); "" for other segments. */
export function thinDiscards(vg: VolumeGroup, seg: Segment): string {
  const pool = poolSegmentOf(vg, seg);
  return pool === undefined ? "" : thinPoolInfo(pool).discards;
}

/** `zero` (`_thinzero_disp`): "zero" when the pool zeroes new blocks, "" when not, "unknown" for non-thin segments. */
export function thinZero(vg: VolumeGroup, seg: Segment): string {
  const pool = poolSegmentOf(vg, seg);
  if (pool === undefined) return "unknown";
  return thinPoolInfo(pool).zeroNewBlocks ? "zero" : "";
}

/** `thin_count` of a pool segment: the thin LVs using the pool; undefined for other segments. */
export function thinCount(vg: VolumeGroup, lv: LogicalVolume, seg: Segment): number | undefined {
  if (seg.type !== "other" || seg.segType !== "thin-pool") return undefined;
  return thinVolumesOf(vg, lv.name).length;
}
