import type { BlockDevice } from "../engine/block/device.js";
import type { Mutations } from "../engine/sim/mutations.js";
import { Rng } from "../engine/sim/rng.js";
import type { Scheduler } from "../engine/sim/scheduler.js";
import type { Trace } from "../engine/sim/trace.js";
import { FaultyDevice } from "./device-wrapper.js";
import type { Activation, FaultContext, FaultKind } from "./kinds/context.js";
import { type PowerCutOutcome, type PowerCutPlan, resolvePowerCut } from "./kinds/power-cut.js";
import { FAULT_KINDS } from "./kinds/registry.js";
import { locateMdasFromLabel } from "./mda-locator.js";
import { rootSeedOf } from "./random.js";
import {
  buildFaultRecord,
  type FaultRecord,
  type FaultSink,
  type JsonValue,
  specFromRecord,
} from "./record.js";
import { checkReferences, type FaultSpec, FaultSpecError } from "./schema.js";
import {
  type CowSpace,
  type FillableSnapshot,
  isPowerCuttable,
  type MdaLocator,
  type PowerCuttable,
  type ThinMetadataLocator,
  type ThinMetadataSpace,
  type Throttleable,
} from "./targets.js";
import {
  armTrigger,
  armWindow,
  FaultBus,
  type FiredAt,
  MUTATION_TRIGGER_ONE_LATE,
  type TappedWrite,
  type TriggerContext,
  WriteTap,
} from "./trigger.js";

/**
 * `FaultInjector` arms a list of faults against one simulated machine: it wraps each PV in a
 * {@link FaultyDevice} (all sharing one VG write counter), resolves targets by name when a fault
 * fires, writes a record per firing, and chains faults through `after` triggers, so "a PV loss
 * during a sync stall, then a power cut" is three specs. Faults never change the engine; they act
 * through the wrappers and the small target interfaces in `targets.ts`.
 */

/** Options for {@link FaultInjector}. */
export interface FaultInjectorOptions {
  /** The faults' random stream (e.g. `Rng.fromSeed(seed).fork("faults")`); each fault forks its own. */
  readonly rng: Rng;
  readonly trace: Trace;
  readonly scheduler: Scheduler;
  /** Where fault records go; records are also kept in {@link FaultInjector.records}. */
  readonly sink?: FaultSink;
  /** Deliberate bugs (see `MUTATION_TRIGGER_ONE_LATE`); empty in normal runs. */
  readonly mutations?: Mutations;
  /** Locates a PV's metadata areas for metadata-corruption; default: read the label and pv_header. */
  readonly locateMdas?: MdaLocator;
}

/** One armed fault: its spec and the identity of its random stream. */
export interface ArmedFault {
  readonly spec: FaultSpec;
  readonly index: number;
  readonly label: string;
  /** The root seed of the run (first segment of the seed path). */
  readonly seed: string;
  readonly seedPath: string;
}

interface WrappedDevice {
  readonly device: FaultyDevice;
  readonly cache: PowerCuttable | undefined;
}

/** Arms fault specs against a machine's devices, trace and scheduler. */
export class FaultInjector {
  #faults: readonly ArmedFault[];
  readonly #options: FaultInjectorOptions;
  readonly #tap = new WriteTap();
  readonly #bus = new FaultBus();
  readonly #devices = new Map<string, WrappedDevice>();
  readonly #syncTargets = new Map<string, Throttleable>();
  readonly #stallDepth = new Map<string, number>();
  readonly #snapshots = new Map<string, CowSpace | FillableSnapshot>();
  #thinLocator: ThinMetadataLocator | undefined;
  readonly #thinPools = new Map<string, ThinMetadataSpace>();
  readonly #records: FaultRecord[] = [];
  readonly #disarms: (() => void)[] = [];
  #armed = false;
  #powerCut: PowerCutPlan | undefined;
  #powerCutFault: ArmedFault | undefined;
  /** Open windows that end at a trace event but end at a reboot first (see `eventWindowEndsAtReboot`). */
  readonly #rebootEndsWindows = new Map<ArmedFault, (tNs: number) => void>();

  constructor(specs: readonly FaultSpec[], options: FaultInjectorOptions) {
    const issues = checkReferences(specs);
    if (issues.length > 0) throw new FaultSpecError(issues);
    this.#options = options;
    this.#faults = specs.map((spec, index) => {
      const seedPath = options.rng.fork(`${spec.id ?? String(index)}:${spec.kind}`).seedPath;
      return { spec, index, label: spec.id ?? `${spec.kind}#${index}`, seed: rootSeedOf(seedPath), seedPath };
    });
  }

  /**
   * An injector that replays recorded firings: each fault gets the spec, seed and seed path of its
   * record, so it fires at the same point and makes the same random choices.
   */
  static fromRecords(records: readonly FaultRecord[], options: FaultInjectorOptions): FaultInjector {
    const injector = new FaultInjector(
      records.map((r) => specFromRecord(r)),
      options,
    );
    injector.#faults = injector.#faults.map((fault, index) => {
      const record = records[index]!;
      return { ...fault, seed: String(record.seed), seedPath: record.seedPath };
    });
    return injector;
  }

  /** The armed faults, in spec order. */
  get faults(): readonly ArmedFault[] {
    return this.#faults;
  }

  /** The `fault` records written so far, in firing order. */
  get records(): readonly FaultRecord[] {
    return this.#records;
  }

  /** Occurrences late that this injector's write and event triggers fire (1 under the trigger mutation). */
  get triggerLateness(): number {
    return this.#options.mutations?.has(MUTATION_TRIGGER_ONE_LATE) ? 1 : 0;
  }

  /** Block writes across every wrapped PV so far. */
  get vgWriteCount(): number {
    return this.#tap.vgWriteCount;
  }

  /** The power cut that halted the machine, until {@link resolvePowerCut} is called. */
  get powerCut(): PowerCutPlan | undefined {
    return this.#powerCut;
  }

  /**
   * Wrap a PV so device faults can act on it; use the returned device in its place. Its volatile
   * cache for power cuts is `options.cache`, else the device itself when it has `powerCut`.
   */
  wrap(device: BlockDevice, options: { readonly cache?: PowerCuttable } = {}): FaultyDevice {
    if (this.#devices.has(device.name)) {
      throw new Error(
        `Device ${device.name} is already wrapped by this fault injector; names must be unique`,
      );
    }
    const wrapped = new FaultyDevice(device, { tap: this.#tap });
    this.#devices.set(device.name, {
      device: wrapped,
      cache: options.cache ?? (isPowerCuttable(device) ? device : undefined),
    });
    return wrapped;
  }

  /** The wrapper of a PV by name. */
  device(name: string): FaultyDevice {
    const entry = this.#devices.get(name);
    if (entry === undefined) {
      throw new Error(
        `No PV named ${name} is wrapped by the fault injector (have: ${[...this.#devices.keys()].join(", ") || "none"}); ` +
          "wrap every PV before arming",
      );
    }
    return entry.device;
  }

  /** Make a mirror resync, pvmove copy or snapshot merge stallable by name. */
  registerSyncTarget(name: string, target: Throttleable): void {
    this.#syncTargets.set(name, target);
  }

  /** Make a live thin pool's metadata space exhaustible by `vg/pool`. */
  registerThinPool(path: string, pool: ThinMetadataSpace): void {
    this.#thinPools.set(path, pool);
  }

  /** Let thin-metadata-corruption find pools' metadata (the runner locates it on the current host). */
  registerThinMetadataLocator(locator: ThinMetadataLocator): void {
    this.#thinLocator = locator;
  }

  /** Make a snapshot's COW store exhaustible by name. */
  registerSnapshot(name: string, cow: CowSpace | FillableSnapshot): void {
    this.#snapshots.set(name, cow);
  }

  /** Arm every fault. Call once, after wrapping the PVs and before the machine runs. */
  arm(): void {
    if (this.#armed) throw new Error("Fault injector is already armed; create a new one per run");
    this.#armed = true;
    for (const fault of this.#faults) this.#checkDevices(fault);
    const context = this.#triggerContext();
    for (const fault of this.#faults) {
      this.#disarms.push(
        armTrigger(fault.spec.at, context, {
          label: fault.label,
          onFire: (firedAt) => this.#fire(fault, firedAt),
          ...(this.#options.mutations === undefined ? {} : { mutations: this.#options.mutations }),
        }),
      );
    }
  }

  /** Listen to every block write across the VG before it happens, as write triggers do. */
  onWrite(listener: (write: TappedWrite) => void): () => void {
    return this.#tap.subscribe(listener);
  }

  /**
   * Crash-point branching: continue `other`'s VG write count and each wrapped PV's counts. `other`
   * must have no faults (nothing armed, fired or registered to carry over).
   */
  adoptCountsOf(other: FaultInjector): void {
    if (other.#faults.length > 0 || other.#records.length > 0 || other.#powerCut !== undefined) {
      throw new Error("Cannot branch from a run with faults of its own; only the explored cut may be armed");
    }
    this.#tap.adoptCountOf(other.#tap);
    for (const [name, entry] of this.#devices) {
      const from = other.#devices.get(name);
      if (from === undefined) throw new Error(`Cannot branch: the run has no PV named ${name}`);
      entry.device.adoptCountsOf(from.device);
    }
  }

  /**
   * Fire the armed fault at `index` now, exactly as its trigger would have at `firedAt` (crash-point
   * branching fires the explored cut this way in a machine that never ran up to it). Returns the
   * halt the fault raised, if any. The injector must be armed and the fault not yet fired.
   */
  fireNow(index: number, firedAt: FiredAt): unknown {
    const fault = this.#faults[index];
    if (!this.#armed || fault === undefined || this.#records.some((r) => r.seedPath === fault.seedPath)) {
      throw new Error(`Fault ${index} cannot fire now: the injector is not armed, or it fired already`);
    }
    // Its trigger must not fire again later.
    this.#disarms[index]?.();
    try {
      this.#fire(fault, firedAt);
    } catch (halt) {
      return halt;
    }
    return undefined;
  }

  /** Disarm everything that has not fired yet (windows still open stay open). */
  disarm(): void {
    for (const disarm of this.#disarms.splice(0)) disarm();
  }

  /**
   * After catching a power-cut halt: resolve every device's volatile cache by the policy the fault
   * chose, power the devices back on for the reboot, and return what each cache kept. Faults that
   * outlive a reboot (a lost PV, latent sectors) stay active, but a window that ends at a trace
   * event ends here when its kind says so (a PV blink: `eventWindowEndsAtReboot`); unfired faults
   * stay armed (a runner that placed the cut disarms them itself).
   */
  resolvePowerCut(): PowerCutOutcome[] {
    const plan = this.#powerCut;
    if (plan === undefined)
      throw new Error("No power cut is pending; resolvePowerCut is for after a power-cut halt");
    this.#powerCut = undefined;
    const outcomes = resolvePowerCut(plan, { cacheOf: (name) => this.#devices.get(name)?.cache });
    const fault = this.#powerCutFault;
    if (fault !== undefined) {
      this.#writeCleared(fault, { tNs: plan.tNs }, { devices: outcomes.map(summariseOutcome) });
    }
    // A blink that was to end at an event of the machine that lost power ends with the power cycle.
    for (const [ended, endAtReboot] of [...this.#rebootEndsWindows]) {
      this.#rebootEndsWindows.delete(ended);
      endAtReboot(plan.tNs);
    }
    // The runner reboots next; faults that outlive a reboot (a lost PV) stay on the devices.
    for (const { device } of this.#devices.values()) device.powerOn();
    return outcomes;
  }

  #triggerContext(): TriggerContext {
    return {
      trace: this.#options.trace,
      scheduler: this.#options.scheduler,
      writes: this.#tap,
      bus: this.#bus,
    };
  }

  #checkDevices(fault: ArmedFault): void {
    const spec = fault.spec as FaultSpec & { device?: string; devices?: string[] };
    const names = [spec.at.device, spec.device, ...(spec.devices ?? [])];
    for (const name of names) {
      if (name !== undefined && !this.#devices.has(name)) {
        throw new Error(
          `Fault ${fault.label} names device ${name}, which is not a wrapped PV (have: ${[...this.#devices.keys()].join(", ") || "none"})`,
        );
      }
    }
  }

  #fire(fault: ArmedFault, firedAt: FiredAt): void {
    const { spec } = fault;
    const context = this.#faultContext(fault, firedAt);
    // The registry's type ties each kind name to its implementation.
    const kind = FAULT_KINDS[spec.kind] as FaultKind<typeof spec.kind>;
    const activation: Activation = kind.activate(spec as never, context);
    const record = buildFaultRecord(spec, {
      firedAt,
      seed: fault.seed,
      seedPath: fault.seedPath,
      effect: activation.effect,
    });
    this.#records.push(record);
    this.#options.sink?.write(record);
    if (activation.halt !== undefined) throw activation.halt;
    const window = "window" in spec ? spec.window : undefined;
    if (spec.id !== undefined) this.#bus.announce(spec.id, "fired", firedAt.tNs);
    if (window === undefined || activation.clear === undefined) return;
    const clear = activation.clear;
    const cancel = armWindow(window, this.#triggerContext(), {
      startNs: firedAt.tNs,
      label: fault.label,
      onEnd: (endAt) => {
        this.#rebootEndsWindows.delete(fault);
        const effect = clear() ?? {};
        this.#writeCleared(fault, endAt, effect);
      },
    });
    if (window.untilEvent === undefined || activation.eventWindowEndsAtReboot !== true) return;
    this.#rebootEndsWindows.set(fault, (tNs) => {
      cancel();
      this.#writeCleared(fault, { tNs }, { ...(clear() ?? {}), endedBy: "reboot" });
    });
  }

  #writeCleared(fault: ArmedFault, clearedAt: FiredAt, effect: FaultRecord["effect"]): void {
    const { spec } = fault;
    this.#options.sink?.write({
      type: "fault-cleared",
      kind: spec.kind,
      ...(spec.id === undefined ? {} : { id: spec.id }),
      seedPath: fault.seedPath,
      clearedAt: { ...clearedAt },
      effect,
    });
    if (spec.id !== undefined) this.#bus.announce(spec.id, "cleared", clearedAt.tNs);
  }

  #faultContext(fault: ArmedFault, firedAt: FiredAt): FaultContext {
    return {
      label: fault.label,
      firedAt,
      random: Rng.fromSeedPath(fault.seedPath),
      scheduler: this.#options.scheduler,
      ...(this.#options.mutations === undefined ? {} : { mutations: this.#options.mutations }),
      device: (name) => this.device(name),
      deviceNames: () => [...this.#devices.keys()],
      stall: (target) => this.#stall(fault, target),
      snapshot: (name) => {
        const cow = this.#snapshots.get(name);
        if (cow === undefined) {
          throw new Error(
            `Fault ${fault.label} targets snapshot ${name}, which is not registered (have: ${[...this.#snapshots.keys()].join(", ") || "none"}); ` +
              "register it with registerSnapshot after activating it",
          );
        }
        return cow;
      },
      thinPool: (poolPath) => {
        const pool = this.#thinPools.get(poolPath);
        if (pool === undefined) {
          throw new Error(
            `Fault ${fault.label} targets thin pool ${poolPath}, which is not active (have: ${[...this.#thinPools.keys()].join(", ") || "none"}); ` +
              "register it with registerThinPool after activating it",
          );
        }
        return pool;
      },
      thinMetadata: (poolPath) => {
        const where = this.#thinLocator?.(poolPath);
        if (where === undefined) {
          throw new Error(
            `Fault ${fault.label} targets thin pool ${poolPath}, whose metadata LV cannot be found on one PV; ` +
              "create the pool in setup and register a locator with registerThinMetadataLocator",
          );
        }
        return where;
      },
      locateMdas: (device) => (this.#options.locateMdas ?? locateMdasFromLabel)(device.inner),
      beginPowerCut: (policies) => {
        const at = `${fault.label} at t=${firedAt.tNs} ns`;
        this.#powerCut = { at, tNs: firedAt.tNs, policies };
        this.#powerCutFault = fault;
        for (const { device } of this.#devices.values()) device.powerOff(at);
      },
      consumed: (effect) =>
        this.#writeCleared(fault, { tNs: Math.max(firedAt.tNs, this.#options.scheduler.nowNs) }, effect),
    };
  }

  #stall(fault: ArmedFault, name: string): () => void {
    const target = this.#syncTargets.get(name);
    if (target === undefined) {
      throw new Error(
        `Fault ${fault.label} targets ${name}, which is not a registered sync target (have: ${[...this.#syncTargets.keys()].join(", ") || "none"}); ` +
          "register the mirror, pvmove or merge with registerSyncTarget",
      );
    }
    const depth = this.#stallDepth.get(name) ?? 0;
    this.#stallDepth.set(name, depth + 1);
    if (depth === 0) target.setSyncStalled(true);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#stallDepth.get(name) ?? 1) - 1;
      this.#stallDepth.set(name, left);
      if (left === 0) target.setSyncStalled(false);
    };
  }
}

const OUTCOME_COUNTS = ["pendingWrites", "keptWrites", "tornWrites", "droppedWrites", "keptSectors"] as const;

// The counts of a cache's crash outcome, for the record; the kept-write list stays with the runner.
function summariseOutcome(outcome: PowerCutOutcome): JsonValue {
  const summary: Record<string, JsonValue> = {
    device: outcome.device,
    policy: outcome.policy.kind,
    cached: outcome.cached,
  };
  const kept = outcome.kept as Record<string, unknown> | undefined;
  for (const key of OUTCOME_COUNTS) {
    const value = kept?.[key];
    if (typeof value === "number") summary[key] = value;
  }
  return summary;
}
