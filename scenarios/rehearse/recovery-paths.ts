/**
 * The recovery paths an operator may take after a crash in the middle of a plan step, as LVM2's
 * documentation and its issue tracker describe them, each as the command lines it runs. Every
 * path starts from the same crash state; which ones apply depends on that state (a pvmove in
 * progress, a PV missing, mirrors in the VG, an archive on disk).
 */

import type { VolumeGroup } from "../../engine/metadata/mod.js";
import { lvKinds } from "../../engine/metadata/mod.js";
import type { PlanStep } from "./plan.js";
import { stepBackupPath } from "./world.js";

/** How the machine comes back after the crash. */
export type BootKind = "present" | "late";

/** Boot kinds in matrix order. */
export const BOOT_KINDS: readonly BootKind[] = ["present", "late"];

/** What a path may look at to decide whether it applies and what it runs. */
export interface RecoveryContext {
  readonly vgName: string;
  readonly step: PlanStep;
  readonly boot: BootKind;
  /** The VG as the disks held it after the crash (all disks present), when readable. */
  readonly crashVg: VolumeGroup | undefined;
  /** The newest file in /etc/lvm/archive for the VG at the crash, when one exists. */
  readonly newestArchive: string | undefined;
}

/** One recovery path. */
export interface RecoveryPath {
  /** Short id used in case keys and the matrix, e.g. "abort". */
  readonly id: string;
  /** What the operator would call it. */
  readonly title: string;
  applies(context: RecoveryContext): boolean;
  commands(context: RecoveryContext): string[];
}

function pvmoveInProgress(vg: VolumeGroup | undefined): boolean {
  return vg?.lvs.some((lv) => lv.status.includes("PVMOVE")) ?? false;
}

/** Visible mirror and raid1 LVs (not pvmove's own mirror), which `lvconvert --repair` acts on. */
function repairableLvs(vg: VolumeGroup | undefined): string[] {
  if (vg === undefined) return [];
  const kinds = lvKinds(vg);
  return vg.lvs
    .filter(
      (lv) =>
        kinds.get(lv.name)?.visible === true &&
        !lv.status.includes("PVMOVE") &&
        lv.segments.some((s) => s.type === "mirror" || (s.type === "other" && s.segType.startsWith("raid"))),
    )
    .map((lv) => lv.name);
}

/** Every path, in the order a recommendation prefers them (least intrusive first). */
export const RECOVERY_PATHS: readonly RecoveryPath[] = [
  {
    id: "resume",
    title: "resume (vgchange -ay; pvmove)",
    applies: () => true,
    commands: (c) => [`vgchange -ay ${c.vgName}`, ...(pvmoveInProgress(c.crashVg) ? ["pvmove"] : [])],
  },
  {
    id: "abort",
    title: "pvmove --abort",
    applies: (c) => pvmoveInProgress(c.crashVg),
    commands: (c) => [`vgchange -ay --poll n ${c.vgName}`, "pvmove --abort"],
  },
  {
    id: "vgck",
    title: "vgck --updatemetadata",
    applies: () => true,
    commands: (c) => [`vgck --updatemetadata ${c.vgName}`, `vgchange -ay ${c.vgName}`],
  },
  {
    id: "restore-archive",
    title: "vgcfgrestore from the archive",
    applies: (c) => c.newestArchive !== undefined,
    commands: (c) => [`vgcfgrestore -f ${c.newestArchive} ${c.vgName}`, `vgchange -ay ${c.vgName}`],
  },
  {
    id: "restore-backup",
    title: "vgcfgrestore from the pre-step backup",
    applies: () => true,
    commands: (c) => [
      `vgcfgrestore -f ${stepBackupPath(c.step.index)} ${c.vgName}`,
      `vgchange -ay ${c.vgName}`,
    ],
  },
  {
    id: "repair",
    title: "lvconvert --repair",
    applies: (c) => repairableLvs(c.crashVg).length > 0,
    commands: (c) => [
      `vgchange -ay ${c.vgName}`,
      ...repairableLvs(c.crashVg).map((lv) => `lvconvert --repair -y ${c.vgName}/${lv}`),
    ],
  },
  {
    id: "removemissing",
    title: "vgreduce --removemissing",
    applies: (c) => c.boot === "late",
    commands: (c) => [`vgreduce --removemissing ${c.vgName}`, `vgchange -ay ${c.vgName}`],
  },
  {
    id: "removemissing-force",
    title: "vgreduce --removemissing --force",
    applies: (c) => c.boot === "late",
    commands: (c) => [`vgreduce --removemissing --force ${c.vgName}`, `vgchange -ay ${c.vgName}`],
  },
];
