import type { CrashPolicy } from "../engine/block/crash-state.js";
import type { BlockDevice } from "../engine/block/device.js";
import type { SnapshotTarget } from "../engine/dm/snapshot/snapshot.js";

/**
 * The small interfaces faults need from engine objects that are not BlockDevices. Faults sit
 * above the engine, so they name only what they call; engine classes satisfy them structurally.
 */

/** A crash policy exactly as the engine's volatile cache takes it (faults fill in the seeds). */
export type { CrashPolicy } from "../engine/block/crash-state.js";

/** A device with a volatile write cache that a power cut resolves (the engine's VolatileCache). */
export interface PowerCuttable {
  /** Materialise one crash state of the unflushed writes; returns what was kept. */
  powerCut(policy: CrashPolicy, options?: { readonly issueNs?: number }): unknown;
}

/** Background copy work that a sync stall can stop: mirror resync, pvmove copy, snapshot merge. */
export interface Throttleable {
  /** While stalled the work makes no progress; foreground I/O continues. */
  setSyncStalled(stalled: boolean): void;
}

/**
 * A snapshot whose COW store a cow-exhaustion fault fills (the engine's SnapshotTarget): the fault
 * copies still-unchanged origin chunks into the COW exactly as an origin write would, without
 * changing the origin.
 */
export type FillableSnapshot = Pick<
  SnapshotTarget,
  "valid" | "sizeBytes" | "store" | "copyChunks" | "commitCopies"
>;

/** A COW store with a settable cap, for `mode: "limit"` (needs an engine hook; see the report). */
export interface CowSpace {
  /** Chunks allocated so far (header and metadata areas included). */
  cowChunksUsed(): number;
  /** Cap the chunks the store may allocate; `undefined` lifts the cap. */
  setCowChunkLimit(limitChunks: number | undefined): void;
}

/** A metadata area's location on a PV, as the pv_header lists it. */
export interface MdaLocation {
  readonly offsetBytes: number;
  readonly sizeBytes: number;
}

/** Finds a PV's metadata areas (the format layer reads the label and pv_header). */
export type MdaLocator = (device: BlockDevice) => readonly MdaLocation[];

/** True when `value` has a `powerCut` method. */
export function isPowerCuttable(value: unknown): value is PowerCuttable {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { powerCut?: unknown }).powerCut === "function"
  );
}

/** True when `value` can be filled like the engine's SnapshotTarget. */
export function isFillableSnapshot(value: unknown): value is FillableSnapshot {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { copyChunks?: unknown }).copyChunks === "function"
  );
}

/** True when `value` has a settable COW chunk cap. */
export function isCowSpace(value: unknown): value is CowSpace {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { setCowChunkLimit?: unknown }).setCowChunkLimit === "function"
  );
}

/** Where a thin pool's metadata LV lies on one PV (the engine's `thinMetadataOnDisk`). */
export interface ThinMetadataLocation {
  /** The wrapped PV's name. */
  readonly device: string;
  readonly offsetBytes: number;
  readonly sizeBytes: number;
}

/** Finds a thin pool's metadata by `vg/pool` on the current machine, or undefined when it has none. */
export type ThinMetadataLocator = (poolPath: string) => ThinMetadataLocation | undefined;

/** A live thin pool whose metadata space a thin-metadata-exhaustion fault caps (the engine's ThinPoolTarget). */
export interface ThinMetadataSpace {
  /** Metadata blocks in use now. */
  metadataBlocksUsed(): number;
  /** Only `freeBlocks` more metadata blocks may be allocated; `undefined` lifts the cap. */
  setMetadataFreeBlocks(freeBlocks: number | undefined): void;
}
