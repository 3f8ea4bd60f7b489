/** Escaping for every text that reaches HTML, SVG, XML or Markdown output; records are untrusted. */

// XML 1.0 forbids most C0 controls even when escaped; drop them rather than emit an unreadable file.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Escapes text for HTML/SVG/XML element content and quoted attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(XML_INVALID, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Escapes text for HTML; the same rules as XML, named for readability at call sites. */
export const escapeHtml = escapeXml;

/**
 * Escapes text for a GFM table cell: pipes and backslashes are escaped, newlines become spaces,
 * and `<`/`>`/`&` become entities so a record cannot inject HTML into a rendered article.
 */
export function escapeMarkdownCell(text: string): string {
  return stripControl(text.replace(/\r?\n/g, " "))
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/\r?\n/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/`/g, "\\`");
}

/**
 * Wraps text in a Markdown code span that cannot be closed early by backticks inside it; in a
 * table cell pipes are escaped too, because GFM splits cells before it parses code spans.
 */
export function markdownCode(text: string, options: { inTable?: boolean } = {}): string {
  const oneLine = stripControl(text.replace(/\r?\n/g, " "));
  const flat = options.inTable ? oneLine.replace(/\|/g, "\\|") : oneLine;
  let fence = "`";
  while (flat.includes(fence)) fence += "`";
  const pad = flat.startsWith("`") || flat.endsWith("`") ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const TERMINAL_CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/** Replaces control characters (ANSI escapes, carriage returns) so record text cannot drive a terminal. */
export function stripControl(text: string): string {
  return text.replace(TERMINAL_CONTROL, "\uFFFD");
}

/** Copies plain data with stripControl applied to every string inside it (depth-limited). */
export function stripControlDeep<T>(value: T, depth = 0): T {
  if (depth > 32) throw new RangeError("Report data nests deeper than 32 levels; records are malformed");
  if (typeof value === "string") return stripControl(value) as T;
  if (Array.isArray(value)) return value.map((item) => stripControlDeep(item, depth + 1)) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = stripControlDeep(item, depth + 1);
    return out as T;
  }
  return value;
}
