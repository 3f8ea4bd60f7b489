/**
 * Cells of the overhead table the model knows it cannot predict, each with the reason in one line.
 * Reports print the caveat next to the cell; RESULTS.md explains the reasons at length.
 */

import { REALDM_PROFILE } from "../../engine/sim/timing/profiles.js";
import { configByName } from "./layouts.js";

/** Why a (config, workload, profile) cell is less certain than the rest, or undefined. */
export function caveatFor(config: string, workload: string, profile: string): string | undefined {
  const spec = configByName(config).spec;
  const writes = workload.includes("write") || workload.includes("rw");
  if (spec.kind === "thin" && (writes || spec.snapshots > 0 || spec.pass === "first")) {
    return "dm-thin was never measured on real dm here (research/realdm-observations.md has no thin figures): provisioning, zeroing, sharing breaks and commits are modeled only";
  }
  if (spec.kind === "pvmove") {
    return "served in submission order with no elevator: the copy, submitted ahead, delays foreground I/O more than a real disk queue would";
  }
  if (profile === "hdd" && workload.startsWith("rand")) {
    return "no NCQ reordering: random I/O at depth 32 on a disk is pessimistic";
  }
  const batching =
    (spec.kind === "mirror" && spec.log === "disk") || (spec.kind === "snapshot" && spec.pass === "first");
  if (batching && writes && profile !== REALDM_PROFILE.name) {
    return `flush cost and request merging of ${profile} are estimates; only ${REALDM_PROFILE.name} is calibrated against real dm`;
  }
  if (spec.kind === "snapshot" && spec.snapshots > 1 && spec.pass === "first" && writes) {
    return "several snapshots were never measured on real dm; their COW areas share one disk here";
  }
  return undefined;
}
