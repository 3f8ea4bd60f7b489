/** The objects a report row is made of: a PV (member or orphan), its VG, an LV, a segment, a PV segment. */
import { SECTOR_BYTES } from "../../block/device.js";
import { PV_EXT_USED } from "../../format/pv-header.js";
import { formatUuid } from "../../format/uuid.js";
import { pvFreeRanges, pvUsage } from "../../metadata/extent-map.js";
import { type LvKind, lvKinds } from "../../metadata/lv-kind.js";
import type { LogicalVolume, PhysicalVolume, Segment, VolumeGroup } from "../../metadata/model.js";
import type { LvRuntimeProvider } from "../runtime.js";
import type { HostScan, VgHandle } from "../vg-read.js";

/** A PV as reports see it: a VG member (with its metadata entry) or an orphan. */
export interface PvInfo {
  readonly device: string;
  /** Dashed uuid. */
  readonly uuid: string;
  readonly devSizeSectors: number;
  readonly peStartSectors: number;
  readonly mdaCount: number;
  readonly vg?: VgInfo;
  readonly pv?: PhysicalVolume;
  /**
   * A PV whose label says it is used (PV_EXT_USED) while no VG metadata was found for it: every
   * copy damaged. LVM2 shows it in VG `[unknown]` with attr `u--`, not as a free orphan.
   */
  readonly inUseNoVg?: boolean;
}

/** A VG with what its fields need precomputed once. */
export interface VgInfo {
  readonly handle: VgHandle;
  readonly vg: VolumeGroup;
  readonly kinds: ReadonlyMap<string, LvKind>;
  readonly mdaCount: number;
}

/** One report row; which parts are set depends on the report type. */
export interface ReportRow {
  readonly vg?: VgInfo;
  readonly pv?: PvInfo;
  readonly lv?: LogicalVolume;
  readonly seg?: Segment;
  readonly pvseg?: { readonly pe: number; readonly count: number };
}

/** What field getters may consult besides the row. */
export interface ReportEnv {
  readonly runtime: LvRuntimeProvider;
}

/** VgInfo for a handle. */
export function vgInfo(scan: HostScan, handle: VgHandle): VgInfo {
  let mdaCount = 0;
  for (const pv of handle.vg.pvs) {
    if (pv.status.includes("MISSING")) continue;
    mdaCount += scan.labels.get(pv.deviceHint)?.header.metadataAreas.length ?? 0;
  }
  return { handle, vg: handle.vg, kinds: lvKinds(handle.vg), mdaCount };
}

/** PvInfo for every labelled device (VG members by their VG, orphans alone) plus missing PVs. */
export function pvInfos(scan: HostScan, vgs: readonly VgInfo[]): PvInfo[] {
  const out: PvInfo[] = [];
  const members = new Set<string>();
  for (const info of vgs) {
    for (const pv of info.vg.pvs) {
      const missing = pv.status.includes("MISSING");
      const label = missing ? undefined : scan.labels.get(pv.deviceHint);
      if (!missing) members.add(pv.deviceHint);
      out.push({
        device: missing ? "[unknown]" : pv.deviceHint,
        uuid: pv.id,
        devSizeSectors: label ? label.device.sizeBytes / SECTOR_BYTES : (pv.devSizeSectors ?? 0),
        peStartSectors: pv.peStartSectors,
        mdaCount: label?.header.metadataAreas.length ?? 0,
        vg: info,
        pv,
      });
    }
  }
  for (const orphan of scan.result.orphans) {
    if (members.has(orphan.device)) continue;
    const label = scan.labels.get(orphan.device)!;
    out.push({
      device: orphan.device,
      uuid: formatUuid(orphan.pvUuid),
      devSizeSectors: label.device.sizeBytes / SECTOR_BYTES,
      peStartSectors: (label.header.dataAreas[0]?.offsetBytes ?? 0) / SECTOR_BYTES,
      mdaCount: label.header.metadataAreas.length,
      ...(((label.header.extension?.flags ?? 0) & PV_EXT_USED) !== 0 ? { inUseNoVg: true } : {}),
    });
  }
  return out;
}

/** PV segments of one PV in PE order: used runs and free runs. */
export function pvSegments(info: PvInfo): { pe: number; count: number }[] {
  if (!info.vg || !info.pv) return [{ pe: 0, count: 0 }];
  const vg = info.vg.vg;
  const used = (pvUsage(vg).get(info.pv.name) ?? []).map((u) => ({ pe: u.pe, count: u.count }));
  const free = pvFreeRanges(vg, info.pv.name);
  return [...used, ...free].sort((a, b) => a.pe - b.pe);
}
