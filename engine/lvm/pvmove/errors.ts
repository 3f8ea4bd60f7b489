/** Telling LVM2 command failures apart from engine bugs and simulation halts inside the poller. */
import { LvmCommandError } from "../command.js";

/** True for a failure LVM2 would report and survive (an "ABORTING: …" message), never a SimulationHalt. */
export function isLvmCommandError(error: unknown): error is LvmCommandError {
  return error instanceof LvmCommandError;
}
