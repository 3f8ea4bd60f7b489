/**
 * Drives a raid1 set's background work (resync, recovery, check, repair) on the simulation
 * scheduler, one region per step, interleaved with foreground I/O, as md's sync thread does.
 */
import type { ScheduledEvent, Scheduler } from "../../sim/scheduler.js";
import type { Raid1Target } from "./raid1.js";

/** A running sync; stop it on deactivation. */
export interface RaidSyncHandle {
  readonly finished: boolean;
  stop(): void;
}

/** Starts (or continues) the set's background work; returns immediately when there is none. */
export function startRaidSync(raid: Raid1Target, scheduler: Scheduler): RaidSyncHandle {
  // Each region is visited at most once per action; stalls poll on their own bound.
  const maxSteps = 8 * raid.regionCount + 64;
  const maxPolls = 10_000_000;
  let steps = 0;
  let polls = 0;
  let finished = false;
  let pending: ScheduledEvent | undefined;
  const run = (nowNs: number): void => {
    pending = undefined;
    const step = raid.syncStep({ issueNs: nowNs });
    if (step.region === undefined && !step.done) {
      polls += 1;
      if (polls > maxPolls)
        throw new Error(`raid1 ${raid.name}: sync stalled for ${maxPolls} polls; open its sync gate`);
    } else steps += 1;
    if (steps > maxSteps) throw new Error(`raid1 ${raid.name}: sync did not finish in ${maxSteps} steps`);
    if (step.done) {
      finished = true;
      return;
    }
    pending = scheduler.at(Math.max(step.nextStepNs, scheduler.nowNs), run, `raid.sync ${raid.name}`);
  };
  if (raid.syncRunning) pending = scheduler.at(scheduler.nowNs, run, `raid.sync ${raid.name}`);
  else finished = true;
  return {
    get finished() {
      return finished;
    },
    stop() {
      if (pending !== undefined) scheduler.cancel(pending);
      pending = undefined;
    },
  };
}
