/**
 * LVM2's extent allocator, reproduced decision for decision so that the same command on the same
 * VG picks the same PVs and PE ranges as real LVM2. Verified against lvm2 HEAD d804677c7
 * (2.03.40-git) `lib/metadata/lv_manip.c` and `lib/metadata/pv_map.c`:
 *
 * - `create_pv_maps`/`_create_alloc_areas_for_pv`: one map per allocatable, non-missing PV in the
 *   order of the PV list; each map's free areas kept **largest first**, equal sizes in PE order
 *   (`_insert_area` inserts before the first strictly smaller area). Reserving part of an area
 *   re-sorts it by its unreserved size *while the caller is iterating the list*; we keep a linked
 *   list with the same iteration semantics (`dm_list_iterate_items` reads `next` after the body).
 * - `_allocate`: tries policies contiguous → cling → (cling_by_tags, skipped without
 *   `allocation/cling_tag_list`) → normal → anywhere, up to the requested one; checks
 *   `_sufficient_pes_free` first ("Insufficient free space: %u extents needed, but only %u
 *   available"); a contiguous request cannot split.
 * - `_init_alloc_parms`: contiguous/cling follow the LV's last segment only when its area count
 *   matches; with `allocation/maximise_cling` (default on) normal allocation clings to PVs already
 *   used in this allocation.
 * - `_find_some_parallel_space`/`_check_pva`: per PV, the smallest area still big enough (or the
 *   largest when splitting), candidates sorted by size largest first (`_comp_area`; glibc's qsort
 *   is a stable merge sort for these sizes, so ties keep PV order), the mirror log on the smallest
 *   remaining candidate, positional fill for contiguous/cling, the second iteration that puts logs
 *   on PVs already used when `mirror_logs_require_separate_pvs` is 0 (the default).
 * - `_check_cling` with maximise_cling looks only at the LV's *first* segment: `_for_each_pv`
 *   visits the single segment containing the start LE, whatever length it is given.
 *
 * Checked against real lvm2 2.03.16: 180 seeded random scenarios (1314 lvcreate/lvextend/lvreduce/
 * lvremove commands with every policy, stripes, PV and PE-range arguments) recorded from the real
 * tool replay to the same layouts and errors (`test/engine/metadata/real-lvm2.test.ts`). Mirror and
 * pvmove placement could not be run for real (no device-mapper here) and rest on the source reading
 * plus the verified pvmove example of the research notes.
 *
 * Not modelled: raid/thin/cache metadata areas (`alloc_and_split_meta`), parity devices, and
 * `cling_tag_list` (tags-based cling); these paths are absent rather than approximated.
 */

import { type MutationInfo, type Mutations, NO_MUTATIONS } from "../sim/mutations.js";
import { pvFreeRanges, pvUsage } from "./extent-map.js";
import {
  type AllocPolicy,
  type LogicalVolume,
  type Segment,
  segmentAreaLen,
  type VolumeGroup,
} from "./model.js";
import { allPvs, type PvSelection } from "./pv-list.js";

/** Mutation: the allocator's free-space map forgets the extents of the VG's first LV (a stale cache). */
export const MUTATION_ALLOC_STALE_FREE_SPACE = "metadata.alloc.stale-free-space";

/** Catalogue entry for {@link MUTATION_ALLOC_STALE_FREE_SPACE}. */
export const ALLOC_STALE_FREE_SPACE: MutationInfo = {
  name: MUTATION_ALLOC_STALE_FREE_SPACE,
  description:
    "The extent allocator builds its free-space map without the first LV's extents, as if free space were " +
    "cached and had drifted from the segments: the next allocation can hand out extents already in use",
};

const ALLOC_CONTIGUOUS = 1;
const ALLOC_CLING = 2;
const ALLOC_CLING_BY_TAGS = 3;
const ALLOC_NORMAL = 4;
const ALLOC_ANYWHERE = 5;

const A_CONTIGUOUS_TO_LVSEG = 0x01;
const A_CLING_TO_LVSEG = 0x02;
const A_CLING_TO_ALLOCATED = 0x04;
const A_CLING_BY_TAGS = 0x08;
const A_CAN_SPLIT = 0x10;
const A_AREA_COUNT_MATCHES = 0x20;
const A_POSITIONAL_FILL = 0x40;

/** Loop bound for the allocator's retry loops; each productive pass consumes at least one extent. */
const PASSES_MAX = 1_000_000;

const POLICY_NUMBER: Record<Exclude<AllocPolicy, "inherit">, number> = {
  contiguous: ALLOC_CONTIGUOUS,
  cling: ALLOC_CLING,
  normal: ALLOC_NORMAL,
  anywhere: ALLOC_ANYWHERE,
};

/** Allocation failed the way LVM2's would; `message` is LVM2's own wording plus what to do. */
export class AllocationError extends Error {
  override readonly name = "AllocationError";
}

/** PVs an allocation must avoid for LV extents `[le, le + len)` (`struct seg_pvs`). */
export interface SegPvs {
  readonly le: number;
  readonly len: number;
  readonly pvs: readonly string[];
}

/** What to allocate (the arguments of LVM2's `allocate_extents`). */
export interface AllocRequest {
  /** The LV being extended; its last segment is what contiguous/cling follow. Absent for a new LV. */
  readonly lv?: string;
  /** New logical extents wanted (not counting the LV's current size). */
  readonly extents: number;
  /** Stripes per image (1 = linear). */
  readonly stripes?: number;
  /** Mirror images (0 or 1 = not mirrored); parallel areas = mirrors × stripes. */
  readonly mirrors?: number;
  /** Mirror log areas wanted (0 core log, 1 disk log). */
  readonly logCount?: number;
  /** Mirror region size, used to size the log (`_mirror_log_extents`). */
  readonly regionSizeSectors?: number;
  /**
   * The log's length in extents, given rather than sized from the region size: a thin pool's
   * metadata is allocated as its "log" (`_alloc_init` passes the metadata extents as `log_len`).
   */
  readonly logLenExtents?: number;
  /** `--alloc`; `inherit` (the default) takes the VG's policy. */
  readonly policy?: AllocPolicy;
  /** PVs (and ranges) allowed, in order; all PVs of the VG by default. */
  readonly pvs?: readonly PvSelection[];
  /** PVs to avoid per LE range (`build_parallel_areas_from_lv`). */
  readonly parallelAreas?: readonly SegPvs[];
  /** Take what is available up to `extents` (`lvcreate -l 100%FREE` style). */
  readonly approx?: boolean;
  /** `allocation/maximise_cling`, default true. */
  readonly maximiseCling?: boolean;
  /** `allocation/mirror_logs_require_separate_pvs`, default false. */
  readonly mirrorLogsSeparate?: boolean;
  /** Deliberate bugs to build in (tests only); see {@link MUTATION_ALLOC_STALE_FREE_SPACE}. */
  readonly mutations?: Mutations;
}

/** One PV extent run chosen for one parallel area. */
export interface AllocatedArea {
  readonly pv: string;
  readonly pe: number;
  readonly count: number;
}

/** The allocator's answer: rows of parallel areas (one row per pass) plus the log areas. */
export interface Allocation {
  /** Each row holds `areaCount` areas of equal length, in stripe/image order (`allocated_areas`). */
  readonly rows: readonly (readonly AllocatedArea[])[];
  readonly logAreas: readonly AllocatedArea[];
  readonly areaCount: number;
  /** Logical extents per area extent: stripes for striped, 1 for mirrors of linear images. */
  readonly areaMultiple: number;
  /** Logical extents actually allocated (less than requested only with `approx`). */
  readonly extents: number;
  readonly logLen: number;
}

interface ListNode {
  prev: ListNode;
  next: ListNode;
}

interface PvArea extends ListNode {
  readonly map: PvMap;
  start: number;
  count: number;
  unreserved: number;
}

interface PvMap {
  readonly pv: string;
  readonly head: ListNode;
  peCount: number;
}

function newHead(): ListNode {
  const head = {} as ListNode;
  head.prev = head;
  head.next = head;
  return head;
}

function listEmpty(head: ListNode): boolean {
  return head.next === head;
}

/** `dm_list_add(before, node)`: inserts `node` just before `before`. */
function listAddBefore(before: ListNode, node: ListNode): void {
  node.next = before;
  node.prev = before.prev;
  before.prev.next = node;
  before.prev = node;
}

function listDel(node: ListNode): void {
  node.prev.next = node.next;
  node.next.prev = node.prev;
}

/** `_insert_area`: keeps areas largest first; equal sizes after existing ones. */
function insertArea(map: PvMap, a: PvArea, reduced: boolean): void {
  const count = reduced ? a.unreserved : a.count;
  let pos = map.head.next;
  while (pos !== map.head && !(count > (pos as PvArea).count)) pos = pos.next;
  listAddBefore(pos, a);
  map.peCount += a.count;
}

function removeArea(a: PvArea): void {
  listDel(a);
  a.map.peCount -= a.count;
}

function consumeArea(a: PvArea, toGo: number): void {
  removeArea(a);
  if (toGo > a.count)
    throw new Error(`Allocator consumed ${toGo} extents from a ${a.count}-extent area on ${a.map.pv}`);
  if (toGo < a.count) {
    a.start += toGo;
    a.count -= toGo;
    a.unreserved = a.count;
    insertArea(a.map, a, false);
  }
}

function reinsertChanged(a: PvArea): void {
  removeArea(a);
  insertArea(a.map, a, true);
}

function* areasOf(map: PvMap): Generator<PvArea> {
  // Reads `next` after the caller's body ran, exactly like dm_list_iterate_items.
  for (let n = map.head.next; n !== map.head; n = n.next) yield n as PvArea;
}

function createPvMaps(vg: VolumeGroup, pvs: readonly PvSelection[], mutations: Mutations): PvMap[] {
  const seen = mutations.has(MUTATION_ALLOC_STALE_FREE_SPACE) ? { ...vg, lvs: vg.lvs.slice(1) } : vg;
  const usage = pvUsage(seen);
  const maps: PvMap[] = [];
  for (const sel of pvs) {
    const pv = vg.pvs.find((p) => p.name === sel.pv);
    if (!pv) throw new AllocationError(`PV ${sel.pv} is not in VG ${vg.name}; pass PVs of this VG`);
    if (!pv.status.includes("ALLOCATABLE") || pv.status.includes("MISSING")) continue;
    let map = maps.find((m) => m.pv === pv.name);
    if (!map) {
      map = { pv: pv.name, head: newHead(), peCount: 0 };
      maps.push(map);
    }
    const free = pvFreeRanges(seen, pv.name, { usage });
    const ranges = sel.ranges ?? [{ pe: 0, count: pv.peCount }];
    for (const range of ranges) {
      const end = Math.min(range.pe + range.count - 1, pv.peCount - 1);
      for (const f of free) {
        const start = Math.max(f.pe, range.pe);
        const last = Math.min(f.pe + f.count - 1, end);
        if (start > last) continue;
        const a = { map, start, count: last - start + 1, unreserved: last - start + 1 } as PvArea;
        insertArea(map, a, false);
      }
    }
  }
  return maps;
}

function pvMapsSize(maps: readonly PvMap[]): number {
  return maps.reduce((sum, m) => sum + m.peCount, 0);
}

interface PvSeg {
  readonly pv: string;
  readonly pe: number;
  readonly len: number;
}

interface AreaUsed {
  pva: PvArea | null;
  used: number;
}

interface AllocParms {
  readonly alloc: number;
  flags: number;
  readonly prevLvseg: Segment | undefined;
  readonly extentsStillNeeded: number;
}

interface AllocState {
  parms: AllocParms;
  areas: AreaUsed[];
  logAreaCountStillNeeded: number;
  allocated: number;
  numPositionalAreas: number;
}

/** `_mirror_log_extents`: header (2 sectors) plus a bitset of one bit per region, in whole extents. */
export function mirrorLogExtents(
  areaLenExtents: number,
  options: { regionSizeSectors: number; extentSizeSectors: number },
): number {
  const { regionSizeSectors, extentSizeSectors } = options;
  const areaSize = areaLenExtents * extentSizeSectors;
  const regionCount = Math.ceil(areaSize / regionSizeSectors);
  const bitsetBytes = Math.ceil(regionCount / 32) * 4;
  const logSectors = Math.ceil((2 * 512 + bitsetBytes) / 512);
  return Math.ceil(logSectors / extentSizeSectors);
}

class Allocator {
  readonly areaCount: number;
  readonly areaMultiple: number;
  readonly logAreaCount: number;
  readonly logLen: number;
  newExtents: number;
  alloc: number;
  readonly maximiseCling: boolean;
  readonly mirrorLogsSeparate: boolean;
  readonly approx: boolean;
  readonly parallelAreas: readonly SegPvs[] | undefined;
  readonly mutations: Mutations;
  /** `allocated_areas`: areaCount data lists then logAreaCount log lists. */
  readonly allocatedAreas: AllocatedArea[][];
  private readonly lvsByName: ReadonlyMap<string, LogicalVolume>;

  constructor(
    readonly vg: VolumeGroup,
    readonly lv: LogicalVolume | undefined,
    req: AllocRequest,
  ) {
    const mirrors = req.mirrors ?? 0;
    // _alloc_init: "if (mirrors && !stripes) stripes = 1".
    const stripes = mirrors && !req.stripes ? 1 : Math.max(req.stripes ?? 1, 0);
    this.areaCount = mirrors > 1 ? mirrors * Math.max(stripes, 1) : stripes;
    // _calc_area_multiple: striped → area_count; mirrored → stripes.
    this.areaMultiple = this.areaCount === 0 ? 1 : mirrors > 1 ? Math.max(stripes, 1) : this.areaCount;
    this.logAreaCount = req.logCount ?? 0;
    const existing = lv ? lv.segments.reduce((s, seg) => s + seg.extentCount, 0) : 0;
    this.logLen =
      this.logAreaCount === 0
        ? 0
        : req.logLenExtents !== undefined
          ? req.logLenExtents
          : mirrorLogExtents(Math.floor((existing + req.extents) / this.areaMultiple), {
              regionSizeSectors: req.regionSizeSectors ?? 4096,
              extentSizeSectors: vg.extentSizeSectors,
            });
    this.newExtents = (this.areaCount > 0 ? req.extents : 0) + (this.areaCount > 0 ? existing : 0);
    const policy = req.policy ?? "inherit";
    const effective = policy === "inherit" ? vg.allocationPolicy : policy;
    this.alloc = POLICY_NUMBER[effective === "inherit" ? "normal" : effective];
    this.maximiseCling = req.maximiseCling ?? true;
    this.mirrorLogsSeparate = req.mirrorLogsSeparate ?? false;
    this.approx = req.approx ?? false;
    this.parallelAreas = req.parallelAreas;
    this.mutations = req.mutations ?? NO_MUTATIONS;
    this.allocatedAreas = Array.from({ length: this.areaCount + this.logAreaCount }, () => []);
    this.lvsByName = new Map(vg.lvs.map((l) => [l.name, l] as const));
  }

  private lvOf(name: string): LogicalVolume {
    const lv = this.lvsByName.get(name);
    if (!lv) throw new AllocationError(`LV ${name} is not in VG ${this.vg.name}`);
    return lv;
  }

  private owner(seg: Segment): LogicalVolume {
    // Segments are compared by identity: find the LV holding this segment object.
    for (const lv of this.vg.lvs) if (lv.segments.includes(seg)) return lv;
    throw new Error("Allocator lost track of a segment's LV");
  }

  private stripesPerMimage(seg: Segment): number {
    if (seg.type === "mirror" && seg.areas.length > 0 && seg.areas[0]?.kind === "lv") {
      const sub = this.lvOf(seg.areas[0].lv);
      const last = sub.segments[sub.segments.length - 1];
      if (last?.type === "striped") return last.areas.length;
    }
    return 1;
  }

  /**
   * `_for_each_pv`: calls `fn` for each PV area of the one segment of `lv` containing `le`,
   * descending into LV areas. Returns 1 to continue, 2 when `fn` asked to stop.
   */
  forEachPv(
    lv: LogicalVolume,
    le: number,
    len: number,
    opts: {
      seg?: Segment;
      maxSegLen?: { value: number };
      firstArea: number;
      maxAreas: number;
      topLevelAreaIndex: number;
      onlySingleAreaSegments: boolean;
    },
    fn: (pvseg: PvSeg, s: number) => number,
  ): number {
    const seg =
      opts.seg ?? lv.segments.find((s) => s.startExtent <= le && le < s.startExtent + s.extentCount);
    if (!seg) throw new AllocationError(`Failed to find segment for ${lv.name} extent ${le}`);
    let remaining = seg.extentCount - (le - seg.startExtent);
    if (remaining > len) remaining = len;
    if (opts.maxSegLen && opts.maxSegLen.value > remaining) opts.maxSegLen.value = remaining;
    const areas = seg.type === "striped" || seg.type === "mirror" ? seg.areas : [];
    const areaMultiple = seg.type === "striped" && areas.length > 0 ? areas.length : 1;
    const areaLen = Math.floor(remaining / areaMultiple) || 1;
    const stripesPerMimage = opts.topLevelAreaIndex === -1 ? this.stripesPerMimage(seg) : 1;
    for (let s = opts.firstArea; s < areas.length && (!opts.maxAreas || s <= opts.maxAreas); s++) {
      const a = areas[s];
      let r = 1;
      if (a?.kind === "lv") {
        r = this.forEachPv(
          this.lvOf(a.lv),
          a.le + Math.floor((le - seg.startExtent) / areaMultiple),
          areaLen,
          {
            ...(opts.maxSegLen ? { maxSegLen: opts.maxSegLen } : {}),
            firstArea: 0,
            maxAreas: stripesPerMimage === 1 && opts.onlySingleAreaSegments ? 1 : 0,
            topLevelAreaIndex: opts.topLevelAreaIndex !== -1 ? opts.topLevelAreaIndex : s * stripesPerMimage,
            onlySingleAreaSegments: opts.onlySingleAreaSegments,
          },
          fn,
        );
      } else if (a?.kind === "pv") {
        r = fn(
          { pv: a.pv, pe: a.pe, len: segmentAreaLen(seg) },
          opts.topLevelAreaIndex !== -1 ? opts.topLevelAreaIndex + s : s,
        );
      }
      if (r !== 1) return r;
    }
    if (!opts.onlySingleAreaSegments && seg.type === "mirror" && seg.mirrorLog !== undefined) {
      const log = this.lvOf(seg.mirrorLog);
      const r = this.forEachPv(
        log,
        0,
        log.segments.reduce((n, x) => n + x.extentCount, 0),
        { firstArea: 0, maxAreas: 0, topLevelAreaIndex: 0, onlySingleAreaSegments: false },
        fn,
      );
      if (r !== 1) return r;
    }
    return 1;
  }

  private isCondition(
    state: AllocState,
    pva: PvArea,
    condition: (pvseg: PvSeg) => boolean,
  ): (pvseg: PvSeg, s: number) => number {
    return (pvseg, s) => {
      const positional = (state.parms.flags & A_POSITIONAL_FILL) !== 0;
      if (positional && state.areas[s]?.pva) return 1;
      if (!condition(pvseg)) return 1;
      if (positional && s >= state.numPositionalAreas) return 1;
      if (positional && s >= state.areas.length) return 1;
      if (positional) state.areas[s] = { pva, used: pva.count };
      return 2;
    };
  }

  private checkCling(prev: Segment, pva: PvArea, state: AllocState): boolean {
    const le = this.maximiseCling ? 0 : prev.startExtent + prev.extentCount - 1;
    const len = this.maximiseCling ? prev.startExtent + prev.extentCount : 1;
    const r = this.forEachPv(
      this.owner(prev),
      le,
      len,
      { firstArea: 0, maxAreas: 0, topLevelAreaIndex: -1, onlySingleAreaSegments: true },
      this.isCondition(state, pva, (pvseg) => pvseg.pv === pva.map.pv),
    );
    return r === 2;
  }

  private checkContiguous(prev: Segment, pva: PvArea, state: AllocState): boolean {
    const r = this.forEachPv(
      this.owner(prev),
      prev.startExtent + prev.extentCount - 1,
      1,
      { firstArea: 0, maxAreas: 0, topLevelAreaIndex: -1, onlySingleAreaSegments: true },
      this.isCondition(state, pva, (pvseg) => pvseg.pv === pva.map.pv && pvseg.pe + pvseg.len === pva.start),
    );
    return r === 2;
  }

  private checkClingToAllocated(pva: PvArea, state: AllocState): boolean {
    const positional = (state.parms.flags & A_POSITIONAL_FILL) !== 0;
    if (state.logAreaCountStillNeeded) return false;
    for (let s = 0; s < this.areaCount; s++) {
      if (positional && state.areas[s]?.pva) continue;
      for (const aa of this.allocatedAreas[s] as AllocatedArea[]) {
        if (pva.map.pv === aa.pv) {
          if (positional) state.areas[s] = { pva, used: pva.count };
          return true;
        }
      }
    }
    return false;
  }

  /** `_check_pva`: what to do with one free area. */
  private checkPva(
    pva: PvArea,
    stillNeeded: number,
    state: AllocState,
    alreadyFoundOne: boolean,
    iterationCount: number,
    logIterationCount: number,
  ): "next-area" | "next-pv" | "preferred" | "use-area" {
    const parms = state.parms;
    if (!pva.unreserved) return "next-area";
    if (iterationCount) {
      for (const a of state.areas) if (a.pva === pva) return "next-area";
    }
    let found = false;
    if (
      !iterationCount &&
      !logIterationCount &&
      parms.flags & (A_CONTIGUOUS_TO_LVSEG | A_CLING_TO_LVSEG | A_CLING_TO_ALLOCATED)
    ) {
      const prev = parms.prevLvseg;
      const matches = this.maximiseCling && (parms.flags & A_AREA_COUNT_MATCHES) !== 0;
      if (
        prev &&
        (parms.flags & A_CONTIGUOUS_TO_LVSEG || matches) &&
        this.checkContiguous(prev, pva, state)
      ) {
        found = true;
      } else if (parms.flags & A_CONTIGUOUS_TO_LVSEG) {
        return "next-area";
      } else if (prev && (parms.flags & A_CLING_TO_LVSEG || matches) && this.checkCling(prev, pva, state)) {
        found = true;
      } else if (parms.flags & A_CLING_TO_ALLOCATED && this.checkClingToAllocated(pva, state)) {
        found = true;
      } else {
        // Cling by tags is not modelled (no allocation/cling_tag_list), so every area of this PV fails alike.
        return "next-pv";
      }
    }
    if (!found) {
      if (
        pva.unreserved * this.areaMultiple < stillNeeded &&
        ((!(parms.flags & A_CAN_SPLIT) && !this.logAreaCount) ||
          (alreadyFoundOne && parms.alloc !== ALLOC_ANYWHERE))
      ) {
        return "next-pv";
      }
    }
    return parms.flags & A_POSITIONAL_FILL ? "preferred" : "use-area";
  }

  /** `_calc_required_extents`: how much of `pva` to reserve for slot `ixPva`. */
  private calcRequired(pva: PvArea, ixPva: number, maxToAllocate: number, alloc: number): number {
    let required = Math.floor(maxToAllocate / this.areaMultiple);
    if (alloc === ALLOC_ANYWHERE) {
      if (ixPva >= this.areaCount) required = this.logLen;
    } else if (required < this.logLen) required = this.logLen;
    if (required >= pva.unreserved) {
      required = pva.unreserved;
      pva.unreserved = 0;
    } else {
      pva.unreserved -= required;
      reinsertChanged(pva);
    }
    return required;
  }

  private pvIsParallel(pv: string, parallelPvs: readonly string[]): boolean {
    return parallelPvs.includes(pv);
  }

  private setArea(state: AllocState, ix: number, pva: PvArea, used: number): void {
    // The C array grows by doubling when an index runs past it; a plain array grows on demand.
    while (state.areas.length <= ix) state.areas.push({ pva: null, used: 0 });
    state.areas[ix] = { pva, used };
  }

  /** `_find_some_parallel_space`. */
  private findSomeParallelSpace(
    maps: readonly PvMap[],
    state: AllocState,
    parallelPvs: readonly string[] | undefined,
    maxToAllocate: number,
  ): void {
    const parms = state.parms;
    let ix = 0;
    let preferredCount = 0;
    let iterationCount = 0;
    let logIterationCount = 0;
    const devicesNeeded = this.areaCount;

    for (const a of state.areas) a.pva = null;
    state.numPositionalAreas = 0;
    // _reset_unreserved
    for (const map of maps) {
      for (const pva of areasOf(map)) {
        if (pva.unreserved !== pva.count) {
          pva.unreserved = pva.count;
          reinsertChanged(pva);
        }
      }
    }
    if (!(parms.flags & A_POSITIONAL_FILL)) state.numPositionalAreas = 0;
    else if (parms.flags & (A_CONTIGUOUS_TO_LVSEG | A_CLING_TO_LVSEG) && parms.prevLvseg) {
      state.numPositionalAreas = this.stripesPerMimage(parms.prevLvseg) * segAreaCount(parms.prevLvseg);
    } else if (parms.flags & A_CLING_TO_ALLOCATED) state.numPositionalAreas = this.areaCount;

    for (let pass = 0; ; pass++) {
      if (pass > PASSES_MAX)
        throw new Error("Allocator made no progress; this is a bug in engine/metadata/alloc.ts");
      const lastIx = ix;
      for (const map of maps) {
        if (listEmpty(map.head)) continue;
        let skip = false;
        if (parms.alloc !== ALLOC_ANYWHERE) {
          // Don't allocate onto the log PVs (only reachable once a log has been placed).
          if (this.logAreaCount) {
            for (const aa of this.allocatedAreas[this.areaCount] ?? []) if (!aa.pv) skip = true;
          }
          if (!skip && !logIterationCount && parallelPvs && this.pvIsParallel(map.pv, parallelPvs))
            skip = true;
          if (!skip && logIterationCount) {
            for (let s = devicesNeeded; s < ix + state.numPositionalAreas; s++) {
              if (state.areas[s]?.pva?.map.pv === map.pv) skip = true;
            }
          } else if (!skip && iterationCount) {
            for (let s = 0; s < devicesNeeded; s++) if (state.areas[s]?.pva?.map.pv === map.pv) skip = true;
          }
        }
        if (!skip) {
          let alreadyFoundOne = false;
          for (const pva of areasOf(map)) {
            const verdict = this.checkPva(
              pva,
              maxToAllocate,
              state,
              alreadyFoundOne,
              iterationCount,
              logIterationCount,
            );
            if (verdict === "preferred") {
              preferredCount++;
              break;
            }
            if (verdict === "next-pv") break;
            if (verdict === "next-area") continue;
            if (!alreadyFoundOne || parms.alloc === ALLOC_ANYWHERE) {
              ix++;
              alreadyFoundOne = true;
            }
            const slot = ix + state.numPositionalAreas - 1;
            const required = this.calcRequired(pva, slot, maxToAllocate, parms.alloc);
            this.setArea(state, slot, pva, required);
          }
        }
        if (
          (parms.alloc === ALLOC_ANYWHERE &&
            ix + state.numPositionalAreas >= devicesNeeded + state.logAreaCountStillNeeded) ||
          (preferredCount === state.numPositionalAreas &&
            state.numPositionalAreas === devicesNeeded + state.logAreaCountStillNeeded)
        ) {
          break;
        }
      }
      const again =
        (parms.alloc === ALLOC_ANYWHERE &&
          lastIx !== ix &&
          ix < devicesNeeded + state.logAreaCountStillNeeded) ||
        (parms.alloc === ALLOC_NORMAL &&
          preferredCount > 0 &&
          (preferredCount < state.numPositionalAreas || state.logAreaCountStillNeeded > 0) &&
          (parms.flags & A_CLING_TO_ALLOCATED) !== 0 &&
          iterationCount++ === 0) ||
        (parms.alloc === ALLOC_NORMAL &&
          preferredCount === state.numPositionalAreas &&
          !this.mirrorLogsSeparate &&
          ix + preferredCount >= devicesNeeded &&
          ix + preferredCount < devicesNeeded + state.logAreaCountStillNeeded &&
          logIterationCount++ === 0);
      if (!again) break;
    }

    if (preferredCount < state.numPositionalAreas && !(parms.flags & A_CLING_TO_ALLOCATED) && !ix) return;
    if (ix + preferredCount < devicesNeeded + state.logAreaCountStillNeeded) return;

    // Sort candidates largest first; Array.prototype.sort is stable, like glibc's merge sort here.
    const byUsed = (a: AreaUsed, b: AreaUsed): number => b.used - a.used;
    if (logIterationCount) {
      if (ix > devicesNeeded + 1) sortRange(state.areas, devicesNeeded, ix - devicesNeeded, byUsed);
    } else if (ix > 1) {
      sortRange(state.areas, state.numPositionalAreas, ix, byUsed);
    }

    // Fill gaps in the positional slots from the sorted candidates.
    if (preferredCount && preferredCount !== state.numPositionalAreas) {
      for (let s = 0; s < devicesNeeded; s++) {
        if (!state.areas[s]?.pva) {
          const from = state.areas[state.numPositionalAreas] as AreaUsed;
          this.setArea(state, s, from.pva as PvArea, from.used);
          from.pva = null;
          state.numPositionalAreas++;
        }
      }
    }

    let ixLogOffset = 0;
    if (state.logAreaCountStillNeeded) {
      // The log goes on the smallest candidate that can hold it.
      let tooSmall = 0;
      const total = state.numPositionalAreas + ix;
      while (tooSmall < total && (state.areas[total - 1 - tooSmall]?.used ?? 0) < this.logLen) tooSmall++;
      if (this.mirrorLogsSeparate && tooSmall && tooSmall >= devicesNeeded) return;
      if (total < tooSmall + this.logAreaCount) return;
      ixLogOffset = total - (tooSmall + this.logAreaCount);
    }
    if (ix + state.numPositionalAreas < devicesNeeded) return;

    this.allocParallelArea(maxToAllocate, state, ixLogOffset);
    state.logAreaCountStillNeeded = 0;
  }

  /** `_alloc_parallel_area`: turns the chosen slots into allocated areas. */
  private allocParallelArea(maxToAllocate: number, state: AllocState, ixLogOffset: number): void {
    const total = this.areaCount + state.logAreaCountStillNeeded;
    if (total === 0) return;
    let areaLen = Math.floor(maxToAllocate / this.areaMultiple);
    for (let s = 0; s < this.areaCount; s++) {
      const used = state.areas[s]?.used ?? 0;
      if (areaLen > used) areaLen = used;
    }
    let len = areaLen;
    let skip = 0;
    for (let s = 0; s < total; s++) {
      if (s === this.areaCount) {
        skip = ixLogOffset - this.areaCount;
        len = this.logLen;
      }
      const pva = state.areas[s + skip]?.pva;
      if (!pva) throw new AllocationError("Missing PV area for parallel allocation");
      if (!len) continue;
      (this.allocatedAreas[s] as AllocatedArea[]).push({ pv: pva.map.pv, pe: pva.start, count: len });
      consumeArea(pva, len);
    }
    state.allocated += areaLen * this.areaMultiple;
  }

  /** `_find_max_parallel_space_for_one_policy`. */
  private findMaxParallelSpace(parms: AllocParms, maps: readonly PvMap[], state: AllocState): void {
    state.parms = parms;
    for (let pass = 0; ; pass++) {
      if (pass > PASSES_MAX)
        throw new Error("Allocator made no progress; this is a bug in engine/metadata/alloc.ts");
      let parallelPvs: readonly string[] | undefined;
      let maxToAllocate = parms.extentsStillNeeded - state.allocated;
      if (this.parallelAreas) {
        const prev = parms.prevLvseg;
        const nextLe =
          (prev ? prev.startExtent + prev.extentCount : 0) + Math.floor(state.allocated / this.areaMultiple);
        for (const spvs of this.parallelAreas) {
          if (nextLe >= spvs.le + spvs.len) continue;
          const maxTmp = maxToAllocate + state.allocated;
          if (maxTmp > (spvs.le + spvs.len) * this.areaMultiple) {
            maxToAllocate = (spvs.le + spvs.len) * this.areaMultiple - state.allocated;
          }
          parallelPvs = spvs.pvs;
          break;
        }
      }
      const oldAllocated = state.allocated;
      this.findSomeParallelSpace(maps, state, parallelPvs, maxToAllocate);
      if (oldAllocated === state.allocated) {
        if (
          this.maximiseCling &&
          parms.alloc === ALLOC_CLING &&
          parms.flags & A_CLING_TO_LVSEG &&
          parms.flags & A_POSITIONAL_FILL
        ) {
          parms.flags &= ~A_POSITIONAL_FILL;
        } else if (parms.alloc === ALLOC_NORMAL && parms.flags & A_CLING_TO_ALLOCATED) {
          parms.flags &= ~A_CLING_TO_ALLOCATED;
        } else break;
      } else if (
        this.maximiseCling &&
        parms.alloc === ALLOC_NORMAL &&
        !(parms.flags & A_CLING_TO_ALLOCATED)
      ) {
        parms.flags |= A_CLING_TO_ALLOCATED;
      }
      const more =
        parms.alloc !== ALLOC_CONTIGUOUS &&
        state.allocated !== parms.extentsStillNeeded &&
        (parms.flags & A_CAN_SPLIT) !== 0 &&
        (!this.approx || pvMapsSize(maps) > 0);
      if (!more) break;
    }
  }

  private initAllocParms(
    alloc: number,
    prev: Segment | undefined,
    canSplit: boolean,
    allocated: number,
  ): AllocParms {
    let flags = 0;
    if (prev && this.areaCount === segAreaCount(prev)) {
      flags |= A_AREA_COUNT_MATCHES;
      if (alloc === ALLOC_CONTIGUOUS) flags |= A_CONTIGUOUS_TO_LVSEG | A_POSITIONAL_FILL;
      else if (alloc === ALLOC_CLING || alloc === ALLOC_CLING_BY_TAGS)
        flags |= A_CLING_TO_LVSEG | A_POSITIONAL_FILL;
    } else if (alloc === ALLOC_CLING || alloc === ALLOC_CLING_BY_TAGS) {
      // A cling allocation that follows a successful contiguous one must use the same PVs.
      flags |= A_CLING_TO_ALLOCATED | A_POSITIONAL_FILL;
    }
    if (alloc === ALLOC_CLING_BY_TAGS) flags |= A_CLING_BY_TAGS;
    if (this.maximiseCling && alloc === ALLOC_NORMAL && allocated !== this.newExtents)
      flags |= A_CLING_TO_ALLOCATED;
    if (canSplit) flags |= A_CAN_SPLIT;
    return { alloc, flags, prevLvseg: prev, extentsStillNeeded: this.newExtents };
  }

  /** `_allocate`. */
  run(pvs: readonly PvSelection[]): Allocation {
    const lv = this.lv;
    const existing = lv ? lv.segments.reduce((s, seg) => s + seg.extentCount, 0) : 0;
    const state: AllocState = {
      parms: { alloc: 0, flags: 0, prevLvseg: undefined, extentsStillNeeded: 0 },
      areas: [],
      logAreaCountStillNeeded: this.logAreaCount,
      allocated: existing,
      numPositionalAreas: 0,
    };
    if (state.allocated >= this.newExtents && !this.logAreaCount) {
      return this.result(existing);
    }
    if (this.areaMultiple > 1 && (this.newExtents - state.allocated) % this.areaMultiple) {
      throw new AllocationError(
        `Number of extents requested (${this.newExtents - state.allocated}) needs to be divisible by ${this.areaMultiple}`,
      );
    }
    const canSplit = this.alloc !== ALLOC_CONTIGUOUS;
    const prev = lv?.segments[lv.segments.length - 1];
    const maps = createPvMaps(this.vg, pvs, this.mutations);
    const slots = this.areaCount + this.logAreaCount;
    if (maps.length > 0 && maps.length < slots && this.alloc !== ALLOC_ANYWHERE && this.mirrorLogsSeparate) {
      throw new AllocationError(
        "Not enough PVs with free space available for parallel allocation; consider --alloc anywhere if desperate",
      );
    }
    let areasSize = maps.length > 0 ? Math.max(maps.length, slots) : 0;
    if (prev) areasSize += this.stripesPerMimage(prev) * segAreaCount(prev);
    if (areasSize === 0) throw new AllocationError("Couldn't allocate areas array: no allocatable PVs given");
    state.areas = Array.from({ length: areasSize }, () => ({ pva: null, used: 0 }));

    // `cling` implicitly includes cling_by_tags, which is skipped without a tag list.
    const last = this.alloc === ALLOC_CLING ? ALLOC_CLING_BY_TAGS : this.alloc;
    let upTo = last;
    for (let alloc = ALLOC_CONTIGUOUS; alloc <= upTo; alloc++) {
      if (alloc === ALLOC_CLING_BY_TAGS) continue;
      const oldAllocated = state.allocated;
      if (!this.approx) this.checkSufficient(maps, state);
      const parms = this.initAllocParms(alloc, prev, canSplit, state.allocated);
      this.findMaxParallelSpace(parms, maps, state);
      // If only the log is missing, carry on through the later policies up to normal.
      if (state.allocated === this.newExtents && state.logAreaCountStillNeeded && upTo < ALLOC_NORMAL) {
        upTo = ALLOC_NORMAL;
        continue;
      }
      if (
        (state.allocated === this.newExtents && !state.logAreaCountStillNeeded) ||
        (!canSplit && state.allocated !== oldAllocated)
      ) {
        break;
      }
    }
    if (state.allocated !== this.newExtents) {
      const name = lv?.name ?? "";
      const kind = canSplit ? "" : "contiguous ";
      if (!this.approx) {
        const more = Math.floor(((this.newExtents - state.allocated) * this.areaCount) / this.areaMultiple);
        throw new AllocationError(
          `Insufficient suitable ${kind}allocatable extents for logical volume ${name}: ${more} more required`,
        );
      }
      if (state.allocated === existing) {
        throw new AllocationError(
          `Insufficient suitable ${kind}allocatable extents found for logical volume ${name}`,
        );
      }
      this.newExtents = state.allocated;
    }
    if (state.logAreaCountStillNeeded) {
      throw new AllocationError(
        `Insufficient free space for log allocation for logical volume ${lv?.name ?? ""}`,
      );
    }
    return this.result(existing);
  }

  private checkSufficient(maps: readonly PvMap[], state: AllocState): void {
    const areaExtents = Math.floor(
      ((this.newExtents - state.allocated) * this.areaCount) / this.areaMultiple,
    );
    const needed = areaExtents + (state.logAreaCountStillNeeded ? this.logLen : 0);
    const free = pvMapsSize(maps);
    if (needed > free) {
      throw new AllocationError(
        `Insufficient free space: ${needed} extents needed, but only ${free} available`,
      );
    }
  }

  private result(existing: number): Allocation {
    const data = this.allocatedAreas.slice(0, this.areaCount);
    const rowCount = data[0]?.length ?? 0;
    const rows: AllocatedArea[][] = [];
    for (let r = 0; r < rowCount; r++) rows.push(data.map((list) => list[r] as AllocatedArea));
    const logAreas = this.allocatedAreas.slice(this.areaCount).flat();
    return {
      rows,
      logAreas,
      areaCount: this.areaCount,
      areaMultiple: this.areaMultiple,
      extents: this.newExtents - existing,
      logLen: this.logLen,
    };
  }
}

function segAreaCount(seg: Segment): number {
  return seg.type === "striped" || seg.type === "mirror" ? seg.areas.length : 0;
}

function sortRange<T>(list: T[], start: number, count: number, cmp: (a: T, b: T) => number): void {
  const part = list.slice(start, start + count).sort(cmp);
  for (let i = 0; i < part.length; i++) list[start + i] = part[i] as T;
}

/**
 * Chooses PV extents for a new or growing LV exactly as LVM2's `allocate_extents` would, without
 * changing the VG. Throws {@link AllocationError} with LVM2's message when it cannot.
 */
export function allocateExtents(vg: VolumeGroup, request: AllocRequest): Allocation {
  if (!Number.isInteger(request.extents) || request.extents < 0) {
    throw new AllocationError(`Cannot allocate ${request.extents} extents; give a whole number >= 0`);
  }
  const lv = request.lv === undefined ? undefined : vg.lvs.find((l) => l.name === request.lv);
  if (request.lv !== undefined && !lv) {
    throw new AllocationError(`Logical volume ${request.lv} not found in volume group ${vg.name}`);
  }
  const allocator = new Allocator(vg, lv, request);
  return allocator.run(request.pvs ?? allPvs(vg));
}

/**
 * `build_parallel_areas_from_lv(lv, use_pvmove_parent_lv = 0)`: for each segment of `lvName`, the PVs
 * its areas (and mirror logs) sit on, so a new parallel allocation (a mirror log, a new leg) avoids them.
 */
export function buildParallelAreas(vg: VolumeGroup, lvName: string): SegPvs[] {
  const lv = vg.lvs.find((l) => l.name === lvName);
  if (!lv) throw new AllocationError(`Logical volume ${lvName} not found in volume group ${vg.name}`);
  const allocator = new Allocator(vg, lv, { extents: 0 });
  const total = lv.segments.reduce((s, seg) => s + seg.extentCount, 0);
  const out: SegPvs[] = [];
  let le = 0;
  for (let guard = 0; le < total; guard++) {
    if (guard > 1_000_000) throw new Error(`buildParallelAreas made no progress on ${lvName}`);
    const pvs: string[] = [];
    const maxSegLen = { value: total - le };
    allocator.forEachPv(
      lv,
      le,
      maxSegLen.value,
      { maxSegLen, firstArea: 0, maxAreas: 0, topLevelAreaIndex: -1, onlySingleAreaSegments: false },
      (pvseg) => {
        if (!pvs.includes(pvseg.pv)) pvs.push(pvseg.pv);
        return 1;
      },
    );
    out.push({ le, len: maxSegLen.value, pvs });
    le += maxSegLen.value;
  }
  return out;
}
