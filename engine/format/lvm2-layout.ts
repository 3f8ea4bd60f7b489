/**
 * Where LVM2 puts blank lines when it exports a VG (`export.c`: every `outnl`), applied to a VG
 * section built in memory, so that lvmlab prints metadata byte-identical to what LVM2 would
 * print for the same VG. Existing blank-line flags are replaced; comments are kept.
 */
import { AREA_ARRAY_KEYS } from "./config-print.js";
import type { ConfigNode, ConfigSection } from "./config-tree.js";

function setBlank<T extends ConfigNode>(node: T, blank: boolean): T {
  const { blankLineBefore: _old, ...rest } = node;
  return (blank ? { ...rest, blankLineBefore: true } : rest) as T;
}

function withoutLinesAtEnd(section: ConfigSection): ConfigSection {
  const { linesAtEnd: _old, ...rest } = section;
  return rest;
}

/** Blank line before the item that follows `afterKey` (LVM2's outnl after that line). */
function blankAfter(items: readonly ConfigNode[], afterKey: string): ConfigNode[] {
  let previous: string | undefined;
  return items.map((node) => {
    const out = setBlank(node, previous === afterKey);
    previous = node.key;
    return out;
  });
}

function segment(seg: ConfigSection): ConfigSection {
  // _print_segment: outnl after extent_count; out_areas starts with outnl.
  let previous: string | undefined;
  const items = seg.items.map((node) => {
    const blank = previous === "extent_count" || (node.kind === "assign" && AREA_ARRAY_KEYS.has(node.key));
    previous = node.key;
    return setBlank(node, blank);
  });
  return { ...withoutLinesAtEnd(seg), items };
}

function logicalVolume(lv: ConfigSection): ConfigSection {
  // _print_lv: outnl before the LV and after segment_count.
  const items = blankAfter(lv.items, "segment_count").map((node) =>
    node.kind === "section" && /^segment\d+$/.test(node.key) ? segment(node) : node,
  );
  return setBlank({ ...withoutLinesAtEnd(lv), items }, true);
}

function physicalVolume(pv: ConfigSection): ConfigSection {
  // _print_pvs: outnl before each PV and after the device hint.
  return setBlank({ ...withoutLinesAtEnd(pv), items: blankAfter(pv.items, "device") }, true);
}

function listSection(
  section: ConfigSection,
  each: (s: ConfigSection) => ConfigSection,
  blank: boolean,
): ConfigSection {
  const items = section.items.map((node) => (node.kind === "section" ? each(node) : setBlank(node, false)));
  return setBlank({ ...withoutLinesAtEnd(section), items }, blank);
}

/**
 * The VG section with LVM2's blank lines: before `allocation_policy`, `physical_volumes`, each PV
 * and LV, after `device`, `segment_count` and `extent_count`, before segment areas, and the one
 * or two blank lines before the VG's closing brace.
 */
export function withLvm2Layout(vg: ConfigSection): ConfigSection {
  const hasLvs = vg.items.some((n) => n.kind === "section" && n.key === "logical_volumes");
  const hasHistory = vg.items.some((n) => n.kind === "section" && n.key === "historical_logical_volumes");
  const items = vg.items.map((node): ConfigNode => {
    if (node.kind === "assign") return setBlank(node, node.key === "allocation_policy");
    switch (node.key) {
      case "physical_volumes":
        return listSection(node, physicalVolume, true);
      case "logical_volumes":
        return listSection(node, logicalVolume, true);
      case "historical_logical_volumes": {
        const section = listSection(node, (lv) => setBlank(withoutLinesAtEnd(lv), true), true);
        // Without LVs, the outnl after the (absent) LV list adds a second blank line.
        return hasLvs ? section : { ...section, commentsBefore: [...(section.commentsBefore ?? []), ""] };
      }
      default:
        return node;
    }
  });
  const base = withoutLinesAtEnd(vg);
  if (hasHistory) return { ...base, items };
  return { ...base, items, linesAtEnd: hasLvs ? [""] : ["", ""] };
}
