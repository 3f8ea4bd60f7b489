import { runLvm } from "../engine/lvm/run.js";
import { executeCase } from "../scenarios/executor.js";
import type { CaseRecord } from "../scenarios/records.js";
import type { Scenario } from "../scenarios/schema.js";
import type { ModelFaultFacts } from "./fault-translation.js";
import { LVS_REPORT, PVS_REPORT } from "./guest-script.js";
import type { GuestStep } from "./transcript.js";

/**
 * The model's side of a comparison: the scenario's case at the same seed on the engine, with the
 * same `lvs`/`pvs` reports run on its machine after recovery and verification, and each LVM2
 * command's printed lines under the label the guest uses for it.
 */

/** One report row: field name → value, as `--reportformat json` prints it. */
export type ReportRow = Readonly<Record<string, string>>;

/** What the model did. */
export interface ModelResult {
  readonly record: CaseRecord;
  readonly steps: Map<string, GuestStep>;
  readonly lvs: readonly ReportRow[];
  readonly pvs: readonly ReportRow[];
  /** The model's pvmove copy percentage at its power cut (the last sample before it), if any. */
  readonly pvmovePercentAtCut?: number;
  /** Each fault the model fired, by its index in the scenario: when, in which phase, with what effect. */
  readonly faultFacts: ReadonlyMap<number, ModelFaultFacts>;
  /** The errors that stopped each workload phase's jobs (fio's `err=`), by phase index; [] when none. */
  readonly workloadErrors?: ReadonlyMap<number, readonly string[]>;
}

/** The rows of a `--reportformat json` report (`lv` or `pv`), or an error naming the report. */
export function reportRows(json: string, key: "lv" | "pv", where: string): ReportRow[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new Error(`${where}: the ${key}s report is not JSON (${(error as Error).message})`);
  }
  const report = (parsed as { report?: { [k: string]: ReportRow[] }[] }).report;
  if (!Array.isArray(report)) throw new Error(`${where}: the ${key}s report has no "report" list`);
  return report.flatMap((r) => r[key] ?? []);
}

/** The commands a case runs, in order, with the labels the guest gives them. */
function labelledCommands(scenario: Scenario): { label: string; line: string }[] {
  const list: { label: string; line: string }[] = [];
  scenario.setup.forEach((line, i) => {
    list.push({ label: `setup.${i}`, line });
  });
  scenario.phases.forEach((phase, i) => {
    if ("lvm" in phase) list.push({ label: `phase.${i}`, line: phase.lvm });
  });
  scenario.recovery.forEach((line, i) => {
    list.push({ label: `recovery.${i}`, line });
  });
  return list;
}

/** Groups the executor's LVM2 log (`$ command` lines, then its output) into labelled steps. */
export function stepsFromLvmLog(scenario: Scenario, log: readonly string[]): Map<string, GuestStep> {
  const expected = labelledCommands(scenario);
  const steps = new Map<string, GuestStep>();
  let next = 0;
  let current: GuestStep | undefined;
  for (const line of log) {
    if (line.startsWith("$ ")) {
      const command = line.slice(2);
      const at = expected.findIndex((e, i) => i >= next && e.line === command);
      if (at < 0) {
        current = undefined;
        continue;
      }
      next = at + 1;
      current = { label: expected[at]!.label, command, output: [] };
      steps.set(current.label, current);
    } else if (current !== undefined && !line.startsWith("verify ")) {
      current.output.push(line);
    }
  }
  return steps;
}

/**
 * The scenario as a QEMU kill cuts the power: every write the guest handed to its virtio disks is in
 * QEMU's writeback cache — the host's page cache — which the kill does not touch, so every power
 * cut keeps all of them (`keep-all`), whatever crash policy the scenario asks of the model.
 */
export function asQemuPowerCuts(scenario: Scenario): Scenario {
  if (!scenario.faults.some((f) => f.kind === "power-cut")) return scenario;
  return {
    ...scenario,
    faults: scenario.faults.map((f) =>
      f.kind === "power-cut" ? { ...f, policy: { kind: "keep-all" as const }, perDevice: {} } : f,
    ),
  };
}

/** Runs the model's case (power cuts as QEMU's, see {@link asQemuPowerCuts}) and its reports. */
export function runModel(scenario: Scenario, seed: number): ModelResult {
  const phaseStartNs: number[] = [];
  const workloadErrors = new Map<number, readonly string[]>();
  const run = executeCase(
    asQemuPowerCuts(scenario),
    { scenario: scenario.name, seed },
    {
      onPhase: (index, machine) => {
        phaseStartNs[index] = machine.scheduler.nowNs;
      },
      onWorkloadDone: (index, errors) => {
        workloadErrors.set(index, errors);
      },
    },
  );
  const lvsOut = runLvm(run.machine.host, LVS_REPORT);
  const pvsOut = runLvm(run.machine.host, PVS_REPORT);
  const cut = run.timeline.find((r) => r.type === "fault" && r.kind === "power-cut");
  let pvmovePercentAtCut: number | undefined;
  if (cut !== undefined) {
    for (const r of run.timeline) {
      if (r.type === "progress" && r.kind === "pvmove" && r.tNs <= cut.tNs) pvmovePercentAtCut = r.percent;
    }
  }
  return {
    record: run.record,
    steps: stepsFromLvmLog(scenario, run.lvmLog),
    lvs: reportRows(lvsOut.stdout, "lv", "model lvs"),
    pvs: reportRows(pvsOut.stdout, "pv", "model pvs"),
    pvmovePercentAtCut,
    faultFacts: faultFacts(scenario, run.machine.injector.records, phaseStartNs),
    workloadErrors,
  };
}

/**
 * Where each of the scenario's faults fired in the model: a record's seed path ends with the
 * fault's id (or index) and kind, as the injector forks it. The phase is the last one that had
 * started by then (a phase runs to its end before the next starts).
 */
export function faultFacts(
  scenario: Scenario,
  records: readonly {
    readonly kind: string;
    readonly seedPath: string;
    readonly firedAt: { readonly tNs: number };
    readonly effect: Readonly<Record<string, unknown>>;
  }[],
  phaseStartNs: readonly number[],
): Map<number, ModelFaultFacts> {
  const facts = new Map<number, ModelFaultFacts>();
  scenario.faults.forEach((fault, index) => {
    const suffix = `${fault.id ?? String(index)}:${fault.kind}`;
    const record = records.find((r) => r.seedPath === suffix || r.seedPath.endsWith(`/${suffix}`));
    if (record === undefined) return;
    const tNs = record.firedAt.tNs;
    let phase: number | undefined;
    phaseStartNs.forEach((start, i) => {
      if (start <= tNs) phase = i;
    });
    facts.set(index, { firedTNs: tNs, ...(phase === undefined ? {} : { phase }), effect: record.effect });
  });
  return facts;
}
