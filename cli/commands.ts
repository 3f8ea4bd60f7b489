import type { Command } from "commander";
import { register as registerBench } from "./cmd-bench.js";
import { register as registerCompare } from "./cmd-compare.js";
import { register as registerFaults } from "./cmd-faults.js";
import { register as registerFio } from "./cmd-fio.js";
import { register as registerInspect } from "./cmd-inspect.js";
import { register as registerList } from "./cmd-list.js";
import { register as registerLvm } from "./cmd-lvm.js";
import { register as registerMachine } from "./cmd-machine.js";
import { register as registerMerge } from "./cmd-merge.js";
import { register as registerMutants } from "./cmd-mutants.js";
import { register as registerNightly } from "./cmd-nightly.js";
import { register as registerReal } from "./cmd-real.js";
import { register as registerRehearse } from "./cmd-rehearse.js";
import { register as registerReplay } from "./cmd-replay.js";
import { register as registerReport } from "./cmd-report.js";
import { register as registerRun } from "./cmd-run.js";

/**
 * Registers every subcommand. Each registration module defines options only and imports the
 * engine lazily inside its action, so `lvmlab --help` starts fast.
 */
export function registerCommands(program: Command): void {
  registerRun(program);
  registerNightly(program);
  registerList(program);
  registerReplay(program);
  registerMerge(program);
  registerMutants(program);
  registerFio(program);
  registerReport(program);
  registerCompare(program);
  registerBench(program);
  registerLvm(program);
  registerMachine(program);
  registerInspect(program);
  registerFaults(program);
  registerReal(program);
  registerRehearse(program);
}
