import { describe, expect, it } from "vitest";
import { asQemuPowerCuts, reportRows, stepsFromLvmLog } from "../../real/model-run.js";
import { defineScenario } from "../../scenarios/define.js";

const scenario = defineScenario({
  name: "t-model",
  description: "test",
  pvs: [{ name: "pv0", size: "64MiB" }],
  setup: ["pvcreate pv0", "vgcreate vg0 pv0"],
  phases: [{ lvm: "lvcreate -an -Zn -l 1 -n lv0 vg0" }, { wait: "background" }],
  faults: [{ kind: "power-cut", at: { write: 3 }, policy: { kind: "subset" } }],
  recovery: ["vgchange -ay vg0"],
});

describe("the model's side", () => {
  it("labels the executor's LVM2 log like the guest's steps", () => {
    const steps = stepsFromLvmLog(scenario, [
      "$ pvcreate pv0",
      '  Physical volume "pv0" successfully created.',
      "$ vgcreate vg0 pv0",
      '  Volume group "vg0" successfully created',
      "$ lvcreate -an -Zn -l 1 -n lv0 vg0",
      '  Logical volume "lv0" created.',
      "$ vgchange -ay vg0",
      '  1 logical volume(s) in volume group "vg0" now active',
      "verify vg0/lv0: block 3 lost",
    ]);
    expect([...steps.keys()]).toEqual(["setup.0", "setup.1", "phase.0", "recovery.0"]);
    expect(steps.get("recovery.0")?.output).toEqual([
      '  1 logical volume(s) in volume group "vg0" now active',
    ]);
  });

  it("cuts the power as a QEMU kill does: every write kept", () => {
    const cut = asQemuPowerCuts(scenario).faults[0]!;
    expect(cut.kind === "power-cut" && cut.policy).toEqual({ kind: "keep-all" });
    const noCut = defineScenario({ ...scenario, name: "t-nocut", faults: [] });
    expect(asQemuPowerCuts(noCut)).toBe(noCut);
  });

  it("reads report rows and names a report that is not JSON", () => {
    expect(reportRows('{"report":[{"lv":[{"lv_name":"lv0"}]}]}', "lv", "real lvs")).toEqual([
      { lv_name: "lv0" },
    ]);
    expect(() => reportRows("WARNING: x", "pv", "real pvs")).toThrow(/^real pvs: the pvs report is not JSON/);
  });
});
