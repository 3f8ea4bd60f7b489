/** Parses scenario sizes like `64MiB`, `1GiB`, `512k` (binary multiples) into bytes. */
export function parseSizeText(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB|k|m|g|t|K|M|G|T)?$/.exec(text.trim());
  if (!match) throw new RangeError(`Bad size "${text}"; write e.g. 64MiB or 1GiB`);
  const unit = (match[2] ?? "B").toLowerCase()[0]!;
  const power = { b: 0, k: 1, m: 2, g: 3, t: 4 }[unit] ?? 0;
  const bytes = Math.round(Number(match[1]) * 1024 ** power);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new RangeError(`Bad size "${text}": out of range`);
  return bytes;
}
