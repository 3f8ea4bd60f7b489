/**
 * Property tests: random valid metadata round-trips through print and parse, and random damage to
 * text gives a ConfigParseError (or a valid parse), never another exception or a hang.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../engine/format/config-parse.js";
import { ConfigParseError } from "../../../engine/format/config-parse-error.js";
import { MUTATION_PRINT_NO_ESCAPE, printConfig } from "../../../engine/format/config-print.js";
import type {
  ConfigFile,
  ConfigNode,
  ConfigScalar,
  ConfigValue,
} from "../../../engine/format/config-tree.js";

const RUNS = 200;

/** Drops source positions, which print/parse cannot preserve for a tree built in memory. */
function strip(nodes: readonly ConfigNode[]): unknown[] {
  return nodes.map((node) => {
    const { at: _at, ...rest } = node;
    return node.kind === "section" ? { ...rest, items: strip(node.items) } : rest;
  });
}

const key = fc.stringMatching(/^[a-z_][a-z0-9_]{0,11}$/);
const scalar: fc.Arbitrary<ConfigScalar> = fc.oneof(
  fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }).map((value) => ({ kind: "int" as const, value })),
  fc.string({ maxLength: 20 }).map((value) => ({ kind: "string" as const, value: value.replace(/\0/g, "") })),
  fc
    .tuple(fc.nat(9999), fc.nat(999))
    .map(([a, b]) => ({ kind: "float" as const, value: Number(`${a}.${b}`), text: `${a}.${b}` })),
);
const value: fc.Arbitrary<ConfigValue> = fc.oneof(
  scalar,
  fc.array(scalar, { maxLength: 6 }).map((items) => ({ kind: "array" as const, items })),
  // Area arrays in LVM2's shape, printed one area per line.
  fc.array(fc.tuple(fc.stringMatching(/^pv[0-9]$/), fc.nat(100)), { maxLength: 4 }).map((pairs) => ({
    kind: "array" as const,
    items: pairs.flatMap(([pv, pe]) => [
      { kind: "string" as const, value: pv },
      { kind: "int" as const, value: pe },
    ]),
  })),
);
const commentText = fc.stringMatching(/^[ a-zA-Z0-9#:.-]{0,20}$/);
const decorations = fc.record(
  {
    blankLineBefore: fc.constant(true),
    commentsBefore: fc.array(
      commentText.map((c) => `#${c}`),
      { minLength: 1, maxLength: 2 },
    ),
  },
  { requiredKeys: [] },
);

const node: fc.Memo<ConfigNode> = fc.memo((depth) => {
  const assignment = fc
    .tuple(key, value, decorations, fc.option(commentText, { nil: undefined }))
    .map(([k, v, d, comment]) => ({
      kind: "assign" as const,
      key: k,
      value: v,
      ...d,
      ...(comment === undefined ? {} : { comment }),
    }));
  if (depth <= 1) return assignment;
  const section = fc
    .tuple(key, fc.array(node(depth - 1), { maxLength: 5 }), decorations, fc.boolean())
    .map(([k, items, d, blankAtEnd]) => ({
      kind: "section" as const,
      key: k,
      items,
      ...d,
      ...(blankAtEnd ? { linesAtEnd: [""] } : {}),
    }));
  return fc.oneof(assignment, section);
});
const file: fc.Arbitrary<ConfigFile> = fc.array(node(4), { maxLength: 6 }).map((items) => ({ items }));

function parsesOrFailsCleanly(input: string | Uint8Array): void {
  try {
    parseConfig(input, { fileName: "fuzz.vg" });
  } catch (error) {
    if (!(error instanceof ConfigParseError)) throw error;
    expect(error.message).toMatch(/^fuzz\.vg:\d+:\d+: [A-Z]/);
    expect(error.line).toBeGreaterThanOrEqual(1);
    expect(error.column).toBeGreaterThanOrEqual(1);
  }
}

describe("config round-trip properties", () => {
  for (const style of ["raw", "file"] as const) {
    it(`parse(print(tree)) equals the tree (${style} layout)`, () => {
      fc.assert(
        fc.property(file, (tree) => {
          const text = printConfig(tree, { style });
          const back = parseConfig(text);
          expect(strip(back.items)).toEqual(strip(tree.items));
          expect(printConfig(back, { style })).toBe(text);
        }),
        { numRuns: RUNS },
      );
    });
  }

  it("catches the no-escape printer mutation (the same property fails, with a counterexample)", () => {
    const roundTrips = (mutations: ReadonlySet<string>) =>
      fc.property(file, (tree) => {
        const text = printConfig(tree, { mutations });
        try {
          return isDeepStrictEqual(strip(parseConfig(text).items), strip(tree.items));
        } catch {
          return false;
        }
      });
    // Control: the real printer passes this very check; the mutant fails it.
    expect(fc.check(roundTrips(new Set()), { numRuns: RUNS, seed: 42 }).failed).toBe(false);
    expect(
      fc.check(roundTrips(new Set([MUTATION_PRINT_NO_ESCAPE])), { numRuns: RUNS, seed: 42 }).failed,
    ).toBe(true);
  });

  it("damaged text (flipped, inserted, deleted or truncated bytes) parses or fails with a ConfigParseError", () => {
    fc.assert(
      fc.property(
        file,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(3))),
        (tree, edits) => {
          const bytes = [...new TextEncoder().encode(printConfig(tree))];
          for (const [where, byte, op] of edits) {
            const at = bytes.length === 0 ? 0 : where % bytes.length;
            if (op === 0) bytes[at] = byte;
            else if (op === 1) bytes.splice(at, 0, byte);
            else if (op === 2) bytes.splice(at, 1);
            else bytes.length = at;
          }
          parsesOrFailsCleanly(Uint8Array.from(bytes));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("arbitrary bytes and arbitrary strings never raise anything but ConfigParseError", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), parsesOrFailsCleanly), { numRuns: RUNS });
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(..."{}[]=,#\"'\\ \n\tab01.-+"), maxLength: 200 }),
        parsesOrFailsCleanly,
      ),
      { numRuns: RUNS },
    );
  });
});
