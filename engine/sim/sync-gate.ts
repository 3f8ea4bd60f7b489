/**
 * Named gates on background work — mirror resync, pvmove copy, snapshot merge — like setting the
 * kernel's sync speed limit to zero for one device: while a gate is closed the work makes no
 * progress but foreground I/O goes on. One gate set belongs to the machine and outlives reboots,
 * so a stall can span one (the fault injector closes and opens gates by `vg/lv`).
 */
export class SyncGate {
  readonly #closed = new Set<string>();

  /** Take over which gates `other` has closed (crash-point branching). */
  adoptStateOf(other: SyncGate): void {
    this.#closed.clear();
    for (const name of other.#closed) this.#closed.add(name);
  }

  /** Stops the background work of `name`. */
  /** The closed gates, sorted (what a recovery that shares this machine's state must share too). */
  get closed(): readonly string[] {
    return [...this.#closed].sort();
  }

  close(name: string): void {
    this.#closed.add(name);
  }

  /** Lets the background work of `name` go on. */
  open(name: string): void {
    this.#closed.delete(name);
  }

  /** Whether the work of `name` is stalled. */
  isClosed(name: string | undefined): boolean {
    return name !== undefined && this.#closed.has(name);
  }
}

/** How often stalled background work looks at its gate again, in virtual ns. */
export const STALL_POLL_NS = 10_000_000;
