import type { SimulationHalt } from "../../engine/sim/halt.js";
import type { Mutations } from "../../engine/sim/mutations.js";
import type { Rng } from "../../engine/sim/rng.js";
import type { Scheduler } from "../../engine/sim/scheduler.js";
import type { FaultyDevice } from "../device-wrapper.js";
import type { JsonValue } from "../record.js";
import type { FaultKindName, SpecOf } from "../schema.js";
import type {
  CowSpace,
  CrashPolicy,
  FillableSnapshot,
  MdaLocation,
  ThinMetadataLocation,
  ThinMetadataSpace,
} from "../targets.js";
import type { FiredAt } from "../trigger.js";

/** What a fault kind may touch when it fires; the injector provides it. */
export interface FaultContext {
  /** Names the fault in errors: its id, or `kind#index`. */
  readonly label: string;
  readonly firedAt: FiredAt;
  /** The fault's own seeded stream (its seed path is in the record). */
  readonly random: Rng;
  readonly scheduler: Scheduler;
  /** The engine's deliberate bugs (`lvmlab mutants`); absent or empty in every normal run. */
  readonly mutations?: Mutations;
  /** The wrapped PV with this name; throws a clear error when there is none. */
  device(name: string): FaultyDevice;
  /** Every wrapped PV, in the order they were wrapped. */
  deviceNames(): readonly string[];
  /** Stop a resync/copy/merge; returns the function that releases this stall (stalls nest). */
  stall(target: string): () => void;
  /** The snapshot COW store with this name. */
  snapshot(name: string): CowSpace | FillableSnapshot;
  /** The live thin pool `vg/pool`; throws a clear error when it is not registered. */
  thinPool(poolPath: string): ThinMetadataSpace;
  /** Where thin pool `vg/pool` keeps its metadata; throws a clear error when it cannot be found. */
  thinMetadata(poolPath: string): ThinMetadataLocation;
  /** The PV's metadata areas, when the format layer can locate them. */
  locateMdas(device: FaultyDevice): readonly MdaLocation[] | undefined;
  /** Power every device off with these policies; the runner resolves the caches after the halt. */
  beginPowerCut(policies: ReadonlyMap<string, CrashPolicy>): void;
  /** A one-shot fault was used up (the torn write happened); records what it did. */
  consumed(effect: Readonly<Record<string, JsonValue>>): void;
}

/** What firing did, and how to undo it when the window closes. */
export interface Activation {
  /** Facts for the NDJSON record. */
  readonly effect: Readonly<Record<string, JsonValue>>;
  /** Undo the fault at the end of its window; may return facts for the cleared record. */
  readonly clear?: () => Readonly<Record<string, JsonValue>> | undefined;
  /** Thrown by the injector after the record is written (a power cut). */
  readonly halt?: SimulationHalt;
  /**
   * A window that ends at a trace event (`untilEvent`) and is still open at a power cut ends at the
   * reboot instead: the condition belonged to the machine that lost power (a PV that blinks until
   * the kernel fails its leg is back once the machine is power-cycled), and the kernel whose event
   * would have ended it is gone. A window of `durationNs` runs its declared time across the reboot.
   */
  readonly eventWindowEndsAtReboot?: boolean;
}

/** One fault kind: its name and what it does when it fires. */
export interface FaultKind<K extends FaultKindName> {
  readonly kind: K;
  activate(spec: SpecOf<K>, context: FaultContext): Activation;
}

/** A short description of where a fault fired, for halts and errors. */
export function describeFiredAt(firedAt: FiredAt): string {
  if (firedAt.event !== undefined) {
    return `${firedAt.event} #${firedAt.occurrence ?? "?"} (trace event ${firedAt.eventIndex ?? "?"}, t=${firedAt.tNs} ns)`;
  }
  if (firedAt.writeIndex !== undefined) {
    return `write ${firedAt.writeIndex} on ${firedAt.device ?? "?"} (VG write ${firedAt.vgWriteIndex ?? "?"}, t=${firedAt.tNs} ns)`;
  }
  if (firedAt.after !== undefined) return `after ${firedAt.after} (t=${firedAt.tNs} ns)`;
  return `t=${firedAt.tNs} ns`;
}

/** The device a one-shot write fault targets: the triggering write's device, else the spec's. */
export function writeFaultDevice(
  spec: { readonly device?: string | undefined },
  context: FaultContext,
): string {
  const device = context.firedAt.writeIndex !== undefined ? context.firedAt.device : spec.device;
  if (device === undefined) {
    throw new Error(
      `Fault ${context.label} fired at ${describeFiredAt(context.firedAt)} but names no device; ` +
        "set device, or trigger it at a block write",
    );
  }
  if (spec.device !== undefined && device !== spec.device) {
    throw new Error(
      `Fault ${context.label} names device ${spec.device} but fired at a write on ${device}; ` +
        "set at.device to the same device",
    );
  }
  return device;
}
