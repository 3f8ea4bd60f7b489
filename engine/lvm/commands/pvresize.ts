/**
 * `pvresize [--setphysicalvolumesize SIZE] DEV...`: recompute a PV's extents for its device size
 * (or the given size), refusing to cut allocated extents.
 */
import { SECTOR_BYTES } from "../../block/device.js";
import { pvUsage } from "../../metadata/extent-map.js";
import { hasOption, optionValue } from "../args.js";
import { ECMD_FAILED, ECMD_PROCESSED, type LvmCommandDef } from "../command.js";
import { parseSize } from "../sizes.js";
import { DEFAULT_UNITS, formatSize } from "../units.js";
import { pvOnDevice, requireVg } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { scanWithWarnings } from "./common.js";

/** The pvresize command. */
export const pvresizeCommand: LvmCommandDef = {
  name: "pvresize",
  readOnly: false,
  options: [{ long: "setphysicalvolumesize", value: true }],
  run(context, args) {
    const sizeText = optionValue(args, "setphysicalvolumesize");
    const wanted = sizeText === undefined ? undefined : parseSize(sizeText, 2048).sectors;
    let done = 0;
    let failed = 0;
    let notFound = false;
    for (const device of args.positionals) {
      const scan = scanWithWarnings(context);
      const dev = context.host.device(device);
      const label = scan.labels.get(device);
      if (dev === undefined || label === undefined) {
        // LVM2 counts a device it cannot find in neither total, but fails the command.
        context.out.error(`Failed to find physical volume "${device}".`);
        notFound = true;
        continue;
      }
      const sizeSectors = wanted ?? dev.sizeBytes / SECTOR_BYTES;
      const realSectors = dev.sizeBytes / SECTOR_BYTES;
      if (sizeSectors !== realSectors) {
        const more = sizeSectors > realSectors;
        const real = formatSize(realSectors, DEFAULT_UNITS, "short");
        if (more) context.out.warn(`${device}: Overriding real size ${real}. You could lose data.`);
        if (!hasOption(args, "yes")) {
          // No terminal to answer: LVM2's prompt reads "n".
          context.out.print(
            `${device}: Requested size ${formatSize(sizeSectors, DEFAULT_UNITS, "short")} ${more ? "exceeds" : "is less than"} real size ${real}. Proceed?  [y/n]: [n]`,
          );
          context.out.error(`Physical Volume ${device} not resized.`);
          failed++;
          continue;
        }
        context.out.warn(`${device}: Pretending size is ${sizeSectors} not ${realSectors} sectors.`);
      }
      const vgName = scan.vgOfDevice.get(device);
      if (vgName === undefined) {
        // Orphan PVs keep no size in metadata; nothing to rewrite.
        context.out.message(`Physical volume "${device}" changed`);
        done++;
        continue;
      }
      const handle = requireVg(scan, vgName);
      const vg = handle.vg;
      const pv = pvOnDevice(vg, device)!;
      const peCount = Math.floor((sizeSectors - pv.peStartSectors) / vg.extentSizeSectors);
      const lastUsed = (pvUsage(vg).get(pv.name) ?? []).reduce((m, u) => Math.max(m, u.pe + u.count), 0);
      if (peCount < lastUsed) {
        context.out.error(`${device}: cannot resize to ${peCount} extents as later ones are allocated.`);
        failed++;
        continue;
      }
      if (peCount < 1) {
        context.out.error(`${device}: size must leave at least one extent after pe_start.`);
        failed++;
        continue;
      }
      writeVg(context, scan, {
        ...vg,
        pvs: vg.pvs.map((p) => (p === pv ? { ...p, peCount, devSizeSectors: sizeSectors } : p)),
      });
      context.out.message(`Physical volume "${device}" changed`);
      done++;
    }
    context.out.message(
      `${done} physical volume(s) resized or updated / ${failed} physical volume(s) not resized`,
    );
    return failed > 0 || notFound || done === 0 ? ECMD_FAILED : ECMD_PROCESSED;
  },
};
