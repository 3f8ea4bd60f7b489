import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../engine/format/config-parse.js";
import { MUTATION_PRINT_NO_ESCAPE, printConfig } from "../../../engine/format/config-print.js";
import { cfg } from "../../../engine/format/config-tree.js";

describe("config printer", () => {
  it("prints segment areas one per line and status/flags on one line, as export.c does", () => {
    const seg = cfg.section("segment1", [
      cfg.set("type", "mirror"),
      cfg.set("status", cfg.arr("READ", "WRITE")),
      cfg.set("flags", cfg.arr()),
      { ...cfg.set("mirrors", cfg.arr("pv0", 0, "pv1", 0)), blankLineBefore: true },
    ]);
    expect(printConfig({ items: [seg] })).toBe(
      'segment1 {\ntype = "mirror"\nstatus = ["READ", "WRITE"]\nflags = []\n\nmirrors = [\n"pv0", 0,\n"pv1", 0\n]\n}\n',
    );
  });

  it("pairs raid metadata and image LVs per line, and pads pr like LVM2", () => {
    const raids = cfg.set("raids", cfg.arr("r_rmeta_0", "r_rimage_0", "r_rmeta_1", "r_rimage_1"));
    expect(printConfig({ items: [raids] })).toBe(
      'raids = [\n"r_rmeta_0", "r_rimage_0",\n"r_rmeta_1", "r_rimage_1"\n]\n',
    );
    const raid0 = cfg.set("raid0_lvs", cfg.arr("r_rimage_0", "r_rimage_1"));
    expect(printConfig({ items: [raid0] })).toBe('raid0_lvs = [\n"r_rimage_0",\n"r_rimage_1"\n]\n');
    expect(printConfig({ items: [cfg.set("pr", cfg.arr("require", "ptpl"))] })).toBe(
      'pr = [ "require", "ptpl" ]\n',
    );
  });

  it("escapes quotes and backslashes in strings and quotes keys that need it", () => {
    const file = { items: [cfg.set("description", 'say "hi" \\ bye'), cfg.set("odd key", 1)] };
    const text = printConfig(file);
    expect(text).toBe('description = "say \\"hi\\" \\\\ bye"\n"odd key" = 1\n');
    expect(parseConfig(text).items).toMatchObject(file.items);
  });

  it("indents the backup form with TABs (capped at 5) and lines comments up on 8-column stops", () => {
    const deep = cfg.section("a", [
      { ...cfg.set("extent_size", 8192), comment: " 4 Megabytes" },
      { ...cfg.set("format", "lvm2"), comment: " informational" },
      cfg.section("b", [
        cfg.section("c", [cfg.section("d", [cfg.section("e", [cfg.section("f", [cfg.set("x", 1)])])])]),
      ]),
    ]);
    expect(printConfig({ items: [deep] }, { style: "file" })).toBe(
      [
        "a {",
        "\textent_size = 8192\t\t# 4 Megabytes",
        '\tformat = "lvm2"\t\t\t# informational',
        "\tb {",
        "\t\tc {",
        "\t\t\td {",
        "\t\t\t\te {",
        "\t\t\t\t\tf {",
        // Depth 6, but MAX_INDENT caps the indentation at 5 TABs.
        "\t\t\t\t\tx = 1",
        "\t\t\t\t\t}",
        "\t\t\t\t}",
        "\t\t\t}",
        "\t\t}",
        "\t}",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("keeps the raw form free of indentation, with a single TAB before a comment", () => {
    const file = {
      items: [cfg.section("v", [{ ...cfg.set("dev_size", 131072), comment: " 64 Megabytes" }])],
    };
    expect(printConfig(file)).toBe("v {\ndev_size = 131072\t# 64 Megabytes\n}\n");
  });

  it("refuses comment lines that would not read back as comments", () => {
    expect(() => printConfig({ items: [{ ...cfg.set("a", 1), commentsBefore: ["oops"] }] })).toThrow(
      /must be "" or start with '#'/,
    );
  });

  it("prints a section met again (raw text is remembered per section) exactly as the first time", () => {
    const lv = {
      ...cfg.section("lv0", [cfg.set("id", 'a"b'), cfg.set("segment_count", 1)]),
      blankLineBefore: true,
    };
    const vg = (n: number) => cfg.section("vg0", [cfg.set("seqno", n), cfg.section("logical_volumes", [lv])]);
    const once = printConfig({ items: [vg(1)] });
    expect(once).toBe(
      'vg0 {\nseqno = 1\nlogical_volumes {\n\nlv0 {\nid = "a\\"b"\nsegment_count = 1\n}\n}\n}\n',
    );
    expect(printConfig({ items: [vg(2)] })).toBe(once.replace("seqno = 1", "seqno = 2"));
    // Neither a mutation nor the backup layout is served the remembered raw text.
    const mutated = printConfig({ items: [vg(1)] }, { mutations: new Set([MUTATION_PRINT_NO_ESCAPE]) });
    expect(mutated).toContain('id = "a"b"');
    expect(printConfig({ items: [vg(1)] }, { style: "file" })).toContain('\t\tid = "a\\"b"');
    expect(printConfig({ items: [vg(1)] })).toBe(once);
  });
});
