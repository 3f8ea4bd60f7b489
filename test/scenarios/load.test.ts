import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../cli/program.js";
import { ScenarioError } from "../../scenarios/define.js";
import { executeCase } from "../../scenarios/executor.js";
import { loadScenarioFile, parseScenarioFile } from "../../scenarios/load.js";

const YAML = `name: yaml-linear-cut
description: A YAML scenario goes through the same schema and runner as the TypeScript ones
tags: [custom]
pvs:
  - { name: pv0, size: 64MiB }
  - { name: pv1, size: 64MiB }
setup:
  - pvcreate pv0 pv1
  - vgcreate vg0 pv0 pv1
  - lvcreate -an -Zn -l 2 -n lv0 vg0
phases:
  - workload:
      lv: vg0/lv0
      jobs:
        - { name: w, rw: randwrite, bs: 4k, size: 4m, number_ios: 100, fsync: 8, verify: xxh64 }
faults:
  - { kind: power-cut, at: { write: 60 }, policy: { kind: subset } }
recovery: [vgchange -ay vg0]
`;

describe("JSON and YAML scenarios", () => {
  it("parse through the same schema and run like library scenarios", () => {
    const scenario = parseScenarioFile(YAML, "cut.yaml");
    expect(scenario.expect.noAcknowledgedDataLost).toBe(true);
    const { record } = executeCase(scenario, { scenario: scenario.name, seed: 1 });
    expect(record.status).toBe("pass");
    expect(record.faults).toHaveLength(1);
  });

  it("name the file, the line and column, and the field of a bad value", () => {
    const bad = YAML.replace("kind: power-cut, at: { write: 60 }", "kind: power-cut, at: { write: -1 }");
    try {
      parseScenarioFile(bad, "cut.yaml");
      expect.unreachable("a negative write index must be refused");
    } catch (error) {
      expect(error).toBeInstanceOf(ScenarioError);
      const message = (error as Error).message;
      expect(message).toContain("cut.yaml");
      expect(message).toMatch(/line 17 column \d+: faults\[0\]\.at\.write/);
    }
  });

  it("refuse unknown fields, YAML syntax errors and unknown file types clearly", () => {
    expect(() => parseScenarioFile(YAML.replace("tags:", "tagz:"), "a.yaml")).toThrow(/tagz/);
    expect(() => parseScenarioFile("name: [unclosed", "b.yaml")).toThrow(/b\.yaml: line 1/);
    expect(() => parseScenarioFile("{}", "c.toml")).toThrow(/unknown scenario file type/);
    expect(() => loadScenarioFile("/nonexistent/x.yaml")).toThrow(/cannot read the file/);
    const json = JSON.stringify({ name: "Bad Name", description: "x", pvs: [], phases: [] });
    expect(() => parseScenarioFile(json, "d.json")).toThrow(/name: Expected a lower-case name/);
  });

  it("run from the CLI with --file, and bad files exit 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lvmlab-yaml-"));
    const good = join(dir, "cut.yaml");
    writeFileSync(good, YAML);
    expect(await runCli(["run", "yaml-linear-cut", "--file", good, "--seeds", "1..2", "-q"])).toBe(0);
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, YAML.replace("pvs:", "pvz:"));
    expect(await runCli(["run", "--file", bad, "-q"])).toBe(2);
  });
});
