/**
 * `vg_validate`-style consistency checks (`lib/metadata/metadata.c`, `check_lv_segments` in
 * `merge.c`): every extent used at most once, segments contiguous from extent 0, area lengths
 * consistent with stripes and mirrors, ranges inside their PV or LV, references resolvable, names
 * unique and valid, and the structural rules of mirrors, snapshots and pvmove. Each problem is
 * reported with a code, the metadata path and a message saying what is wrong and where.
 */

import { type ExtentUse, lvSizeExtents, pvUsage } from "./extent-map.js";
import { lvKinds, otherSegmentLvNames } from "./lv-kind.js";
import { type LogicalVolume, type Segment, segmentAreaLen, type VolumeGroup } from "./model.js";
import { nameProblem } from "./names.js";

/** The classes of problem {@link validateVg} finds, so tests and callers can match on them. */
export type ValidationCode =
  | "seqno"
  | "extent-size"
  | "invalid-name"
  | "duplicate-name"
  | "duplicate-id"
  | "pv-size"
  | "empty-lv"
  | "segment-gap"
  | "segment-overlap"
  | "segment-length"
  | "area-count"
  | "stripe-size"
  | "unknown-pv"
  | "unknown-lv"
  | "pe-out-of-range"
  | "le-out-of-range"
  | "extent-used-twice"
  | "mirror-structure"
  | "snapshot-structure"
  | "pvmove-structure"
  | "limit";

/** One problem found in a VG. */
export interface ValidationIssue {
  readonly code: ValidationCode;
  /** Metadata path, as in import errors: `vg0/logical_volumes/lv0/segment2`. */
  readonly path: string;
  readonly message: string;
}

/** Thrown by {@link assertValidVg}; carries every issue found. */
export class MetadataValidationError extends Error {
  override readonly name = "MetadataValidationError";
  constructor(
    readonly vgName: string,
    readonly issues: readonly ValidationIssue[],
  ) {
    const shown = issues.slice(0, 5).map((i) => `${i.path}: ${i.message}`);
    const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : "";
    super(
      `VG ${vgName} metadata is inconsistent: ${shown.join("; ")}${more}; ` +
        "refusing to use it, restore a good copy with vgcfgrestore",
    );
  }
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && Number.isInteger(n) && (n & (n - 1)) === 0;
}

class Report {
  readonly issues: ValidationIssue[] = [];
  add(code: ValidationCode, path: string, message: string): void {
    this.issues.push({ code, path, message });
  }
}

function checkSegments(lv: LogicalVolume, path: string, r: Report): void {
  if (lv.segments.length === 0) {
    r.add("empty-lv", path, `LV ${lv.name} has no segments; an LV must map at least one extent`);
    return;
  }
  let expectedLe = 0;
  lv.segments.forEach((seg, i) => {
    const segPath = `${path}/segment${i + 1}`;
    if (seg.startExtent > expectedLe) {
      r.add(
        "segment-gap",
        segPath,
        `starts at extent ${seg.startExtent} but the previous segment ends at ${expectedLe}: extents ${expectedLe}..${seg.startExtent - 1} are unmapped`,
      );
    } else if (seg.startExtent < expectedLe) {
      r.add(
        "segment-overlap",
        segPath,
        `starts at extent ${seg.startExtent}, inside the previous segment which ends at ${expectedLe}`,
      );
    }
    if (seg.extentCount <= 0)
      r.add("segment-length", segPath, `extent_count is ${seg.extentCount}, must be at least 1`);
    expectedLe = seg.startExtent + seg.extentCount;
    checkSegmentShape(seg, segPath, r);
  });
  if (lv.segments.length > 0 && lvSizeExtents(lv) !== expectedLe) {
    // Only reachable with gaps/overlaps, already reported; kept as a cross-check of le_count.
    r.add(
      "segment-length",
      path,
      `segments sum to ${lvSizeExtents(lv)} extents but end at extent ${expectedLe}`,
    );
  }
}

function checkSegmentShape(seg: Segment, path: string, r: Report): void {
  if (seg.type === "striped") {
    if (seg.areas.length !== seg.stripeCount) {
      r.add(
        "area-count",
        path,
        `stripe_count is ${seg.stripeCount} but stripes lists ${seg.areas.length} area(s)`,
      );
    }
    if (seg.stripeCount > 0 && seg.extentCount % seg.stripeCount !== 0) {
      r.add(
        "area-count",
        path,
        `extent_count ${seg.extentCount} is not a multiple of stripe_count ${seg.stripeCount} (area_len = extent_count / stripe_count)`,
      );
    }
    if (seg.stripeCount > 1 && !isPowerOfTwo(seg.stripeSizeSectors ?? 0)) {
      r.add(
        "stripe-size",
        path,
        `stripe_size ${seg.stripeSizeSectors ?? "(missing)"} must be a power of 2 sectors`,
      );
    }
  } else if (seg.type === "mirror") {
    if (seg.areas.length !== seg.mirrorCount) {
      r.add(
        "area-count",
        path,
        `mirror_count is ${seg.mirrorCount} but mirrors lists ${seg.areas.length} area(s)`,
      );
    }
    if (seg.extentsMoved !== undefined && seg.extentsMoved > seg.extentCount) {
      r.add(
        "pvmove-structure",
        path,
        `extents_moved ${seg.extentsMoved} exceeds extent_count ${seg.extentCount}`,
      );
    }
    if (seg.regionSizeSectors !== undefined && !isPowerOfTwo(seg.regionSizeSectors)) {
      r.add("mirror-structure", path, `region_size ${seg.regionSizeSectors} must be a power of 2 sectors`);
    }
  } else if (seg.type === "snapshot") {
    if (!isPowerOfTwo(seg.chunkSizeSectors)) {
      r.add("snapshot-structure", path, `chunk_size ${seg.chunkSizeSectors} must be a power of 2 sectors`);
    }
  }
}

interface LvUse {
  readonly le: number;
  readonly count: number;
  readonly by: string;
}

function checkAreas(vg: VolumeGroup, lvPath: (name: string) => string, r: Report): void {
  const pvs = new Map(vg.pvs.map((pv) => [pv.name, pv] as const));
  const lvs = new Map(vg.lvs.map((lv) => [lv.name, lv] as const));
  const lvUses = new Map<string, LvUse[]>();
  for (const lv of vg.lvs) {
    lv.segments.forEach((seg, i) => {
      if (seg.type !== "striped" && seg.type !== "mirror") return;
      const areaLen = segmentAreaLen(seg);
      const key = seg.type === "striped" ? "stripes" : "mirrors";
      seg.areas.forEach((a, s) => {
        // Built only for a problem: most VGs have none, and every write validates every area.
        const areaPath = (): string => `${lvPath(lv.name)}/segment${i + 1}/${key}[${2 * s}]`;
        if (a.kind === "pv") {
          const pv = pvs.get(a.pv);
          if (!pv) {
            r.add("unknown-pv", areaPath(), `refers to PV ${a.pv}, which is not in VG ${vg.name}`);
          } else if (a.pe + areaLen > pv.peCount) {
            r.add(
              "pe-out-of-range",
              areaPath(),
              `uses ${a.pv} (${pv.deviceHint}) extents ${a.pe}..${a.pe + areaLen - 1} but the PV has pe_count ${pv.peCount}`,
            );
          }
        } else {
          const sub = lvs.get(a.lv);
          if (!sub) {
            r.add("unknown-lv", areaPath(), `refers to LV ${a.lv}, which is not in VG ${vg.name}`);
            return;
          }
          if (sub.name === lv.name) r.add("unknown-lv", areaPath(), `LV ${lv.name} uses itself as an area`);
          const size = lvSizeExtents(sub);
          if (a.le + areaLen > size) {
            r.add(
              "le-out-of-range",
              areaPath(),
              `uses ${a.lv} extents ${a.le}..${a.le + areaLen - 1} but that LV has ${size} extent(s)`,
            );
          }
          const list = lvUses.get(a.lv) ?? [];
          list.push({ le: a.le, count: areaLen, by: `${lv.name} segment${i + 1}` });
          lvUses.set(a.lv, list);
        }
      });
    });
  }
  for (const [name, uses] of lvUses) {
    uses.sort((x, y) => x.le - y.le);
    for (let i = 1; i < uses.length; i++) {
      const prev = uses[i - 1] as LvUse;
      const cur = uses[i] as LvUse;
      if (cur.le < prev.le + prev.count) {
        r.add(
          "extent-used-twice",
          lvPath(name),
          `extent ${cur.le} of LV ${name} is used by both ${prev.by} and ${cur.by}`,
        );
      }
    }
  }
}

function checkPvExtents(vg: VolumeGroup, r: Report): void {
  for (const [pvName, uses] of pvUsage(vg)) {
    const pv = vg.pvs.find((p) => p.name === pvName);
    const where = `${vg.name}/physical_volumes/${pvName}`;
    for (let i = 1; i < uses.length; i++) {
      const prev = uses[i - 1] as ExtentUse;
      const cur = uses[i] as ExtentUse;
      if (cur.pe < prev.pe + prev.count) {
        r.add(
          "extent-used-twice",
          where,
          `PE ${cur.pe} of ${pvName}${pv ? ` (${pv.deviceHint})` : ""} is used by both ${prev.lv} segment${prev.segment + 1} and ${cur.lv} segment${cur.segment + 1}`,
        );
      }
    }
  }
}

function checkStructure(vg: VolumeGroup, lvPath: (name: string) => string, r: Report): void {
  const kinds = lvKinds(vg);
  const lvs = new Map(vg.lvs.map((lv) => [lv.name, lv] as const));
  const cowOwners = new Map<string, string>();
  for (const lv of vg.lvs) {
    const path = lvPath(lv.name);
    const kind = kinds.get(lv.name);
    lv.segments.forEach((seg, i) => {
      const segPath = `${path}/segment${i + 1}`;
      if (seg.type === "mirror") {
        for (const a of seg.areas) {
          if (a.kind !== "lv") continue;
          const image = lvs.get(a.lv);
          if (image?.status.includes("VISIBLE")) {
            r.add(
              "mirror-structure",
              segPath,
              `mirror image ${a.lv} is VISIBLE; mirror images must be hidden LVs`,
            );
          }
        }
        if (seg.mirrorLog !== undefined) {
          const log = lvs.get(seg.mirrorLog);
          if (!log) r.add("unknown-lv", segPath, `mirror_log ${seg.mirrorLog} is not an LV of VG ${vg.name}`);
          else if (log.status.includes("VISIBLE")) {
            r.add(
              "mirror-structure",
              segPath,
              `mirror log ${seg.mirrorLog} is VISIBLE; a mirror log must be hidden`,
            );
          }
          if (!seg.regionSizeSectors)
            r.add("mirror-structure", segPath, "a mirror with a disk log needs region_size");
        }
        if (seg.extentsMoved !== undefined && !lv.status.includes("PVMOVE")) {
          r.add(
            "pvmove-structure",
            segPath,
            `extents_moved is set but LV ${lv.name} does not have status PVMOVE`,
          );
        }
      } else if (seg.type === "other") {
        for (const name of otherSegmentLvNames(seg)) {
          if (!lvs.has(name))
            r.add("unknown-lv", segPath, `${seg.segType} segment lists LV ${name}, which does not exist`);
        }
      } else if (seg.type === "snapshot") {
        if (lv.segments.length !== 1) {
          r.add(
            "snapshot-structure",
            path,
            `snapshot LV ${lv.name} has ${lv.segments.length} segments, must have 1`,
          );
        }
        if (!lvs.has(seg.origin))
          r.add("unknown-lv", segPath, `snapshot origin ${seg.origin} does not exist`);
        if (!lvs.has(seg.cowStore))
          r.add("unknown-lv", segPath, `snapshot cow store ${seg.cowStore} does not exist`);
        if (seg.origin === seg.cowStore) {
          r.add("snapshot-structure", segPath, `LV ${seg.origin} is both origin and cow store of ${lv.name}`);
        }
        const owner = cowOwners.get(seg.cowStore);
        if (owner !== undefined) {
          r.add(
            "snapshot-structure",
            segPath,
            `cow store ${seg.cowStore} is already used by snapshot ${owner}`,
          );
        }
        cowOwners.set(seg.cowStore, lv.name);
      }
    });
    if (kind?.pvmove) {
      if (lv.status.includes("VISIBLE")) {
        r.add("pvmove-structure", path, `pvmove LV ${lv.name} is VISIBLE; pvmove LVs are hidden`);
      }
      for (const [i, seg] of lv.segments.entries()) {
        if (seg.type !== "mirror") {
          r.add(
            "pvmove-structure",
            `${path}/segment${i + 1}`,
            `pvmove LV segment has type ${seg.type}, expected mirror`,
          );
        }
      }
    }
    // An LV whose areas point at a pvmove LV is being moved and must be LOCKED.
    for (const seg of lv.segments) {
      if (seg.type !== "striped") continue;
      const viaPvmove = seg.areas.find((a) => a.kind === "lv" && kinds.get(a.lv)?.pvmove);
      if (viaPvmove && !lv.status.includes("LOCKED") && !kind?.pvmove) {
        r.add("pvmove-structure", path, `LV ${lv.name} maps through a pvmove LV but is not LOCKED`);
        break;
      }
    }
  }
}

/** Every consistency problem of `vg`; empty when it is valid. */
export function validateVg(vg: VolumeGroup): ValidationIssue[] {
  const r = new Report();
  const vgPath = vg.name;
  const lvPath = (name: string): string => `${vgPath}/logical_volumes/${name}`;
  if (!Number.isInteger(vg.seqno) || vg.seqno < 1)
    r.add("seqno", `${vgPath}/seqno`, `seqno is ${vg.seqno}, must be >= 1`);
  if (!Number.isInteger(vg.extentSizeSectors) || vg.extentSizeSectors < 1) {
    r.add(
      "extent-size",
      `${vgPath}/extent_size`,
      `extent_size is ${vg.extentSizeSectors}, must be >= 1 sector`,
    );
  }
  const vgNameProblem = nameProblem(vg.name);
  if (vgNameProblem)
    r.add("invalid-name", vgPath, `VG name ${JSON.stringify(vg.name)} is invalid: ${vgNameProblem}`);

  const seen = new Map<string, string>();
  const seenIds = new Map<string, string>();
  const unique = (kind: string, name: string, id: string, path: string): void => {
    const prev = seen.get(`${kind}:${name}`);
    if (prev !== undefined) r.add("duplicate-name", path, `${kind} name ${name} is used twice`);
    seen.set(`${kind}:${name}`, path);
    const prevId = seenIds.get(id);
    if (prevId !== undefined) r.add("duplicate-id", path, `id ${id} is also used by ${prevId}`);
    seenIds.set(id, path);
  };
  for (const pv of vg.pvs) {
    const path = `${vgPath}/physical_volumes/${pv.name}`;
    unique("PV", pv.name, pv.id, path);
    const endSectors = pv.peStartSectors + pv.peCount * vg.extentSizeSectors;
    if (pv.devSizeSectors !== undefined && endSectors > pv.devSizeSectors) {
      r.add(
        "pv-size",
        path,
        `pe_start ${pv.peStartSectors} + pe_count ${pv.peCount} x extent_size ${vg.extentSizeSectors} = ${endSectors} sectors exceeds dev_size ${pv.devSizeSectors}`,
      );
    }
  }
  for (const lv of vg.lvs) {
    const path = lvPath(lv.name);
    unique("LV", lv.name, lv.id, path);
    const problem = nameProblem(lv.name);
    if (problem) r.add("invalid-name", path, `LV name ${JSON.stringify(lv.name)} is invalid: ${problem}`);
    checkSegments(lv, path, r);
  }
  if (vg.maxPv > 0 && vg.pvs.length > vg.maxPv) {
    r.add("limit", `${vgPath}/max_pv`, `VG has ${vg.pvs.length} PVs but max_pv is ${vg.maxPv}`);
  }
  if (vg.maxLv > 0) {
    const kinds = lvKinds(vg);
    const visible = vg.lvs.filter((lv) => kinds.get(lv.name)?.visible).length;
    if (visible > vg.maxLv)
      r.add("limit", `${vgPath}/max_lv`, `VG has ${visible} visible LVs but max_lv is ${vg.maxLv}`);
  }
  checkAreas(vg, lvPath, r);
  checkPvExtents(vg, r);
  checkStructure(vg, lvPath, r);
  return r.issues;
}

/** Throws {@link MetadataValidationError} listing every problem unless `vg` is valid. */
export function assertValidVg(vg: VolumeGroup): void {
  const issues = validateVg(vg);
  if (issues.length > 0) throw new MetadataValidationError(vg.name, issues);
}
