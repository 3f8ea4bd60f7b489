/** The quick overhead run that the nightly command (`npm start`) calls. */

import type { BenchRecord } from "../../reports/records.js";
import { writeOverheadNdjson } from "./ndjson.js";
import { QUICK_PLAN, validatePlan } from "./plan.js";
import { runOverhead } from "./run.js";

/** Options of {@link runOverheadQuick}. */
export interface OverheadQuickOptions {
  /** Where to write the NDJSON records (meta first); nothing is written when absent. */
  readonly ndjsonPath?: string;
}

/**
 * Run {@link QUICK_PLAN} (a few seconds on two cores) and return its bench records, writing them
 * to `ndjsonPath` when given. Async so the nightly can await it next to its other steps.
 */
export async function runOverheadQuick(options: OverheadQuickOptions = {}): Promise<BenchRecord[]> {
  const plan = validatePlan(QUICK_PLAN);
  const records = runOverhead(plan);
  if (options.ndjsonPath !== undefined) {
    writeOverheadNdjson(options.ndjsonPath, records, {
      command: "lvmlab bench overhead --quick",
      ...(plan.seeds[0] === undefined ? {} : { seed: plan.seeds[0] }),
    });
  }
  return records;
}
