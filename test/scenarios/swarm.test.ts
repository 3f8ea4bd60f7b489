import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../cli/program.js";
import { defineScenario } from "../../scenarios/define.js";
import { executeCase } from "../../scenarios/executor.js";
import type { ScenarioInput } from "../../scenarios/schema.js";
import { drawCase } from "../../scenarios/swarm.js";
import { captureOutput } from "../support/capture.js";

const input: ScenarioInput = {
  name: "tiny-swarm",
  description: "A small linear LV whose seeds draw a power cut and whether a PV is slow",
  pvs: [
    { name: "pv0", size: "32MiB" },
    { name: "pv1", size: "32MiB" },
  ],
  setup: ["pvcreate pv0 pv1", "vgcreate vg0 pv0 pv1", "lvcreate -an -Zn -l 2 -n lv0 vg0 pv0"],
  phases: [
    {
      workload: {
        lv: "vg0/lv0",
        jobs: [
          { name: "w", rw: "randwrite", bs: "4k", size: "1m", number_ios: 80, fsync: 8, verify: "xxh64" },
        ],
      },
    },
  ],
  faults: [{ kind: "power-cut", at: { write: 40 }, policy: { kind: "drop-all" } }],
  recovery: ["vgchange -ay vg0"],
  swarm: {
    crash: { write: [10, 70], policies: [{ kind: "drop-all" }, { kind: "keep-all" }, { kind: "torn" }] },
    choose: {
      slow: [
        { label: "none" },
        { label: "pv0-slow", faults: [{ kind: "slow-device", device: "pv0", factor: 4, at: { write: 5 } }] },
      ],
    },
  },
};
const scenario = defineScenario(input);

describe("swarm seeds", () => {
  it("draws a different point of the fault space per seed, as a pure function of the seed", () => {
    const draws = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => drawCase(scenario, seed).draw);
    expect(new Set(draws.map((d) => JSON.stringify(d))).size).toBeGreaterThan(4);
    expect(new Set(draws.map((d) => d?.crash?.policy)).size).toBeGreaterThan(1);
    for (const draw of draws) {
      const write = Number(/^write (\d+)$/.exec(draw!.crash!.at)![1]);
      expect(write).toBeGreaterThanOrEqual(10);
      expect(write).toBeLessThanOrEqual(70);
      expect(["none", "pv0-slow"]).toContain(draw!.choose!.slow);
    }
    expect(drawCase(scenario, 3)).toEqual(drawCase(scenario, 3));
    // Made once per scenario and seed (exploring draws per crash point), and equal to a fresh draw.
    expect(drawCase(scenario, 3)).toBe(drawCase(scenario, 3));
    expect(drawCase({ ...scenario }, 3)).toEqual(drawCase(scenario, 3));
  });

  it("replaces the scenario's own power cut by the drawn one and adds the picked faults", () => {
    for (const seed of [1, 2, 3, 4]) {
      const { scenario: drawn, draw } = drawCase(scenario, seed);
      const cuts = drawn.faults.filter((f) => f.kind === "power-cut");
      expect(cuts).toHaveLength(1);
      expect(cuts[0]!.id).toBe("swarm");
      expect(drawn.faults.some((f) => f.kind === "slow-device")).toBe(draw!.choose!.slow === "pv0-slow");
      expect(drawn.swarm).toBeUndefined();
      // A torn draw tolerates torn blocks, as a scenario's own torn cut must say it does.
      expect(drawn.expect.tolerates.includes("torn")).toBe(draw!.crash!.policy === "torn");
    }
  });

  it("records the draw in every case, passes on the real engine, and runs the same twice", () => {
    for (const seed of [1, 2, 3]) {
      const first = executeCase(scenario, { scenario: scenario.name, seed }).record;
      expect(first.status, first.failures.join("; ")).toBe("pass");
      expect(first.draw).toEqual(drawCase(scenario, seed).draw);
      expect(first.faults.some((f) => f.kind === "power-cut" && f.id === "swarm")).toBe(true);
      expect(JSON.stringify(executeCase(scenario, { scenario: scenario.name, seed }).record)).toBe(
        JSON.stringify(first),
      );
    }
  });

  it("leaves a scenario without a swarm as it is, with a null draw", () => {
    const { swarm: _swarm, ...plain } = input;
    const fixed = defineScenario({ ...plain, name: "tiny-fixed" });
    expect(drawCase(fixed, 5)).toEqual({ scenario: fixed, draw: null });
    expect(executeCase(fixed, { scenario: fixed.name, seed: 5 }).record.draw).toBeNull();
  });

  it("refuses bad swarm declarations with the field's path", () => {
    const bad = (swarm: object) => () => defineScenario({ ...input, swarm } as ScenarioInput);
    expect(bad({ crash: { write: [9, 3] } })).toThrow(/swarm\.crash\.write/);
    expect(bad({ crash: { event: "metadata.commit" } })).toThrow(/swarm\.crash\.occurrence: Required/);
    expect(bad({ crash: { write: [1, 2], event: "metadata.commit", occurrence: [1, 2] } })).toThrow(
      /exactly one of event/,
    );
    expect(bad({ choose: { x: [] } })).toThrow(/swarm\.choose\.x/);
  });

  it("lvmlab replay reproduces a swarm case's record, draw included, byte for byte", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lvmlab-swarm-"));
    const file = join(dir, "tiny-swarm.json");
    writeFileSync(file, JSON.stringify(input));
    const ndjson = join(dir, "run.ndjson");
    expect(
      await runCli(["run", "tiny-swarm", "--file", file, "--seeds", "1..2", "--ndjson", ndjson, "-q"]),
    ).toBe(0);
    const lines = readFileSync(ndjson, "utf8").trim().split("\n");
    const caseLine = lines.findIndex((l) => l.includes('"type":"case"'));
    expect(JSON.parse(lines[caseLine]!).draw.crash.at).toMatch(/^write \d+$/);
    const replay = ["replay", "--record", `${ndjson}:${caseLine + 1}`, "--file", file];
    const { result, text: captured } = await captureOutput(process.stdout, () => runCli(replay));
    expect(result).toBe(0);
    expect(captured.trim()).toBe(lines[caseLine]);
  });
});
