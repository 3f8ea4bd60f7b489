/**
 * Metadata side of mirror conversions (`lvconvert -m N`, `--mirrorlog`), after LVM2's
 * `lv_add_mirrors`/`add_mirror_images`, `_remove_mirror_images` and `remove_mirror_log`
 * (`lib/metadata/mirror.c`): a linear LV becomes `<lv>_mimage_0` under a new mirror segment, new
 * images are allocated away from the PVs the LV already uses, images are removed from the end (or
 * those named), and a mirror left with one image collapses back to linear. Every function returns
 * a new VG; nothing touches devices.
 */
import { AllocationError, allocateExtents, buildParallelAreas } from "../../metadata/alloc.js";
import { lvSizeExtents } from "../../metadata/extent-map.js";
import {
  addMirrorLog,
  adjustedRegionSize,
  appendStripedRows,
  DEFAULT_REGION_SIZE_SECTORS,
  type LvIdentity,
} from "../../metadata/lv-alloc.js";
import {
  type AllocPolicy,
  findLv,
  type LogicalVolume,
  type MirrorSegment,
  putLv,
  removeLv,
  type VolumeGroup,
} from "../../metadata/model.js";
import { nextLvName } from "../../metadata/names.js";
import type { PvSelection } from "../../metadata/pv-list.js";

/** `DEFAULT_MIRROR_MAX_IMAGES`: the most images an old-style mirror may have. */
const MIRROR_IMAGES_MAX = 8;

/** The single mirror segment of a mirrored LV, or undefined when the LV is not a mirror. */
export function mirrorSegmentOf(lv: LogicalVolume): MirrorSegment | undefined {
  const seg = lv.segments[0];
  return lv.segments.length === 1 && seg?.type === "mirror" && !lv.status.includes("PVMOVE")
    ? seg
    : undefined;
}

/** The image LV names of mirror `lvName` in leg order (empty for a linear LV). */
export function mirrorImages(vg: VolumeGroup, lvName: string): string[] {
  const lv = requireLvModel(vg, lvName);
  const seg = mirrorSegmentOf(lv);
  if (seg === undefined) return [];
  return seg.areas.map((area) => {
    if (area.kind !== "lv")
      throw new AllocationError(`Mirror ${lvName} has a PV area; only LV images are supported`);
    return area.lv;
  });
}

function requireLvModel(vg: VolumeGroup, name: string): LogicalVolume {
  const lv = findLv(vg, name);
  if (lv === undefined)
    throw new AllocationError(`Logical volume ${name} not found in volume group ${vg.name}`);
  return lv;
}

function hiddenLv(name: string, identity: LvIdentity, policy: AllocPolicy): LogicalVolume {
  return {
    name,
    id: identity.makeId(name),
    status: ["READ", "WRITE"],
    flags: [],
    tags: [],
    ...(identity.creationTime !== undefined
      ? { creationTime: identity.creationTime, creationHost: identity.creationHost ?? "" }
      : {}),
    allocationPolicy: policy,
    segments: [],
    extra: [],
  };
}

/** What {@link addMirrorImages} needs besides the LV. */
export interface AddImagesOptions extends LvIdentity {
  /** Total images wanted afterwards (`-m N` means N + 1). */
  readonly images: number;
  /** Log for a linear LV turned mirror (default disk); an existing mirror keeps its log. */
  readonly mirrorLog?: "disk" | "core";
  readonly regionSizeSectors?: number;
  readonly pvs?: readonly PvSelection[];
  readonly policy?: AllocPolicy;
}

/**
 * Adds images to `lvName` until it has `options.images`; a linear LV's segments move into
 * `<lv>_mimage_0` first. New images avoid the PVs the LV already uses (`parallel_areas`). Clears
 * NOTSYNCED: the new legs are resynced.
 */
export function addMirrorImages(vg: VolumeGroup, lvName: string, options: AddImagesOptions): VolumeGroup {
  if (!Number.isInteger(options.images) || options.images < 2 || options.images > MIRROR_IMAGES_MAX) {
    throw new AllocationError(
      `Mirror ${lvName}: ${options.images} images requested; old-style mirrors take 2 to ${MIRROR_IMAGES_MAX}`,
    );
  }
  const lv = requireLvModel(vg, lvName);
  const existing = mirrorImages(vg, lvName);
  const have = Math.max(1, existing.length);
  const add = options.images - have;
  if (add <= 0) return vg;
  if (existing.length === 0 && lv.segments.some((s) => s.type !== "striped")) {
    throw new AllocationError(
      `Cannot convert ${lvName} to a mirror: only linear and striped LVs can be mirrored`,
    );
  }
  const extents = lvSizeExtents(lv);
  // Striped mirror images are not modelled for conversions: each new image is linear.
  const stripes = 1;
  const alloc = allocateExtents(vg, {
    extents,
    stripes,
    mirrors: add,
    policy: options.policy ?? "inherit",
    parallelAreas: buildParallelAreas(vg, lvName),
    ...(options.pvs ? { pvs: options.pvs } : {}),
  });
  if (alloc.extents < extents) {
    throw new AllocationError(`Insufficient free space for ${add} new mirror image(s) of ${lvName}`);
  }
  let next = vg;
  const images = [...existing];
  let seg: MirrorSegment;
  if (existing.length === 0) {
    // The linear LV's own segments become the first image (`_lv_insert_empty_sublvs` + move).
    const first = `${lvName}_mimage_0`;
    if (findLv(next, first))
      throw new AllocationError(`Logical volume ${first} already exists in volume group ${vg.name}`);
    next = putLv(next, { ...hiddenLv(first, options, lv.allocationPolicy), segments: lv.segments });
    images.push(first);
    seg = {
      startExtent: 0,
      extentCount: extents,
      typeFlags: [],
      tags: [],
      type: "mirror",
      mirrorCount: 1,
      regionSizeSectors: adjustedRegionSize(
        options.regionSizeSectors ?? DEFAULT_REGION_SIZE_SECTORS,
        extents,
        vg.extentSizeSectors,
      ),
      areas: [{ kind: "lv", lv: first, le: 0 }],
    };
  } else {
    seg = mirrorSegmentOf(lv)!;
  }
  for (let m = 0; m < add; m++) {
    const name = nextLvName(next, `${lvName}_mimage_`);
    let image = hiddenLv(name, options, lv.allocationPolicy);
    image = appendStripedRows(
      next,
      image,
      alloc.rows.map((row) => row.slice(m * stripes, (m + 1) * stripes)),
    );
    next = putLv(next, image);
    images.push(name);
  }
  const top: LogicalVolume = {
    ...lv,
    status: lv.status.filter((f) => f !== "NOTSYNCED"),
    segments: [
      {
        ...seg,
        mirrorCount: images.length,
        areas: images.map((name) => ({ kind: "lv" as const, lv: name, le: 0 })),
      },
    ],
  };
  next = putLv(next, top);
  if (existing.length === 0 && (options.mirrorLog ?? "disk") === "disk") {
    next = addMirrorLog(next, lvName, {
      makeId: options.makeId,
      ...(options.creationTime !== undefined ? { creationTime: options.creationTime } : {}),
      ...(options.creationHost !== undefined ? { creationHost: options.creationHost } : {}),
      ...(options.pvs ? { pvs: options.pvs } : {}),
    });
  }
  return next;
}

/**
 * Removes the images named in `remove` from mirror `lvName`. With one image left the LV becomes
 * linear again: it takes that image's segments and the image and log LVs go.
 */
export function removeMirrorImages(vg: VolumeGroup, lvName: string, remove: readonly string[]): VolumeGroup {
  const lv = requireLvModel(vg, lvName);
  const seg = mirrorSegmentOf(lv);
  if (seg === undefined) throw new AllocationError(`Logical volume ${lvName} is not a mirror`);
  const images = mirrorImages(vg, lvName);
  for (const name of remove) {
    if (!images.includes(name)) throw new AllocationError(`${name} is not an image of mirror ${lvName}`);
  }
  const kept = images.filter((name) => !remove.includes(name));
  if (kept.length === 0) throw new AllocationError(`Cannot remove every image of mirror ${lvName}`);
  let next = vg;
  for (const name of remove) next = removeLv(next, name);
  if (kept.length === 1) {
    const survivor = requireLvModel(vg, kept[0]!);
    next = removeLv(next, survivor.name);
    if (seg.mirrorLog !== undefined) next = removeLv(next, seg.mirrorLog);
    return putLv(next, {
      ...lv,
      status: lv.status.filter((f) => f !== "NOTSYNCED"),
      segments: survivor.segments,
    });
  }
  return putLv(next, {
    ...lv,
    segments: [
      {
        ...seg,
        mirrorCount: kept.length,
        areas: kept.map((name) => ({ kind: "lv" as const, lv: name, le: 0 })),
      },
    ],
  });
}

/** The images `-m N` drops when no PVs are named: the highest-numbered legs, as LVM2 picks them. */
export function imagesToDrop(
  vg: VolumeGroup,
  lvName: string,
  options: { readonly images: number; readonly preferPvs?: readonly string[] },
): string[] {
  const images = mirrorImages(vg, lvName);
  const drop = images.length - options.images;
  if (drop <= 0) return [];
  const onPreferred = (name: string): boolean => {
    const image = findLv(vg, name);
    return (
      image?.segments.some(
        (s) =>
          s.type === "striped" && s.areas.some((a) => a.kind === "pv" && options.preferPvs?.includes(a.pv)),
      ) ?? false
    );
  };
  // Images on the named PVs go first, then from the end (`_remove_mirror_images`).
  const ordered = [
    ...images.filter(onPreferred).reverse(),
    ...images.filter((n) => !onPreferred(n)).reverse(),
  ];
  return ordered.slice(0, drop);
}

/** `lvconvert --mirrorlog core|disk`: drops the disk log or allocates one. */
export function setMirrorLog(
  vg: VolumeGroup,
  lvName: string,
  log: "disk" | "core",
  options: LvIdentity & { readonly pvs?: readonly PvSelection[] },
): VolumeGroup {
  const lv = requireLvModel(vg, lvName);
  const seg = mirrorSegmentOf(lv);
  if (seg === undefined) throw new AllocationError(`Logical volume ${lvName} is not a mirror`);
  if (log === "core") {
    if (seg.mirrorLog === undefined) return vg;
    const { mirrorLog, ...rest } = seg;
    return removeLv(putLv(vg, { ...lv, segments: [rest] }), mirrorLog);
  }
  if (seg.mirrorLog !== undefined) return vg;
  return addMirrorLog(vg, lvName, options);
}
