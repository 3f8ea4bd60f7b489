/** `pvcreate DEV...`: label devices as PVs (zeroed head, empty mdas, label last), checking all first. */
import { defaultPvLayout, writeFreshPv } from "../../format/pv-layout.js";
import { optionValue, type ParsedArgs } from "../args.js";
import { type CommandContext, ECMD_PROCESSED, type LvmCommandDef, LvmCommandError } from "../command.js";
import { newRawUuid } from "../ids.js";
import type { HostScan } from "../vg-read.js";
import { requireDevice, scanWithWarnings } from "./common.js";

/** Checks that each device can become a PV (exists, not in a VG, big enough) and returns its mda count. */
export function checkPvCreate(
  context: CommandContext,
  options: {
    readonly scan: HostScan;
    readonly devices: readonly string[];
    readonly metadataCopies?: 0 | 1 | 2;
    readonly force?: number;
  },
): void {
  const { scan, devices } = options;
  for (const device of devices) {
    requireDevice(context, device);
    const vg = scan.vgOfDevice.get(device);
    if (vg !== undefined && (options.force ?? 0) < 2) {
      throw new LvmCommandError(
        `Can't initialize physical volume "${device}" of volume group "${vg}" without -ff\n  ${device}: physical volume not initialized.`,
      );
    }
    const size = context.host.device(device)!.sizeBytes;
    try {
      defaultPvLayout(size, { metadataCopies: options.metadataCopies ?? 1 });
    } catch {
      throw new LvmCommandError(
        `Cannot use ${device}: device is too small (${size} bytes); use an image of at least 2 MiB, e.g. truncate -s 64M`,
      );
    }
  }
}

/** Writes a fresh PV on `device` with a new seeded id and prints LVM2's success line. */
export function createPv(
  context: CommandContext,
  device: string,
  options: { readonly metadataCopies?: 0 | 1 | 2; readonly uuid?: string } = {},
): void {
  const dev = context.host.device(device)!;
  writeFreshPv(dev, {
    pvUuid: options.uuid ?? newRawUuid(context.host),
    layout: defaultPvLayout(dev.sizeBytes, { metadataCopies: options.metadataCopies ?? 1 }),
    issueNs: context.host.scheduler.nowNs,
  });
  context.out.message(`Physical volume "${device}" successfully created.`);
}

/** Reads `--metadatacopies`/`--pvmetadatacopies`. */
function metadataCopiesOption(args: ParsedArgs): 0 | 1 | 2 | undefined {
  const text = optionValue(args, "pvmetadatacopies");
  if (text === undefined) return undefined;
  if (text !== "0" && text !== "1" && text !== "2") {
    throw new LvmCommandError(`Metadatacopies may only be 0, 1 or 2 (got ${text})`, 3);
  }
  return Number(text) as 0 | 1 | 2;
}

/** The pvcreate command. */
export const pvcreateCommand: LvmCommandDef = {
  name: "pvcreate",
  readOnly: false,
  options: [
    { long: "pvmetadatacopies", value: true, aliases: ["metadatacopies"] },
    { long: "zero", short: "Z", value: true },
    { long: "uuid", short: "u", value: true },
    { long: "norestorefile", value: false },
  ],
  run(context, args) {
    if (args.positionals.length === 0) {
      throw new LvmCommandError("Please enter a physical volume path.", 3);
    }
    const scan = scanWithWarnings(context);
    const copies = metadataCopiesOption(args);
    const force = args.options.get("force")?.length ?? 0;
    checkPvCreate(context, {
      scan,
      devices: args.positionals,
      ...(copies !== undefined ? { metadataCopies: copies } : {}),
      force,
    });
    const uuid = optionValue(args, "uuid");
    if (uuid !== undefined && args.positionals.length > 1) {
      throw new LvmCommandError("Can only set uuid on one volume at once", 3);
    }
    for (const device of args.positionals) {
      createPv(context, device, {
        ...(copies !== undefined ? { metadataCopies: copies } : {}),
        ...(uuid !== undefined ? { uuid: uuid.replaceAll("-", "") } : {}),
      });
    }
    return ECMD_PROCESSED;
  },
};
