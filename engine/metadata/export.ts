/**
 * Model → text metadata: builds the `vg0 { … }` config section exactly as LVM2's raw export
 * (`text_vg_export_raw`, `lib/format_text/export.c`) lays it out: field order, blank lines (each
 * `outnl()` becomes `blankLineBefore` on the node after it), flags in table order, PVs renamed
 * `pvN` by position, visible LVs before hidden ones (`_print_lvs`).
 *
 * `_text_vg_export` calls `outnl()` before the logical and historical volume blocks even when they
 * are empty, so the VG section ends with one blank line before its closing brace (two without
 * LVs); those become the section's `linesAtEnd` (or `commentsBefore` of a historical block).
 */

import {
  type ConfigArray,
  type ConfigNode,
  type ConfigScalar,
  type ConfigSection,
  cfg,
} from "../format/config-tree.js";
import { lvKinds } from "./lv-kind.js";
import {
  type LogicalVolume,
  LV_COMPAT_FLAGS,
  LV_STATUS_FLAGS,
  type PhysicalVolume,
  PV_STATUS_FLAGS,
  type Segment,
  type SegmentArea,
  VG_COMPAT_FLAGS,
  VG_STATUS_FLAGS,
  type VolumeGroup,
} from "./model.js";

const BLANK_LINE_BEFORE = { blankLineBefore: true } as const;

/**
 * A node with a blank line before it. Not `{ ...node, blankLineBefore: true }`: in Node 20's V8 a
 * property added to a spread copy costs a new hidden class per copy (about 3 µs and garbage each,
 * the largest cost of a VG write); copying onto an object that starts with the property does not.
 */
function blank<T extends ConfigNode>(node: T): T {
  return Object.assign({ blankLineBefore: true }, node, BLANK_LINE_BEFORE);
}

function strArray(values: readonly string[]): ConfigArray {
  return cfg.arr(...values);
}

/** Known flags in table order, then unknown ones in the order they were read. */
function orderFlags(flags: readonly string[], known: readonly string[]): string[] {
  return [...known.filter((f) => flags.includes(f)), ...flags.filter((f) => !known.includes(f))];
}

function exportPv(pv: PhysicalVolume, index: number): ConfigSection {
  const items: ConfigNode[] = [cfg.set("id", pv.id), cfg.set("device", pv.deviceHint)];
  let next: ConfigNode[] = [];
  if (pv.deviceIdType !== undefined && pv.deviceId !== undefined) {
    next.push(cfg.set("device_id_type", pv.deviceIdType), cfg.set("device_id", pv.deviceId));
  }
  // MISSING is printed among the COMPATIBLE flags (see PV_STATUS_FLAGS).
  const missing = pv.status.includes("MISSING");
  next.push(
    cfg.set("status", strArray(PV_STATUS_FLAGS.filter((f) => f !== "MISSING" && pv.status.includes(f)))),
    cfg.set("flags", strArray(missing ? ["MISSING", ...pv.flags.filter((f) => f !== "MISSING")] : pv.flags)),
  );
  if (pv.tags.length > 0) next.push(cfg.set("tags", strArray(pv.tags)));
  if (pv.devSizeSectors !== undefined) next.push(cfg.set("dev_size", pv.devSizeSectors));
  next.push(cfg.set("pe_start", pv.peStartSectors), cfg.set("pe_count", pv.peCount));
  if (pv.baStartSectors && pv.baSizeSectors) {
    next.push(cfg.set("ba_start", pv.baStartSectors), cfg.set("ba_size", pv.baSizeSectors));
  }
  next = [blank(next[0] as ConfigNode), ...next.slice(1)];
  return blank(cfg.section(`pv${index}`, [...items, ...next, ...pv.extra]));
}

function areaItems(
  areas: readonly SegmentArea[],
  pvIndex: ReadonlyMap<string, number>,
  where: string,
): ConfigScalar[] {
  const out: ConfigScalar[] = [];
  for (const area of areas) {
    if (area.kind === "pv") {
      const index = pvIndex.get(area.pv);
      if (index === undefined) {
        throw new Error(
          `Cannot export ${where}: area refers to PV ${area.pv}, which is not in the VG; fix the model`,
        );
      }
      out.push(cfg.str(`pv${index}`), cfg.int(area.pe));
    } else out.push(cfg.str(area.lv), cfg.int(area.le));
  }
  return out;
}

function exportSegment(
  seg: Segment,
  n: number,
  pvIndex: ReadonlyMap<string, number>,
  where: string,
): ConfigSection {
  const items: ConfigNode[] = [
    cfg.set("start_extent", seg.startExtent),
    cfg.set("extent_count", seg.extentCount),
  ];
  const body: ConfigNode[] = [];
  if (seg.reshapeCount) body.push(cfg.set("reshape_count", seg.reshapeCount));
  const typeName = seg.type === "other" ? seg.segType : seg.type;
  body.push(cfg.set("type", [typeName, ...seg.typeFlags].join("+")));
  if (seg.tags.length > 0) body.push(cfg.set("tags", strArray(seg.tags)));
  const areas = (key: string, list: readonly SegmentArea[]): ConfigNode =>
    blank(cfg.set(key, { kind: "array", items: areaItems(list, pvIndex, `${where}/segment${n}`) }));
  switch (seg.type) {
    case "striped":
      body.push(cfg.set("stripe_count", seg.stripeCount));
      if (seg.stripeCount > 1) body.push(cfg.set("stripe_size", seg.stripeSizeSectors ?? 0));
      body.push(areas("stripes", seg.areas));
      break;
    case "mirror":
      body.push(cfg.set("mirror_count", seg.mirrorCount));
      if (seg.extentsMoved !== undefined) body.push(cfg.set("extents_moved", seg.extentsMoved));
      if (seg.mirrorLog !== undefined) body.push(cfg.set("mirror_log", seg.mirrorLog));
      if (seg.regionSizeSectors) body.push(cfg.set("region_size", seg.regionSizeSectors));
      body.push(areas("mirrors", seg.areas));
      break;
    case "snapshot":
      body.push(
        cfg.set("chunk_size", seg.chunkSizeSectors),
        cfg.set("origin", seg.origin),
        cfg.set(seg.merging ? "merging_store" : "cow_store", seg.cowStore),
      );
      break;
    case "error":
    case "zero":
      break;
    case "other":
      body.push(...seg.items);
      break;
  }
  body.push(...(seg.extra ?? []));
  return cfg.section(`segment${n}`, [...items, blank(body[0] as ConfigNode), ...body.slice(1)]);
}

// Exported sections by model object (the model is immutable), so a VG written again hands the
// printer the same section for every PV and LV that did not change and it prints them once
// (config-print remembers raw text by section). A PV's section depends on its position too, an
// LV's on the VG's PV names (its areas name PVs as `pvN` by position): both are part of the key.
const exportedPvs = new WeakMap<
  PhysicalVolume,
  { readonly index: number; readonly section: ConfigSection }
>();
const exportedLvs = new WeakMap<
  LogicalVolume,
  { readonly pvNames: string; readonly section: ConfigSection }
>();

function exportPvOnce(pv: PhysicalVolume, index: number): ConfigSection {
  const known = exportedPvs.get(pv);
  if (known?.index === index) return known.section;
  const section = exportPv(pv, index);
  exportedPvs.set(pv, { index, section });
  return section;
}

/** The VG's PVs by name with their positions, and the names in order (a cache key). */
interface PvPositions {
  readonly index: ReadonlyMap<string, number>;
  readonly names: string;
}

// A segment's section depends on its number and the PV positions as well: a pvmove checkpoint
// changes one segment of the pvmove LV and keeps the others, which are exported once.
const exportedSegments = new WeakMap<
  Segment,
  { readonly n: number; readonly pvNames: string; readonly section: ConfigSection }
>();

function exportSegmentOnce(seg: Segment, n: number, pvs: PvPositions, where: string): ConfigSection {
  const known = exportedSegments.get(seg);
  if (known?.n === n && known.pvNames === pvs.names) return known.section;
  const section = exportSegment(seg, n, pvs.index, where);
  exportedSegments.set(seg, { n, pvNames: pvs.names, section });
  return section;
}

function exportLvOnce(lv: LogicalVolume, pvs: PvPositions, where: string): ConfigSection {
  const known = exportedLvs.get(lv);
  if (known?.pvNames === pvs.names) return known.section;
  const section = exportLv(lv, pvs, where);
  exportedLvs.set(lv, { pvNames: pvs.names, section });
  return section;
}

function exportLv(
  lv: LogicalVolume,
  { index: pvIndex, names: pvNames }: PvPositions,
  where: string,
): ConfigSection {
  const items: ConfigNode[] = [
    cfg.set("id", lv.id),
    cfg.set("status", strArray(LV_STATUS_FLAGS.filter((f) => lv.status.includes(f)))),
    cfg.set("flags", strArray(orderFlags(lv.flags, LV_COMPAT_FLAGS))),
  ];
  if (lv.tags.length > 0) items.push(cfg.set("tags", strArray(lv.tags)));
  if (lv.creationTime) {
    items.push(cfg.set("creation_time", lv.creationTime), cfg.set("creation_host", lv.creationHost ?? ""));
  }
  if (lv.lockArgs !== undefined) items.push(cfg.set("lock_args", lv.lockArgs));
  if (lv.allocationPolicy !== "inherit") items.push(cfg.set("allocation_policy", lv.allocationPolicy));
  if (lv.profile !== undefined) items.push(cfg.set("profile", lv.profile));
  // read_ahead 0 means "auto" to LVM2, which it expresses by omitting the field.
  if (lv.readAheadSectors !== undefined && lv.readAheadSectors !== 0) {
    items.push(cfg.set("read_ahead", lv.readAheadSectors));
  }
  if (lv.major !== undefined) items.push(cfg.set("major", lv.major));
  if (lv.minor !== undefined) items.push(cfg.set("minor", lv.minor));
  items.push(...lv.extra);
  items.push(cfg.set("segment_count", lv.segments.length));
  lv.segments.forEach((seg, i) => {
    const section = exportSegmentOnce(seg, i + 1, { index: pvIndex, names: pvNames }, `${where}/${lv.name}`);
    items.push(i === 0 ? blank(section) : section);
  });
  return blank(cfg.section(lv.name, items));
}

/** Builds the VG section LVM2 would write for `vg` (see the module comment for the one missing blank line). */
export function exportVg(vg: VolumeGroup): ConfigSection {
  const items: ConfigNode[] = [cfg.set("id", vg.id), cfg.set("seqno", vg.seqno)];
  if (vg.format !== undefined) items.push(cfg.set("format", vg.format));
  items.push(
    cfg.set("status", strArray(VG_STATUS_FLAGS.filter((f) => vg.status.includes(f)))),
    cfg.set("flags", strArray(orderFlags(vg.flags, VG_COMPAT_FLAGS))),
  );
  if (vg.tags.length > 0) items.push(cfg.set("tags", strArray(vg.tags)));
  if (vg.systemId) items.push(cfg.set("system_id", vg.systemId));
  if (vg.lockType !== undefined) {
    items.push(cfg.set("lock_type", vg.lockType));
    if (vg.lockArgs !== undefined) items.push(cfg.set("lock_args", vg.lockArgs));
  }
  if (vg.pr !== undefined && vg.pr.length > 0) items.push(cfg.set("pr", strArray(vg.pr)));
  items.push(
    cfg.set("extent_size", vg.extentSizeSectors),
    cfg.set("max_lv", vg.maxLv),
    cfg.set("max_pv", vg.maxPv),
  );
  if (vg.allocationPolicy !== "normal" && vg.allocationPolicy !== "inherit") {
    items.push(blank(cfg.set("allocation_policy", vg.allocationPolicy)));
  }
  if (vg.profile !== undefined) items.push(cfg.set("profile", vg.profile));
  items.push(cfg.set("metadata_copies", vg.metadataCopies));
  items.push(...vg.extra);

  const pvIndex = new Map(vg.pvs.map((pv, i) => [pv.name, i] as const));
  const pvNames = JSON.stringify(vg.pvs.map((pv) => pv.name));
  items.push(blank(cfg.section("physical_volumes", vg.pvs.map(exportPvOnce))));

  if (vg.lvs.length > 0) {
    const kinds = lvKinds(vg);
    const visible = vg.lvs.filter((lv) => kinds.get(lv.name)?.visible);
    const hidden = vg.lvs.filter((lv) => !kinds.get(lv.name)?.visible);
    const where = `${vg.name}/logical_volumes`;
    items.push(
      blank(
        cfg.section(
          "logical_volumes",
          [...visible, ...hidden].map((lv) => exportLvOnce(lv, { index: pvIndex, names: pvNames }, where)),
        ),
      ),
    );
  }
  // The outnl() before each of the LV and historical blocks, whether or not the block is printed.
  const pending = vg.lvs.length > 0 ? 1 : 2;
  if (vg.historicalLvs) {
    const hist: ConfigSection = blank(vg.historicalLvs);
    items.push(pending === 2 ? { ...hist, commentsBefore: [""] } : hist);
    return cfg.section(vg.name, items);
  }
  return { kind: "section", key: vg.name, items, linesAtEnd: pending === 2 ? ["", ""] : [""] };
}
