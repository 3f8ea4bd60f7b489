/**
 * Report selection (`-S`/`--select`, libdm's report selection): `field op value` conditions joined
 * with `&&`/`and`, `||`/`or`/`,`, `!`/`not` and parentheses. Operators `=`/`==`, `!=`, `<`, `<=`,
 * `>`, `>=` compare numbers, sizes (with units: `lv_size>=8m`) and percentages numerically and
 * strings exactly; `=~` and `!~` match a regular expression. Field names are matched as report
 * field names are (`lv_name`, `name` in lvs, underscores optional).
 */
import { LvmCommandError } from "../command.js";
import { parseSize } from "../sizes.js";
import type { FieldDef } from "./fields.js";
import type { ReportEnv, ReportRow } from "./rows.js";

/** A parsed selection: true when a row passes. */
export type Selection = (row: ReportRow, env: ReportEnv) => boolean;

/** Most tokens one selection may have. */
const SELECTION_TOKENS_MAX = 1024;

type Token = { readonly kind: "op" | "word" | "punct"; readonly text: string };

const OPERATORS = ["=~", "!~", "==", "!=", "<=", ">=", "=", "<", ">"] as const;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (text.startsWith("&&", i) || text.startsWith("||", i)) {
      tokens.push({ kind: "punct", text: text.slice(i, i + 2) });
      i += 2;
      continue;
    }
    if (ch === "(" || ch === ")" || ch === ",") {
      tokens.push({ kind: "punct", text: ch });
      i++;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op !== undefined) {
      tokens.push({ kind: "op", text: op });
      i += op.length;
      continue;
    }
    if (ch === "!") {
      tokens.push({ kind: "punct", text: "!" });
      i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const end = text.indexOf(ch, i + 1);
      if (end < 0) throw new LvmCommandError(`Selection syntax error: missing closing quote in "${text}"`);
      tokens.push({ kind: "word", text: text.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < text.length && !/[\s()=!<>~,&|]/.test(text[j]!)) j++;
    if (j === i) throw new LvmCommandError(`Selection syntax error at "${text.slice(i)}"`);
    tokens.push({ kind: "word", text: text.slice(i, j) });
    i = j;
    if (tokens.length > SELECTION_TOKENS_MAX) throw new LvmCommandError("Selection is too long");
  }
  return tokens;
}

/** Parses `-S text` against the fields a report may use (looked up with `findField`). */
export function parseSelection(text: string, findField: (name: string) => FieldDef | undefined): Selection {
  const tokens = tokenize(text);
  let at = 0;
  const peek = (): Token | undefined => tokens[at];
  const isWord = (t: Token | undefined, ...words: string[]): boolean =>
    t !== undefined && (t.kind === "punct" || t.kind === "word") && words.includes(t.text);
  const expr = (): Selection => {
    let left = term();
    while (isWord(peek(), "||", "or", ",")) {
      at++;
      const l = left;
      const r = term();
      left = (row, env) => l(row, env) || r(row, env);
    }
    return left;
  };
  const term = (): Selection => {
    let left = factor();
    while (isWord(peek(), "&&", "and")) {
      at++;
      const l = left;
      const r = factor();
      left = (row, env) => l(row, env) && r(row, env);
    }
    return left;
  };
  const factor = (): Selection => {
    const t = peek();
    if (isWord(t, "!", "not")) {
      at++;
      const inner = factor();
      return (row, env) => !inner(row, env);
    }
    if (isWord(t, "(")) {
      at++;
      const inner = expr();
      if (!isWord(peek(), ")")) throw new LvmCommandError(`Selection syntax error: missing ")" in "${text}"`);
      at++;
      return inner;
    }
    return condition();
  };
  const condition = (): Selection => {
    const name = tokens[at++];
    const op = tokens[at++];
    const value = tokens[at++];
    if (name?.kind !== "word" || op?.kind !== "op" || value === undefined || value.kind === "op") {
      throw new LvmCommandError(`Selection syntax error: expected field, operator and value in "${text}"`);
    }
    const field = findField(name.text);
    if (field === undefined) throw new LvmCommandError(`Unrecognised selection field: ${name.text}`);
    return compile(field, op.text, value.text);
  };
  const selection = expr();
  if (at !== tokens.length) throw new LvmCommandError(`Selection syntax error at "${tokens[at]!.text}"`);
  return selection;
}

function compile(field: FieldDef, op: string, text: string): Selection {
  if (op === "=~" || op === "!~") {
    let re: RegExp;
    try {
      re = new RegExp(text);
    } catch {
      throw new LvmCommandError(`Invalid regular expression in selection: ${text}`);
    }
    return (row, env) => re.test(String(field.get(row, env) ?? "")) === (op === "=~");
  }
  const numeric = field.kind !== "str";
  let target: number | string = text;
  if (numeric) {
    if (field.kind === "size") {
      try {
        target = parseSize(text, 2048).sectors;
      } catch {
        throw new LvmCommandError(`Invalid size value in selection: ${text}`);
      }
    } else {
      target = Number(text);
      if (!Number.isFinite(target)) throw new LvmCommandError(`Invalid number in selection: ${text}`);
    }
  }
  return (row, env) => {
    const raw = field.get(row, env);
    if (raw === undefined) return op === "!=";
    const value = numeric ? Number(raw) : String(raw);
    switch (op) {
      case "=":
      case "==":
        return value === target;
      case "!=":
        return value !== target;
      case "<":
        return value < target;
      case "<=":
        return value <= target;
      case ">":
        return value > target;
      default:
        return value >= target;
    }
  };
}
