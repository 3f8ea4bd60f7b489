import type { Scenario } from "../scenarios/schema.js";
import type { ModelResult, ReportRow } from "./model-run.js";
import type { GuestStep, Transcript } from "./transcript.js";

/**
 * Compares what the real kernel and LVM2 did with what the model did: LV layout and attributes
 * (`lvs`), PVs (`pvs`), the lines each LVM2 command printed, the scenario's expectations, and the
 * data verdict. Progress lines (`Moved: 40.00%`) depend on timing and are left out of the
 * message comparison; device paths are compared by PV name (`/dev/mapper/pv0` is `pv0`).
 */

/** What differs, one subject at a time. */
export interface Difference {
  readonly aspect: "layout" | "pv" | "message" | "expectation" | "data" | "fault";
  /** What the difference is about: `vg0/lv0 lv_attr`, `recovery.0 "vgchange -ay vg0"`, … */
  readonly subject: string;
  readonly model: string;
  readonly real: string;
  /** Set when the difference is a known, documented one (see known-differences.ts). */
  readonly explained?: string;
}

/** What the guest showed, read from its transcript. */
export interface RealObserved {
  readonly steps: ReadonlyMap<string, GuestStep>;
  readonly lvs: readonly ReportRow[];
  readonly pvs: readonly ReportRow[];
  /** md5 of every LV device the guest had active at the end, by dm name. */
  readonly sums: ReadonlyMap<string, string>;
  readonly transcript: Transcript;
}

const PROGRESS = /: (Moved|Converted): +[\d.]+%$/;
const LV_FIELDS = [
  "lv_attr",
  "lv_size",
  "segtype",
  "devices",
  "lv_health_status",
  "kernel_discards",
] as const;
const PV_FIELDS = ["vg_name", "pv_size", "pv_free", "pv_used"] as const;

/** A real line with the guest's PV device paths written as the scenario's PV names. */
export function normalizeRealText(text: string, pvNames: readonly string[]): string {
  let out = text;
  for (const name of pvNames) out = out.replaceAll(`/dev/mapper/${name}`, name);
  return out;
}

function rowsBy(rows: readonly ReportRow[], key: (r: ReportRow) => string): Map<string, ReportRow> {
  return new Map(rows.map((r) => [key(r), r]));
}

function compareRows(
  aspect: "layout" | "pv",
  model: Map<string, ReportRow>,
  real: Map<string, ReportRow>,
  fields: readonly string[],
  out: Difference[],
): void {
  for (const name of [...new Set([...model.keys(), ...real.keys()])].sort()) {
    const m = model.get(name);
    const r = real.get(name);
    if (m === undefined || r === undefined) {
      out.push({
        aspect,
        subject: name,
        model: m === undefined ? "absent" : "present",
        real: r === undefined ? "absent" : "present",
      });
      continue;
    }
    for (const field of fields) {
      if ((m[field] ?? "") !== (r[field] ?? ""))
        out.push({ aspect, subject: `${name} ${field}`, model: m[field] ?? "", real: r[field] ?? "" });
    }
  }
}

/** lvmlab's own notice of an injected fault in the model's log: not something LVM2 prints. */
const FAULT_NOTICE = /\(fault [a-z-]+#\d+\)$/;
const UUID = /\b[0-9A-Za-z]{6}(-[0-9A-Za-z]{4}){5}-[0-9A-Za-z]{6}\b/g;

/**
 * The distinct lines a command printed, uuids blanked (each side makes its own). Compared as a
 * set: LVM2 repeats "Couldn't find device with uuid" once per metadata read, a count that depends
 * on its label and metadata caches rather than on what the command did.
 */
export function messageLines(
  step: GuestStep | undefined,
  pvNames: readonly string[],
  real: boolean,
): string[] {
  if (step === undefined) return [];
  const lines = step.output
    .map((l) => (real ? normalizeRealText(l, pvNames) : l).replace(UUID, "<uuid>"))
    .filter((l) => !PROGRESS.test(l.trim()) && !FAULT_NOTICE.test(l.trim()) && l.trim() !== "");
  return [...new Set(lines)];
}

const VERIFY_BAD_BLOCK = /^verify: .* at file (\S+) offset (\d+), length \d+/;
const WRITE_ERROR = /^fio: io_u error on file (\S+): .*: write offset=(\d+), buflen=\d+/;

/**
 * True when every block a failed `fio --verify_only` complains about is a write fio itself
 * reported failing (`io_u error … write offset=N`): fio's saved verify state counts the writes in
 * flight when an error stopped the job as written, but those were never acknowledged, so the
 * model's oracle (acknowledged writes only) does not check them either.
 */
export function onlyFailedWrites(verify: GuestStep, steps: ReadonlyMap<string, GuestStep>): boolean {
  const failed = new Set<string>();
  for (const [label, step] of steps) {
    if (!label.startsWith("phase.")) continue;
    for (const line of step.output) {
      const m = WRITE_ERROR.exec(line.trim());
      if (m !== null) failed.add(`${m[1]}@${m[2]}`);
    }
  }
  const bad = verify.output.map((l) => VERIFY_BAD_BLOCK.exec(l.trim())).filter((m) => m !== null);
  // Anything else the verify printed as an error (a read error, a crash) still fails it.
  const otherErrors = verify.output.filter(
    (l) =>
      /^(verify|fio): /.test(l.trim()) && !VERIFY_BAD_BLOCK.test(l.trim()) && !/^fio: pid=/.test(l.trim()),
  );
  return bad.length > 0 && otherErrors.length === 0 && bad.every((m) => failed.has(`${m[1]}@${m[2]}`));
}

/** The expectations the real run can be judged on, with the violations found. */
function realExpectationFailures(scenario: Scenario, real: RealObserved): string[] {
  const expect = scenario.expect;
  const failures: string[] = [];
  if (expect.noAcknowledgedDataLost) {
    for (const [label, step] of real.steps) {
      if (label.startsWith("verify.") && step.exitCode !== 0 && !onlyFailedWrites(step, real.steps)) {
        failures.push(
          `${label.slice(7)}: fio --verify_only failed (${
            step.output
              .filter((l) => /verify|error/i.test(l))
              .slice(0, 2)
              .join("; ") || `exit ${step.exitCode ?? "none"}`
          })`,
        );
      }
    }
  }
  for (const lv of expect.snapshotInvalid) {
    const step = real.steps.get(`readcheck.${lv}`);
    if (step === undefined || step.exitCode === 0)
      failures.push(`${lv}: the snapshot is readable, expected it invalid`);
  }
  for (const [lv, types] of Object.entries(expect.segtypes)) {
    const row = real.lvs.find((r) => `${r.vg_name}/${r.lv_name}` === lv);
    if (row === undefined) failures.push(`${lv}: missing, expected segtypes ${types.join(",")}`);
    else if (row.segtype !== types[0])
      failures.push(`${lv}: segtype ${row.segtype}, expected ${types.join(",")}`);
  }
  if (expect.noPvmoveLeft && real.lvs.some((r) => /pvmove/.test(r.lv_name ?? "")))
    failures.push("a pvmove LV is left");
  for (const pv of expect.pvsEmpty) {
    const row = real.pvs.find((r) => r.pv_name === pv);
    if (row === undefined || Number.parseFloat(row.pv_used ?? "") !== 0)
      failures.push(`${pv}: not empty (used ${row?.pv_used ?? "?"})`);
  }
  for (const lv of expect.mirrorLegsIdentical) {
    const base = lv.replace("/", "-");
    const legs = [...real.sums].filter(([name]) => name.startsWith(`${base}_mimage_`)).map(([, sum]) => sum);
    if (legs.length < 2 || new Set(legs).size !== 1)
      failures.push(`${lv}: legs differ or are missing (${legs.length} legs)`);
  }
  for (const lv of expect.raidLegsIdentical) {
    const base = lv.replace("/", "-");
    const legs = [...real.sums].filter(([name]) => name.startsWith(`${base}_rimage_`)).map(([, sum]) => sum);
    if (legs.length < 2 || new Set(legs).size !== 1)
      failures.push(`${lv}: raid legs differ or are missing (${legs.length} legs)`);
  }
  const recoveryText = [...real.steps]
    .filter(([l]) => l.startsWith("recovery."))
    .flatMap(([, s]) => s.output)
    .join("\n");
  for (const message of expect.messages) {
    if (!recoveryText.includes(message)) failures.push(`message "${message}" not printed by the recovery`);
  }
  return failures;
}

/** KiB that the real run's `fio --verify_only` steps read back and checked (field 6 of fio's terse lines). */
export function verifiedKib(real: RealObserved): number {
  let kib = 0;
  for (const [label, step] of real.steps) {
    if (!label.startsWith("verify.")) continue;
    for (const line of step.output) {
      if (line.startsWith("3;fio-")) kib += Number(line.split(";")[5] ?? 0) || 0;
    }
  }
  return kib;
}

/**
 * Whether the workloads hit an I/O error on both sides or on neither: fio's terse line carries the
 * error that stopped a job (field 5, an errno), the model's runner the same (`err=`). Compared over
 * the phases both sides finished (a phase a power cut killed prints no terse line), as one verdict
 * for the run, not phase by phase: a fault at a write count fires a few writes late in the guest,
 * which can move its first error into the next phase. Without this a real write that failed where
 * the model's succeeded would go unseen: fio's saved verify state then holds only the writes that
 * completed, and they verify.
 */
export function workloadErrorDifferences(model: ModelResult, real: RealObserved): Difference[] {
  const modelErrors: string[] = [];
  const realErrors: string[] = [];
  for (const [index, errors] of model.workloadErrors ?? []) {
    const step = real.steps.get(`phase.${index}`);
    const terse = (step?.output ?? []).filter((l) => l.startsWith("3;fio-"));
    if (terse.length === 0) continue;
    if (errors.length > 0) modelErrors.push(`phase.${index} ${errors.join(", ")}`);
    const errnos = terse.map((l) => Number(l.split(";")[4] ?? 0)).filter((e) => e !== 0);
    if (errnos.length === 0) continue;
    const firstError = step!.output.find((l) => /^fio: io_u error/.test(l.trim()))?.trim();
    realErrors.push(
      `phase.${index} errno ${errnos.join(", ")}${firstError === undefined ? "" : ` (${firstError})`}`,
    );
  }
  if (modelErrors.length > 0 === realErrors.length > 0) return [];
  return [
    {
      aspect: "data",
      subject: "workload I/O errors",
      model: modelErrors.join("; ") || "none",
      real: realErrors.join("; ") || "none",
    },
  ];
}

/** Every difference between the model's run and the real one. */
export function diffRuns(scenario: Scenario, model: ModelResult, real: RealObserved): Difference[] {
  const pvNames = scenario.pvs.map((p) => p.name);
  const out: Difference[] = [];
  const lvKey = (r: ReportRow) => `${r.vg_name}/${r.lv_name}`;
  const realLvs = real.lvs.map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, normalizeRealText(v, pvNames)])),
  );
  compareRows("layout", rowsBy(model.lvs, lvKey), rowsBy(realLvs, lvKey), LV_FIELDS, out);
  const realPvs = real.pvs.map((r) => ({ ...r, pv_name: normalizeRealText(r.pv_name ?? "", pvNames) }));
  compareRows(
    "pv",
    rowsBy(model.pvs, (r) => r.pv_name ?? ""),
    rowsBy(realPvs, (r) => r.pv_name ?? ""),
    PV_FIELDS,
    out,
  );
  const labels = [
    ...new Set([
      ...model.steps.keys(),
      ...[...real.steps.keys()].filter((l) => /^(setup|phase|recovery)\./.test(l)),
    ]),
  ];
  for (const label of labels) {
    const m = model.steps.get(label);
    const r = real.steps.get(label);
    if (r?.command.startsWith("fio ")) continue;
    const subject = `${label} "${m?.command ?? normalizeRealText(r?.command ?? "", pvNames)}"`;
    const mLines = messageLines(m, pvNames, false);
    const rLines = messageLines(r, pvNames, true);
    const onlyModel = mLines.filter((l) => !rLines.includes(l));
    const onlyReal = rLines.filter((l) => !mLines.includes(l));
    if (r === undefined) out.push({ aspect: "message", subject, model: "ran", real: "did not run" });
    else if (onlyModel.length > 0 || onlyReal.length > 0) {
      out.push({ aspect: "message", subject, model: onlyModel.join(" | "), real: onlyReal.join(" | ") });
    }
  }
  out.push(...workloadErrorDifferences(model, real));
  // No green without work: a real run that verified nothing cannot agree with a model that did.
  const modelVerified = model.record.verify?.ok ?? 0;
  if (scenario.expect.noAcknowledgedDataLost && modelVerified > 0 && verifiedKib(real) === 0) {
    out.push({
      aspect: "data",
      subject: "acknowledged data checked",
      model: `${modelVerified} blocks verified`,
      real: "nothing verified (no fio --verify_only read a block)",
    });
  }
  const realFailures = realExpectationFailures(scenario, real);
  const modelFailures = model.record.failures;
  if ((realFailures.length === 0) !== (modelFailures.length === 0) || realFailures.length > 0) {
    out.push({
      aspect: "expectation",
      subject: "scenario expectations",
      model: modelFailures.length === 0 ? "all held" : modelFailures.join("; "),
      real: realFailures.length === 0 ? "all held" : realFailures.join("; "),
    });
  }
  return out;
}

/**
 * Whether each dm-dust fault the guest fired armed what the model drew: its first `DUST` event
 * (printed once the table is live and enabled) must count the fault's bad blocks and show
 * `fail_read_on_bad_block`. A fault the guest never armed, or armed otherwise, is a `fault`
 * difference: without it a run whose dust table failed to load would compare as agreeing.
 */
export function dustDifferences(
  faults: readonly {
    readonly index: number;
    readonly device: string;
    readonly trigger: { readonly kind: string };
    readonly dust?: { readonly badBlocks: number };
  }[],
  transcript: Transcript,
): Difference[] {
  const out: Difference[] = [];
  for (const f of faults) {
    if (f.dust === undefined || f.trigger.kind === "never") continue;
    const armed = transcript.events.find((e) => e.kind === "DUST" && e.text.startsWith(`${f.device} `));
    const want = `countbadblocks: ${f.dust.badBlocks} badblock(s) found`;
    const text = armed?.text.slice(f.device.length + 1) ?? "";
    if (text.startsWith(`${want} `) && / dust \S+ fail_read_on_bad_block /.test(` ${text} `)) continue;
    out.push({
      aspect: "fault",
      subject: `faults[${f.index}] dm-dust on ${f.device}`,
      model: `${want}, fail_read_on_bad_block`,
      real: armed === undefined ? "not armed" : text,
    });
  }
  return out;
}
