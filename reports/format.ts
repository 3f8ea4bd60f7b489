/** Number formatting shared by the renderers: fixed significant figures, SI suffixes, no locale. */

/** Significant figures for values in tables (fio prints 4; 3 reads better in narrow columns). */
const SIGNIFICANT_FIGURES = 3;

function trimmed(value: number, digits: number): string {
  if (value === 0) return "0";
  const text = value.toPrecision(digits);
  // toPrecision switches to exponent form for large values; tables want plain digits.
  return text.includes("e") ? String(Math.round(value)) : text;
}

/** A value with `digits` significant figures and a k/M/G suffix, e.g. 12345 → "12.3k". */
export function formatCount(value: number, digits = SIGNIFICANT_FIGURES): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 1e9) return `${trimmed(value / 1e9, digits)}G`;
  if (magnitude >= 1e6) return `${trimmed(value / 1e6, digits)}M`;
  if (magnitude >= 1e4) return `${trimmed(value / 1e3, digits)}k`;
  if (Number.isInteger(value)) return String(value);
  return trimmed(value, digits);
}

/** A duration in nanoseconds with a readable unit, e.g. 1234567 → "1.23 ms". */
export function formatNs(ns: number, digits = SIGNIFICANT_FIGURES): string {
  if (!Number.isFinite(ns)) return String(ns);
  const magnitude = Math.abs(ns);
  if (magnitude >= 1e9) return `${trimmed(ns / 1e9, digits)} s`;
  if (magnitude >= 1e6) return `${trimmed(ns / 1e6, digits)} ms`;
  if (magnitude >= 1e3) return `${trimmed(ns / 1e3, digits)} µs`;
  return `${trimmed(ns, digits)} ns`;
}

/** A signed percentage change from a ratio, e.g. 0.8 → "-20.0%", 1.0 → "+0.0%". */
export function formatChange(ratio: number): string {
  if (!Number.isFinite(ratio)) return ratio > 0 ? "+∞%" : "n/a";
  const percent = (ratio - 1) * 100;
  const rounded = Math.abs(percent) < 0.05 ? 0 : percent;
  return `${rounded >= 0 ? "+" : ""}${rounded.toFixed(1)}%`;
}

/** A ratio as a multiplier, e.g. 0.5 → "0.50×". */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return "n/a";
  return `${ratio.toFixed(2)}×`;
}

/** A ratio as a percentage of its baseline, e.g. 0.5 → "50%". */
export function formatPercentOf(ratio: number): string {
  if (!Number.isFinite(ratio)) return "n/a";
  return `${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)}%`;
}

/** A metric value in its unit, as tables print it. */
export function formatMetric(value: number, unit: string): string {
  switch (unit) {
    case "ns":
      return formatNs(value);
    case "ns/op":
      return `${formatNs(value)}/op`;
    case "×":
      return `${trimmed(value, SIGNIFICANT_FIGURES)}×`;
    case "MB/s":
      return `${formatCount(value)} MB/s`;
    default:
      return formatCount(value);
  }
}

/** Relative half-width of a CI around its mean, e.g. "±1.2%" (tinybench's rme). */
export function formatSpread(meanValue: number, low: number, high: number): string {
  if (meanValue === 0 || !Number.isFinite(meanValue)) return "±0.0%";
  const halfWidth = Math.max(high - meanValue, meanValue - low);
  return `±${((halfWidth / Math.abs(meanValue)) * 100).toFixed(1)}%`;
}
