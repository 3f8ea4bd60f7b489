/**
 * Fuzz (bounded): damaging any node of a real metadata tree — deleting it, or swapping its value
 * for another type — makes importVg either succeed (and then export cleanly) or throw a
 * MetadataImportError; never a TypeError or any other error class.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ConfigNode, ConfigSection, ConfigValue } from "../../../engine/format/config-tree.js";
import { exportVg } from "../../../engine/metadata/export.js";
import { importVg, isMetadataImportError } from "../../../engine/metadata/import.js";
import { MIXED, PVMOVE_ATOMIC, PVMOVE_RUNNING } from "../../fixtures/metadata/examples.js";
import { rawVgSection } from "../../fixtures/metadata/raw-text.js";

function countNodes(section: ConfigSection): number {
  return section.items.reduce((n, item) => n + 1 + (item.kind === "section" ? countNodes(item) : 0), 0);
}

/** Applies `edit` to the node with pre-order index `target`. */
function damage(
  section: ConfigSection,
  target: number,
  edit: (n: ConfigNode) => ConfigNode | undefined,
): ConfigSection {
  let index = 0;
  const walk = (s: ConfigSection): ConfigSection => ({
    ...s,
    items: s.items.flatMap((item) => {
      const mine = index++;
      if (mine === target) {
        const out = edit(item);
        return out ? [out] : [];
      }
      return item.kind === "section" ? [walk(item)] : [item];
    }),
  });
  return walk(section);
}

const valueArb: fc.Arbitrary<ConfigValue> = fc.oneof(
  fc.integer({ min: -5, max: 1 << 20 }).map((value) => ({ kind: "int" as const, value })),
  fc.constantFrom("pv0", "lv0", "pvmove0", "mir_mimage_0", "", "VISIBLE", "BOGUS").map((value) => ({
    kind: "string" as const,
    value,
  })),
  fc
    .array(fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constantFrom("pv0", "pv1", "lv0", "READ")), {
      maxLength: 6,
    })
    .map((items) => ({
      kind: "array" as const,
      items: items.map((v) =>
        typeof v === "number" ? { kind: "int" as const, value: v } : { kind: "string" as const, value: v },
      ),
    })),
  fc.constant({ kind: "float" as const, value: 1.5, text: "1.5" }),
);

const editArb = fc.oneof(
  fc.constant((_: ConfigNode): ConfigNode | undefined => undefined),
  valueArb.map(
    (value) =>
      (n: ConfigNode): ConfigNode | undefined =>
        n.kind === "assign" ? { ...n, value } : { kind: "assign", key: n.key, value },
  ),
  fc.constant((n: ConfigNode): ConfigNode | undefined => ({ kind: "section", key: n.key, items: [] })),
);

describe("import of damaged metadata", () => {
  for (const [name, text] of Object.entries({ PVMOVE_RUNNING, PVMOVE_ATOMIC, MIXED })) {
    it(`${name}: only MetadataImportError, and whatever imports also exports`, () => {
      const tree = rawVgSection(text);
      const nodes = countNodes(tree);
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(nodes - 1), editArb), { minLength: 1, maxLength: 3 }),
          (edits) => {
            let damaged = tree;
            for (const [target, edit] of edits) damaged = damage(damaged, target, edit);
            try {
              const vg = importVg(damaged);
              exportVg(vg);
            } catch (e) {
              expect(isMetadataImportError(e), String(e)).toBe(true);
            }
          },
        ),
        { numRuns: 400, seed: 7 },
      );
    });
  }
});
