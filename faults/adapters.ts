import type { Scheduler } from "../engine/sim/scheduler.js";
import type { Throttleable } from "./targets.js";

/** A running background copy as the engine's drivers return it (e.g. `startMirrorResync`). */
export interface BackgroundHandle {
  readonly finished: boolean;
  stop(): void;
}

/** A {@link Throttleable} over a driver that can only be stopped and started again. */
export interface StallableDriver extends Throttleable {
  /** The driver currently running (replaced on every resume). */
  readonly handle: BackgroundHandle;
  readonly stalled: boolean;
}

/**
 * Makes a background driver stallable: a stall stops it, the end of the stall starts it again
 * (unless it had finished). A stall often fires inside a step (at its trace event), before the
 * driver schedules the next step, so the stop is repeated by a scheduler event at the same instant,
 * which runs before that next step.
 */
export function stallableDriver(
  start: () => BackgroundHandle,
  options: { readonly scheduler: Scheduler },
): StallableDriver {
  let handle = start();
  let stalled = false;
  return {
    get handle() {
      return handle;
    },
    get stalled() {
      return stalled;
    },
    setSyncStalled(next: boolean) {
      if (next === stalled) return;
      stalled = next;
      if (next) {
        handle.stop();
        const stopped = handle;
        options.scheduler.after(
          0,
          () => {
            if (stalled && handle === stopped) stopped.stop();
          },
          "sync-stall stop",
        );
        return;
      }
      if (!handle.finished) handle = start();
    },
  };
}
