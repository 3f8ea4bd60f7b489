/**
 * Size and extent arguments as LVM2 reads them (`tools/lvmcmdline.c` `_size_arg`): a number with
 * an optional sign and unit suffix from `bskmgtpe` (case-insensitive, all binary multiples on
 * input), a bare number multiplied by the option's default unit, or for extents a percentage of
 * VG, FREE, PVS or ORIGIN.
 */

/** A parsed `-L`/`--size` style value, in 512-byte sectors. */
export interface SizeArg {
  readonly sign: "+" | "-" | "";
  readonly sectors: number;
}

/** A parsed `-l`/`--extents` value: a count or a percentage of something. */
export interface ExtentsArg {
  readonly sign: "+" | "-" | "";
  readonly count: number;
  readonly percentOf?: "VG" | "FREE" | "PVS" | "ORIGIN";
}

/** A size or extents value LVM2 would refuse; the message is LVM2's. */
export class SizeArgError extends Error {
  override readonly name = "SizeArgError";
}

// Powers of 1024 above KiB: one KiB is two sectors.
const UNIT_POWER: Readonly<Record<string, number>> = { k: 0, m: 1, g: 2, t: 3, p: 4, e: 5 };

function splitSign(text: string): { sign: "+" | "-" | ""; rest: string } {
  const first = text[0];
  const sign = first === "+" || first === "-" ? first : "";
  const rest = sign === "" ? text : text.slice(1);
  if (rest[0] === "+" || rest[0] === "-") throw new SizeArgError("Multiple sign symbols detected.");
  return { sign, rest };
}

/**
 * Parses a size; `defaultUnitSectors` is what a bare number means (2048 = MiB for `-L`,
 * 2 = KiB for `-I`/`-c`).
 */
export function parseSize(text: string, defaultUnitSectors: number): SizeArg {
  const { sign, rest } = splitSign(text);
  const match = /^(\d+(?:\.\d*)?|\.\d+)([a-zA-Z]?)$/.exec(rest);
  if (!match) {
    if (!/^[\d.]/.test(rest)) throw new SizeArgError("Size requires number argument.");
    throw new SizeArgError("Can't parse size argument.");
  }
  let value = Number(match[1]);
  const unit = (match[2] ?? "").toLowerCase();
  if (unit === "") {
    value *= defaultUnitSectors;
  } else if (unit === "s") {
    // Already sectors.
  } else if (unit === "b") {
    if (value % 512 !== 0) {
      const up = value + (512 - (value % 512));
      throw new SizeArgError(`Size is not a multiple of 512. Try using ${up - 512} or ${up}.`);
    }
    value /= 512;
  } else {
    const power = UNIT_POWER[unit];
    if (power === undefined) throw new SizeArgError("Can't parse size argument.");
    value *= 1024 ** power * 2;
  }
  if (value >= 2 ** 55) throw new SizeArgError("Size is too big (>=16EiB).");
  return { sign, sectors: Math.floor(value) };
}

/** Parses `-l` values: `10`, `+5`, `100%FREE`, `50%VG`. */
export function parseExtents(text: string): ExtentsArg {
  const { sign, rest } = splitSign(text);
  const match = /^(\d+)(?:%(VG|FREE|PVS|ORIGIN))?$/i.exec(rest);
  if (!match) {
    if (/%/.test(rest)) throw new SizeArgError(`Specified %type is unknown.`);
    throw new SizeArgError(`Invalid argument for --extents: ${text}`);
  }
  const count = Number(match[1]);
  const percent = match[2]?.toUpperCase() as ExtentsArg["percentOf"];
  if (percent !== undefined) {
    if (count > 100 && percent !== "ORIGIN") throw new SizeArgError("Percentage is too big.");
    return { sign, count, percentOf: percent };
  }
  return { sign, count };
}
