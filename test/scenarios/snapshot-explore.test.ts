import { describe, expect, it } from "vitest";
import { parseCaseKey } from "../../scenarios/case.js";
import { defineScenario } from "../../scenarios/define.js";
import { executeCase } from "../../scenarios/executor.js";
import { loadLibrary } from "../../scenarios/load.js";
import { resolveCrashPoint, scenarioByName } from "../../scenarios/local-runner.js";

/** Snapshots at crash points `--explore` places: what LVM2 and dm-snapshot may leave there. */

async function explored(key: string) {
  const spec = parseCaseKey(key);
  const scenario = scenarioByName(await loadLibrary([]), spec.scenario);
  return executeCase(scenario, resolveCrashPoint(scenario, spec, {}));
}

const write = (name: string) => ({
  workload: {
    lv: "vg0/lv0",
    jobs: [{ name, rw: "randwrite", bs: "4k", size: "1m", number_ios: 40, fsync: 4, verify: "xxh64" }],
  },
});

describe("snapshots at explored crash points", () => {
  it("a snapshot whose lvcreate commit the cut lost (LVM2 never flushes metadata) is not looked for", async () => {
    const { record } = await explored("snapshot-queued-origin-cut@1/event:7");
    expect(record.status, record.failures.join("; ")).toBe("pass");
  });

  it("a snapshot missing from a VG as new as its commit still fails the case", () => {
    const scenario = defineScenario({
      name: "snapshot-removed-in-recovery",
      description: "A snapshot the recovery removes: its absence is no lost commit",
      pvs: [{ name: "pv0", size: "32MiB", profile: "sata-ssd" }],
      setup: ["pvcreate pv0", "vgcreate vg0 pv0", "lvcreate -an -Zn -l 4 -n lv0 vg0"],
      phases: [write("before"), { lvm: "lvcreate -s -L 4M -c 4k -n snap vg0/lv0" }, write("after")],
      recovery: ["vgchange -ay vg0", "lvremove -f vg0/snap"],
    });
    // Late in the run: the origin's flushes made the snapshot's commit durable long before.
    const { record } = executeCase(scenario, {
      scenario: scenario.name,
      seed: 1,
      crashPoint: { kind: "write", index: 120, label: "write 120" },
    });
    expect(record.failures.join("; ")).toContain(
      "cannot read vg0/snap back: Logical volume vg0/snap not found",
    );
  });

  it("a snapshot the run overflowed may read invalid; the origin is still judged", async () => {
    const { record } = await explored("snapshot-overflow@1/write:2562");
    expect(record.status, record.failures.join("; ")).toBe("pass");
    expect(record.verify.unreadable).toBe(0);
    expect(record.verify.ok).toBeGreaterThan(1000);
  });

  it("a merge under writes, cut before the merge reached a write's chunk: the origin's shared data is allowed", async () => {
    const { record } = await explored("snapshot-merge-under-writes@1/write:359");
    expect(record.status, record.failures.join("; ")).toBe("pass");
  });
});
