/**
 * raid1's share of `lvs`: the lv_attr type and health characters (`lv_attr_dup_with_info_and_seg_status`,
 * `lv_raid_healthy`, `lv_raid_image_in_sync`), the fields raid_sync_action and raid_mismatch_count,
 * raid1's part of lv_health_status, and the recovery rates (`lib/report/report.c`), from the kernel's status when the
 * LV is live.
 */
import type { LogicalVolume, VolumeGroup } from "../../metadata/model.js";
import type { LvRuntimeProvider } from "../runtime-provider.js";
import type { RaidRole } from "./roles.js";
import type { RaidRuntimeStatus } from "./runtime-status.js";

export type { RaidRuntimeStatus };

function parentStatus(
  vg: VolumeGroup,
  lv: LogicalVolume,
  role: RaidRole,
  runtime: LvRuntimeProvider,
): RaidRuntimeStatus | undefined {
  const parent = role.kind === "raid" ? lv : vg.lvs.find((l) => l.name === role.parent);
  if (parent === undefined || runtime.isActive(vg, parent) !== true) return undefined;
  return runtime.raidStatus?.(vg, parent);
}

/** lv_attr[0] for an LV in a raid1 set: r/R, e, or i/I. */
export function raidAttrType(
  vg: VolumeGroup,
  lv: LogicalVolume,
  role: RaidRole,
  runtime: LvRuntimeProvider,
): string {
  if (role.kind === "raid") return lv.status.includes("NOTSYNCED") ? "R" : "r";
  if (role.kind === "meta") return "e";
  const visible = lv.status.includes("VISIBLE");
  const status = runtime.isActive(vg, lv) === true ? parentStatus(vg, lv, role, runtime) : undefined;
  return !visible && status?.health[role.index] === "A" ? "i" : "I";
}

/** `!lv_raid_healthy`: a live set whose status shows D for the LV (top) or its slot (sub-LV). */
function needsRefresh(status: RaidRuntimeStatus | undefined, role: RaidRole): boolean {
  if (status === undefined) return false;
  return role.kind === "raid" ? status.health.includes("D") : status.health[role.index] === "D";
}

/** lv_attr[8] for a non-partial LV of a raid1 set: X unknown, r refresh needed, m mismatches, w writemostly. */
export function raidAttrHealth(
  vg: VolumeGroup,
  lv: LogicalVolume,
  role: RaidRole,
  runtime: LvRuntimeProvider,
): string {
  if (runtime.raidStatus === undefined) return "X";
  const status = parentStatus(vg, lv, role, runtime);
  if (needsRefresh(status, role)) return "r";
  if (role.kind === "raid") return (status?.mismatchCount ?? 0) > 0 ? "m" : "-";
  return lv.status.includes("WRITEMOSTLY") ? "w" : "-";
}

/** One raid report field. */
export interface RaidFieldDef {
  readonly name: string;
  readonly heading: string;
  readonly kind: "str" | "num";
  readonly minWidth: number;
  readonly get: (
    vg: VolumeGroup,
    lv: LogicalVolume,
    runtime: LvRuntimeProvider,
  ) => string | number | undefined;
}

function roleOf(vg: VolumeGroup, lv: LogicalVolume): RaidRole | undefined {
  // Imported lazily by callers through roles.ts; kept local to avoid a second scan per field.
  return raidRoleCache(vg).get(lv.name);
}

const roleCaches = new WeakMap<VolumeGroup, Map<string, RaidRole>>();

function raidRoleCache(vg: VolumeGroup): Map<string, RaidRole> {
  let cache = roleCaches.get(vg);
  if (cache === undefined) {
    cache = new Map();
    for (const lv of vg.lvs) {
      const first = lv.segments[0];
      if (first?.type !== "other" || first.segType !== "raid1") continue;
      const names = first.items.find((n) => n.key === "raids");
      if (names?.kind !== "assign" || names.value.kind !== "array") continue;
      const list = names.value.items.map((i) => (i.kind === "string" ? i.value : ""));
      cache.set(lv.name, {
        kind: "raid",
        view: { deviceCount: list.length / 2, regionSizeSectors: 0, legs: [] },
      });
      for (let i = 0; i + 1 < list.length; i += 2) {
        cache.set(list[i]!, { kind: "meta", parent: lv.name, index: i / 2 });
        cache.set(list[i + 1]!, { kind: "image", parent: lv.name, index: i / 2 });
      }
    }
    roleCaches.set(vg, cache);
  }
  return cache;
}

/** The raid-only lvs fields (`columns.h`). */
export const RAID_LV_FIELDS: readonly RaidFieldDef[] = [
  {
    name: "raid_mismatch_count",
    heading: "Mismatches",
    kind: "num",
    minWidth: 0,
    get: (vg, lv, runtime) => {
      const role = roleOf(vg, lv);
      if (role?.kind !== "raid") return undefined;
      return parentStatus(vg, lv, role, runtime)?.mismatchCount;
    },
  },
  {
    name: "raid_sync_action",
    heading: "SyncAction",
    kind: "str",
    minWidth: 0,
    get: (vg, lv, runtime) => {
      const role = roleOf(vg, lv);
      if (role?.kind !== "raid") return "";
      return parentStatus(vg, lv, role, runtime)?.syncAction ?? "";
    },
  },
];

/**
 * `_lvhealthstatus_disp` for an LV in a raid1 set ("refresh needed", "mismatches exist",
 * "writemostly" or ""); undefined for any other LV. A partial LV is "partial" before this is asked.
 */
export function raidHealthStatus(
  vg: VolumeGroup,
  lv: LogicalVolume,
  runtime: LvRuntimeProvider,
): string | undefined {
  const role = roleOf(vg, lv);
  if (role === undefined) return undefined;
  if (runtime.raidStatus === undefined) return "unknown";
  const status = parentStatus(vg, lv, role, runtime);
  if (needsRefresh(status, role)) return "refresh needed";
  if (role.kind === "raid") return (status?.mismatchCount ?? 0) > 0 ? "mismatches exist" : "";
  return lv.status.includes("WRITEMOSTLY") ? "writemostly" : "";
}

/**
 * `dm_make_percent(insync, total)` for Cpy%Sync: exactly 100 only when equal, otherwise never
 * rounded up to 100 or down to 0.
 */
export function raidSyncPercent(status: RaidRuntimeStatus): number {
  const { insyncRegions, totalRegions } = status;
  if (totalRegions === 0 || insyncRegions >= totalRegions) return 100;
  const pct = (100 * insyncRegions) / totalRegions;
  if (insyncRegions === 0) return 0;
  return Math.min(Math.max(pct, 0.01), 99.99);
}
