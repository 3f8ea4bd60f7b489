/**
 * Parsing of sizes, rates and durations written by people ("100MiB", "200us"). Prefixes are
 * explicit: IEC (KiB, MiB …) are powers of two, SI (kB, MB …) powers of ten, and a bare "M" is
 * refused, because fio and datasheets disagree on what it means.
 */

const BYTE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
};

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
};

const NUMBER_WITH_UNIT = /^([0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)\s*([A-Za-zµ]*)$/;

function split(text: string, what: string): { value: number; unit: string } {
  const match = NUMBER_WITH_UNIT.exec(text.trim());
  if (match === null) throw new RangeError(`Cannot parse ${what} "${text}": expected a number and a unit`);
  return { value: Number(match[1]), unit: match[2] ?? "" };
}

/** Bytes in a size such as "4KiB", "1.5GB" or "512B"; a bare number counts bytes. */
export function parseBytes(text: string): number {
  const { value, unit } = split(text, "size");
  const scale = unit === "" ? 1 : BYTE_UNITS[unit];
  if (scale === undefined) {
    throw new RangeError(
      `Cannot parse size "${text}": unknown unit "${unit}"; use B, KiB, MiB, GiB, TiB (powers of 2) or kB, MB, GB, TB (powers of 10)`,
    );
  }
  return value * scale;
}

/** Bytes per second in a rate such as "100MiB", "100MiB/s" or "3.3GB/s". */
export function parseBytesPerSec(text: string): number {
  return parseBytes(text.trim().replace(/\/s$/, ""));
}

/** Nanoseconds in a duration such as "200us", "8.5ms" or "1s"; the unit is required. */
export function parseDurationNs(text: string): number {
  const { value, unit } = split(text, "duration");
  const scale = DURATION_UNITS[unit];
  if (scale === undefined) {
    throw new RangeError(
      `Cannot parse duration "${text}": ${unit === "" ? "missing unit" : `unknown unit "${unit}"`}; use ns, us, ms or s`,
    );
  }
  return value * scale;
}
