/** Turning `-L`/`-l` into extents as lvcreate and lvresize do, with LVM2's rounding messages. */
import { pvFreeExtents, vgFreeExtents } from "../../metadata/extent-map.js";
import type { VolumeGroup } from "../../metadata/model.js";
import type { PvSelection } from "../../metadata/pv-list.js";
import { optionValue, type ParsedArgs } from "../args.js";
import { type CommandContext, LvmCommandError } from "../command.js";
import { parseExtents, parseSize, type SizeArg, SizeArgError } from "../sizes.js";
import { formatSize } from "../units.js";
import { MESSAGE_UNITS } from "./common.js";

/** A size request: a sign and an extent count (already rounded up to whole extents). */
export interface ExtentRequest {
  readonly sign: "+" | "-" | "";
  readonly extents: number;
  /** A percentage of FREE/VG/PVS: take what fits. */
  readonly approx: boolean;
}

/**
 * The size in extents an lvresize-family request asks for, from the LV's current size: `+N` and
 * `-N` are relative, a bare N absolute. lvextend refuses a negative request (`_lvresize_check`).
 */
export function resizeTargetExtents(
  request: { readonly sign: string; readonly extents: number },
  currentExtents: number,
  mode: "extend" | "reduce" | "resize",
): number {
  if (mode === "extend" && request.sign === "-")
    throw new LvmCommandError("Negative argument not permitted - use lvreduce", 3);
  if (request.sign === "+") return currentExtents + request.extents;
  if (request.sign === "-") return currentExtents - request.extents;
  return request.extents;
}

/** Reads `-L`/`-l` from `args`; `pvs` restricts `%PVS`. Prints "Rounding up size …" like LVM2. */
export function extentRequest(
  context: CommandContext,
  args: ParsedArgs,
  options: {
    readonly vg: VolumeGroup;
    readonly pvs?: readonly PvSelection[];
    /** lvresize wording and rules; lvcreate refuses negative sizes. */
    readonly resize?: boolean;
  },
): ExtentRequest | undefined {
  const { vg } = options;
  const sizeText = optionValue(args, "size");
  const extentsText = optionValue(args, "extents");
  if (sizeText !== undefined && extentsText !== undefined) {
    throw new LvmCommandError("Please specify either size or extents (not both).", 3);
  }
  if (sizeText !== undefined) {
    const size = sizeArg(sizeText, { long: "size" });
    if (size.sign === "-" && !options.resize) {
      throw new SizeArgError(`Size may not be negative.\n  Invalid argument for --size: ${sizeText}`);
    }
    if (size.sectors === 0 && size.sign === "") throw new LvmCommandError("--size may not be zero.", 3);
    // A reduction rounds down to an extent boundary, anything else up to a whole extent.
    const down = size.sign === "-";
    const extents = (down ? Math.floor : Math.ceil)(size.sectors / vg.extentSizeSectors);
    if (extents * vg.extentSizeSectors !== size.sectors) {
      const shown = formatSize(extents * vg.extentSizeSectors, MESSAGE_UNITS, "short");
      // lvcreate and lvresize word it differently (`lv_manip.c` vs `metadata.c`).
      context.out.message(
        options.resize
          ? `Rounding size to boundary between physical extents: ${shown}.`
          : `Rounding up size to full physical extent ${shown}`,
      );
    }
    return { sign: size.sign, extents, approx: false };
  }
  if (extentsText !== undefined) {
    let parsed: ReturnType<typeof parseExtents>;
    try {
      parsed = parseExtents(extentsText);
    } catch (error) {
      if (error instanceof SizeArgError) {
        const more = error.message.includes("Invalid argument")
          ? ""
          : `\n  Invalid argument for --extents: ${extentsText}`;
        throw new SizeArgError(`${error.message}${more}`);
      }
      throw error;
    }
    if (parsed.count === 0 && parsed.sign === "") throw new LvmCommandError("--extents may not be zero.", 3);
    if (parsed.percentOf === undefined) return { sign: parsed.sign, extents: parsed.count, approx: false };
    let base: number;
    switch (parsed.percentOf) {
      case "VG":
        base = vg.pvs.reduce((s, pv) => s + pv.peCount, 0);
        break;
      case "FREE":
        base = vgFreeExtents(vg);
        break;
      case "PVS":
        base = (options.pvs ?? vg.pvs.map((pv) => ({ pv: pv.name }))).reduce(
          (s, sel) => s + pvFreeExtents(vg, sel.pv),
          0,
        );
        break;
      default:
        throw new LvmCommandError("Specified %ORIGIN is only valid for snapshots.", 3);
    }
    return { sign: parsed.sign, extents: Math.floor((base * parsed.count) / 100), approx: true };
  }
  return undefined;
}

/** Parses a size option value, adding LVM2's "Invalid argument for --NAME: VALUE" on failure. */
export function sizeArg(
  text: string,
  options: { readonly long: string; readonly defaultUnitSectors?: number },
): SizeArg {
  const { long, defaultUnitSectors = 2048 } = options;
  try {
    return parseSize(text, defaultUnitSectors);
  } catch (error) {
    if (error instanceof SizeArgError)
      throw new SizeArgError(`${error.message}\n  Invalid argument for --${long}: ${text}`);
    throw error;
  }
}
