/**
 * The engine's trace bus: named events emitted synchronously at every step that matters to crash
 * consistency, so that a fault can fire at an exact point and a sweep can enumerate every point.
 *
 * Listeners run inside the emitting call. A listener that throws (for example a power cut raising
 * {@link SimulationHalt}) unwinds the engine at exactly that point, which is how crash points work.
 */

/** Payload of a trace event: small, JSON-serialisable facts (device names, seqno, region, …). */
export type TraceData = Readonly<Record<string, string | number | boolean | null | undefined>>;

/**
 * A trace event's name and what it marks. Each engine module that emits an event declares it as an
 * exported constant beside the code that emits it (as mutations are declared), and
 * `scenarios/event-catalogue.ts` collects them, so a scenario naming an unknown event is refused.
 */
export interface TraceEventInfo {
  readonly name: string;
  readonly description: string;
}

/** One emitted event, numbered in emission order across the whole bus. */
export interface TraceEvent {
  readonly name: string;
  /** 1-based index of this event among all events on this bus. */
  readonly index: number;
  /** 1-based index of this event among the events with the same name. */
  readonly occurrence: number;
  readonly data: TraceData;
}

/** A listener for trace events. */
export type TraceListener = (event: TraceEvent) => void;

/** The trace bus. One per simulated machine; dropped on reboot with every other in-memory object. */
export class Trace {
  // Replaced, never mutated, so a listener may subscribe or unsubscribe while emit iterates (the
  // change applies from the next event) without emit copying the list for every event.
  #listeners: readonly TraceListener[] = [];
  readonly #counts = new Map<string, number>();
  #index = 0;

  /** Subscribe to every event; returns a function that unsubscribes. */
  subscribe(listener: TraceListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      const at = this.#listeners.indexOf(listener);
      if (at >= 0) this.#listeners = this.#listeners.filter((_, i) => i !== at);
    };
  }

  /** Emit an event to every listener, in subscription order. */
  emit(name: string, data: TraceData = {}): void {
    const occurrence = (this.#counts.get(name) ?? 0) + 1;
    this.#counts.set(name, occurrence);
    this.#index += 1;
    const event: TraceEvent = { name, index: this.#index, occurrence, data };
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i]!(event);
  }

  /**
   * Take over `other`'s event numbering (index and per-name occurrences), not its listeners, so the
   * next event here gets the numbers it would get there (crash-point branching).
   */
  adoptCountsOf(other: Trace): void {
    this.#index = other.#index;
    this.#counts.clear();
    for (const [name, count] of other.#counts) this.#counts.set(name, count);
  }

  /** How many events with this name were emitted so far (all events when name is omitted). */
  count(name?: string): number {
    return name === undefined ? this.#index : (this.#counts.get(name) ?? 0);
  }
}
