/**
 * lvcreate dispatches on the segment type (`--type`, or implied by -i/-m/-s) to one module per
 * type, so mirror, snapshot and others can be added (or replaced) without touching lvcreate.
 */
import type { AllocPolicy, VolumeGroup } from "../../metadata/model.js";
import type { PvSelection } from "../../metadata/pv-list.js";
import type { CommandContext } from "../command.js";

/** What lvcreate has parsed, independent of type. */
export interface LvCreateRequest {
  readonly vg: VolumeGroup;
  readonly name?: string;
  readonly extents: number;
  readonly stripes: number;
  readonly stripeSizeSectors?: number;
  readonly mirrors: number;
  readonly mirrorLog?: "disk" | "core";
  readonly regionSizeSectors?: number;
  readonly policy?: AllocPolicy;
  readonly pvs?: readonly PvSelection[];
  /** `-l N%FREE`-style requests take what fits. */
  readonly approx: boolean;
  readonly nosync: boolean;
  /** The positional origin for `-s`, when given. */
  readonly origin?: string;
  readonly chunkSizeSectors?: number;
}

/** A segment type lvcreate can build. */
export interface LvCreateType {
  readonly name: string;
  /** Returns the new VG and the name of the LV created. Throws LvmCommandError/AllocationError. */
  create(context: CommandContext, request: LvCreateRequest): { vg: VolumeGroup; name: string };
}
