/**
 * `lvconvert --repair` of an old-style mirror (`_lvconvert_mirrors_repair`, `tools/lvconvert.c`):
 * images and the log on failed PVs are removed (`mirror_remove_missing`), then the fault policies
 * decide whether to replace them from free PVs. `mirror_image_fault_policy` defaults to "remove"
 * (a two-way mirror that loses a leg becomes linear), `mirror_log_fault_policy` to "allocate"; any
 * value other than "remove" means replace. A replacement that does not fit degrades the count.
 */
import { parseConfig } from "../../format/config-parse.js";
import type { ConfigNode } from "../../format/config-tree.js";
import { AllocationError } from "../../metadata/alloc.js";
import type { LvIdentity } from "../../metadata/lv-alloc.js";
import { findLv, type VolumeGroup } from "../../metadata/model.js";
import type { PvSelection } from "../../metadata/pv-list.js";
import {
  addMirrorImages,
  mirrorImages,
  mirrorSegmentOf,
  removeMirrorImages,
  setMirrorLog,
} from "./convert.js";

/** What to do with a failed mirror part. */
export type FaultPolicy = "remove" | "allocate";

/** `activation/mirror_image_fault_policy` and `activation/mirror_log_fault_policy`. */
export interface MirrorFaultPolicies {
  readonly image: FaultPolicy;
  readonly log: FaultPolicy;
}

/** LVM2's defaults. */
export const DEFAULT_FAULT_POLICIES: MirrorFaultPolicies = { image: "remove", log: "allocate" };

function activationSetting(nodes: readonly ConfigNode[], key: string): string | undefined {
  for (const node of nodes) {
    if (node.kind === "section" && node.key === "activation") {
      const found = activationSetting(node.items, key);
      if (found !== undefined) return found;
    } else if (node.kind === "assign" && node.key === key && node.value.kind === "string") {
      return node.value.value;
    }
  }
  return undefined;
}

/**
 * The policies a `--config` string sets (`activation { mirror_image_fault_policy = "allocate" }`),
 * over LVM2's defaults. The deprecated `mirror_device_fault_policy` is honoured as LVM2 does.
 */
export function faultPoliciesFromConfig(configText: string | undefined): MirrorFaultPolicies {
  if (configText === undefined || configText.trim() === "") return DEFAULT_FAULT_POLICIES;
  // LVM2 also takes the path form `activation/mirror_image_fault_policy=allocate`.
  const text = configText.replace(/\bactivation\/(\w+)\s*=\s*"?([\w-]+)"?/g, 'activation { $1 = "$2" }');
  const file = parseConfig(text, { fileName: "--config" });
  const policy = (value: string | undefined, fallback: FaultPolicy): FaultPolicy =>
    value === undefined ? fallback : value === "remove" ? "remove" : "allocate";
  const image =
    activationSetting(file.items, "mirror_image_fault_policy") ??
    activationSetting(file.items, "mirror_device_fault_policy");
  return {
    image: policy(image, DEFAULT_FAULT_POLICIES.image),
    log: policy(activationSetting(file.items, "mirror_log_fault_policy"), DEFAULT_FAULT_POLICIES.log),
  };
}

/** The parts of a mirror that sit on failed PVs. */
export interface FailedMirrorParts {
  readonly images: readonly string[];
  readonly log: boolean;
}

function onPvs(vg: VolumeGroup, lvName: string, pvs: ReadonlySet<string>): boolean {
  const lv = findLv(vg, lvName);
  return (
    lv?.segments.some((s) => s.type === "striped" && s.areas.some((a) => a.kind === "pv" && pvs.has(a.pv))) ??
    false
  );
}

/** Which images and whether the log of mirror `lvName` use any of `failedPvs` (`pvN` names). */
export function failedMirrorParts(
  vg: VolumeGroup,
  lvName: string,
  failedPvs: ReadonlySet<string>,
): FailedMirrorParts {
  const lv = findLv(vg, lvName);
  const seg = lv === undefined ? undefined : mirrorSegmentOf(lv);
  if (seg === undefined) return { images: [], log: false };
  return {
    images: mirrorImages(vg, lvName).filter((name) => onPvs(vg, name, failedPvs)),
    log: seg.mirrorLog !== undefined && onPvs(vg, seg.mirrorLog, failedPvs),
  };
}

/** What {@link repairMirror} did. */
export interface MirrorRepair {
  readonly vg: VolumeGroup;
  readonly removedImages: readonly string[];
  /** Images in the repaired mirror (1 = linear). */
  readonly images: number;
  readonly log: "disk" | "core" | "none";
  /** True when a new disk log was allocated and must be initialised. */
  readonly newLog: boolean;
}

/** Options of {@link repairMirror}. */
export interface RepairOptions extends LvIdentity {
  readonly failedPvs: ReadonlySet<string>;
  readonly policies: MirrorFaultPolicies;
  /** PVs replacements may use; every healthy PV by default. */
  readonly pvs?: readonly PvSelection[];
}

/** Removes the failed parts of mirror `lvName` and applies the policies. */
export function repairMirror(vg: VolumeGroup, lvName: string, options: RepairOptions): MirrorRepair {
  const lv = findLv(vg, lvName);
  const seg = lv === undefined ? undefined : mirrorSegmentOf(lv);
  if (seg === undefined) throw new AllocationError(`Logical volume ${lvName} is not a mirror`);
  const failed = failedMirrorParts(vg, lvName, options.failedPvs);
  const before = seg.mirrorCount;
  if (failed.images.length >= before) {
    throw new AllocationError(`Every image of mirror ${lvName} has failed; restore a PV or use vgcfgrestore`);
  }
  const hadDiskLog = seg.mirrorLog !== undefined;
  let next = vg;
  if (failed.log) next = setMirrorLog(next, lvName, "core", options);
  if (failed.images.length > 0) next = removeMirrorImages(next, lvName, failed.images);
  const healthy: PvSelection[] =
    options.pvs?.slice() ??
    next.pvs
      .filter((pv) => !options.failedPvs.has(pv.name) && !pv.status.includes("MISSING"))
      .map((pv) => ({ pv: pv.name }));
  let images = before - failed.images.length;
  if (options.policies.image === "allocate" && failed.images.length > 0) {
    // Degrade one image at a time until the replacement fits (`_lvconvert_mirrors_repair`).
    for (let want = before; want > images; want--) {
      try {
        next = addMirrorImages(next, lvName, { ...options, images: want, pvs: healthy });
        images = want;
        break;
      } catch (error) {
        if (!(error instanceof AllocationError)) throw error;
      }
    }
  }
  let newLog = false;
  const top = findLv(next, lvName)!;
  const stillMirror = mirrorSegmentOf(top);
  if (stillMirror !== undefined && failed.log && hadDiskLog && options.policies.log === "allocate") {
    try {
      next = setMirrorLog(next, lvName, "disk", { ...options, pvs: healthy });
      newLog = true;
    } catch (error) {
      if (!(error instanceof AllocationError)) throw error;
    }
  }
  const after = mirrorSegmentOf(findLv(next, lvName)!);
  return {
    vg: next,
    removedImages: failed.images,
    images,
    log: after === undefined ? "none" : after.mirrorLog === undefined ? "core" : "disk",
    newLog,
  };
}

/**
 * `mirror_remove_missing(…, force)` for every mirror of the VG, as `vgreduce --removemissing
 * --force` runs it: failed images and logs are dropped (a mirror left with one image becomes
 * linear), nothing is reallocated. Returns the VG and the mirrors it changed.
 */
export function removeMissingMirrorParts(
  vg: VolumeGroup,
  failedPvs: ReadonlySet<string>,
): { readonly vg: VolumeGroup; readonly changed: readonly string[] } {
  let next = vg;
  const changed: string[] = [];
  for (const lv of vg.lvs) {
    if (mirrorSegmentOf(lv) === undefined) continue;
    const failed = failedMirrorParts(next, lv.name, failedPvs);
    const images = mirrorImages(next, lv.name).length;
    // A mirror with every image gone stays for the partial-LV removal that follows.
    if ((failed.images.length === 0 && !failed.log) || failed.images.length >= images) continue;
    if (failed.log) next = setMirrorLog(next, lv.name, "core", { makeId: () => "" });
    if (failed.images.length > 0) next = removeMirrorImages(next, lv.name, failed.images);
    changed.push(lv.name);
  }
  return { vg: next, changed };
}
