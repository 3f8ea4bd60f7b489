/** Adding devices to a VG (vgcreate, vgextend): check every device, pvcreate the unlabelled ones, rescan. */
import type { VolumeGroup } from "../../metadata/model.js";
import { type CommandContext, LvmCommandError } from "../command.js";
import { type HostScan, scanHost } from "../vg-read.js";
import { newPvEntry, renumberPvs, requireDevice } from "./common.js";
import { checkPvCreate, createPv } from "./pvcreate.js";

/**
 * Checks that every device can join `vgName` (not in any VG, not named twice), writes PVs on
 * unlabelled ones, and returns a fresh scan. Throws before writing anything if any device fails.
 */
export function prepareNewMembers(
  context: CommandContext,
  scan: HostScan,
  options: { readonly vgName: string; readonly devices: readonly string[] },
): HostScan {
  const seen = new Set<string>();
  const toCreate: string[] = [];
  for (const device of options.devices) {
    requireDevice(context, device);
    if (seen.has(device)) throw new LvmCommandError(`Physical volume ${device} is specified more than once.`);
    seen.add(device);
    const current = scan.vgOfDevice.get(device);
    if (current !== undefined) {
      throw new LvmCommandError(
        // LVM2 names the PV's current VG in both lines.
        `Physical volume '${device}' is already in volume group '${current}'\n  Unable to add physical volume '${device}' to volume group '${current}'\n  ${device}: physical volume not initialized.`,
      );
    }
    if (!scan.labels.has(device)) toCreate.push(device);
  }
  checkPvCreate(context, { scan, devices: toCreate });
  for (const device of toCreate) createPv(context, device);
  return toCreate.length === 0 ? scan : scanHost(context.host);
}

/** `vg` with the devices appended as new PVs, renumbered pv0…. */
export function withNewMembers(
  context: CommandContext,
  scan: HostScan,
  options: { readonly vg: VolumeGroup; readonly devices: readonly string[] },
): VolumeGroup {
  const { vg } = options;
  const added = options.devices.map((device, i) =>
    newPvEntry(context, scan, { device, name: `new${i}`, extentSizeSectors: vg.extentSizeSectors }),
  );
  for (const pv of added) {
    if (pv.peCount < 1) {
      throw new LvmCommandError(
        `Physical volume ${pv.deviceHint} is too small for extent size ${vg.extentSizeSectors / 2}.00 KiB; use a bigger device or a smaller -s`,
      );
    }
  }
  return renumberPvs({ ...vg, pvs: [...vg.pvs, ...added] });
}
