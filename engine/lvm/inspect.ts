/**
 * `lvmlab inspect`: a short read-only summary of what is on some images — each PV label (uuid,
 * size, pe_start, mdas and their state), each VG (name, id, seqno, extent size, counts, free), its
 * LVs with segments and PE ranges, and every warning the scan raised. Text or JSON.
 */
import { SECTOR_BYTES } from "../block/device.js";
import { describeMdaStatus } from "../format/scan.js";
import { formatUuid } from "../format/uuid.js";
import { lvSizeExtents, segPeRanges, vgFreeExtents } from "../metadata/extent-map.js";
import { lvKinds } from "../metadata/lv-kind.js";
import { LvmCommandError } from "./command.js";
import type { Host } from "./host.js";
import { importScannedVg, scanHost } from "./vg-read.js";

/** The inspect summary (also the `--json` shape). */
export interface InspectReport {
  readonly pvs: readonly {
    readonly device: string;
    readonly uuid: string;
    readonly deviceSizeBytes: number;
    readonly peStartSectors: number;
    readonly mdas: readonly {
      readonly offsetBytes: number;
      readonly sizeBytes: number;
      readonly status: string;
    }[];
    readonly vg: string;
  }[];
  readonly vgs: readonly {
    readonly name: string;
    readonly uuid: string;
    readonly seqno: number;
    readonly extentSizeSectors: number;
    readonly pvCount: number;
    readonly lvCount: number;
    readonly extentCount: number;
    readonly freeExtents: number;
    readonly missingPvs: readonly string[];
    readonly lvs: readonly {
      readonly name: string;
      readonly visible: boolean;
      readonly extents: number;
      readonly segments: readonly {
        readonly start: number;
        readonly extents: number;
        readonly type: string;
        readonly stripes: number;
        readonly peRanges: string;
      }[];
    }[];
    readonly error?: string;
  }[];
  readonly unlabelled: readonly string[];
  readonly warnings: readonly string[];
}

/** Scans the host's devices and summarises them; never writes. */
export function inspectDevices(host: Host): InspectReport {
  const scan = scanHost(host);
  const vgOf = scan.vgOfDevice;
  const pvs = scan.result.pvs.map((pv) => ({
    device: pv.device.name,
    uuid: formatUuid(pv.header.pvUuid),
    deviceSizeBytes: pv.header.deviceSizeBytes,
    peStartSectors: (pv.header.dataAreas[0]?.offsetBytes ?? 0) / SECTOR_BYTES,
    mdas: pv.header.metadataAreas.map((a, i) => ({
      offsetBytes: a.offsetBytes,
      sizeBytes: a.sizeBytes,
      status: pv.mdas[i] ? describeMdaStatus(pv.mdas[i]!).replace(/^\S+ /, "") : "unknown",
    })),
    vg: vgOf.get(pv.device.name) ?? "",
  }));
  const warnings = [...scan.result.warnings];
  const vgs = scan.result.vgs.map((scanned) => {
    try {
      const { vg, missing } = importScannedVg(scan, scanned);
      const kinds = lvKinds(vg);
      return {
        name: vg.name,
        uuid: vg.id,
        seqno: vg.seqno,
        extentSizeSectors: vg.extentSizeSectors,
        pvCount: vg.pvs.length,
        lvCount: vg.lvs.filter((lv) => kinds.get(lv.name)?.visible).length,
        extentCount: vg.pvs.reduce((s, pv) => s + pv.peCount, 0),
        freeExtents: vgFreeExtents(vg),
        missingPvs: missing.map((n) => vg.pvs.find((p) => p.name === n)!.id),
        lvs: vg.lvs.map((lv) => ({
          name: lv.name,
          visible: kinds.get(lv.name)?.visible ?? false,
          extents: lvSizeExtents(lv),
          segments: lv.segments.map((seg) => ({
            start: seg.startExtent,
            extents: seg.extentCount,
            type:
              seg.type === "striped"
                ? seg.stripeCount > 1
                  ? "striped"
                  : "linear"
                : seg.type === "other"
                  ? seg.segType
                  : seg.type,
            stripes: seg.type === "striped" ? seg.stripeCount : seg.type === "mirror" ? seg.mirrorCount : 0,
            peRanges: segPeRanges(vg, seg),
          })),
        })),
      };
    } catch (error) {
      if (!(error instanceof LvmCommandError)) throw error;
      warnings.push(error.message);
      return {
        name: scanned.vgName,
        uuid: formatUuid(scanned.vgId),
        seqno: scanned.seqno,
        extentSizeSectors: 0,
        pvCount: scanned.summary.pvs.length,
        lvCount: 0,
        extentCount: 0,
        freeExtents: 0,
        missingPvs: [],
        lvs: [],
        error: error.message,
      };
    }
  });
  return { pvs, vgs, unlabelled: [...scan.result.unlabelled], warnings };
}

/** The text form of an {@link InspectReport}. */
export function renderInspect(report: InspectReport): string {
  const lines: string[] = [];
  for (const pv of report.pvs) {
    lines.push(
      `PV ${pv.device}  uuid ${pv.uuid}  size ${pv.deviceSizeBytes} B  pe_start ${pv.peStartSectors} s  vg ${pv.vg || "(orphan)"}`,
    );
    for (const [i, mda] of pv.mdas.entries()) {
      lines.push(`  mda${i + 1} at ${mda.offsetBytes} size ${mda.sizeBytes}: ${mda.status}`);
    }
  }
  for (const name of report.unlabelled) lines.push(`${name}: no LVM2 label`);
  for (const vg of report.vgs) {
    lines.push(
      `VG ${vg.name}  uuid ${vg.uuid}  seqno ${vg.seqno}  extent ${vg.extentSizeSectors} s  PVs ${vg.pvCount}  LVs ${vg.lvCount}  extents ${vg.extentCount}  free ${vg.freeExtents}`,
    );
    if (vg.error) lines.push(`  error: ${vg.error}`);
    for (const uuid of vg.missingPvs) lines.push(`  missing PV ${uuid}`);
    for (const lv of vg.lvs) {
      lines.push(`  LV ${lv.visible ? lv.name : `[${lv.name}]`}  ${lv.extents} extents`);
      for (const seg of lv.segments) {
        lines.push(
          `    ${seg.start}+${seg.extents} ${seg.type}${seg.stripes > 1 ? ` x${seg.stripes}` : ""}  ${seg.peRanges}`,
        );
      }
    }
  }
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  return `${lines.join("\n")}\n`;
}
