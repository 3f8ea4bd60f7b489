/**
 * Whole scenario cases per second — the harness's own speed, which bounds how many crash points a
 * nightly can explore. Measured with tinybench's programmatic API (mean with its relative margin
 * of error); the baseline is the same machine built and set up with no workload or fault, so the
 * ratio says what the workload, the cut, the reboot, the recovery and the read-back cost.
 */
import { Bench } from "tinybench";
import { defineScenario } from "../../scenarios/define.js";
import { executeCase } from "../../scenarios/executor.js";
import { loadScenarioModules } from "../../scenarios/load.js";
import type { BenchRow, BenchSuite } from "../suite.js";

const CASES = [
  "linear-power-cut-subset",
  "metadata-commit-power-cut",
  "pvmove-cut-resume",
  "mirror-crash-disk-log",
];

const baseline = defineScenario({
  name: "setup-only",
  description: "machine, PVs, VG and one LV; nothing else",
  pvs: [
    { name: "pv0", size: "64MiB" },
    { name: "pv1", size: "64MiB" },
    { name: "pv2", size: "64MiB" },
  ],
  setup: ["pvcreate pv0 pv1 pv2", "vgcreate vg0 pv0 pv1 pv2", "lvcreate -an -Zn -l 4 -n lv0 vg0"],
  phases: [{ lvm: "lvs vg0" }],
  expect: { noAcknowledgedDataLost: false, metadataConsistent: false },
});

const suite: BenchSuite = {
  name: "cases",
  description:
    "whole scenario cases (setup, workload, fault, reboot, recovery, read-back) per second, tinybench",
  async run(options) {
    const library = await loadScenarioModules();
    const bench = new Bench({ time: options.quick ? 300 : 2_000, iterations: options.quick ? 3 : 10 });
    let seed = 0;
    bench.add("setup only (baseline)", () => {
      executeCase(baseline, { scenario: baseline.name, seed: ++seed });
    });
    for (const name of CASES) {
      const found = library.find((s) => s.scenario.name === name);
      if (found === undefined) continue;
      bench.add(name, () => {
        executeCase(found.scenario, { scenario: name, seed: (++seed % 8) + 1 });
      });
    }
    await bench.run();
    const rows: BenchRow[] = [];
    const base = bench.tasks[0]?.result;
    const baseMs = base !== undefined && "latency" in base ? base.latency.mean : undefined;
    for (const task of bench.tasks) {
      const result = task.result;
      if (result === undefined || !("latency" in result)) continue;
      const ns = result.latency.mean * 1e6;
      const isBase = task === bench.tasks[0];
      rows.push({
        name: `${task.name} (±${result.latency.rme.toFixed(1)}%)`,
        group: "cases",
        nsPerOp: ns,
        ...(isBase || baseMs === undefined
          ? {}
          : { baseline: "setup only (baseline)", ratioToBaseline: baseMs / result.latency.mean }),
      });
    }
    return rows;
  },
};

export default suite;
