/** A tiny builder for SVG/HTML markup that escapes every attribute value and text node. */
import { escapeXml } from "../escape.js";

/** Attribute values; undefined and false drop the attribute, true writes it bare-valued as "". */
export type Attrs = Readonly<Record<string, string | number | boolean | undefined>>;

/** Formats a coordinate with at most two decimals and no trailing zeros, so output is byte-stable. */
export function num(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`Cannot draw the non-finite coordinate ${value}`);
  const fixed = value.toFixed(2);
  const text = fixed.includes(".") ? fixed.replace(/0+$/, "").replace(/\.$/, "") : fixed;
  return text === "-0" ? "0" : text;
}

function attrText(attrs: Attrs): string {
  let out = "";
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    const text = value === true ? "" : typeof value === "number" ? num(value) : value;
    out += ` ${name}="${escapeXml(text)}"`;
  }
  return out;
}

/** Markup that is already escaped; only produced by `el` and `text`. */
export interface Markup {
  readonly html: string;
}

/** Escaped text content. */
export function text(value: string): Markup {
  return { html: escapeXml(value) };
}

// Only SVG shapes self-close: in HTML, `<p/>` or `<td/>` would open an element that never ends.
const SELF_CLOSING: ReadonlySet<string> = new Set(["rect", "line", "circle", "path", "polyline", "polygon"]);

/** An element with escaped attributes and children (children are Markup, never raw strings). */
export function el(name: string, attrs: Attrs = {}, children: readonly Markup[] = []): Markup {
  if (!/^[a-zA-Z][a-zA-Z0-9-]*$/.test(name)) throw new Error(`Invalid element name "${name}"`);
  if (children.length === 0 && SELF_CLOSING.has(name)) {
    return { html: `<${name}${attrText(attrs)}/>` };
  }
  return { html: `<${name}${attrText(attrs)}>${children.map((c) => c.html).join("")}</${name}>` };
}

/** Joins markup fragments, one per line, for readable output. */
export function lines(children: readonly Markup[]): Markup {
  return { html: children.map((c) => c.html).join("\n") };
}
