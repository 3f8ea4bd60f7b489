import { describe, expect, it } from "vitest";
import type { ConfigNode, ConfigSection, ConfigValue } from "../../../engine/format/config-tree.js";
import { importVg, isMetadataImportError, MetadataImportError } from "../../../engine/metadata/import.js";
import { MIXED, PVMOVE_RUNNING } from "../../fixtures/metadata/examples.js";
import { rawVgSection } from "../../fixtures/metadata/raw-text.js";

/** Returns a copy of `root` with the node at `path` (keys separated by "/") replaced or removed. */
function edit(
  root: ConfigSection,
  path: string,
  replace: (node: ConfigNode) => ConfigNode | undefined,
): ConfigSection {
  const [head, ...rest] = path.split("/");
  const items: ConfigNode[] = [];
  let hit = false;
  for (const node of root.items) {
    if (node.key !== head || hit) {
      items.push(node);
      continue;
    }
    hit = true;
    const next = rest.length === 0 ? replace(node) : edit(node as ConfigSection, rest.join("/"), replace);
    if (next) items.push(next);
  }
  if (!hit) throw new Error(`test edit: no ${head} in ${root.key}`);
  return { ...root, items };
}

const setValue = (value: ConfigValue) => (node: ConfigNode) => ({ ...node, value }) as ConfigNode;

function importError(tree: ConfigSection): MetadataImportError {
  try {
    importVg(tree);
  } catch (e) {
    expect(isMetadataImportError(e)).toBe(true);
    return e as MetadataImportError;
  }
  throw new Error("expected importVg to fail");
}

describe("import errors name the path, what was expected and what was found", () => {
  const pvmove = rawVgSection(PVMOVE_RUNNING);

  it("missing required field", () => {
    const e = importError(edit(pvmove, "physical_volumes/pv1/pe_count", () => undefined));
    expect(e.path).toBe("vg0/physical_volumes/pv1/pe_count");
    expect(e.found).toBe("nothing");
    expect(e.message).toMatch(
      /^Invalid VG metadata at vg0\/physical_volumes\/pv1\/pe_count: expected an integer/,
    );
  });

  it("wrong type", () => {
    const e = importError(edit(pvmove, "seqno", setValue({ kind: "string", value: "6" })));
    expect(e.path).toBe("vg0/seqno");
    expect(e.found).toBe('string "6"');
  });

  it("wrong type inside an area array", () => {
    const tree = edit(
      pvmove,
      "logical_volumes/pvmove0/segment2/mirrors",
      setValue({
        kind: "array",
        items: [
          { kind: "string", value: "pv0" },
          { kind: "int", value: 3 },
          { kind: "string", value: "pv1" },
          { kind: "string", value: "2" },
        ],
      }),
    );
    const e = importError(tree);
    expect(e.path).toBe("vg0/logical_volumes/pvmove0/segment2/mirrors[3]");
    expect(e.expected).toBe("an extent number");
  });

  it("bad reference to a PV or LV", () => {
    const tree = edit(
      pvmove,
      "logical_volumes/lv0/segment2/stripes",
      setValue({
        kind: "array",
        items: [
          { kind: "string", value: "pvmove7" },
          { kind: "int", value: 2 },
        ],
      }),
    );
    const e = importError(tree);
    expect(e.path).toBe("vg0/logical_volumes/lv0/segment2/stripes[0]");
    expect(e.found).toBe('unknown volume "pvmove7"');
  });

  it("bad snapshot origin reference", () => {
    const tree = edit(
      rawVgSection(MIXED),
      "logical_volumes/snapshot0/segment1/origin",
      setValue({ kind: "string", value: "gone" }),
    );
    expect(importError(tree).path).toBe("vg1/logical_volumes/snapshot0/segment1/origin");
  });

  it("unknown status flag is refused, unknown compatible flag kept", () => {
    const withStatus = edit(
      pvmove,
      "logical_volumes/lv1/status",
      setValue({
        kind: "array",
        items: [
          { kind: "string", value: "READ" },
          { kind: "string", value: "BOGUS" },
        ],
      }),
    );
    const e = importError(withStatus);
    expect(e.path).toBe("vg0/logical_volumes/lv1/status[1]");
    expect(e.found).toBe('unknown status flag "BOGUS"');
    const withFlag = edit(
      pvmove,
      "logical_volumes/lv1/flags",
      setValue({ kind: "array", items: [{ kind: "string", value: "FUTURE" }] }),
    );
    expect(importVg(withFlag).lvs.find((l) => l.name === "lv1")?.flags).toEqual(["FUTURE"]);
  });

  it("stripe count disagreeing with the area array", () => {
    const tree = edit(
      pvmove,
      "logical_volumes/lv1/segment1/stripe_count",
      setValue({ kind: "int", value: 2 }),
    );
    // stripe_count 2 requires stripe_size first.
    expect(importError(tree).path).toBe("vg0/logical_volumes/lv1/segment1/stripe_size");
  });

  it("segment_count disagreeing with the segment sections", () => {
    const tree = edit(pvmove, "logical_volumes/lv0/segment_count", setValue({ kind: "int", value: 3 }));
    const e = importError(tree);
    expect(e.path).toBe("vg0/logical_volumes/lv0/segment_count");
    expect(e.found).toBe("2");
  });

  it("keeps keys a segment type does not read, as LVM2 ignores them", () => {
    const tree = edit(pvmove, "logical_volumes/lv1/segment1", (n) =>
      n.kind === "section"
        ? {
            ...n,
            items: [...n.items, { kind: "assign", key: "data_copies", value: { kind: "int", value: 1 } }],
          }
        : n,
    );
    const seg = importVg(tree).lvs.find((l) => l.name === "lv1")?.segments[0];
    expect(seg?.extra?.map((n) => n.key)).toEqual(["data_copies"]);
  });

  it("unknown segment-type flag", () => {
    const tree = edit(
      pvmove,
      "logical_volumes/lv1/segment1/type",
      setValue({ kind: "string", value: "striped+WHAT" }),
    );
    expect(importError(tree).path).toBe("vg0/logical_volumes/lv1/segment1/type");
  });

  it("never throws anything but MetadataImportError on random damage", () => {
    // Replace each assignment in turn by a section: every failure must be our error class.
    const keys = ["id", "seqno", "status", "extent_size", "max_lv", "physical_volumes"];
    for (const key of keys) {
      const tree = edit(pvmove, key, (n) =>
        n.kind === "section"
          ? { kind: "assign", key, value: { kind: "int", value: 1 } }
          : { kind: "section", key, items: [] },
      );
      expect(() => importVg(tree)).toThrow(MetadataImportError);
    }
  });
});
