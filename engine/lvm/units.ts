/**
 * Sizes as LVM2 prints them (`dm_size_to_string`, libdm-string.c, with `si_unit_consistency = 1`):
 * `--units` h/H/r/R pick a power of 1024 (lower case) or 1000 (upper case) per value, `r`/`R` add
 * a `<` when two decimals round the value, b/B and s/S print whole numbers, k m g t p e (1024) and
 * K M G T P E (1000) a fixed unit with two decimals. Reports use the one-letter suffix, displays
 * the long form (" MiB").
 */
import { SizeArgError } from "./sizes.js";

/** A parsed `--units` value. */
export interface Units {
  /** The unit letter as given: h H r R b B s S k m g t p e K M G T P E. */
  readonly type: string;
  /** Bytes per unit for fixed units; 0 for the human-readable ones. */
  readonly factorBytes: number;
  /** Print the unit suffix (false with `--nosuffix`; human-readable units always print it). */
  readonly suffix: boolean;
}

/** LVM2's default (`global/units = "r"`). */
export const DEFAULT_UNITS: Units = { type: "r", factorBytes: 0, suffix: true };

const KIB = 1024;
const FACTORS: Readonly<Record<string, number>> = {
  b: 1,
  B: 1,
  s: 512,
  S: 512,
  k: KIB,
  m: KIB ** 2,
  g: KIB ** 3,
  t: KIB ** 4,
  p: KIB ** 5,
  e: KIB ** 6,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** Parses `--units` (one letter, as LVM2 accepts it in strict mode) and `--nosuffix`. */
export function parseUnits(text: string, options: { readonly nosuffix?: boolean } = {}): Units {
  if (!/^[hHrRbBsSkmgtpeKMGTPE]$/.test(text)) {
    throw new SizeArgError(`Invalid units specification: ${text}; use one of hHrRbBsSkmgtpeKMGTPE`);
  }
  const human = /^[hHrR]$/.test(text);
  return { type: text, factorBytes: human ? 0 : (FACTORS[text] ?? 0), suffix: human || !options.nosuffix };
}

/** Suffix style: reports use "unit" (`m`), displays "short" (` MiB`). */
export type SuffixStyle = "unit" | "short";

// [short, unit] per power (index 0 = E … 5 = K, 6 = bytes), for 1024 and 1000 bases.
const BINARY: readonly (readonly [string, string])[] = [
  [" EiB", "e"],
  [" PiB", "p"],
  [" TiB", "t"],
  [" GiB", "g"],
  [" MiB", "m"],
  [" KiB", "k"],
  [" B", "b"],
];
const DECIMAL: readonly (readonly [string, string])[] = [
  [" EB", "E"],
  [" PB", "P"],
  [" TB", "T"],
  [" GB", "G"],
  [" MB", "M"],
  [" kB", "K"],
  [" B ", "B"],
];
const SPECIAL: Readonly<Record<string, readonly [string, string]>> = {
  B: [" B ", "B"],
  S: [" Se", "S"],
};

/** Formats `sizeSectors` (512-byte sectors) like LVM2's reports and displays. */
export function formatSize(sizeSectors: number, units: Units, style: SuffixStyle = "unit"): string {
  if (!Number.isFinite(sizeSectors) || sizeSectors < 0) {
    throw new RangeError(`Cannot format size ${sizeSectors} sectors; expected a finite number >= 0`);
  }
  const pick = style === "short" ? 0 : 1;
  const type = units.type;
  let suffix: string;
  let divisor: number;
  let prefix = "";
  if (units.factorBytes > 0) {
    const upper = type.toUpperCase();
    const special = type === "b" || type === "B" || type === "s" || type === "S";
    const entry = special
      ? SPECIAL[upper]!
      : type === upper
        ? DECIMAL["EPTGMK".indexOf(type)]!
        : BINARY["eptgmk".indexOf(type)]!;
    if (sizeSectors === 0) return `0${units.suffix ? entry[pick] : ""}`;
    suffix = entry[pick];
    divisor = units.factorBytes;
  } else {
    if (sizeSectors === 0) return `0${style === "short" ? "   " : " "}`;
    const base = type === "H" || type === "R" ? 1000 : 1024;
    const table = base === 1000 ? DECIMAL : BINARY;
    const bytes = sizeSectors * 512;
    let byte = base ** 6;
    let s = 0;
    for (; s < 6 && bytes < byte; s++) byte /= base;
    if (s < 6 && (type === "r" || type === "R")) {
      const d = (100 * bytes) / byte;
      if (Math.floor(d) !== roundHalfEven(d)) prefix = "<";
    }
    suffix = table[s]![pick];
    divisor = byte;
    const precision = s === 6 ? 0 : 2;
    return `${prefix}${(bytes / divisor).toFixed(precision)}${suffix}`;
  }
  const precision = /^[bBsS]$/.test(type) ? 0 : 2;
  return `${prefix}${((sizeSectors * 512) / divisor).toFixed(precision)}${units.suffix ? suffix : ""}`;
}

// C's nearbyintl in the default rounding mode: ties go to the even neighbour.
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
