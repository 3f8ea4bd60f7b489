import { describe, expect, it } from "vitest";
import { loadLibrary, parseScenarioFile } from "../../scenarios/load.js";
import { commandLineProblem, preflightScenarios, scenarioProblems } from "../../scenarios/preflight.js";

const YAML = `name: preflight-case
description: d
pvs: [{ name: pv0, size: 16MiB }]
setup: [pvcreate pv0, vgcreate vg0 pv0, lvcreate -an -Zn -l 2 -n lv0 vg0]
phases:
  - workload: { lv: vg0/lv0, jobs: [{ name: w, rw: write, bs: 4k, size: 64k }] }
  - { lvm: "lvcreate --bogus vg0", expectExit: 3 }
recovery: [vgchange -ay vg0]
`;

describe("preflight", () => {
  it("passes every scenario of the library", async () => {
    const library = await loadLibrary();
    expect(library.flatMap((s) => scenarioProblems(s))).toEqual([]);
    expect(() => preflightScenarios(library)).not.toThrow();
  });

  it("names the field of an unknown fio option or a bad LVM2 command line", () => {
    const load = (text: string) => ({ scenario: parseScenarioFile(text, "p.yaml"), file: "p.yaml" });
    expect(scenarioProblems(load(YAML))).toEqual([]);
    const fio = load(YAML.replace("size: 64k", "size: 64k, iodepht: 2"));
    expect(scenarioProblems(fio)).toEqual([expect.stringMatching(/^phases\[0\]\.workload\.jobs: .*iodepht/)]);
    const lvm = load(YAML.replace("vgcreate vg0 pv0", "vgcreat vg0 pv0"));
    expect(scenarioProblems(lvm)).toEqual(['setup[1]: no such LVM2 command "vgcreat" in "vgcreat vg0 pv0"']);
    expect(() => preflightScenarios([lvm])).toThrow(/Invalid scenario p\.yaml: preflight-case: setup\[1\]/);
    expect(commandLineProblem("lvcreate -L 8M --nope vg0")).toMatch(/nope/);
    expect(commandLineProblem("lvs 'unterminated")).toMatch(/Unterminated/);
    expect(commandLineProblem("lvcreate -an -Zn -l 2 -n lv0 vg0")).toBeUndefined();
  });
});
