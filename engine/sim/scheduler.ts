/**
 * Virtual time and the discrete-event scheduler. Time only moves when the scheduler runs an
 * event, so a run never depends on the wall clock. Events at the same instant run in the order
 * they were scheduled (stable ties), which keeps a seed's replay exact.
 */

/** A scheduled callback; receives the virtual time at which it runs. */
export type SchedulerTask = (nowNs: number) => void;

/** Handle to a scheduled event, for cancellation. */
export interface ScheduledEvent {
  readonly atNs: number;
  readonly seq: number;
  readonly label: string;
  cancelled: boolean;
}

interface QueueEntry {
  readonly event: ScheduledEvent;
  readonly task: SchedulerTask;
}

/** Limits that keep a runaway simulation from looping forever. */
export interface SchedulerOptions {
  /** Maximum events one {@link Scheduler.run} call may execute. */
  readonly maxEvents?: number;
  /**
   * Virtual time no event may run past: background work still pending then is stuck (a copy that
   * never reports 100 %, a poller that never ends), so {@link Scheduler.step} throws
   * {@link VirtualDeadlineError} instead of running it. None by default.
   */
  readonly deadlineNs?: number;
}

/** An event fell due after the scheduler's deadline: the simulation did not settle in time. */
export class VirtualDeadlineError extends Error {
  override readonly name = "VirtualDeadlineError";
}

const DEFAULT_MAX_EVENTS = 50_000_000;

/** A virtual clock plus a binary min-heap of events ordered by (time, sequence). */
export class Scheduler {
  #nowNs = 0;
  #seq = 0;
  #executed = 0;
  readonly #heap: QueueEntry[] = [];
  readonly #maxEvents: number;
  readonly #deadlineNs: number;

  constructor(options: SchedulerOptions = {}) {
    this.#maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
    this.#deadlineNs = options.deadlineNs ?? Number.POSITIVE_INFINITY;
    if (!(this.#deadlineNs > 0)) {
      throw new RangeError(
        `Scheduler deadline must be a positive virtual time in ns, got ${options.deadlineNs}`,
      );
    }
  }

  /** Current virtual time in nanoseconds. */
  get nowNs(): number {
    return this.#nowNs;
  }

  /** Events waiting to run (cancelled ones included until they surface). */
  get pending(): number {
    return this.#heap.length;
  }

  /** Events executed so far. */
  get executed(): number {
    return this.#executed;
  }

  /**
   * Take over `other`'s clock and counters, but none of its events: crash-point branching starts a
   * machine at the instant of a power cut, after which a reboot cancels the old kernel's events.
   * Live events of `other` that `keep` selects would survive that reboot and cannot be carried
   * over, so their presence is an error.
   */
  adoptClockOf(other: Scheduler, keep: (event: ScheduledEvent) => boolean): void {
    const surviving = other.#heap.find((entry) => !entry.event.cancelled && keep(entry.event));
    if (surviving !== undefined) {
      throw new Error(
        `Cannot branch at ${other.#nowNs} ns: event ${surviving.event.label} would outlive the reboot`,
      );
    }
    if (this.#heap.some((entry) => !entry.event.cancelled)) {
      throw new Error("Scheduler.adoptClockOf needs a scheduler with no pending events");
    }
    this.#nowNs = other.#nowNs;
    this.#seq = other.#seq;
    this.#executed = other.#executed;
  }

  /** Schedule `task` at absolute virtual time `atNs` (never in the past). */
  at(atNs: number, task: SchedulerTask, label = "task"): ScheduledEvent {
    if (!Number.isFinite(atNs)) throw new RangeError(`Cannot schedule ${label} at non-finite time ${atNs}`);
    if (atNs < this.#nowNs) {
      throw new RangeError(
        `Cannot schedule ${label} at ${atNs} ns: the clock is already at ${this.#nowNs} ns`,
      );
    }
    this.#seq += 1;
    const event: ScheduledEvent = { atNs, seq: this.#seq, label, cancelled: false };
    this.#push({ event, task });
    return event;
  }

  /** Schedule `task` `delayNs` after now. */
  after(delayNs: number, task: SchedulerTask, label = "task"): ScheduledEvent {
    if (delayNs < 0) throw new RangeError(`Cannot schedule ${label} with negative delay ${delayNs} ns`);
    return this.at(this.#nowNs + delayNs, task, label);
  }

  /** Cancel a scheduled event; it will be skipped when its time comes. */
  cancel(event: ScheduledEvent): void {
    event.cancelled = true;
  }

  /**
   * Cancel every pending event the predicate selects; returns how many. A reboot uses this to kill
   * the old kernel's background work while the test harness's own timers stay armed.
   */
  cancelWhere(predicate: (event: ScheduledEvent) => boolean): number {
    let cancelled = 0;
    for (const entry of this.#heap) {
      if (!entry.event.cancelled && predicate(entry.event)) {
        entry.event.cancelled = true;
        cancelled += 1;
      }
    }
    return cancelled;
  }

  /** Run the earliest pending event. Returns false when nothing is left. */
  step(): boolean {
    for (;;) {
      const entry = this.#pop();
      if (entry === undefined) return false;
      if (entry.event.cancelled) continue;
      if (entry.event.atNs > this.#deadlineNs) {
        // Put it back, so the queue still shows what was pending.
        this.#push(entry);
        throw new VirtualDeadlineError(
          `Virtual time would pass the deadline of ${this.#deadlineNs / 1e9} s with "${entry.event.label}" still pending; background work that never finishes (a copy or resync stuck below 100 %, a poller that never ends)`,
        );
      }
      this.#nowNs = entry.event.atNs;
      this.#executed += 1;
      entry.task(this.#nowNs);
      return true;
    }
  }

  /** Run events until the queue is empty or the next event lies after `untilNs`. */
  run(untilNs = Number.POSITIVE_INFINITY): number {
    let ran = 0;
    for (;;) {
      const next = this.#peekLive();
      if (next === undefined || next.event.atNs > untilNs) break;
      if (ran >= this.#maxEvents) {
        throw new Error(`Scheduler ran ${ran} events without finishing; raise maxEvents or look for a loop`);
      }
      this.step();
      ran += 1;
    }
    if (Number.isFinite(untilNs) && untilNs > this.#nowNs) this.#nowNs = untilNs;
    return ran;
  }

  /** Virtual time of the earliest live event, or undefined when nothing is pending. */
  nextEventNs(): number | undefined {
    return this.#peekLive()?.event.atNs;
  }

  /** Move the clock forward with no event (e.g. a synchronous request that took time). */
  advanceTo(atNs: number): void {
    if (atNs < this.#nowNs)
      throw new RangeError(`Cannot move the clock back from ${this.#nowNs} to ${atNs} ns`);
    const next = this.#peekLive();
    if (next !== undefined && next.event.atNs < atNs) {
      throw new RangeError(`Cannot skip past the event ${next.event.label} due at ${next.event.atNs} ns`);
    }
    this.#nowNs = atNs;
  }

  #peekLive(): QueueEntry | undefined {
    while (this.#heap.length > 0 && this.#heap[0]!.event.cancelled) this.#pop();
    return this.#heap[0];
  }

  #less(a: QueueEntry, b: QueueEntry): boolean {
    return a.event.atNs < b.event.atNs || (a.event.atNs === b.event.atNs && a.event.seq < b.event.seq);
  }

  #push(entry: QueueEntry): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #pop(): QueueEntry | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && this.#less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && this.#less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }
}
