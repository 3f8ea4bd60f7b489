/**
 * Printers for LVM2's config language, matching `export.c`: the raw form written into metadata
 * areas (no indentation, no size comments) and the backup-file form of `/etc/lvm/backup` (TAB
 * indentation capped at 5, trailing comments aligned as `_out_with_comment_file` does).
 * Blank lines and comment lines come from the tree, so `print(parse(text)) === text` for text in
 * LVM2's layout. Array layout follows the key, as LVM2 decides it: segment areas (`stripes`,
 * `mirrors`, `raids`, `raid0_lvs`) one area per line, `pr` padded, everything else on one line.
 */
import { type Mutations, NO_MUTATIONS } from "../sim/mutations.js";
import type {
  ConfigArray,
  ConfigFile,
  ConfigNode,
  ConfigScalar,
  ConfigSection,
  ConfigValue,
} from "./config-tree.js";

/** Which of LVM2's two text layouts to print. */
export type ConfigPrintStyle = "raw" | "file";

/** Mutation: print strings without escaping `"` and `\\` (a printer bug the round-trip property catches). */
export const MUTATION_PRINT_NO_ESCAPE = "format.print.no-escape";

/** Options for {@link printConfig}. */
export interface PrintConfigOptions {
  /** "raw" (metadata area, default) or "file" (backup/archive files). */
  readonly style?: ConfigPrintStyle;
  /** Deliberate bugs to build in; empty in normal runs. */
  readonly mutations?: Mutations;
}

/** Arrays printed by `out_areas`: one area per line. */
export const AREA_ARRAY_KEYS: ReadonlySet<string> = new Set(["stripes", "mirrors", "raids", "raid0_lvs"]);

const MAX_INDENT = 5;
const COMMENT_TAB = 6;
const MAX_PRINT_DEPTH = 64;

/** Escapes `"` and `\` as `dm_escape_double_quotes` does. */
function escapeDoubleQuotes(value: string): string {
  // Most strings need no escape; a scan is far cheaper than a replace with a callback.
  if (!value.includes('"') && !value.includes("\\")) return value;
  return value.replace(/["\\]/g, (c) => `\\${c}`);
}

type Escape = (value: string) => string;

function printScalar(value: ConfigScalar, quote: Escape): string {
  switch (value.kind) {
    case "int":
      if (!Number.isSafeInteger(value.value))
        throw new RangeError(`Cannot print integer ${value.value}: not a safe integer`);
      return String(value.value);
    case "float":
      return value.text;
    case "string":
      return `"${quote(value.value)}"`;
  }
}

// Printed keys by key: a VG's text repeats a few dozen keys many times over. Bounded, since a
// parsed tree may bring any keys.
const printedKeys = new Map<string, string>();
const PRINTED_KEYS_MAX = 4096;

// A bare key must read back as the same key: no delimiter, no quote or value-start character.
function printKey(key: string): string {
  const known = printedKeys.get(key);
  if (known !== undefined) return known;
  const printed = /^[^\s#={}"'[\],][^\s#={}]*$/.test(key) ? key : `"${escapeDoubleQuotes(key)}"`;
  if (printedKeys.size < PRINTED_KEYS_MAX) printedKeys.set(key, printed);
  return printed;
}

/** Groups area items into lines: `"pv0", 0` pairs, `"x_rmeta_0", "x_rimage_0"` pairs, or singles. */
function areaLines(array: ConfigArray, quote: Escape): string[][] {
  const lines: string[][] = [];
  const items = array.items;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const next = items[i + 1];
    const pairs =
      item.kind === "string" &&
      next !== undefined &&
      (next.kind === "int" || (next.kind === "string" && item.value.includes("_rmeta_")));
    if (pairs) {
      lines.push([printScalar(item, quote), printScalar(next, quote)]);
      i++;
    } else {
      lines.push([printScalar(item, quote)]);
    }
  }
  return lines;
}

/** The depths of the sections whose raw text is remembered: a VG's PVs and LVs, and LV segments. */
const REMEMBERED_SECTION_DEPTH_MIN = 2;
const REMEMBERED_SECTION_DEPTH_MAX = 3;

// Raw text of sections at those depths, by section (trees are immutable). Export hands out the
// same section for a PV, LV or segment it exported before, so a VG written again and again prints
// only what changed. The raw layout has no indentation, so the text does not depend on where the
// section is printed; sections printed with a mutation are never remembered.
// (The depth is kept so that a section met deeper is printed again and meets the depth limit.)
const rememberedRawText = new WeakMap<ConfigSection, { readonly depth: number; readonly text: string }>();

class Printer {
  readonly #style: ConfigPrintStyle;
  readonly #out: string[] = [];

  readonly #escape: Escape;
  readonly #remember: boolean;

  constructor(style: ConfigPrintStyle, mutations: Mutations) {
    this.#style = style;
    const noEscape = mutations.has(MUTATION_PRINT_NO_ESCAPE);
    this.#escape = noEscape ? (value) => value : escapeDoubleQuotes;
    this.#remember = style === "raw" && !noEscape;
  }

  #indent(depth: number): string {
    return this.#style === "file" ? "\t".repeat(Math.min(depth, MAX_INDENT)) : "";
  }

  #line(depth: number, text: string, comment?: string): void {
    const indent = this.#indent(depth);
    if (comment === undefined) {
      this.#out.push(`${indent}${text}\n`);
      return;
    }
    this.#out.push(`${indent}${text}${this.#commentGap(depth, text)}#${comment}\n`);
  }

  // _out_with_comment_file lines comments up in 8-column tab stops; top-level comments (the
  // header block) are part of the format string with a single TAB, in both layouts.
  #commentGap(depth: number, text: string): string {
    if (this.#style === "raw" || depth === 0) return "\t";
    let i = Math.floor((text.length + 8 * Math.min(depth, MAX_INDENT)) / 8) + 1;
    let gap = "";
    do gap += "\t";
    while (++i < COMMENT_TAB);
    return gap;
  }

  #lines(depth: number, lines: readonly string[] | undefined): void {
    for (const line of lines ?? []) {
      if (line !== "" && !line.startsWith("#")) {
        throw new RangeError(
          `Cannot print comment line ${JSON.stringify(line)}: it must be "" or start with '#'`,
        );
      }
      if (line.includes("\n"))
        throw new RangeError(`Cannot print comment line ${JSON.stringify(line)}: it spans lines`);
      this.#out.push(line === "" ? "\n" : `${this.#indent(depth)}${line}\n`);
    }
  }

  nodes(nodes: readonly ConfigNode[], depth: number): void {
    if (depth > MAX_PRINT_DEPTH)
      throw new RangeError(`Config tree nests deeper than ${MAX_PRINT_DEPTH} levels`);
    for (const node of nodes) {
      if (
        node.kind === "section" &&
        this.#remember &&
        depth >= REMEMBERED_SECTION_DEPTH_MIN &&
        depth <= REMEMBERED_SECTION_DEPTH_MAX
      ) {
        const known = rememberedRawText.get(node);
        if (known !== undefined && known.depth >= depth) {
          this.#out.push(known.text);
          continue;
        }
        const start = this.#out.length;
        this.#node(node, depth);
        const text = this.#out.splice(start).join("");
        this.#out.push(text);
        rememberedRawText.set(node, { depth, text });
        continue;
      }
      this.#node(node, depth);
    }
  }

  #node(node: ConfigNode, depth: number): void {
    this.#lines(depth, node.commentsBefore);
    if (node.blankLineBefore) this.#out.push("\n");
    if (node.kind === "section") {
      this.#line(depth, `${printKey(node.key)} {`);
      this.nodes(node.items, depth + 1);
      this.#lines(depth + 1, node.linesAtEnd);
      this.#line(depth, "}");
    } else {
      this.#assignment(depth, node.key, node.value, node.comment);
    }
  }

  #assignment(depth: number, key: string, value: ConfigValue, comment: string | undefined): void {
    if (comment?.includes("\n")) throw new RangeError(`Cannot print comment on '${key}': it spans lines`);
    const head = `${printKey(key)} = `;
    if (value.kind !== "array") {
      this.#line(depth, head + printScalar(value, this.#escape), comment);
      return;
    }
    if (AREA_ARRAY_KEYS.has(key)) {
      this.#line(depth, `${head}[`);
      const lines = areaLines(value, this.#escape);
      lines.forEach((items, index) => {
        this.#line(depth + 1, items.join(", ") + (index === lines.length - 1 ? "" : ","));
      });
      this.#line(depth, "]", comment);
      return;
    }
    const inner = value.items.map((item) => printScalar(item, this.#escape)).join(", ");
    const text = key === "pr" && inner !== "" ? `[ ${inner} ]` : `[${inner}]`;
    this.#line(depth, head + text, comment);
  }

  linesAtEnd(lines: readonly string[] | undefined): void {
    this.#lines(0, lines);
  }

  result(): string {
    return this.#out.join("");
  }
}

/** Prints a config tree in LVM2's raw (metadata area) or file (backup) layout. */
export function printConfig(file: ConfigFile, options: PrintConfigOptions = {}): string {
  const printer = new Printer(options.style ?? "raw", options.mutations ?? NO_MUTATIONS);
  printer.nodes(file.items, 0);
  printer.linesAtEnd(file.linesAtEnd);
  return printer.result();
}
