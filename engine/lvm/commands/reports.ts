/** The report commands `pvs`, `vgs` and `lvs` (read-only). */
import type { LvmCommandDef } from "../command.js";
import { REPORT_OPTIONS, runReport } from "../report/report.js";

/** The pvs command. */
export const pvsCommand: LvmCommandDef = {
  name: "pvs",
  readOnly: true,
  options: REPORT_OPTIONS,
  run: (c, a) => runReport(c, a, { kind: "pvs" }),
};
/** The vgs command. */
export const vgsCommand: LvmCommandDef = {
  name: "vgs",
  readOnly: true,
  options: REPORT_OPTIONS,
  run: (c, a) => runReport(c, a, { kind: "vgs" }),
};
/** The lvs command. */
export const lvsCommand: LvmCommandDef = {
  name: "lvs",
  readOnly: true,
  options: REPORT_OPTIONS,
  run: (c, a) => runReport(c, a, { kind: "lvs" }),
};
