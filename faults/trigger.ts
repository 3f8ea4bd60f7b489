import { type MutationInfo, type Mutations, NO_MUTATIONS } from "../engine/sim/mutations.js";
import type { Scheduler } from "../engine/sim/scheduler.js";
import type { Trace, TraceData, TraceEvent } from "../engine/sim/trace.js";
import type { Trigger, Window } from "./schema.js";

/**
 * The trigger machinery: a fault fires exactly once, at an exact point — a virtual time (a
 * scheduler event), the Nth block write of one device or of the whole VG (announced by the
 * fault device wrappers through a {@link WriteTap} before the write happens), the Nth matching
 * trace event, or another fault firing or clearing. Counts start when the trigger is armed,
 * which the injector does before the machine runs, so they equal the trace's own occurrences.
 */

/** Mutation: write and event triggers fire one occurrence late (at N+1), to prove the tests catch it. */
export const MUTATION_TRIGGER_ONE_LATE = "faults.trigger.fires-one-late";

/** Catalogue entry for {@link MUTATION_TRIGGER_ONE_LATE}. */
export const TRIGGER_ONE_LATE: MutationInfo = {
  name: MUTATION_TRIGGER_ONE_LATE,
  description: "Fault triggers at the Nth block write or trace event fire at the (N+1)th instead",
};

/** Mutation: a write trigger naming a device also counts the VG's other devices' writes (every second one). */
const MUTATION_TRIGGER_COUNTS_OTHER_DEVICES = "faults.trigger.counts-other-devices";

/** Catalogue entry for {@link MUTATION_TRIGGER_COUNTS_OTHER_DEVICES}. */
export const TRIGGER_COUNTS_OTHER_DEVICES: MutationInfo = {
  name: MUTATION_TRIGGER_COUNTS_OTHER_DEVICES,
  description:
    "A fault trigger at the Nth write of one device also counts writes to other devices, so it fires early and on the wrong device",
};

/** Exactly where and when a fault fired; copied into its NDJSON record. */
export interface FiredAt {
  /** Virtual time in ns. */
  readonly tNs: number;
  readonly event?: string;
  /** The trace event's index on the bus (1-based). */
  readonly eventIndex?: number;
  /** The trace event's occurrence among events of its name (1-based). */
  readonly occurrence?: number;
  /** The write's 1-based index on its device. */
  readonly writeIndex?: number;
  /** The write's 1-based index across the whole VG. */
  readonly vgWriteIndex?: number;
  readonly device?: string;
  /** The fault whose firing or clearing triggered this one. */
  readonly after?: string;
}

/** A block write about to be issued, as a device wrapper announces it. */
export interface WriteObservation {
  readonly device: string;
  readonly offsetBytes: number;
  readonly lengthBytes: number;
  readonly issueNs: number;
  /** 1-based index of the write on its device. */
  readonly writeIndex: number;
}

/** A write seen by the tap, with its VG-wide index. */
export interface TappedWrite extends WriteObservation {
  readonly vgWriteIndex: number;
}

/** Counts block writes across every wrapped PV of a VG and tells triggers before each one. */
export class WriteTap {
  // Replaced, never mutated, so a listener may unsubscribe itself while observe iterates.
  #listeners: readonly ((write: TappedWrite) => void)[] = [];
  #vgWrites = 0;

  /** Block writes announced so far across the VG. */
  get vgWriteCount(): number {
    return this.#vgWrites;
  }

  /** Announce a write; listeners may throw (a power cut), which stops the write. */
  observe(write: WriteObservation): void {
    this.#vgWrites += 1;
    const listeners = this.#listeners;
    if (listeners.length === 0) return;
    const tapped: TappedWrite = {
      device: write.device,
      offsetBytes: write.offsetBytes,
      lengthBytes: write.lengthBytes,
      issueNs: write.issueNs,
      writeIndex: write.writeIndex,
      vgWriteIndex: this.#vgWrites,
    };
    for (const listener of listeners) listener(tapped);
  }

  /** Continue `other`'s VG write count (crash-point branching). */
  adoptCountOf(other: WriteTap): void {
    this.#vgWrites = other.#vgWrites;
  }

  /** Listen to every write; returns a function that unsubscribes. */
  subscribe(listener: (write: TappedWrite) => void): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }
}

/** A fault's lifecycle edge, which `after` triggers follow. */
export type FaultEdge = "fired" | "cleared";

/** Announces faults firing and clearing, so faults can be chained. */
export class FaultBus {
  readonly #listeners = new Map<string, ((tNs: number) => void)[]>();

  /** Announce that fault `id` fired or cleared at `tNs`. */
  announce(id: string, edge: FaultEdge, tNs: number): void {
    for (const listener of [...(this.#listeners.get(`${edge}\u0000${id}`) ?? [])]) listener(tNs);
  }

  /** Listen for one fault's edge; returns a function that unsubscribes. */
  on(id: string, edge: FaultEdge, listener: (tNs: number) => void): () => void {
    const key = `${edge}\u0000${id}`;
    const list = this.#listeners.get(key) ?? [];
    list.push(listener);
    this.#listeners.set(key, list);
    return () => {
      const at = list.indexOf(listener);
      if (at >= 0) list.splice(at, 1);
    };
  }
}

/** What a trigger watches. */
export interface TriggerContext {
  readonly trace: Trace;
  readonly scheduler: Scheduler;
  readonly writes: WriteTap;
  readonly bus: FaultBus;
}

/** True when every `where` entry equals the event's data field. */
function matches(event: TraceEvent, name: string, where: TraceData | undefined): boolean {
  if (event.name !== name) return false;
  if (where === undefined) return true;
  return Object.entries(where).every(([key, value]) => event.data[key] === value);
}

/**
 * Arm `trigger`; `onFire` runs once, synchronously, at the exact point (inside the scheduler
 * event, trace emit or write announcement), so a throw from it stops the machine right there.
 * Returns a function that disarms the trigger if it has not fired.
 */
export function armTrigger(
  trigger: Trigger,
  context: TriggerContext,
  options: {
    readonly label: string;
    readonly onFire: (firedAt: FiredAt) => void;
    /** Deliberate bugs; empty in normal runs. */
    readonly mutations?: Mutations;
  },
): () => void {
  const late = (options.mutations ?? NO_MUTATIONS).has(MUTATION_TRIGGER_ONE_LATE) ? 1 : 0;
  let armed = true;
  let disarm: () => void = () => {};
  const fire = (firedAt: FiredAt) => {
    if (!armed)
      throw new Error(`Trigger of ${options.label} fired twice; this is a bug in faults/trigger.ts`);
    armed = false;
    disarm();
    options.onFire(firedAt);
  };
  const { scheduler } = context;
  if (trigger.timeNs !== undefined) {
    if (trigger.timeNs < scheduler.nowNs) {
      throw new RangeError(
        `Cannot arm ${options.label} at.timeNs ${trigger.timeNs}: the clock is already at ${scheduler.nowNs} ns`,
      );
    }
    const event = scheduler.at(trigger.timeNs, (nowNs) => fire({ tNs: nowNs }), options.label);
    disarm = () => scheduler.cancel(event);
  } else if (trigger.write !== undefined) {
    const target = trigger.write + late;
    const device = trigger.device;
    const countsOthers = (options.mutations ?? NO_MUTATIONS).has(MUTATION_TRIGGER_COUNTS_OTHER_DEVICES);
    let seen = 0;
    disarm = context.writes.subscribe((write) => {
      const mine = device === undefined || write.device === device;
      if (!mine && !(countsOthers && write.vgWriteIndex % 2 === 0)) return;
      seen += 1;
      if (seen !== target) return;
      fire({
        tNs: Math.max(scheduler.nowNs, write.issueNs),
        device: write.device,
        writeIndex: write.writeIndex,
        vgWriteIndex: write.vgWriteIndex,
      });
    });
  } else if (trigger.event !== undefined) {
    disarm = armEventCount(context, trigger.event, trigger.where, (trigger.occurrence ?? 1) + late, (event) =>
      fire({
        tNs: scheduler.nowNs,
        event: event.name,
        eventIndex: event.index,
        occurrence: event.occurrence,
      }),
    );
  } else if (trigger.after !== undefined) {
    const after = trigger.after;
    const delayNs = trigger.delayNs;
    // The first edge ends the wait (a one-shot fault may clear more than once); only the delayed
    // event is left to cancel after it.
    const unsubscribe = context.bus.on(after, trigger.edge ?? "fired", (tNs) => {
      unsubscribe();
      if (delayNs === undefined) {
        fire({ tNs, after });
        return;
      }
      const event = scheduler.at(tNs + delayNs, (nowNs) => fire({ tNs: nowNs, after }), options.label);
      disarm = () => scheduler.cancel(event);
    });
    disarm = unsubscribe;
  } else {
    throw new Error(
      `Trigger of ${options.label} has no timeNs, write, event or after; parse it with the schema`,
    );
  }
  return () => {
    if (armed) disarm();
    armed = false;
  };
}

/**
 * Arm the end of a fault's window, counted from `startNs` (the firing time). `onEnd` runs once.
 * Returns a function that cancels the window end.
 */
export function armWindow(
  window: Window,
  context: TriggerContext,
  options: { readonly startNs: number; readonly label: string; readonly onEnd: (endAt: FiredAt) => void },
): () => void {
  if (window.durationNs !== undefined) {
    const endNs = Math.max(context.scheduler.nowNs, options.startNs + window.durationNs);
    const event = context.scheduler.at(
      endNs,
      (nowNs) => options.onEnd({ tNs: nowNs }),
      `${options.label} end`,
    );
    return () => context.scheduler.cancel(event);
  }
  if (window.untilEvent === undefined) throw new Error(`Window of ${options.label} has no end`);
  return armEventCount(context, window.untilEvent, window.where, window.occurrence ?? 1, (event) =>
    options.onEnd({
      tNs: context.scheduler.nowNs,
      event: event.name,
      eventIndex: event.index,
      occurrence: event.occurrence,
    }),
  );
}

function armEventCount(
  context: TriggerContext,
  name: string,
  where: TraceData | undefined,
  target: number,
  onMatch: (event: TraceEvent) => void,
): () => void {
  let seen = 0;
  const unsubscribe = context.trace.subscribe((event) => {
    if (!matches(event, name, where)) return;
    seen += 1;
    if (seen !== target) return;
    unsubscribe();
    onMatch(event);
  });
  return unsubscribe;
}
