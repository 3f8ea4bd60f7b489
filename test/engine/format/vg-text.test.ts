import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../engine/format/config-parse.js";
import { printConfig } from "../../../engine/format/config-print.js";
import type { ConfigNode, ConfigSection } from "../../../engine/format/config-tree.js";
import { withLvm2Layout } from "../../../engine/format/lvm2-layout.js";
import {
  backupFileTree,
  ctimeUtc,
  rawMetadataBytes,
  rawMetadataTree,
  summarizeVgText,
  VgTextError,
} from "../../../engine/format/vg-text.js";

const fixture = (name: string): string =>
  readFileSync(new URL(`../../fixtures/format/${name}`, import.meta.url), "utf8");

describe("VG text", () => {
  it("formats times like ctime() in UTC, with a space-padded day", () => {
    expect(ctimeUtc(1795237439)).toBe("Sat Nov 21 05:03:59 2026");
    expect(ctimeUtc(0)).toBe("Thu Jan  1 00:00:00 1970");
  });

  it("wraps a VG section into exactly the raw text real LVM2 wrote", () => {
    const text = fixture("pvmove-raw.vg");
    const vg = parseConfig(text).items[0] as ConfigSection;
    const rebuilt = rawMetadataTree(vg, {
      description: "Write from vgcfgrestore --driverloaded n -f hand.vg vg0.",
      creationHost: "vm",
      creationTimeUnix: 1795241727,
      uname: "Linux vm 6.18.44-fc-v669 #1 SMP PREEMPT_DYNAMIC @0 x86_64",
    });
    const bytes = rawMetadataBytes(rebuilt);
    expect(new TextDecoder().decode(bytes)).toBe(`${text}\0`);
  });

  it("builds the backup-file layout real vgcfgbackup wrote", () => {
    const text = fixture("pvmove-backup.vg");
    const vg = parseConfig(text).items.find((n) => n.kind === "section") as ConfigSection;
    const rebuilt = backupFileTree(
      { ...vg, blankLineBefore: false },
      {
        description: "vgcfgbackup --driverloaded n -f out.vg vg0",
        creationHost: "vm",
        creationTimeUnix: 1795241727,
        uname: "Linux vm 6.18.44-fc-v669 #1 SMP PREEMPT_DYNAMIC @0 x86_64",
      },
    );
    expect(printConfig(rebuilt, { style: "file" })).toBe(text);
  });

  it("summarizes name, id, seqno and the PVs the metadata names", () => {
    const summary = summarizeVgText(parseConfig(fixture("pvmove-raw.vg")));
    expect(summary.vgName).toBe("vg0");
    expect(summary.vgId).toBe("XXguk2cKQ0ZWHy8KGgZLfWVmdbs0hDEz");
    expect(summary.seqno).toBe(6);
    expect(summary.pvs).toEqual([
      { name: "pv0", pvUuid: "hjuNzR8wQY8fComrXB1jKeeyColxfMIM", deviceHint: "/dev/loop0" },
      { name: "pv1", pvUuid: "0QOrc9hTaDRq10cINij3AGj84v9uaUiQ", deviceHint: "/dev/loop1" },
    ]);
  });

  it("rejects text that is not VG metadata with a clear reason", () => {
    expect(() => summarizeVgText(parseConfig("a = 1"))).toThrow(
      new VgTextError("Metadata has no VG section; the text is not VG metadata"),
    );
    expect(() => summarizeVgText(parseConfig('vg { id = "bad" seqno = 1 }'))).toThrow(/invalid 'id'/);
    expect(() =>
      summarizeVgText(parseConfig('vg { id = "XXguk2-cKQ0-ZWHy-8KGg-ZLfW-Vmdb-s0hDEz" }')),
    ).toThrow("Metadata of VG vg has no integer 'seqno'");
  });
});

describe("withLvm2Layout", () => {
  function stripLayout<T extends ConfigNode>(node: T): T {
    const { blankLineBefore: _b, at: _a, ...rest } = node;
    if (rest.kind !== "section") return rest as T;
    const { linesAtEnd: _l, ...section } = rest as unknown as ConfigSection;
    return { ...section, items: section.items.map(stripLayout) } as unknown as T;
  }

  for (const name of ["pvmove-raw.vg", "empty-raw.vg", "raid1-atomic-pvmove-raw.vg"]) {
    it(`puts blank lines exactly where LVM2 did in ${name}`, () => {
      const text = fixture(name);
      const file = parseConfig(text);
      const vg = file.items[0] as ConfigSection;
      const bare = stripLayout(vg);
      expect(printConfig({ ...file, items: [bare, ...file.items.slice(1)] })).not.toBe(text);
      expect(printConfig({ ...file, items: [withLvm2Layout(bare), ...file.items.slice(1)] })).toBe(text);
    });
  }
});
