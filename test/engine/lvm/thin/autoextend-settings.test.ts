import { describe, expect, it } from "vitest";
import { runLvm } from "../../../../engine/lvm/run.js";
import {
  LVM_CONF_PATH,
  lowWaterBlocks,
  noteThinAutoextend,
  THIN_AUTOEXTEND_DEFAULTS,
  thinAutoextend,
} from "../../../../engine/lvm/thin/autoextend-settings.js";
import { livePool } from "../../../../engine/lvm/thin/status.js";
import { NO_MUTATIONS } from "../../../../engine/sim/mutations.js";
import { Rng } from "../../../../engine/sim/rng.js";
import { defineScenario } from "../../../../scenarios/define.js";
import { Machine } from "../../../../scenarios/machine.js";
import { makeHost } from "../helpers.js";

describe("thin autoextend settings", () => {
  it("keep LVM2's defaults until a --config sets them, then keep what it set", () => {
    const host = makeHost(["pv0"]);
    expect(thinAutoextend(host)).toEqual(THIN_AUTOEXTEND_DEFAULTS);
    noteThinAutoextend(host, "activation/thin_pool_autoextend_threshold=70");
    noteThinAutoextend(host, "activation { thin_pool_autoextend_percent = 50 }");
    noteThinAutoextend(host, "global/units=m");
    expect(thinAutoextend(host)).toEqual({ thresholdPercent: 70, percent: 50 });
  });

  it("set the table's low-water mark as _thin_pool_add_target_line does", () => {
    expect(lowWaterBlocks(128, 100)).toBe(0);
    expect(lowWaterBlocks(128, 70)).toBe(38);
    expect(lowWaterBlocks(128, 10)).toBe(64); // raised to 50%
  });
});

describe("thin autoextend settings across a reboot", () => {
  it("live in the machine's /etc/lvm/lvm.conf, so a fresh host after a power cut keeps them", () => {
    const scenario = defineScenario({
      name: "autoextend-reboot",
      description: "autoextend settings survive a reboot",
      pvs: [{ name: "pv0", size: "64MiB" }],
      phases: [{ wait: { ns: 1 } }],
    });
    const machine = new Machine(scenario, {
      rng: Rng.fromSeed("1"),
      faults: [],
      storage: { kind: "memory" },
      mutations: NO_MUTATIONS,
    });
    for (const line of [
      "pvcreate pv0",
      "vgcreate vg0 pv0",
      "lvcreate -T -L 8M vg0/pool --config activation{thin_pool_autoextend_threshold=70}",
      "lvs --config activation/thin_pool_autoextend_percent=50 vg0",
    ]) {
      expect(runLvm(machine.host, line.split(" ")).exitCode, line).toBe(0);
    }
    expect(machine.files.get(LVM_CONF_PATH)).toBe(
      "activation {\n\tthin_pool_autoextend_threshold = 70\n\tthin_pool_autoextend_percent = 50\n}\n",
    );
    const before = machine.host;
    machine.reboot();
    expect(machine.host).not.toBe(before);
    expect(thinAutoextend(machine.host)).toEqual({ thresholdPercent: 70, percent: 50 });
    // The pool's table after the reboot carries the low-water mark of threshold 70 (128 blocks).
    expect(runLvm(machine.host, ["vgchange", "-ay", "vg0"]).exitCode).toBe(0);
    expect(livePool(machine.host, "vg0", "pool")?.params()).toMatch(/ 128 38 /);
  });

  it("stay in memory on a host whose files are not the machine's own", () => {
    const files = new Map<string, string>();
    const hostFiles = {
      readText: (path: string) => files.get(path) ?? "",
      writeText: (path: string, text: string) => void files.set(path, text),
    };
    const host = makeHost(["pv0"], { files: hostFiles });
    noteThinAutoextend(host, "activation/thin_pool_autoextend_threshold=70");
    expect(thinAutoextend(host).thresholdPercent).toBe(70);
    expect(files.size).toBe(0);
    expect(thinAutoextend(makeHost(["pv0"], { files: hostFiles }))).toEqual(THIN_AUTOEXTEND_DEFAULTS);
  });
});
