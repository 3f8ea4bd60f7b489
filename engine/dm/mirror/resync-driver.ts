/**
 * Drives a mirror's resync on the simulation scheduler: one region per step, each step scheduled
 * when the previous one completed and the sync speed limit allows, interleaved with foreground I/O.
 */

import type { ScheduledEvent, Scheduler } from "../../sim/scheduler.js";
import type { MirrorResyncStep, MirrorTarget } from "./mirror.js";

/** Options of {@link startMirrorResync}. */
export interface MirrorResyncDriverOptions {
  /** Called after every step, e.g. to record `sync_percent` over time. */
  readonly onStep?: (step: MirrorResyncStep) => void;
  /** Called once when no region is left to resync. */
  readonly onDone?: (nowNs: number) => void;
  /** Upper bound on steps; defaults to twice the region count. */
  readonly maxSteps?: number;
}

/** A running resync; stop it to model a suspended mirror or a sync stall. */
export interface MirrorResyncHandle {
  readonly finished: boolean;
  readonly steps: number;
  stop(): void;
}

/** Schedule resync steps of `mirror` on `scheduler`, starting now. */
export function startMirrorResync(
  mirror: MirrorTarget,
  scheduler: Scheduler,
  options: MirrorResyncDriverOptions = {},
): MirrorResyncHandle {
  const maxSteps = options.maxSteps ?? 2 * mirror.regionCount + 2;
  // A stalled mirror (sync gate closed) polls without copying; those polls have their own bound.
  const maxStalledPolls = 10_000_000;
  let stalledPolls = 0;
  let steps = 0;
  let finished = false;
  let stopped = false;
  let pending: ScheduledEvent | undefined;
  const run = (nowNs: number): void => {
    pending = undefined;
    if (steps >= maxSteps) {
      throw new Error(
        `Mirror ${mirror.name}: resync did not finish in ${maxSteps} steps; look for a region that never syncs`,
      );
    }
    const step = mirror.resyncStep({ issueNs: nowNs });
    if (step.region === undefined && !step.done) {
      stalledPolls += 1;
      if (stalledPolls > maxStalledPolls) {
        throw new Error(
          `Mirror ${mirror.name}: resync stalled for ${maxStalledPolls} polls; open its sync gate`,
        );
      }
    } else {
      steps += 1;
    }
    options.onStep?.(step);
    // onStep may have stopped the resync; it must not be rescheduled behind its back.
    if (stopped) return;
    if (step.done) {
      finished = true;
      options.onDone?.(step.doneNs);
      return;
    }
    pending = scheduler.at(Math.max(step.nextStepNs, scheduler.nowNs), run, `mirror.resync ${mirror.name}`);
  };
  pending = scheduler.at(scheduler.nowNs, run, `mirror.resync ${mirror.name}`);
  return {
    get finished() {
      return finished;
    },
    get steps() {
      return steps;
    },
    stop() {
      stopped = true;
      if (pending !== undefined) scheduler.cancel(pending);
      pending = undefined;
    },
  };
}
