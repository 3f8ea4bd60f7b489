import { describe, expect, it } from "vitest";
import { CREATION_TIME_FALLBACK, parseConfig } from "../../../engine/format/config-parse.js";
import { ConfigParseError } from "../../../engine/format/config-parse-error.js";
import type {
  ConfigAssignment,
  ConfigNode,
  ConfigSection,
  ConfigValue,
} from "../../../engine/format/config-tree.js";

function value(text: string): ConfigValue {
  const node = parseConfig(text).items[0] as ConfigAssignment;
  return node.value;
}

function parseError(text: string): ConfigParseError {
  try {
    parseConfig(text, { fileName: "t.vg" });
  } catch (error) {
    if (error instanceof ConfigParseError) return error;
    throw error;
  }
  throw new Error(`Expected ${JSON.stringify(text)} to fail`);
}

describe("config parser: values", () => {
  it("reads ints with sign, and a leading 0 as octal like strtoll(base 0)", () => {
    expect(value("a = 42")).toEqual({ kind: "int", value: 42 });
    expect(value("a = -7")).toEqual({ kind: "int", value: -7 });
    expect(value("a = +5")).toEqual({ kind: "int", value: 5 });
    expect(value("a = 010")).toEqual({ kind: "int", value: 8 });
    expect(value("a = 0")).toEqual({ kind: "int", value: 0 });
  });

  it("rejects 08 (bad octal), a bare sign, and 0x1f (hex is not a token)", () => {
    expect(parseError("a = 08").message).toBe(
      "t.vg:1:5: Invalid integer '08' for 'a' (a leading 0 means octal in LVM2)",
    );
    expect(parseError("a = -").reason).toMatch(/Invalid integer '-'/);
    // "0" is the value, then "x1f" is read as a key with no '=' after it.
    expect(parseError("a = 0x1f").reason).toBe("Unexpected end of input after 'x1f': expected '=' or '{'");
  });

  it("reads floats and keeps their text", () => {
    expect(value("a = 1.50")).toEqual({ kind: "float", value: 1.5, text: "1.50" });
    expect(value("a = -.5")).toEqual({ kind: "float", value: -0.5, text: "-.5" });
  });

  it('unescapes only \\" and \\\\ in double quotes; single quotes have no escapes', () => {
    expect(value(String.raw`a = "x\"y\\z\n"`)).toEqual({ kind: "string", value: 'x"y\\z\\n' });
    expect(value(String.raw`a = 'x\"y'`)).toEqual({ kind: "string", value: String.raw`x\"y` });
  });

  it("reads bare words up to whitespace, '#', '=', '{' or '}'", () => {
    expect(value("a = hello#c")).toEqual({ kind: "string", value: "hello" });
    expect(value("a = /dev/sda1")).toEqual({ kind: "string", value: "/dev/sda1" });
  });

  it("reads arrays with commas, without commas between quoted strings, and empty", () => {
    expect(value('a = ["pv0", 0, "pv1", 4]')).toEqual({
      kind: "array",
      items: [
        { kind: "string", value: "pv0" },
        { kind: "int", value: 0 },
        { kind: "string", value: "pv1" },
        { kind: "int", value: 4 },
      ],
    });
    expect(value('a = ["x" "y"]')).toMatchObject({ items: [{ value: "x" }, { value: "y" }] });
    expect(value("a = []")).toEqual({ kind: "array", items: [] });
    expect(value("a = [\n# note\n1,\n2\n]")).toMatchObject({ items: [{ value: 1 }, { value: 2 }] });
  });

  it("rejects a number after a value without a comma, as libdm does", () => {
    expect(parseError("a = [1 2]").message).toBe(`t.vg:1:8: Expected a value for 'a', found "2]"`);
  });

  it("repairs an out-of-range creation_time with LVM2's warning, and rejects other huge ints", () => {
    const warnings: string[] = [];
    const file = parseConfig("creation_time = 99999999999999999999", { onWarning: (w) => warnings.push(w) });
    expect((file.items[0] as ConfigAssignment).value).toEqual({ kind: "int", value: CREATION_TIME_FALLBACK });
    expect(warnings).toEqual([
      "WARNING: Invalid creation_time found in metadata (repaired with next metadata update).",
    ]);
    expect(parseError("a = 99999999999999999999").reason).toMatch(/out of the 64-bit range/);
    expect(parseError("a = 9007199254740993").reason).toMatch(/beyond 2\^53/);
  });
});

describe("config parser: structure", () => {
  it("reads nested sections with positions, quoted keys and duplicate keys in order", () => {
    const file = parseConfig('vg0 {\n  "odd key" = 1\n  x = 1\n  x = 2\n}\n');
    const vg = file.items[0] as ConfigSection;
    expect(vg.at).toEqual({ line: 1, column: 1 });
    expect(vg.items.map((n: ConfigNode) => n.key)).toEqual(["odd key", "x", "x"]);
    expect(vg.items[1]?.at).toEqual({ line: 3, column: 3 });
  });

  it("records blank lines, comment lines, trailing comments and lines before '}'", () => {
    const file = parseConfig("# top\n\na = 1\t# one\n\nb {\nc = 2\n\n}\n# end\n");
    expect(file.items[0]).toMatchObject({
      key: "a",
      commentsBefore: ["# top"],
      blankLineBefore: true,
      comment: " one",
    });
    expect(file.items[1]).toMatchObject({ key: "b", blankLineBefore: true, linesAtEnd: [""] });
    expect(file.linesAtEnd).toEqual(["# end"]);
  });

  it("stops at the first NUL, as text read from a metadata area does", () => {
    const bytes = new TextEncoder().encode("a = 1\n\0garbage {{{");
    expect(parseConfig(bytes).items).toHaveLength(1);
  });

  it("reports malformed input with file, line and column", () => {
    expect(parseError("a {\nb = 1\n").message).toBe(
      "t.vg:3:1: Unexpected end of input: section 'a' opened at line 1 is missing its '}'",
    );
    expect(parseError("a = 1\n}").message).toBe("t.vg:2:1: Unexpected '}' with no section open; remove it");
    expect(parseError('a = "open\nstill').message).toBe(
      "t.vg:1:5: Unterminated string starting at line 1 column 5; add the closing quote",
    );
    expect(parseError("a b = 1").reason).toBe(`Expected '=' or '{' after 'a', found "b = 1"`);
    expect(parseError("= 1").reason).toBe(`Expected a key, found "= 1"`);
    expect(parseError('"" = 1').reason).toBe("Empty key; every section and setting needs a name");
    expect(parseError("a = ").reason).toBe("Unexpected end of input: expected a value for 'a'");
    expect(parseError("a = [1,").reason).toBe("Unexpected end of input in the array of 'a': missing ']'");
  });

  it("bounds nesting depth and input size", () => {
    const deep = `${"a {".repeat(40)}${"}".repeat(40)}`;
    expect(parseError(deep).reason).toMatch(/nest deeper than 32 levels/);
    expect(parseConfig(deep, { maxDepth: 64 }).items).toHaveLength(1);
    expect(() => parseConfig("a = 1", { maxInputBytes: 3 })).toThrow(/exceeds the 3-byte limit/);
  });

  it("survives a million-deep bracket bomb with a clean error, quickly", () => {
    const bomb = "a {".repeat(1_000_000);
    const started = performance.now();
    expect(parseError(bomb).reason).toMatch(/nest deeper/);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
