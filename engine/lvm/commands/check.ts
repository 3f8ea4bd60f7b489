/**
 * `vgck [--updatemetadata] [VG...]`: read each VG (the scan prints what is wrong) and validate it;
 * `--updatemetadata` rewrites every mda with seqno + 1 over repairable bad headers.
 * `pvck DEV...`: report each device's label and metadata areas as LVM2 does.
 */
import { BAD_MDA, BAD_MDA_NOT_REPAIRABLE } from "../../format/mda-header.js";
import { describeMdaStatus } from "../../format/scan.js";
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
