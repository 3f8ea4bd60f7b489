/**
 * The syntax tree of LVM2's config language (libdm-config), the language of text metadata,
 * backup files and lvm.conf. The parser in `config-parse.ts` produces it and the printers in
 * `config-print.ts` write it; `engine/metadata` maps it to and from the VG model.
 */

/** An integer (LVM2 stores them as int64; we keep numbers, exact below 2^53). */
export interface ConfigInt {
  readonly kind: "int";
  readonly value: number;
}

/** A floating-point number (rare in metadata, kept so that parse/print round-trips). */
export interface ConfigFloat {
  readonly kind: "float";
  readonly value: number;
  /** The text as written, so printing does not change its digits. */
  readonly text: string;
}

/** A string; LVM2 always prints strings double-quoted. */
export interface ConfigString {
  readonly kind: "string";
  readonly value: string;
}

/** A scalar value. */
export type ConfigScalar = ConfigInt | ConfigFloat | ConfigString;

/** An array of scalars, `[ "pv0", 0, "pv1", 4 ]`. */
export interface ConfigArray {
  readonly kind: "array";
  readonly items: readonly ConfigScalar[];
}

/** Any value on the right of `=`. */
export type ConfigValue = ConfigScalar | ConfigArray;

/** Where a node came from, for error messages (1-based). */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** `key = value`. */
export interface ConfigAssignment {
  readonly kind: "assign";
  readonly key: string;
  readonly value: ConfigValue;
  readonly at?: SourcePosition;
  /** LVM2 separates groups of lines with blank lines; kept so that print(parse(x)) == x. */
  readonly blankLineBefore?: boolean;
  /** A trailing `# comment` (backup files carry them, e.g. `# Hint only`), without the `#`. */
  readonly comment?: string;
}

/** `key { … }`. */
export interface ConfigSection {
  readonly kind: "section";
  readonly key: string;
  readonly items: readonly ConfigNode[];
  readonly at?: SourcePosition;
  /** A blank line precedes the section (see {@link ConfigAssignment.blankLineBefore}). */
  readonly blankLineBefore?: boolean;
}

/** A node of the tree. */
export type ConfigNode = ConfigAssignment | ConfigSection;

/** A whole file: the top-level items in order. */
export interface ConfigFile {
  readonly items: readonly ConfigNode[];
}

/** Shorthand constructors, so that builders read like the text they produce. */
export const cfg = {
  int: (value: number): ConfigInt => ({ kind: "int", value }),
  str: (value: string): ConfigString => ({ kind: "string", value }),
  arr: (...items: (string | number)[]): ConfigArray => ({
    kind: "array",
    items: items.map((v) => (typeof v === "number" ? cfg.int(v) : cfg.str(v))),
  }),
  set: (key: string, value: ConfigValue | string | number): ConfigAssignment => ({
    kind: "assign",
    key,
    value: typeof value === "number" ? cfg.int(value) : typeof value === "string" ? cfg.str(value) : value,
  }),
  section: (key: string, items: readonly ConfigNode[]): ConfigSection => ({ kind: "section", key, items }),
};
