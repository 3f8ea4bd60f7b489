/**
 * Operator actions: LVM2 commands a scenario runs while its phases go on, `afterNs` after the Nth
 * trace event of a name — the operator who sees a thin pool go out of data space and extends it
 * while the writers wait. They run from the machine's scheduler, as dmeventd's commands do; an
 * action whose event never came is a failure (a case must not pass without doing its work).
 */
import type { Machine } from "./machine.js";
import type { OperatorAction } from "./schema.js";

/** What running one command gives back. */
type RunCommand = (line: string) => { readonly exitCode: number; readonly stderr: string };

/** The armed actions of one case. */
export interface ArmedOperatorActions {
  /** One line per action that never ran or exited other than expected. */
  failures(options: { readonly crashed: boolean }): string[];
}

/**
 * Watches the machine's trace for each action's event and schedules its command. Call before
 * the phases run (setup's events are not counted: arm after setup).
 */
export function armOperatorActions(
  machine: Pick<Machine, "trace" | "scheduler">,
  actions: readonly OperatorAction[],
  run: RunCommand,
): ArmedOperatorActions {
  const seen = new Map<string, number>();
  const ran: (string | undefined)[] = actions.map(() => undefined);
  const scheduled = actions.map(() => false);
  const problems: string[] = [];
  if (actions.length > 0) {
    machine.trace.subscribe((event) => {
      const count = (seen.get(event.name) ?? 0) + 1;
      seen.set(event.name, count);
      actions.forEach((action, index) => {
        if (scheduled[index] || action.on.event !== event.name || action.on.occurrence !== count) return;
        scheduled[index] = true;
        machine.scheduler.after(
          action.afterNs,
          () => {
            const result = run(action.lvm);
            ran[index] = action.lvm;
            if (result.exitCode !== action.expectExit) {
              problems.push(
                `operator[${index}] "${action.lvm}" exited ${result.exitCode}, expected ${action.expectExit}: ${result.stderr.trim().split("\n")[0] ?? ""}`,
              );
            }
          },
          `operator ${index}`,
        );
      });
    });
  }
  return {
    failures({ crashed }) {
      const never = actions.flatMap((action, index) =>
        ran[index] !== undefined || crashed
          ? []
          : [
              `operator[${index}] "${action.lvm}" never ran: ${action.on.event}#${action.on.occurrence} ${scheduled[index] ? "came, but the run ended first" : "never happened"}`,
            ],
      );
      return [...problems, ...never];
    },
  };
}
