/**
 * fio's number syntax: sizes with unit suffixes interpreted under `kb_base`, times with unit
 * suffixes, percentages, and `lo-hi` ranges. Kept apart from the job schema so the INI reader, the
 * schema and the printer agree on one reading of "4k".
 */

/** How unit prefixes are read: 1024 (fio's default, "4k" = 4096) or 1000 (SI/IEC as written). */
export type KbBase = 1000 | 1024;

const POWERS: Readonly<Record<string, number>> = { "": 0, k: 1, m: 2, g: 3, t: 4, p: 5 };
const SIZE_PATTERN = /^(0x[0-9a-f]+|\d+(?:\.\d+)?)\s*([kmgtp]?)(i?)(b?)$/i;
const TIME_PATTERN = /^(\d+(?:\.\d+)?)\s*(d|h|m|s|sec|ms|msec|us|usec|ns|nsec)?$/i;
const NS_PER_UNIT: Readonly<Record<string, number>> = {
  d: 86_400e9,
  h: 3_600e9,
  m: 60e9,
  s: 1e9,
  sec: 1e9,
  ms: 1e6,
  msec: 1e6,
  us: 1e3,
  usec: 1e3,
  ns: 1,
  nsec: 1,
};

/**
 * Parse a fio size ("4k", "1MiB", "0x1000", "512") into bytes. Under kb_base=1024, plain prefixes
 * are powers of two and `Ki` prefixes powers of ten (fio's compatibility mode); under 1000 the
 * reverse, as the standards say. Returns undefined when the text is not a size.
 */
export function parseSizeBytes(text: string, options: { kbBase?: KbBase } = {}): number | undefined {
  const match = SIZE_PATTERN.exec(text.trim());
  if (match === null) return undefined;
  const [, digits = "", prefix = "", iec = ""] = match;
  const base = digits.toLowerCase().startsWith("0x") ? Number.parseInt(digits, 16) : Number(digits);
  const power = POWERS[prefix.toLowerCase()];
  if (power === undefined || !Number.isFinite(base)) return undefined;
  if (iec !== "" && prefix === "") return undefined;
  const kbBase = options.kbBase ?? 1024;
  const binary = kbBase === 1024 ? iec === "" : iec !== "";
  const bytes = base * (binary ? 1024 : 1000) ** power;
  if (!Number.isSafeInteger(bytes)) return undefined;
  return bytes;
}

/** Parse a fio time ("10", "500ms", "2m") into nanoseconds; bare numbers are `defaultUnit`. */
export function parseTimeNs(
  text: string,
  options: { defaultUnit?: "s" | "ms" | "us" } = {},
): number | undefined {
  const match = TIME_PATTERN.exec(text.trim());
  if (match === null) return undefined;
  const [, digits = "", unit] = match;
  const perUnit = NS_PER_UNIT[(unit ?? options.defaultUnit ?? "s").toLowerCase()];
  if (perUnit === undefined) return undefined;
  const ns = Math.round(Number(digits) * perUnit);
  return Number.isSafeInteger(ns) ? ns : undefined;
}

/** Print bytes the way a fio job file would say them: the largest exact binary unit ("64k", "1m"). */
export function formatSizeForJob(bytes: number): string {
  const units = ["", "k", "m", "g", "t", "p"];
  let value = bytes;
  let index = 0;
  while (index < units.length - 1 && value !== 0 && value % 1024 === 0) {
    value /= 1024;
    index += 1;
  }
  return `${value}${units[index]}`;
}

/** Print nanoseconds as a fio time with the largest exact unit ("30s", "250ms", "10us"). */
export function formatTimeForJob(ns: number): string {
  if (ns % 1e9 === 0) return `${ns / 1e9}s`;
  if (ns % 1e6 === 0) return `${ns / 1e6}ms`;
  if (ns % 1e3 === 0) return `${ns / 1e3}us`;
  return `${ns}ns`;
}
