/**
 * A rehearsal as NDJSON records (reports/RECORDS.md): a `meta` record, one `rehearse-step` record
 * per plan step (its command and modeled duration), one `case` record per matrix cell (so `merge`,
 * `report` and JUnit treat cells as cases: pass = safe), one `rehearse-recommendation` per crash
 * window and boot, one `bench` record per LV and moment of the throughput table (so `compare`
 * can set two rehearsals side by side), and a `summary`.
 */
import { describeProfile, resolveProfile } from "../../engine/sim/mod.js";
import type { RehearsalResult } from "./rehearse.js";
import type { RehearsalInput } from "./world.js";

/** Record tags every cell carries. */
export const REHEARSE_TAG = "rehearse";

/** What the records say about where they came from. */
export interface RehearsalProvenance {
  /** The exact command that reproduces the file. */
  readonly command: string;
  readonly version?: string;
  /** Name the cells are filed under (`case.scenario`), e.g. "rehearse-vg_data". */
  readonly name: string;
  /** The workload's name in bench records, e.g. "default" or the fio file's base name. */
  readonly workload: string;
  /** The crash policy, as `--policy` names it. */
  readonly policy: string;
  /** The disk that is late in the late-PV cases. */
  readonly lateDisk?: string;
}

/** Every record of a rehearsal, in a stable order. */
export function rehearsalRecords(
  input: RehearsalInput,
  result: RehearsalResult,
  provenance: RehearsalProvenance,
): Record<string, unknown>[] {
  const profiles: Record<string, string> = {};
  for (const disk of input.disks) profiles[disk.profile] ??= describeProfile(resolveProfile(disk.profile));
  const records: Record<string, unknown>[] = [
    {
      type: "meta",
      schema: 1,
      tool: "lvmlab",
      ...(provenance.version === undefined ? {} : { version: provenance.version }),
      command: provenance.command,
      seed: input.seed,
      profiles,
      ...(provenance.lateDisk === undefined ? {} : { rehearseLateDisk: provenance.lateDisk }),
      configs: Object.fromEntries(
        input.disks.map((d) => [
          d.device,
          `${d.isNew ? "new disk" : "PV of the backup"}, ${d.sizeBytes} bytes, ${d.profile}`,
        ]),
      ),
    },
  ];
  for (const step of result.steps) {
    records.push({
      type: "rehearse-step",
      rehearsal: provenance.name,
      step: step.step.index,
      line: step.step.line,
      command: step.step.text,
      exitCode: step.timing.exitCode,
      durationNs: step.timing.endNs - step.timing.startNs,
      ...(step.timing.copyEndNs === undefined ? {} : { copyNs: step.timing.copyEndNs - step.timing.startNs }),
      windowsFound: step.windowsFound,
      windowsTried: step.windows.length,
      coverage: result.coverage[step.step.index - 1],
    });
  }
  let passed = 0;
  for (const cell of result.cells) {
    const safe = cell.verdict.outcome === "safe";
    if (safe) passed += 1;
    const faults: Record<string, unknown>[] = [
      { kind: "power-cut", at: cell.window.label, policy: provenance.policy },
    ];
    if (cell.boot === "late")
      faults.push({ kind: "pv-loss", detail: "late at boot, back after the recovery" });
    records.push({
      type: "case",
      scenario: provenance.name,
      seed: input.seed,
      status: safe ? "pass" : "fail",
      // The window, the boot and the path together name the cell, as reports key cases by crashPoint.
      crashPoint: `step ${cell.window.step} ${cell.window.label} ${cell.boot === "late" ? `${provenance.lateDisk ?? "a disk"} late` : "all disks"} ${cell.path}`,
      draw: null,
      faults,
      verify: cell.verify,
      replay: cell.replay,
      verdict: `${cell.verdict.outcome}: ${cell.verdict.detail}`,
      durationNs: cell.durationNs,
      tags: [REHEARSE_TAG, cell.verdict.outcome],
      key: `${provenance.name}@${input.seed}/${cell.key}`,
      rehearse: {
        step: cell.window.step,
        window: cell.window.label,
        boot: cell.boot,
        path: cell.path,
        title: cell.title,
        commands: cell.commands,
        exitCodes: cell.exitCodes,
        outcome: cell.verdict.outcome,
        detail: cell.verdict.detail,
        lostBlocks: cell.verdict.lostBlocks,
        removedLvs: cell.verdict.removedLvs,
        remappedExtents: cell.verdict.remappedExtents,
      },
    });
  }
  for (const r of result.recommendations) {
    records.push({
      type: "rehearse-recommendation",
      rehearsal: provenance.name,
      step: r.window.step,
      window: r.window.label,
      boot: r.boot,
      path: r.path ?? null,
      outcome: r.outcome ?? null,
    });
  }
  for (const t of result.throughput) {
    records.push({
      type: "bench",
      config: `${input.backup.vgName}/${t.lv}`,
      workload: `${provenance.workload} ${t.when}`,
      profile: REHEARSE_TAG,
      seed: input.seed,
      repetition: 0,
      iops: t.iops,
      mbps: t.mbps,
      latNs: t.latNs,
      writeAmplification: t.writeAmplification,
      ios: t.ios,
    });
  }
  records.push({ type: "summary", cases: result.cells.length, passed, failed: result.cells.length - passed });
  return records;
}
