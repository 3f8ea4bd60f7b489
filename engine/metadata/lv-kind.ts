/**
 * Facts LVM2 derives in core when it reads metadata (flags such as MIRROR_IMAGE, SNAPSHOT, the
 * origin/cow links, `lv_is_visible`), computed here from the model alone so they can never drift
 * from it. Sources: `text_import_areas` (MIRROR_IMAGE), `_mirrored_text_import` (MIRROR_LOG),
 * `init_snapshot_seg` and `lv_is_visible` (`lib/metadata/snapshot_manip.c`).
 */

import type { LogicalVolume, OtherSegment, SnapshotSegment, VolumeGroup } from "./model.js";

/** Keys of verbatim segments whose arrays list sub-LV names (`out_areas` for raid). */
const LV_LIST_KEYS: ReadonlySet<string> = new Set(["raids", "raid0_lvs"]);

/** Keys of verbatim thin segments that name another LV (`lib/thin/thin.c`). */
const THIN_LV_KEYS: Readonly<Record<string, readonly string[]>> = {
  "thin-pool": ["metadata", "pool"],
  thin: ["thin_pool", "origin", "external_origin", "merge"],
};

/** The sub-LV names a verbatim (raid, thin) segment refers to. */
export function otherSegmentLvNames(seg: OtherSegment): string[] {
  const out: string[] = [];
  for (const key of THIN_LV_KEYS[seg.segType] ?? []) {
    const node = seg.items.find((n) => n.kind === "assign" && n.key === key);
    if (node?.kind === "assign" && node.value.kind === "string") out.push(node.value.value);
  }
  for (const node of seg.items) {
    if (node.kind !== "assign" || !LV_LIST_KEYS.has(node.key) || node.value.kind !== "array") continue;
    for (const item of node.value.items) if (item.kind === "string") out.push(item.value);
  }
  return out;
}

/** What an LV is, as LVM2 would see it after import. */
export interface LvKind {
  /** `lv_is_visible()`: decides `lvs` listing and the visible-first export order. */
  readonly visible: boolean;
  /** The internal `snapshotN` LV holding a snapshot segment. */
  readonly snapshot: boolean;
  /** A COW store of some snapshot (the user-facing snapshot name). */
  readonly cow: boolean;
  /** The COW store of a snapshot that is merging into its origin. */
  readonly mergingCow: boolean;
  /** An origin of at least one snapshot. */
  readonly origin: boolean;
  /** An area (leg) of a mirror segment: `<lv>_mimage_N`, or a pvmove0 `_mimage_N` with `--atomic`. */
  readonly mirrorImage: boolean;
  /** The disk log of a mirror (`<lv>_mlog`). */
  readonly mirrorLog: boolean;
  /** Has at least one mirror segment. */
  readonly mirrored: boolean;
  /** Status PVMOVE: the temporary pvmove mirror LV. */
  readonly pvmove: boolean;
  /** Status LOCKED: an LV being moved by pvmove (its areas point at pvmove0). */
  readonly locked: boolean;
  /** The LVs whose segments use this LV as an area, log, origin or cow (its parents in the stack). */
  readonly usedBy: readonly string[];
}

function snapshotSegment(lv: LogicalVolume): SnapshotSegment | undefined {
  const first = lv.segments[0];
  return first?.type === "snapshot" ? first : undefined;
}

// Kinds by LV list: they are a function of `vg.lvs` alone, the model is immutable, and a VG
// changed in anything but its LVs (a new seqno, a PV) keeps the same list.
const kindsByLvs = new WeakMap<readonly LogicalVolume[], ReadonlyMap<string, LvKind>>();

/** Computes {@link LvKind} for every LV of `vg`, keyed by LV name. */
export function lvKinds(vg: VolumeGroup): ReadonlyMap<string, LvKind> {
  const known = kindsByLvs.get(vg.lvs);
  if (known !== undefined) return known;
  const kinds = computeLvKinds(vg);
  kindsByLvs.set(vg.lvs, kinds);
  return kinds;
}

function computeLvKinds(vg: VolumeGroup): ReadonlyMap<string, LvKind> {
  const images = new Set<string>();
  const logs = new Set<string>();
  const cows = new Map<string, SnapshotSegment>();
  const origins = new Set<string>();
  const usedBy = new Map<string, string[]>();
  const use = (child: string, parent: string): void => {
    const list = usedBy.get(child) ?? [];
    if (!list.includes(parent)) list.push(parent);
    usedBy.set(child, list);
  };
  for (const lv of vg.lvs) {
    for (const seg of lv.segments) {
      if (seg.type === "striped" || seg.type === "mirror") {
        for (const area of seg.areas) {
          if (area.kind !== "lv") continue;
          use(area.lv, lv.name);
          if (seg.type === "mirror") images.add(area.lv);
        }
        if (seg.type === "mirror" && seg.mirrorLog !== undefined) {
          logs.add(seg.mirrorLog);
          use(seg.mirrorLog, lv.name);
        }
      } else if (seg.type === "other") {
        // raid sub-LVs are listed by name in `raids` (or `raid0_lvs`); other verbatim types are opaque.
        for (const name of otherSegmentLvNames(seg)) use(name, lv.name);
      } else if (seg.type === "snapshot") {
        cows.set(seg.cowStore, seg);
        origins.add(seg.origin);
        use(seg.cowStore, lv.name);
        use(seg.origin, lv.name);
      }
    }
  }
  const byName = new Map(vg.lvs.map((lv) => [lv.name, lv] as const));
  const statusVisible = (name: string): boolean => byName.get(name)?.status.includes("VISIBLE") ?? false;
  const out = new Map<string, LvKind>();
  for (const lv of vg.lvs) {
    const snap = snapshotSegment(lv) !== undefined;
    const origin = origins.has(lv.name);
    // lv_is_cow: a cow that is also an origin is treated as an origin.
    const cowSeg = origin ? undefined : cows.get(lv.name);
    let visible: boolean;
    if (snap) visible = false;
    else if (cowSeg) {
      // A hidden origin is a sparse ("virtual") origin, whose cow stays visible; a merging cow is hidden.
      if (!statusVisible(cowSeg.origin)) visible = true;
      else if (cowSeg.merging) visible = false;
      else visible = statusVisible(cowSeg.origin);
    } else visible = lv.status.includes("VISIBLE");
    out.set(lv.name, {
      visible,
      snapshot: snap,
      cow: cowSeg !== undefined,
      mergingCow: cowSeg?.merging ?? false,
      origin,
      mirrorImage: images.has(lv.name),
      mirrorLog: logs.has(lv.name),
      mirrored: lv.segments.some((s) => s.type === "mirror"),
      pvmove: lv.status.includes("PVMOVE"),
      locked: lv.status.includes("LOCKED"),
      usedBy: usedBy.get(lv.name) ?? [],
    });
  }
  return out;
}

/** `lv_is_visible()` for one LV (computes the whole VG's kinds; use {@link lvKinds} in loops). */
export function isLvVisible(vg: VolumeGroup, name: string): boolean {
  return lvKinds(vg).get(name)?.visible ?? false;
}

/** The snapshot segments whose origin is `origin`, in VG order. */
export function snapshotsOf(vg: VolumeGroup, origin: string): readonly SnapshotSegment[] {
  const out: SnapshotSegment[] = [];
  for (const lv of vg.lvs) {
    const seg = snapshotSegment(lv);
    if (seg?.origin === origin) out.push(seg);
  }
  return out;
}

/** The first LV with status PVMOVE whose segments have an area on PV `pvName` (`find_pvmove_lv`). */
export function findPvmoveLv(vg: VolumeGroup, pvName: string): LogicalVolume | undefined {
  const onPv = (lv: LogicalVolume): boolean =>
    lv.segments.some(
      (seg) =>
        (seg.type === "striped" || seg.type === "mirror") &&
        seg.areas.some((a) => a.kind === "pv" && a.pv === pvName),
    );
  return vg.lvs.find((lv) => {
    if (!lv.status.includes("PVMOVE")) return false;
    if (onPv(lv)) return true;
    // --atomic: the PV areas live in the pvmove LV's _mimage_N sub-LVs.
    return lv.segments.some(
      (seg) =>
        seg.type === "mirror" &&
        seg.areas.some((a) => {
          if (a.kind !== "lv") return false;
          const sub = vg.lvs.find((l) => l.name === a.lv);
          return sub !== undefined && onPv(sub);
        }),
    );
  });
}
