import type { CrashPoint } from "./case.js";
import { type ExecutorOptions, executeCase } from "./executor.js";
import { type ExploreBound, parseExploreBound, type Scenario } from "./schema.js";

/** Most crash points one (scenario, seed) may yield; exploration beyond is refused, not truncated. */
const MAX_CRASH_POINTS = 100_000;

/**
 * Finds every crash point of a case by running it once without a crash — the scenario's own power
 * cuts (and a swarm-drawn one) disarmed, every other fault armed — : each trace event after the
 * faults are armed, and each PV block write, between the scenario's `explore.from` and
 * `explore.to` events (from arming to the end of the phases when they are absent; recovery is not
 * part of the run). A bound `name#N` is the Nth occurrence of that event since arming; a bare name
 * is `from`'s first occurrence, or `to`'s first inside the window. Points are numbered as the
 * fault triggers count them — from arming — so a power cut armed at a point lands exactly there.
 */
export function discoverCrashPoints(
  scenario: Scenario,
  seed: number,
  options: ExecutorOptions = {},
): CrashPoint[] {
  const explore = scenario.explore ?? { writes: true };
  const from = bound(scenario.explore?.from);
  const to = bound(scenario.explore?.to);
  const points: CrashPoint[] = [];
  let finish: () => void = () => {};
  executeCase(
    scenario,
    { scenario: scenario.name, seed },
    {
      ...options,
      exploring: true,
      onPhasesDone() {
        // The run ends with the phases: recovery commands are not crash points of this run.
        finish();
        finish = () => {};
      },
      onArmed(machine) {
        const baseWrites = machine.injector.vgWriteCount;
        const occurrences = new Map<string, number>();
        let inside = from === undefined;
        let done = false;
        let eventIndex = 0;
        let lastWrites = 0;
        const addWritesUpTo = (writes: number) => {
          if (explore.writes && inside && !done) {
            for (let w = lastWrites + 1; w <= writes; w++)
              points.push({ kind: "write", index: w, label: `write ${w}` });
          }
          lastWrites = writes;
        };
        // Writes after the last event of the run still count as crash points.
        finish = () => {
          addWritesUpTo(machine.injector.vgWriteCount - baseWrites);
          done = true;
        };
        machine.trace.subscribe((event) => {
          if (done) return;
          addWritesUpTo(machine.injector.vgWriteCount - baseWrites);
          eventIndex += 1;
          const occurrence = (occurrences.get(event.name) ?? 0) + 1;
          occurrences.set(event.name, occurrence);
          if (!inside && reached(from, event.name, occurrence)) inside = true;
          if (inside) points.push({ kind: "event", index: eventIndex, label: `${event.name}#${occurrence}` });
          // A bare `to` ends the window at its first occurrence inside; `to: name#N` at that very
          // occurrence, even one before `from` (the window is then empty: an error, not a pass).
          if (reached(to, event.name, occurrence) && (inside || to?.occurrence !== undefined)) done = true;
          if (points.length > MAX_CRASH_POINTS) {
            throw new RangeError(
              `${scenario.name}: more than ${MAX_CRASH_POINTS} crash points; narrow explore.from/to`,
            );
          }
        });
      },
    },
  );
  finish();
  return points;
}

function bound(text: string | undefined): ExploreBound | undefined {
  return text === undefined ? undefined : parseExploreBound(text);
}

/** True when this event (its occurrence since arming) is the bound: any occurrence for a bare name. */
function reached(at: ExploreBound | undefined, name: string, occurrence: number): boolean {
  return at !== undefined && at.event === name && (at.occurrence ?? occurrence) === occurrence;
}
