import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../engine/format/config-parse.js";
import { printConfig } from "../../../engine/format/config-print.js";
import type { ConfigSection } from "../../../engine/format/config-tree.js";
import { lvmCrc } from "../../../engine/format/crc.js";

const fixture = (name: string): string =>
  readFileSync(new URL(`../../fixtures/format/${name}`, import.meta.url), "utf8");

// Produced by Debian's lvm2 2.03.16 on this machine (vgcfgrestore of a hand-made VG, then the
// raw copy read from the mda and vgcfgbackup's file): real bytes, not our own output.
describe("real LVM2 fixtures round-trip byte for byte", () => {
  for (const [name, style] of [
    ["pvmove-raw.vg", "raw"],
    ["empty-raw.vg", "raw"],
    ["pvmove-backup.vg", "file"],
    ["empty-backup.vg", "file"],
    ["raid1-atomic-pvmove-raw.vg", "raw"],
    ["raid1-atomic-pvmove-backup.vg", "file"],
  ] as const) {
    it(`${name} (${style})`, () => {
      const text = fixture(name);
      expect(printConfig(parseConfig(text, { fileName: name }), { style })).toBe(text);
    });
  }

  it("checksums the raw copies exactly as LVM2 stored them in slot 0", () => {
    const bytes = new TextEncoder().encode(`${fixture("pvmove-raw.vg")}\0`);
    expect(bytes.length).toBe(4136);
    expect(lvmCrc(bytes)).toBe(0x57475736);
    const raid = new TextEncoder().encode(`${fixture("raid1-atomic-pvmove-raw.vg")}\0`);
    expect(raid.length).toBe(3580);
    expect(lvmCrc(raid)).toBe(0x22996231);
  });

  it("parses the pvmove LV with its flags, areas and allocation policy", () => {
    const file = parseConfig(fixture("pvmove-raw.vg"));
    const vg = file.items[0] as ConfigSection;
    const lvs = vg.items.find((n) => n.key === "logical_volumes") as ConfigSection;
    const pvmove = lvs.items.find((n) => n.key === "pvmove0") as ConfigSection;
    expect(pvmove.items.find((n) => n.key === "status")).toMatchObject({
      value: {
        kind: "array",
        items: [{ value: "READ" }, { value: "WRITE" }, { value: "PVMOVE" }, { value: "LOCKED" }],
      },
    });
    const seg1 = pvmove.items.find((n) => n.key === "segment1") as ConfigSection;
    expect(seg1.items.find((n) => n.key === "mirrors")).toMatchObject({
      value: { items: [{ value: "pv0" }, { value: 0 }, { value: "pv1" }, { value: 0 }] },
    });
    expect(seg1.items.find((n) => n.key === "extents_moved")).toMatchObject({
      value: { kind: "int", value: 2 },
    });
  });
});
