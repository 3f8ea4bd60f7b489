/**
 * Judges one recovery path from what was observed, never from the path's name: the VG and the
 * data at the crash (all disks present, nothing run), right after the recovery commands (and the
 * late disk's return), and after the plan was continued.
 *
 * - destructive: the recovery itself removed an LV, or lost blocks of an LV, whose data was
 *   intact at the crash;
 * - data lost: blocks of an LV are not intact at the end, but they were already gone at the crash
 *   or were lost while the plan continued;
 * - needs manual repair: the data is there, but the VG is not where the plan leads (a pvmove
 *   left, a PV or LV missing, an inconsistent VG) after the plan was continued;
 * - safe: all acknowledged data is there, the VG is consistent, and the plan finished.
 */
import type { VerifyCounts } from "../records.js";
import { endStateDifferences, remappedExtents, type VgState } from "./vg-state.js";
import { badBlocks } from "./world.js";

/** The four outcomes, best first. */
export const OUTCOMES = ["safe", "data-lost", "manual", "destructive"] as const;
/** One outcome. */
export type Outcome = (typeof OUTCOMES)[number];

/** What one cell observed. */
export interface CellObservation {
  /** The VG at the crash, every disk present, before any command (undefined: unreadable). */
  readonly crashVg: VgState | undefined;
  /** Bad blocks per LV at the crash (baseline run: every disk present, nothing run). */
  readonly crashBad: ReadonlyMap<string, number>;
  /** The VG right after the recovery commands, with every disk back. */
  readonly recoveredVg: VgState | undefined;
  /** Oracle counts per LV right after recovery. */
  readonly recoveredVerify: ReadonlyMap<string, VerifyCounts>;
  /** The VG after the rest of the plan ran. */
  readonly finalVg: VgState | undefined;
  readonly finalVerify: ReadonlyMap<string, VerifyCounts>;
  /** Exit code of `vgck VG` at the end. */
  readonly finalVgckExit: number;
  /** True when `vgck` still warns of inconsistent metadata (a PV with an older copy). */
  readonly finalInconsistent: boolean;
  /** The VG a clean run of the plan ends with. */
  readonly intendedVg: VgState;
}

/** The verdict on one cell. */
export interface CellVerdict {
  readonly outcome: Outcome;
  /** One line: why. */
  readonly detail: string;
  /** Bad blocks per LV at the end (only LVs with some). */
  readonly lostBlocks: Readonly<Record<string, number>>;
  /** LVs the recovery removed. */
  readonly removedLvs: readonly string[];
  /** Logical extents the recovery moved, per LV (only LVs with some). */
  readonly remappedExtents: Readonly<Record<string, number>>;
}

/** Classifies one cell. */
export function classifyCell(o: CellObservation): CellVerdict {
  const removedLvs: string[] = [];
  const remapped: Record<string, number> = {};
  if (o.crashVg !== undefined) {
    for (const [name, lv] of o.crashVg.lvs) {
      const after = o.recoveredVg?.lvs.get(name);
      if (o.recoveredVg !== undefined && after === undefined) removedLvs.push(name);
      else if (after !== undefined) {
        const n = remappedExtents(lv, after);
        if (n > 0) remapped[name] = n;
      }
    }
  }
  const destroyed: string[] = [];
  for (const name of removedLvs) {
    if ((o.crashBad.get(name) ?? 0) === 0) destroyed.push(`removed LV ${name}, whose data was intact`);
  }
  for (const [name, counts] of o.recoveredVerify) {
    if (removedLvs.includes(name)) continue;
    const bad = badBlocks(counts);
    if (bad > 0 && (o.crashBad.get(name) ?? 0) === 0) {
      const moved = remapped[name] === undefined ? "" : ` (${remapped[name]} extents remapped)`;
      destroyed.push(`lost ${bad} blocks of ${name}${moved}, intact at the crash`);
    }
  }
  const lostBlocks: Record<string, number> = {};
  for (const [name, counts] of o.finalVerify) {
    const bad = badBlocks(counts);
    if (bad > 0) lostBlocks[name] = bad;
  }
  const base = { lostBlocks, removedLvs, remappedExtents: remapped };
  if (destroyed.length > 0) return { outcome: "destructive", detail: destroyed.join("; "), ...base };
  const lost = Object.entries(lostBlocks);
  if (lost.length > 0) {
    const already = lost.filter(([name]) => (o.crashBad.get(name) ?? 0) > 0).length === lost.length;
    return {
      outcome: "data-lost",
      detail: `${lost.map(([name, n]) => `${name}: ${n} blocks`).join(", ")}${already ? " (already lost at the crash)" : " (lost while the plan continued)"}`,
      ...base,
    };
  }
  const problems = endStateDifferences(o.finalVg, o.intendedVg);
  if (o.finalVgckExit !== 0) problems.push(`vgck exits ${o.finalVgckExit}`);
  if (o.finalInconsistent) problems.push("metadata inconsistent (vgck warns; vgck --updatemetadata needed)");
  if (problems.length > 0) return { outcome: "manual", detail: problems.join("; "), ...base };
  return { outcome: "safe", detail: "all acknowledged data intact; the plan finished", ...base };
}
