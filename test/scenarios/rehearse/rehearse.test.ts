import { beforeAll, describe, expect, it } from "vitest";
import { readBackup } from "../../../scenarios/rehearse/backup.js";
import { parsePlan } from "../../../scenarios/rehearse/plan.js";
import {
  type CrashWindow,
  planRehearsal,
  type RehearsalPlan,
  type RehearseOptions,
  rehearse,
} from "../../../scenarios/rehearse/rehearse.js";
import type { RehearsalInput } from "../../../scenarios/rehearse/world.js";
import { jobsFromFioFile } from "../../../workloads/fio-ini.js";
import { FIXTURE_PLAN, fixtureBackup } from "./fixture.js";

const backup = readBackup(fixtureBackup(), { file: "vg_data.vg" });
const disks = [
  ...backup.pvs.map((pv) => ({ device: pv.device, sizeBytes: pv.sizeBytes, profile: "hdd", isNew: false })),
  { device: "/dev/sdc1", sizeBytes: 32 * 1024 * 1024, profile: "sata-ssd", isNew: true },
];
const input: RehearsalInput = {
  backup,
  steps: parsePlan(FIXTURE_PLAN, {
    file: "plan",
    vgName: backup.vgName,
    devices: disks.map((d) => d.device),
  }),
  disks,
  jobs: jobsFromFioFile("[w]\nrw=randwrite\nbs=4k\niodepth=4\nnumber_ios=32\nfsync=8\nverify=xxh64\n", {
    file: "job",
  }),
  seed: 1,
};
const options: RehearseOptions = {
  maxPoints: 2,
  latePv: "/dev/sdc1",
  policy: { kind: "keep-all" },
  replayBase: "lvmlab rehearse --backup vg_data.vg --plan plan",
};

let plan: RehearsalPlan;
beforeAll(() => {
  plan = planRehearsal(input, options);
}, 20_000);

function cell(window: CrashWindow, boot: "present" | "late", path: string) {
  const key = `${window.step}/${window.label}/${boot}/${path}`;
  const result = rehearse(input, { ...options, only: key }, plan);
  expect(result.cells.map((c) => c.key)).toEqual([key]);
  return result.cells[0]!;
}

describe("rehearse", () => {
  it("finds crash windows in every step, samples beyond --max-points and says so, and times the pvmove", () => {
    expect(plan.steps.map((s) => s.windowsFound > 0)).toEqual([true, true, true, true]);
    const move = plan.steps[1]!;
    expect(move.windows).toHaveLength(2);
    expect(plan.coverage[1]).toMatch(
      /^step 2 \(pvmove \/dev\/sdb1 \/dev\/sdc1\): tried 2 of \d+ crash windows \(sampled with seed 1/,
    );
    expect(move.timing.copyEndNs).toBeGreaterThan(move.timing.startNs);
    expect(move.timing.endNs).toBeGreaterThanOrEqual(move.timing.copyEndNs!);
    // The workload ran on both LVs while the copy ran, and before and after the plan.
    const when = plan.clean.throughput.map((t) => `${t.lv} ${t.when}`);
    expect(when).toEqual(
      expect.arrayContaining(["lv_home before", "lv_home during step 2", "lv_home after"]),
    );
  });

  it("marks vgreduce --removemissing --force destructive while the new disk is only late mid-pvmove, from what it removed", () => {
    const window = plan.steps[1]!.found.find((w) => w.label.startsWith("pvmove.checkpoint"))!;
    const result = cell(window, "late", "removemissing-force");
    expect(result.verdict.outcome).toBe("destructive");
    expect(result.verdict.removedLvs).toContain("lv_home");
    expect(result.verdict.detail).toContain("removed LV lv_home, whose data was intact");
    expect(result.log).toContain("$ vgreduce --removemissing --force vg_data");
    expect(result.replay).toBe(`${options.replayBase} --cell '${result.key}'`);
  }, 10_000);

  it("does not call the same command destructive where the late disk holds no data yet", () => {
    // Right after vgextend committed, /dev/sdc1 is in the VG but holds no extent: dropping it
    // removes nothing, and the plan, which continues with that vgextend, adds it again.
    const window = plan.steps[0]!.found.at(-1)!;
    const result = cell(window, "late", "removemissing-force");
    expect(result.verdict.removedLvs).toEqual([]);
    expect(result.verdict.outcome).toBe("safe");
    expect(result.log).toContain("$ vgreduce --removemissing --force vg_data");
  }, 10_000);

  it("finds resuming an interrupted pvmove safe with every disk present", () => {
    const window = plan.steps[1]!.found.find((w) => w.label.startsWith("pvmove.checkpoint"))!;
    const result = cell(window, "present", "resume");
    expect(result.verdict.outcome).toBe("safe");
    expect(result.commands).toEqual(["vgchange -ay vg_data", "pvmove"]);
  }, 10_000);

  it("is deterministic: the same seed finds the same windows, durations and throughput", () => {
    const again = planRehearsal(input, options);
    const summary = (p: RehearsalPlan) =>
      JSON.stringify({
        steps: p.steps.map((s) => [
          s.found.map((w) => w.label),
          s.windows.map((w) => w.label),
          s.timing.endNs,
        ]),
        throughput: p.clean.throughput,
      });
    expect(summary(again)).toBe(summary(plan));
  }, 10_000);

  it("refuses a cell the rehearsal does not have", () => {
    expect(() => rehearse(input, { ...options, only: "9/nothing#1/present/resume" }, plan)).toThrow(
      /^No cell 9\/nothing#1\/present\/resume in this rehearsal/,
    );
  });
});
