/**
 * `vgck [--updatemetadata] [VG...]`: read each VG (the scan prints what is wrong) and validate it;
 * `--updatemetadata` rewrites every mda with seqno + 1 over repairable bad headers.
 * `pvck DEV...`: report each device's label and metadata areas as LVM2 does.
 */

import type { BlockDevice } from "../../block/device.js";
import { SECTOR_BYTES } from "../../block/device.js";
import { lvmCrc } from "../../format/crc.js";
import { LABEL_ID, LVM2_LABEL_TYPE } from "../../format/label.js";
import { BAD_MDA, BAD_MDA_NOT_REPAIRABLE } from "../../format/mda-header.js";
import { describeMdaStatus } from "../../format/scan.js";
import { isValidUuid } from "../../format/uuid.js";
import { hasOption } from "../args.js";
import { ECMD_FAILED, ECMD_PROCESSED, type LvmCommandDef, LvmCommandError } from "../command.js";
import { requireVg, vgNames } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { scanWithWarnings } from "./common.js";

/** The vgck command. */
export const vgckCommand: LvmCommandDef = {
  name: "vgck",
  readOnly: true,
  options: [{ long: "updatemetadata", value: false }],
  run(context, args) {
    const scan = scanWithWarnings(context);
    const names = args.positionals.length > 0 ? args.positionals : vgNames(scan);
    for (const name of names) {
      const handle = requireVg(scan, name, {
        allowExported: true,
        allowMissing: !hasOption(args, "updatemetadata"),
      });
      if (!hasOption(args, "updatemetadata")) continue;
      const repairable = BAD_MDA.CHECKSUM | BAD_MDA.VERSION | BAD_MDA.TEXT | BAD_MDA.MISMATCH;
      const stuck = scan.result.pvs
        .flatMap((pv) => pv.mdas)
        .filter((m) => m.vgName === undefined && (m.badFields & BAD_MDA_NOT_REPAIRABLE) !== 0);
      for (const m of stuck) context.out.warn(`${describeMdaStatus(m)}`);
      writeVg(context, scan, handle.vg, { ignoreBadFields: repairable });
    }
    return ECMD_PROCESSED;
  },
};

/**
 * pvck's `_check_label_header` and `_check_pv_header` on sector 1 of a device without a label:
 * one CHECK line per field that is not what a label needs.
 */
function labelChecks(device: BlockDevice): string[] {
  const sector = new Uint8Array(SECTOR_BYTES);
  if (device.sizeBytes < 2 * SECTOR_BYTES) return [];
  device.read(SECTOR_BYTES, sector);
  const view = new DataView(sector.buffer, sector.byteOffset, sector.byteLength);
  const text = (from: number, to: number): string => String.fromCharCode(...sector.subarray(from, to));
  const lines: string[] = [];
  if (text(0, 8) !== LABEL_ID) lines.push(`CHECK: label_header.id expected ${LABEL_ID}`);
  if (view.getBigUint64(8, true) !== 1n) lines.push("CHECK: label_header.sector expected 1");
  const crc = lvmCrc(sector.subarray(20));
  if (crc !== view.getUint32(16, true)) lines.push(`CHECK: label_header.crc expected 0x${crc.toString(16)}`);
  const offset = view.getUint32(20, true);
  if (offset !== 32) lines.push("CHECK: label_header.offset expected 32");
  if (text(24, 32) !== LVM2_LABEL_TYPE) lines.push(`CHECK: label_header.type expected ${LVM2_LABEL_TYPE}`);
  // The pv_header sits where the label header says, whatever that is; LVM2 reads it there too.
  const at = offset <= SECTOR_BYTES - 32 ? offset : 0;
  if (!isValidUuid(text(at, at + 32))) lines.push("CHECK: pv_header.pv_uuid invalid format");
  return lines;
}

/** The pvck command. */
export const pvckCommand: LvmCommandDef = {
  name: "pvck",
  readOnly: true,
  options: [],
  run(context, args) {
    if (args.positionals.length === 0) throw new LvmCommandError("Please enter a physical volume path", 3);
    const scan = scanWithWarnings(context);
    let failed = false;
    for (const device of args.positionals) {
      if (context.host.device(device) === undefined) {
        context.out.error(`Cannot use ${device}: device not found (give it with --devices)`);
        failed = true;
        continue;
      }
      const pv = scan.labels.get(device);
      if (pv === undefined) {
        for (const line of labelChecks(context.host.device(device)!)) context.out.message(line);
        context.out.error(`Could not find LVM label on ${device}`);
        failed = true;
        continue;
      }
      context.out.message(`Found label on ${device}, sector ${pv.labelSector}, type=LVM2 001`);
      for (const [i, area] of pv.header.metadataAreas.entries()) {
        context.out.message(`Found text metadata area: offset=${area.offsetBytes}, size=${area.sizeBytes}`);
        const status = pv.mdas[i];
        if (status !== undefined && status.state === "bad") {
          context.out.error(`${describeMdaStatus(status)}`);
          failed = true;
        }
      }
    }
    return failed ? ECMD_FAILED : ECMD_PROCESSED;
  },
};
