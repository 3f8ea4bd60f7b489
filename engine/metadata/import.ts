/**
 * Text metadata → model: reads the `vg0 { … }` section of LVM2's config tree into a
 * {@link VolumeGroup}, with LVM2's rules (`lib/format_text/import_vsn1.c`, `flags.c`, the segment
 * types' `text_import`). Every error is a {@link MetadataImportError} naming the path of the node
 * (`vg0/logical_volumes/lv0/segment2/stripes[3]`), what was expected and what was found.
 */

import type {
  ConfigArray,
  ConfigFile,
  ConfigNode,
  ConfigScalar,
  ConfigSection,
  ConfigValue,
} from "../format/config-tree.js";
import {
  ALLOC_POLICIES,
  type AllocPolicy,
  type LogicalVolume,
  LV_STATUS_FLAGS,
  type LvStatusFlag,
  type PhysicalVolume,
  PV_STATUS_FLAGS,
  type PvStatusFlag,
  type Segment,
  type SegmentArea,
  type SegmentBase,
  VG_STATUS_FLAGS,
  type VgStatusFlag,
  type VolumeGroup,
} from "./model.js";

/** Bad metadata: where (a slash path into the tree), what was expected, and what was there instead. */
export class MetadataImportError extends Error {
  override readonly name = "MetadataImportError";
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(
      `Invalid VG metadata at ${path}: expected ${expected}, found ${found}; ` +
        "fix the metadata text or restore a good copy with vgcfgrestore",
    );
  }
}

/** True if `e` is a {@link MetadataImportError}. */
export function isMetadataImportError(e: unknown): e is MetadataImportError {
  return e instanceof MetadataImportError;
}

/** Upper bounds that keep hostile metadata from making us loop or allocate without limit. */
export const IMPORT_LIMITS = {
  pvsMax: 4096,
  lvsMax: 65536,
  segmentsPerLvMax: 65536,
  areasPerSegmentMax: 256,
} as const;

const UINT32_MAX = 0xffff_ffff;

/** Segment-type flags LVM2 knows (`SEGTYPE_FLAG` entries of `_lv_flags`); any other makes the LV unreadable. */
const SEGTYPE_FLAGS = new Set([
  "RESHAPE",
  "RESHAPE_DATA_OFFSET",
  "RESHAPE_DELTA_DISKS_PLUS",
  "RESHAPE_DELTA_DISKS_MINUS",
  "REMOVE_AFTER_RESHAPE",
  "METADATA_FORMAT",
  "CROP_METADATA",
  "CACHE_USES_CACHEVOL",
]);

function describeValue(value: ConfigValue): string {
  switch (value.kind) {
    case "int":
      return `integer ${value.value}`;
    case "float":
      return `float ${value.text}`;
    case "string":
      return `string ${JSON.stringify(value.value)}`;
    case "array":
      return `array of ${value.items.length} item(s)`;
  }
}

function describe(node: ConfigNode | undefined): string {
  if (!node) return "nothing";
  return node.kind === "section" ? "a section" : describeValue(node.value);
}

/**
 * The children of one section, looked up by key. LVM2 takes the first node with a key; later
 * duplicates and keys we do not model stay in `rest()` so export can write them back.
 */
class Fields {
  private readonly used = new Set<ConfigNode>();
  constructor(
    readonly section: ConfigSection,
    readonly path: string,
  ) {}

  node(key: string): ConfigNode | undefined {
    const node = this.section.items.find((n) => n.key === key);
    if (node) this.used.add(node);
    return node;
  }

  markUsed(node: ConfigNode): void {
    this.used.add(node);
  }

  has(key: string): boolean {
    return this.section.items.some((n) => n.key === key);
  }

  private value(key: string, expected: string, required: boolean): ConfigValue | undefined {
    const node = this.node(key);
    if (!node) {
      if (required) throw new MetadataImportError(`${this.path}/${key}`, expected, "nothing");
      return undefined;
    }
    if (node.kind === "section") throw new MetadataImportError(`${this.path}/${key}`, expected, "a section");
    return node.value;
  }

  int(key: string, opts: { required: boolean; max: number; min?: number }): number | undefined {
    const what = `an integer in ${opts.min ?? 0}..${opts.max}`;
    const v = this.value(key, what, opts.required);
    if (v === undefined) return undefined;
    if (
      v.kind !== "int" ||
      !Number.isSafeInteger(v.value) ||
      v.value < (opts.min ?? 0) ||
      v.value > opts.max
    ) {
      throw new MetadataImportError(`${this.path}/${key}`, what, describeValue(v));
    }
    return v.value;
  }

  requiredInt(key: string, max: number): number {
    return this.int(key, { required: true, max }) as number;
  }

  str(key: string, required: boolean): string | undefined {
    const v = this.value(key, "a string", required);
    if (v === undefined) return undefined;
    if (v.kind !== "string")
      throw new MetadataImportError(`${this.path}/${key}`, "a string", describeValue(v));
    return v.value;
  }

  /** A list of strings; dm-config treats a lone scalar as a one-item list. */
  strList(key: string, required: boolean): string[] | undefined {
    const v = this.value(key, "an array of strings", required);
    if (v === undefined) return undefined;
    const items: readonly ConfigScalar[] = v.kind === "array" ? v.items : [v];
    return items.map((item, i) => {
      if (item.kind !== "string") {
        throw new MetadataImportError(`${this.path}/${key}[${i}]`, "a string", describeValue(item));
      }
      return item.value;
    });
  }

  array(key: string, expected: string): ConfigArray {
    const v = this.value(key, expected, true) as ConfigValue;
    if (v.kind !== "array") throw new MetadataImportError(`${this.path}/${key}`, expected, describeValue(v));
    return v;
  }

  sections(): ConfigSection[] {
    return this.section.items.filter((n): n is ConfigSection => n.kind === "section");
  }

  /** Nodes nobody asked for, in their original order. */
  rest(): ConfigNode[] {
    return this.section.items.filter((n) => !this.used.has(n));
  }
}

function readStatus<T extends string>(
  fields: Fields,
  known: readonly T[],
  opts: { alsoAccept?: readonly string[] } = {},
): T[] {
  const list = fields.strList("status", true) as string[];
  const out: T[] = [];
  list.forEach((flag, i) => {
    if ((known as readonly string[]).includes(flag)) {
      if (!out.includes(flag as T)) out.push(flag as T);
    } else if (!opts.alsoAccept?.includes(flag)) {
      throw new MetadataImportError(
        `${fields.path}/status[${i}]`,
        `a known status flag (${known.join(", ")}) — LVM2 refuses unknown status flags`,
        `unknown status flag ${JSON.stringify(flag)}`,
      );
    }
  });
  // Keep LVM2's print order whatever order the text used.
  return known.filter((f) => out.includes(f));
}

function readPolicy(fields: Fields, fallback: AllocPolicy): AllocPolicy {
  const text = fields.str("allocation_policy", false);
  if (text === undefined) return fallback;
  // LVM2 warns and ignores unknown policies (`_read_vg`, `_read_lvnames`).
  return (ALLOC_POLICIES as readonly string[]).includes(text) ? (text as AllocPolicy) : fallback;
}

function readPv(section: ConfigSection, path: string): PhysicalVolume {
  const f = new Fields(section, path);
  const id = f.str("id", true) as string;
  const deviceHint = f.str("device", false) ?? "";
  const deviceIdType = f.str("device_id_type", false);
  const deviceId = f.str("device_id", false);
  const status = readStatus<PvStatusFlag>(f, PV_STATUS_FLAGS);
  const rawFlags = f.strList("flags", false) ?? [];
  const missing = status.includes("MISSING") || rawFlags.includes("MISSING");
  const tags = f.strList("tags", false) ?? [];
  const devSizeSectors = f.int("dev_size", { required: false, max: Number.MAX_SAFE_INTEGER });
  const peStartSectors = f.requiredInt("pe_start", Number.MAX_SAFE_INTEGER);
  const peCount = f.requiredInt("pe_count", UINT32_MAX);
  const baStartSectors = f.int("ba_start", { required: false, max: Number.MAX_SAFE_INTEGER });
  const baSizeSectors = f.int("ba_size", { required: false, max: Number.MAX_SAFE_INTEGER });
  if (Boolean(baStartSectors) !== Boolean(baSizeSectors)) {
    throw new MetadataImportError(
      `${path}/ba_start`,
      "ba_start and ba_size both set or both zero",
      `ba_start=${baStartSectors ?? "nothing"}, ba_size=${baSizeSectors ?? "nothing"}`,
    );
  }
  return {
    name: section.key,
    id,
    deviceHint,
    ...(deviceIdType !== undefined ? { deviceIdType } : {}),
    ...(deviceId !== undefined ? { deviceId } : {}),
    status: missing ? PV_STATUS_FLAGS.filter((s) => s === "MISSING" || status.includes(s)) : status,
    flags: rawFlags.filter((flag) => flag !== "MISSING"),
    tags,
    ...(devSizeSectors !== undefined ? { devSizeSectors } : {}),
    peStartSectors,
    peCount,
    ...(baStartSectors !== undefined ? { baStartSectors } : {}),
    ...(baSizeSectors !== undefined ? { baSizeSectors } : {}),
    extra: f.rest(),
  };
}

interface Names {
  readonly pvs: ReadonlySet<string>;
  readonly lvs: ReadonlySet<string>;
}

function readAreas(f: Fields, key: string, count: number, names: Names): SegmentArea[] {
  const expected = `an array of ${count} (name, extent) pair(s)`;
  const arr = f.array(key, expected);
  if (arr.items.length !== count * 2) {
    throw new MetadataImportError(`${f.path}/${key}`, expected, `${arr.items.length} item(s)`);
  }
  const areas: SegmentArea[] = [];
  for (let i = 0; i < arr.items.length; i += 2) {
    const name = arr.items[i] as ConfigScalar;
    const start = arr.items[i + 1] as ConfigScalar;
    if (name.kind !== "string") {
      throw new MetadataImportError(`${f.path}/${key}[${i}]`, "a PV or LV name string", describeValue(name));
    }
    if (start.kind !== "int" || start.value < 0 || start.value > UINT32_MAX) {
      throw new MetadataImportError(`${f.path}/${key}[${i + 1}]`, "an extent number", describeValue(start));
    }
    // LVM2 looks the name up among the PVs first, then the LVs (`text_import_areas`).
    if (names.pvs.has(name.value)) areas.push({ kind: "pv", pv: name.value, pe: start.value });
    else if (names.lvs.has(name.value)) areas.push({ kind: "lv", lv: name.value, le: start.value });
    else {
      throw new MetadataImportError(
        `${f.path}/${key}[${i}]`,
        "the name of a PV or LV of this VG",
        `unknown volume ${JSON.stringify(name.value)}`,
      );
    }
  }
  return areas;
}

function readLvRef(f: Fields, key: string, names: Names, required: boolean): string | undefined {
  const name = f.str(key, required);
  if (name !== undefined && !names.lvs.has(name)) {
    throw new MetadataImportError(
      `${f.path}/${key}`,
      "the name of an LV of this VG",
      `unknown LV ${JSON.stringify(name)}`,
    );
  }
  return name;
}

function readSegment(section: ConfigSection, path: string, names: Names): Segment {
  const f = new Fields(section, path);
  const startExtent = f.requiredInt("start_extent", UINT32_MAX);
  const extentCount = f.requiredInt("extent_count", UINT32_MAX);
  const reshapeCount = f.int("reshape_count", { required: false, max: UINT32_MAX });
  const typeText = f.str("type", true) as string;
  const [segType = "", ...typeFlags] = typeText.split("+");
  typeFlags.forEach((flag) => {
    if (!SEGTYPE_FLAGS.has(flag)) {
      throw new MetadataImportError(
        `${path}/type`,
        "a segment type with known +FLAGS",
        `unknown flag ${flag}`,
      );
    }
  });
  const tags = f.strList("tags", false) ?? [];
  const base: SegmentBase = {
    startExtent,
    extentCount,
    ...(reshapeCount !== undefined ? { reshapeCount } : {}),
    typeFlags,
    tags,
  };
  const maxAreas = IMPORT_LIMITS.areasPerSegmentMax;
  let seg: Segment;
  switch (segType) {
    case "striped": {
      const stripeCount = f.int("stripe_count", { required: true, min: 1, max: maxAreas }) as number;
      const stripeSizeSectors =
        stripeCount > 1 ? f.int("stripe_size", { required: true, max: UINT32_MAX }) : undefined;
      const areas = readAreas(f, "stripes", stripeCount, names);
      seg = {
        ...base,
        type: "striped",
        stripeCount,
        ...(stripeSizeSectors !== undefined ? { stripeSizeSectors } : {}),
        areas,
      };
      break;
    }
    case "mirror": {
      const mirrorCount = f.int("mirror_count", { required: true, min: 1, max: maxAreas }) as number;
      const extentsMoved = f.int("extents_moved", { required: false, max: UINT32_MAX });
      const mirrorLog = readLvRef(f, "mirror_log", names, false);
      const regionSizeSectors = f.int("region_size", { required: false, max: UINT32_MAX });
      if (mirrorLog !== undefined && !regionSizeSectors) {
        throw new MetadataImportError(`${path}/region_size`, "a region size for the mirror log", "nothing");
      }
      const areas = readAreas(f, "mirrors", mirrorCount, names);
      seg = {
        ...base,
        type: "mirror",
        mirrorCount,
        ...(extentsMoved !== undefined ? { extentsMoved } : {}),
        ...(mirrorLog !== undefined ? { mirrorLog } : {}),
        ...(regionSizeSectors !== undefined ? { regionSizeSectors } : {}),
        areas,
      };
      break;
    }
    case "snapshot": {
      const chunkSizeSectors = f.requiredInt("chunk_size", UINT32_MAX);
      const origin = readLvRef(f, "origin", names, true) as string;
      const merging = f.has("merging_store");
      if (merging && f.has("cow_store")) {
        throw new MetadataImportError(`${path}/cow_store`, "either cow_store or merging_store", "both");
      }
      const cowStore = readLvRef(f, merging ? "merging_store" : "cow_store", names, true) as string;
      seg = { ...base, type: "snapshot", chunkSizeSectors, origin, cowStore, merging };
      break;
    }
    case "error":
    case "zero":
      seg = { ...base, type: segType };
      break;
    default:
      return { ...base, type: "other", segType, items: f.rest() };
  }
  // LVM2 ignores keys a segment type does not read (e.g. `data_copies` on a striped segment); keep them.
  const rest = f.rest();
  return rest.length > 0 ? { ...seg, extra: rest } : seg;
}

function readLv(section: ConfigSection, path: string, names: Names): LogicalVolume {
  const f = new Fields(section, path);
  const id = f.str("id", true) as string;
  const status = readStatus<LvStatusFlag>(f, LV_STATUS_FLAGS);
  const flags = f.strList("flags", false) ?? [];
  const tags = f.strList("tags", false) ?? [];
  const creationTime = f.int("creation_time", { required: false, max: Number.MAX_SAFE_INTEGER });
  const creationHost = f.str("creation_host", false);
  if ((creationTime === undefined) !== (creationHost === undefined)) {
    const missing = creationTime === undefined ? "creation_time" : "creation_host";
    throw new MetadataImportError(
      `${path}/${missing}`,
      "creation_time and creation_host together",
      "only one",
    );
  }
  const lockArgs = f.str("lock_args", false);
  const allocationPolicy = readPolicy(f, "inherit");
  const profile = f.str("profile", false);
  const readAheadSectors = f.int("read_ahead", { required: false, min: -1, max: UINT32_MAX });
  const major = f.int("major", { required: false, max: UINT32_MAX });
  const minor = f.int("minor", { required: false, max: UINT32_MAX });
  const segmentCount = f.int("segment_count", {
    required: true,
    min: 0,
    max: IMPORT_LIMITS.segmentsPerLvMax,
  }) as number;
  const segSections = f.sections();
  for (const s of segSections) f.markUsed(s);
  if (segSections.length !== segmentCount) {
    throw new MetadataImportError(
      `${path}/segment_count`,
      `${segmentCount} segment section(s) as segment_count says`,
      `${segSections.length}`,
    );
  }
  const segments = segSections.map((s) => readSegment(s, `${path}/${s.key}`, names));
  return {
    name: section.key,
    id,
    status,
    flags,
    tags,
    ...(creationTime !== undefined ? { creationTime, creationHost: creationHost as string } : {}),
    ...(lockArgs !== undefined ? { lockArgs } : {}),
    allocationPolicy,
    ...(profile !== undefined ? { profile } : {}),
    ...(readAheadSectors !== undefined ? { readAheadSectors } : {}),
    ...(major !== undefined ? { major } : {}),
    ...(minor !== undefined ? { minor } : {}),
    segments,
    extra: f.rest(),
  };
}

function childSections(f: Fields, key: string, required: boolean, max: number): ConfigSection[] {
  const node = f.node(key);
  if (!node) {
    if (required) throw new MetadataImportError(`${f.path}/${key}`, "a section", "nothing");
    return [];
  }
  if (node.kind !== "section") throw new MetadataImportError(`${f.path}/${key}`, "a section", describe(node));
  const sections = node.items.filter((n): n is ConfigSection => n.kind === "section");
  const stray = node.items.find((n) => n.kind !== "section");
  if (stray) throw new MetadataImportError(`${f.path}/${key}/${stray.key}`, "a section", describe(stray));
  if (sections.length > max) {
    throw new MetadataImportError(`${f.path}/${key}`, `at most ${max} entries`, `${sections.length}`);
  }
  return sections;
}

/** Reads the VG section (`vg0 { … }`) of text metadata into a {@link VolumeGroup}. */
export function importVg(section: ConfigSection): VolumeGroup {
  const path = section.key;
  const f = new Fields(section, path);
  const id = f.str("id", true) as string;
  const seqno = f.requiredInt("seqno", UINT32_MAX);
  const format = f.str("format", false);
  // "PARTIAL" may appear in old backup files; LVM2 accepts it and never writes it back.
  const status = readStatus<VgStatusFlag>(f, VG_STATUS_FLAGS, { alsoAccept: ["PARTIAL"] });
  const flags = f.strList("flags", false) ?? [];
  const tags = f.strList("tags", false) ?? [];
  const systemId = f.str("system_id", false);
  const lockType = f.str("lock_type", false);
  const lockArgs = f.str("lock_args", false);
  const pr = f.strList("pr", false);
  const extentSizeSectors = f.int("extent_size", { required: true, min: 1, max: UINT32_MAX }) as number;
  const maxLv = f.requiredInt("max_lv", UINT32_MAX);
  const maxPv = f.requiredInt("max_pv", UINT32_MAX);
  const allocationPolicy = readPolicy(f, "normal");
  const profile = f.str("profile", false);
  const metadataCopies = f.int("metadata_copies", { required: false, max: UINT32_MAX }) ?? 0;

  const pvSections = childSections(f, "physical_volumes", true, IMPORT_LIMITS.pvsMax);
  const pvs = pvSections.map((s) => readPv(s, `${path}/physical_volumes/${s.key}`));
  const lvSections = childSections(f, "logical_volumes", false, IMPORT_LIMITS.lvsMax);
  const names: Names = { pvs: new Set(pvs.map((p) => p.name)), lvs: new Set(lvSections.map((s) => s.key)) };
  const lvs = lvSections.map((s) => readLv(s, `${path}/logical_volumes/${s.key}`, names));
  const hist = f.node("historical_logical_volumes");
  if (hist && hist.kind !== "section") {
    throw new MetadataImportError(`${path}/historical_logical_volumes`, "a section", describe(hist));
  }
  return {
    name: section.key,
    id,
    seqno,
    ...(format !== undefined ? { format } : {}),
    status,
    flags,
    tags,
    ...(systemId !== undefined ? { systemId } : {}),
    ...(lockType !== undefined ? { lockType } : {}),
    ...(lockArgs !== undefined ? { lockArgs } : {}),
    ...(pr !== undefined ? { pr } : {}),
    extentSizeSectors,
    maxLv,
    maxPv,
    allocationPolicy,
    ...(profile !== undefined ? { profile } : {}),
    metadataCopies,
    pvs,
    lvs,
    ...(hist ? { historicalLvs: hist } : {}),
    extra: f.rest(),
  };
}

/**
 * Finds the VG section of a whole metadata file (raw on-disk text or a backup file): the first
 * top-level section, since the header assignments (`contents`, `version`, …) are not sections.
 */
export function findVgSection(file: ConfigFile): ConfigSection {
  const section = file.items.find((n): n is ConfigSection => n.kind === "section");
  if (!section) throw new MetadataImportError("(top level)", "a VG section such as vg0 { … }", "no section");
  return section;
}
