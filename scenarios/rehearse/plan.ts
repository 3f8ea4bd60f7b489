/**
 * The migration plan: a text file of LVM2 command lines, one step per line (`#` starts a
 * comment), e.g. `vgextend vg_data /dev/sdc1`, `pvmove /dev/sdb1`, `vgreduce vg_data /dev/sdb1`,
 * `pvremove /dev/sdb1`. Every device a step names must be a PV of the backup or a declared new
 * disk, and every command one a rehearsal knows how to crash and recover; anything else is refused
 * with the file and line.
 */
import { splitCommandLine } from "../command-line.js";
import { commandLineProblem } from "../preflight.js";
import { RehearseInputError } from "./input-error.js";

/** Commands a plan may contain: the steps of a disk migration. */
export const PLAN_COMMANDS = ["pvcreate", "vgextend", "pvmove", "vgreduce", "pvremove"] as const;
/** One of {@link PLAN_COMMANDS}. */
export type PlanCommand = (typeof PLAN_COMMANDS)[number];

/** Most steps a plan may have (each step multiplies the rehearsal's cases). */
const PLAN_STEPS_MAX = 64;

/** One step of the plan. */
export interface PlanStep {
  /** 1-based step number. */
  readonly index: number;
  /** Line in the plan file. */
  readonly line: number;
  /** The command line as written (trimmed). */
  readonly text: string;
  readonly argv: readonly string[];
  readonly command: PlanCommand;
  /** Devices the step names, in order (PE ranges such as `:0-99` stripped). */
  readonly devices: readonly string[];
}

/** What a plan may refer to. */
export interface PlanContext {
  readonly file: string;
  readonly vgName: string;
  /** Every device name the rehearsal simulates: the backup's PVs and the declared new disks. */
  readonly devices: readonly string[];
}

const OPTIONS_WITH_VALUES = new Set(["-n", "--name", "--alloc", "-i", "--interval", "-A", "--autobackup"]);

/** Parses and checks a plan file. */
export function parsePlan(text: string, context: PlanContext): PlanStep[] {
  const steps: PlanStep[] = [];
  const known = new Set(context.devices);
  text.split(/\r?\n/).forEach((raw, at) => {
    const line = at + 1;
    const where = `${context.file}:${line}`;
    const body = raw.replace(/(^|\s)#.*$/, "").trim();
    if (body === "") return;
    let argv: string[];
    try {
      argv = splitCommandLine(body);
    } catch (error) {
      throw new RehearseInputError(`${where}: ${(error as Error).message}`);
    }
    const command = argv[0]!;
    if (!(PLAN_COMMANDS as readonly string[]).includes(command)) {
      throw new RehearseInputError(
        `${where}: unsupported command "${command}"; a plan may use ${PLAN_COMMANDS.join(", ")}`,
      );
    }
    const problem = commandLineProblem(body);
    if (problem !== undefined) throw new RehearseInputError(`${where}: ${problem}`);
    const positionals: string[] = [];
    for (let i = 1; i < argv.length; i++) {
      const arg = argv[i]!;
      if (OPTIONS_WITH_VALUES.has(arg)) i++;
      else if (!arg.startsWith("-")) positionals.push(arg);
    }
    let devices = positionals;
    if (command === "vgextend" || command === "vgreduce") {
      const vgName = positionals[0];
      if (vgName !== context.vgName) {
        throw new RehearseInputError(
          `${where}: ${command} names VG "${vgName ?? ""}", but the backup is of VG "${context.vgName}"`,
        );
      }
      devices = positionals.slice(1);
    }
    devices = devices.map((d) => d.replace(/:[0-9:-]*$/, ""));
    if (devices.length === 0 && !(command === "vgreduce" && argv.includes("--removemissing"))) {
      throw new RehearseInputError(`${where}: ${command} names no device`);
    }
    for (const device of devices) {
      if (!known.has(device)) {
        throw new RehearseInputError(
          `${where}: unknown device ${device}; the backup's PVs are ${context.devices.join(", ")}; declare a new disk with --new-disk ${device}=SIZE[:PROFILE]`,
        );
      }
    }
    if (steps.length >= PLAN_STEPS_MAX)
      throw new RehearseInputError(`${where}: more than ${PLAN_STEPS_MAX} steps; split the plan`);
    steps.push({ index: steps.length + 1, line, text: body, argv, command: command as PlanCommand, devices });
  });
  if (steps.length === 0)
    throw new RehearseInputError(`${context.file}: the plan has no steps; write one LVM2 command per line`);
  return steps;
}
