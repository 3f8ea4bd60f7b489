/**
 * Parser for LVM2's config language (`libdm/libdm-config.c`: `_file`, `_section`, `_value`,
 * `_type`, `_get_token`), the syntax of text metadata and backup files. It follows libdm's token
 * rules (numbers only where a value may stand, octal ints, optional commas only where libdm
 * allows them, bare words, stop at NUL) and keeps blank lines and comments so that printing the
 * tree reproduces the text. Any malformed input, whatever its bytes, raises one
 * {@link ConfigParseError}; size and nesting are bounded so hostile input cannot hang or overflow.
 */
import { ConfigParseError } from "./config-parse-error.js";
import type {
  ConfigAssignment,
  ConfigFile,
  ConfigNode,
  ConfigScalar,
  ConfigSection,
  ConfigValue,
  SourcePosition,
} from "./config-tree.js";

/** Default input limit: far above any metadata area, low enough to bound memory and time. */
const CONFIG_MAX_INPUT_BYTES = 64 * 1024 * 1024;
/** Default nesting limit; LVM2 metadata nests 5 deep. */
const CONFIG_MAX_DEPTH = 32;
/** `creation_time` LVM2 substitutes for an out-of-range value (2018-05-24). */
export const CREATION_TIME_FALLBACK = 1527120000;

/** Options for {@link parseConfig}. */
export interface ParseConfigOptions {
  /** Name used in errors, e.g. "pv0.img mda1" or "vg0.vg". */
  readonly fileName?: string;
  readonly maxInputBytes?: number;
  readonly maxDepth?: number;
  /** Receives LVM2's warnings (e.g. the repaired creation_time). */
  readonly onWarning?: (message: string) => void;
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

function isSpace(code: number): boolean {
  // C isspace(): space, \t, \n, \v, \f, \r.
  return code === 32 || (code >= 9 && code <= 13);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Ends an identifier or bare word (libdm: whitespace, '#', '=', '{', '}'). */
function endsWord(code: number): boolean {
  return isSpace(code) || code === 35 || code === 61 || code === 123 || code === 125;
}

interface Trivia {
  /** A `#` comment on the line the previous token ended on, without the `#`. */
  readonly trailing?: string;
  /** Full lines passed over: "" blank, "# …" comment. */
  readonly lines: string[];
}

class Parser {
  readonly #text: string;
  readonly #fileName: string;
  readonly #maxDepth: number;
  readonly #onWarning: ((message: string) => void) | undefined;
  #pos = 0;
  #line = 1;
  #lineStart = 0;

  constructor(text: string, options: ParseConfigOptions) {
    this.#text = text;
    this.#fileName = options.fileName ?? "<config>";
    this.#maxDepth = options.maxDepth ?? CONFIG_MAX_DEPTH;
    this.#onWarning = options.onWarning;
  }

  file(): ConfigFile {
    let pending = this.#trivia(true).lines;
    const items: ConfigNode[] = [];
    while (this.#pos < this.#text.length) {
      if (this.#text.charCodeAt(this.#pos) === 125)
        this.#fail("Unexpected '}' with no section open; remove it");
      const parsed = this.#item(pending, 0);
      items.push(parsed.node);
      pending = parsed.pendingAfter;
    }
    return pending.length > 0 ? { items, linesAtEnd: pending } : { items };
  }

  #fail(reason: string, line = this.#line, column = this.#pos - this.#lineStart + 1): never {
    throw new ConfigParseError(this.#fileName, line, column, reason);
  }

  /** Skips whitespace and comments where layout does not matter (inside a value, before '='). */
  #skip(): void {
    const text = this.#text;
    while (this.#pos < text.length) {
      const code = text.charCodeAt(this.#pos);
      if (code === 10) {
        this.#pos++;
        this.#line++;
        this.#lineStart = this.#pos;
      } else if (isSpace(code)) {
        this.#pos++;
      } else if (code === 35) {
        const end = text.indexOf("\n", this.#pos);
        this.#pos = end < 0 ? text.length : end;
      } else {
        return;
      }
    }
  }

  /** Skips whitespace and comments, recording the lines it passes. */
  #trivia(atLineStart: boolean): Trivia {
    const text = this.#text;
    let sawNewline = atLineStart;
    let trailing: string | undefined;
    let lineComment: string | undefined;
    const lines: string[] = [];
    while (this.#pos < text.length) {
      const code = text.charCodeAt(this.#pos);
      if (code === 10) {
        if (sawNewline) lines.push(lineComment ?? "");
        sawNewline = true;
        lineComment = undefined;
        this.#pos++;
        this.#line++;
        this.#lineStart = this.#pos;
      } else if (isSpace(code)) {
        this.#pos++;
      } else if (code === 35) {
        let end = text.indexOf("\n", this.#pos);
        if (end < 0) end = text.length;
        const body = text.slice(this.#pos + 1, end);
        if (sawNewline) lineComment = `#${body}`;
        else trailing = body;
        this.#pos = end;
      } else {
        break;
      }
    }
    if (lineComment !== undefined) lines.push(lineComment);
    return trailing === undefined ? { lines } : { trailing, lines };
  }

  /** key '{' item* '}' | key '=' value, then the trivia after it. */
  #item(pendingBefore: string[], depth: number): { node: ConfigNode; pendingAfter: string[] } {
    const line = this.#line;
    const column = this.#pos - this.#lineStart + 1;
    const key = this.#key();
    const blankLineBefore = pendingBefore.length > 0 && pendingBefore[pendingBefore.length - 1] === "";
    const commentsBefore = blankLineBefore ? pendingBefore.slice(0, -1) : pendingBefore;
    // Optional fields are only set when present, so trees compare equal to hand-built ones.
    const extras: { at: SourcePosition; blankLineBefore?: boolean; commentsBefore?: readonly string[] } = {
      at: { line, column },
    };
    if (blankLineBefore) extras.blankLineBefore = true;
    if (commentsBefore.length > 0) extras.commentsBefore = commentsBefore;
    this.#skip();
    const code = this.#text.charCodeAt(this.#pos);
    if (code === 123) {
      if (depth + 1 > this.#maxDepth) {
        this.#fail(
          `Sections nest deeper than ${this.#maxDepth} levels at '${key}'; the input is not LVM2 metadata`,
        );
      }
      this.#pos++;
      // libdm ignores comments after '{'; we drop them too (LVM2 never writes any).
      let pending = this.#trivia(false).lines;
      const items: ConfigNode[] = [];
      for (;;) {
        if (this.#pos >= this.#text.length) {
          this.#fail(`Unexpected end of input: section '${key}' opened at line ${line} is missing its '}'`);
        }
        if (this.#text.charCodeAt(this.#pos) === 125) break;
        const parsed = this.#item(pending, depth + 1);
        items.push(parsed.node);
        pending = parsed.pendingAfter;
      }
      this.#pos++;
      const after = this.#trivia(false);
      const section: ConfigSection = Object.assign(
        { kind: "section" as const, key, items },
        extras,
        pending.length > 0 ? { linesAtEnd: pending } : undefined,
      );
      return { node: section, pendingAfter: after.lines };
    }
    if (code !== 61) {
      this.#fail(
        this.#pos >= this.#text.length
          ? `Unexpected end of input after '${key}': expected '=' or '{'`
          : `Expected '=' or '{' after '${key}', found ${describe(this.#text, this.#pos)}`,
      );
    }
    this.#pos++;
    const value = this.#value(key);
    const after = this.#trivia(false);
    const assignment: ConfigAssignment = Object.assign(
      { kind: "assign" as const, key, value },
      extras,
      after.trailing !== undefined ? { comment: after.trailing } : undefined,
    );
    return { node: assignment, pendingAfter: after.lines };
  }

  #key(): string {
    const text = this.#text;
    const code = text.charCodeAt(this.#pos);
    let key: string;
    if (code === 34 || code === 39) {
      key = this.#quoted(code);
    } else if (code === 91 || code === 93 || code === 44 || code === 61 || code === 123) {
      this.#fail(`Expected a key, found ${describe(text, this.#pos)}`);
    } else {
      const start = this.#pos;
      while (this.#pos < text.length && !endsWord(text.charCodeAt(this.#pos))) this.#pos++;
      key = text.slice(start, this.#pos);
    }
    if (key === "") this.#fail("Empty key; every section and setting needs a name");
    return key;
  }

  /** A quoted token starting at the quote; `"…"` unescapes \" and \\, `'…'` has no escapes. */
  #quoted(quote: number): string {
    const text = this.#text;
    const line = this.#line;
    const column = this.#pos - this.#lineStart + 1;
    let end = this.#pos + 1;
    let hasEscape = false;
    while (end < text.length && text.charCodeAt(end) !== quote) {
      if (quote === 34 && text.charCodeAt(end) === 92 && end + 1 < text.length) {
        hasEscape = true;
        end++;
      }
      end++;
    }
    if (end >= text.length) {
      this.#fail(
        `Unterminated string starting at line ${line} column ${column}; add the closing quote`,
        line,
        column,
      );
    }
    const body = text.slice(this.#pos + 1, end);
    // Strings may span lines; keep positions of later tokens right.
    for (let at = body.indexOf("\n"); at >= 0; at = body.indexOf("\n", at + 1)) {
      this.#line++;
      this.#lineStart = this.#pos + 1 + at + 1;
    }
    this.#pos = end + 1;
    return hasEscape ? body.replace(/\\(["\\])/g, "$1") : body;
  }

  /** '[' scalar* ']' | scalar. */
  #value(key: string): ConfigValue {
    this.#skip();
    if (this.#text.charCodeAt(this.#pos) !== 91) return this.#scalar(key, true);
    this.#pos++;
    const items: ConfigScalar[] = [];
    let valuesAllowed = true;
    for (;;) {
      this.#trivia(false);
      if (this.#pos >= this.#text.length)
        this.#fail(`Unexpected end of input in the array of '${key}': missing ']'`);
      const code = this.#text.charCodeAt(this.#pos);
      if (code === 93) break;
      items.push(this.#scalar(key, valuesAllowed));
      this.#skip();
      valuesAllowed = false;
      if (this.#text.charCodeAt(this.#pos) === 44) {
        this.#pos++;
        valuesAllowed = true;
      }
    }
    this.#pos++;
    return { kind: "array", items };
  }

  /**
   * One scalar. `valuesAllowed` mirrors libdm: after a value without a comma, a digit or bare
   * word would be an identifier, which is not a value.
   */
  #scalar(key: string, valuesAllowed: boolean): ConfigScalar {
    const text = this.#text;
    if (this.#pos >= text.length) this.#fail(`Unexpected end of input: expected a value for '${key}'`);
    const code = text.charCodeAt(this.#pos);
    if (code === 34 || code === 39) return { kind: "string", value: this.#quoted(code) };
    if (
      code === 91 ||
      code === 93 ||
      code === 44 ||
      code === 61 ||
      code === 123 ||
      code === 125 ||
      !valuesAllowed
    ) {
      this.#fail(`Expected a value for '${key}', found ${describe(text, this.#pos)}`);
    }
    if (isDigit(code) || code === 43 || code === 45 || code === 46) return this.#number(key);
    const start = this.#pos;
    while (this.#pos < text.length && !endsWord(text.charCodeAt(this.#pos))) this.#pos++;
    return { kind: "string", value: text.slice(start, this.#pos) };
  }

  #number(key: string): ConfigScalar {
    const text = this.#text;
    const start = this.#pos;
    const column = start - this.#lineStart + 1;
    let isFloat = text.charCodeAt(this.#pos) === 46;
    this.#pos++;
    while (this.#pos < text.length) {
      const c = text.charCodeAt(this.#pos);
      if (isDigit(c)) this.#pos++;
      else if (c === 46 && !isFloat) {
        isFloat = true;
        this.#pos++;
      } else break;
    }
    const token = text.slice(start, this.#pos);
    if (isFloat) {
      // strtod semantics: a lone "." or "-." reads as 0, and libdm does not check.
      const value = Number(token);
      return { kind: "float", value: Number.isNaN(value) ? 0 : value, text: token };
    }
    // Fast path: plain decimal that fits a double exactly (nearly every int in metadata).
    const first = token.charCodeAt(0);
    if (token.length <= 15 && first >= 49 && first <= 57) return { kind: "int", value: Number(token) };
    if (token === "0") return { kind: "int", value: 0 };
    const match = /^([+-]?)(0[0-7]*|[1-9][0-9]*)$/.exec(token);
    if (match === null) {
      this.#fail(
        `Invalid integer '${token}' for '${key}' (a leading 0 means octal in LVM2)`,
        this.#line,
        column,
      );
    }
    const digits = match[2] ?? "0";
    const magnitude =
      digits.length > 1 && digits.startsWith("0") ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
    const big = match[1] === "-" ? -magnitude : magnitude;
    if (big > INT64_MAX || big < INT64_MIN) {
      if (key === "creation_time") {
        this.#onWarning?.(
          "WARNING: Invalid creation_time found in metadata (repaired with next metadata update).",
        );
        return { kind: "int", value: CREATION_TIME_FALLBACK };
      }
      this.#fail(`Integer '${token}' for '${key}' is out of the 64-bit range`, this.#line, column);
    }
    if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
      this.#fail(
        `Integer '${token}' for '${key}' is beyond 2^53, which lvmlab cannot hold exactly`,
        this.#line,
        column,
      );
    }
    return { kind: "int", value: Number(big) };
  }
}

function describe(text: string, pos: number): string {
  if (pos >= text.length) return "end of input";
  return JSON.stringify(text.slice(pos, pos + 12).split("\n")[0]);
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

/**
 * Parses LVM2 config text (a string, or bytes as read from a metadata area; parsing stops at the
 * first NUL as libdm does). Throws only {@link ConfigParseError} for bad input.
 */
export function parseConfig(input: string | Uint8Array, options: ParseConfigOptions = {}): ConfigFile {
  const fileName = options.fileName ?? "<config>";
  const maxInputBytes = options.maxInputBytes ?? CONFIG_MAX_INPUT_BYTES;
  if (input.length > maxInputBytes) {
    throw new ConfigParseError(
      fileName,
      1,
      1,
      `Input of ${input.length} bytes exceeds the ${maxInputBytes}-byte limit`,
    );
  }
  let text: string;
  if (typeof input === "string") {
    const nul = input.indexOf("\0");
    text = nul < 0 ? input : input.slice(0, nul);
  } else {
    const nul = input.indexOf(0);
    text = utf8.decode(nul < 0 ? input : input.subarray(0, nul));
  }
  return new Parser(text, options).file();
}
