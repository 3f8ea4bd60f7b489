/**
 * Power cuts inside the thin pool's own work unwind as power cuts, never as errors the engine
 * handles on a machine that keeps running.
 *
 * A power cut between the pool commits of LVM2's thin messages. The kernel commits after each
 * message (`pool_message`), so a cut after `create_snap`'s commit and before `set_transaction_id`'s
 * leaves the new device in the pool at the old transaction_id. The cut must unwind as a power cut
 * (never a failed lvcreate on a machine that keeps running), and after the reboot LVM2 2.03.16
 * resends `create_snap`, which the pool refuses with EEXIST: activation needs manual intervention.
 */
import { describe, expect, it } from "vitest";
import { discoverCrashPoints } from "../../scenarios/crash-points.js";
import { executeCase } from "../../scenarios/executor.js";
import { loadLibrary } from "../../scenarios/load.js";

const library = await loadLibrary();

describe("a power cut between create_snap's commit and set_transaction_id's", () => {
  it("halts the machine, and the reboot finds the snapshot's device already in the pool", () => {
    const declared = library.find((s) => s.scenario.name === "thin-snapshot-crash")!.scenario;
    const point = discoverCrashPoints(declared, 1).find((p) => p.label === "thin.commit#19")!;
    expect(point).toBeDefined();
    const { record } = executeCase(declared, { scenario: declared.name, seed: 1, crashPoint: point });
    const failures = record.failures.join("\n");
    expect(failures).not.toContain("exited 5");
    expect(failures).not.toContain("could not run");
    expect(failures).toContain("Thin pool vg0-pool-tpool already contain thin device with device_id 2.");
  });
});

describe("a power cut as a pool whose metadata ran out switches to read-only", () => {
  it("halts the machine (the abort's fail-mode fallback does not swallow it)", () => {
    const declared = library.find((s) => s.scenario.name === "thin-metadata-full")!.scenario;
    const point = discoverCrashPoints(declared, 1).find((p) => p.label === "thin.pool.mode#1")!;
    expect(point).toBeDefined();
    const { record } = executeCase(declared, { scenario: declared.name, seed: 1, crashPoint: point });
    expect(record.status, record.failures.join("; ")).toBe("pass");
  });
});
