import { describe, expect, it } from "vitest";
import { RehearseInputError } from "../../../scenarios/rehearse/input-error.js";
import { parsePlan } from "../../../scenarios/rehearse/plan.js";

const context = { file: "plan.txt", vgName: "vg_data", devices: ["/dev/sdb1", "/dev/sdc1", "/dev/sdd1"] };

describe("parsePlan", () => {
  it("reads one step per command line, skipping comments and blank lines, and names the devices", () => {
    const steps = parsePlan(
      "# move off sdb1\n\nvgextend vg_data /dev/sdc1\npvmove /dev/sdb1:0-3 /dev/sdc1  # the move\nvgreduce vg_data /dev/sdb1\npvremove /dev/sdb1\n",
      context,
    );
    expect(steps.map((s) => [s.index, s.line, s.command, s.devices])).toEqual([
      [1, 3, "vgextend", ["/dev/sdc1"]],
      [2, 4, "pvmove", ["/dev/sdb1", "/dev/sdc1"]],
      [3, 5, "vgreduce", ["/dev/sdb1"]],
      [4, 6, "pvremove", ["/dev/sdb1"]],
    ]);
    expect(steps[1]!.text).toBe("pvmove /dev/sdb1:0-3 /dev/sdc1");
  });

  it("refuses an unsupported command with the file and line", () => {
    expect(() => parsePlan("vgextend vg_data /dev/sdc1\nlvresize -L +1G vg_data/lv_home\n", context)).toThrow(
      new RehearseInputError(
        'plan.txt:2: unsupported command "lvresize"; a plan may use pvcreate, vgextend, pvmove, vgreduce, pvremove',
      ),
    );
  });

  it("refuses a device that is neither a PV of the backup nor a declared new disk", () => {
    expect(() => parsePlan("\npvmove /dev/sdb1 /dev/sde1\n", context)).toThrow(
      /^plan\.txt:2: unknown device \/dev\/sde1; the backup's PVs are .*--new-disk \/dev\/sde1=SIZE/,
    );
  });

  it("refuses a step on another VG, an option LVM2 does not know, and an empty plan", () => {
    expect(() => parsePlan("vgreduce vg_other /dev/sdb1\n", context)).toThrow(
      'plan.txt:1: vgreduce names VG "vg_other", but the backup is of VG "vg_data"',
    );
    expect(() => parsePlan("pvmove --frobnicate /dev/sdb1\n", context)).toThrow(/^plan\.txt:1: .*frobnicate/);
    expect(() => parsePlan("# nothing\n", context)).toThrow("plan.txt: the plan has no steps");
  });
});
