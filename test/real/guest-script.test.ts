import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  guestArgv,
  guestLvmConf,
  lvDmName,
  shellQuote,
  translateScenario,
  UntranslatableError,
  verifyAndCollect,
} from "../../real/guest-script.js";
import { defineScenario } from "../../scenarios/define.js";

const base = {
  description: "test",
  pvs: [
    { name: "pv0", size: "64MiB" },
    { name: "pv1", size: "64MiB" },
  ],
  setup: ["pvcreate pv0 pv1", "vgcreate vg0 pv0 pv1", "lvcreate -an -Zn -l 4 -n lv0 vg0 pv0"],
  phases: [
    {
      workload: {
        lv: "vg0/lv0",
        jobs: [
          {
            name: "w",
            rw: "randwrite",
            bs: "4k",
            size: "8m",
            number_ios: 100,
            iodepth: 4,
            fsync: 8,
            verify: "xxh64",
          },
        ],
      },
    },
  ],
};

describe("scenario → guest script", () => {
  it("puts each PV on a dm-linear device over its own virtio disk and names devices by PV", () => {
    const plan = translateScenario(defineScenario({ ...base, name: "t-linear" }), { seed: 7 });
    expect(plan.pvs.map((p) => p.disk)).toEqual(["vdb", "vdc"]);
    expect(plan.boot1).toContain(': "$' + '{D_pv0:=/dev/vdb}"');
    expect(plan.boot1).toContain('dmsetup create pv0 --table "0 131072 linear $D_pv0 0"');
    expect(plan.boot1).toContain("lvmlab_run setup.0 pvcreate /dev/mapper/pv0 /dev/mapper/pv1");
    expect(plan.boot1).toContain("lvmlab_run setup.2 lvcreate -an -Zn -l 4 -n lv0 vg0 /dev/mapper/pv0");
    // Real fio names lvmlab's xxh64 "xxhash"; the seed is fio's randseed.
    expect(plan.workloads[0]!.fioArgs).toContain("--verify=xxhash");
    expect(plan.workloads[0]!.fioArgs).toContain("--randseed=7");
    expect(plan.workloads[0]!.fioArgs).toContain("--filename=/dev/mapper/vg0-lv0");
    expect(plan.cut).toBeUndefined();
  });

  it("turns a discard phase into blkdiscard of the LV then a sync", () => {
    const phases = [...base.phases, { discard: { lv: "vg0/lv0", offset: "1m", length: "2m" } }];
    const plan = translateScenario(defineScenario({ ...base, phases, name: "t-discard" }), { seed: 7 });
    expect(plan.boot1).toContain("lvmlab_run phase.1 blkdiscard -o 1048576 -l 2097152 /dev/vg0/lv0");
    expect(plan.boot1).toContain("lvmlab_run phase.1 sync /dev/vg0/lv0");
  });

  it("turns a power cut at a write count into a watcher that prints CUT", () => {
    const plan = translateScenario(
      defineScenario({
        ...base,
        name: "t-cut",
        faults: [{ kind: "power-cut", at: { write: 150 }, policy: { kind: "subset" } }],
        recovery: ["vgchange -ay vg0"],
      }),
      { seed: 1 },
    );
    expect(plan.cut).toEqual({ kind: "writes", writes: 150 });
    expect(plan.boot1).toMatch(/if \[ \$w -ge 150 \]; then echo "\$M CUT/);
    expect(plan.boot1).not.toContain("recovery.0");
    expect(plan.notes.join("\n")).toMatch(/page cache/);
  });

  it("loads an error table under a lost PV, as LVM2's aux disable_dev --error does", () => {
    const plan = translateScenario(
      defineScenario({
        ...base,
        name: "t-loss",
        faults: [{ kind: "pv-loss", device: "pv1", at: { write: 50 } }],
      }),
      { seed: 1 },
    );
    expect(plan.boot1).toContain('dmsetup load pv1 --table "0 131072 error" && dmsetup resume pv1');
  });

  it("runs a background pvmove in the foreground with progress lines and cuts at the model's percentage", () => {
    const plan = translateScenario(
      defineScenario({
        ...base,
        name: "t-pvmove",
        phases: [{ lvm: "pvmove -b pv0 pv1" }, { wait: "background" }],
        faults: [
          {
            kind: "power-cut",
            at: { event: "pvmove.checkpoint", occurrence: 2 },
            policy: { kind: "drop-all" },
          },
        ],
      }),
      { seed: 1, modelPercentAtCut: 40 },
    );
    expect(plan.boot1).toContain("lvmlab_run phase.0 pvmove -i 1 /dev/mapper/pv0 /dev/mapper/pv1 &");
    expect(plan.cut).toEqual({ kind: "progress", percentAtLeast: 40, event: "pvmove.checkpoint#2" });
  });

  it("refuses what has no real counterpart, naming the fault", () => {
    const scenario = defineScenario({
      ...base,
      name: "t-bitrot",
      faults: [{ kind: "power-cut", at: { event: "metadata.commit", occurrence: 1 } }],
    });
    expect(() => translateScenario(scenario, { seed: 1 })).toThrow(UntranslatableError);
    expect(() => translateScenario(scenario, { seed: 1 })).toThrow(/faults\[0\]/);
  });

  it("verifies only the acknowledged I/Os of a cut phase and checks invalid snapshots by reading them", () => {
    const scenario = defineScenario({ ...base, name: "t-verify", expect: { snapshotInvalid: ["vg0/snap"] } });
    const plan = translateScenario(scenario, { seed: 1 });
    const text = verifyAndCollect(scenario, plan, { verifyIos: new Map([[0, 42]]) });
    expect(text).toMatch(/verify\.vg0\/lv0 fio .*--verify_only=1 --number_ios=42/);
    expect(text).toMatch(/readcheck\.vg0\/snap timeout 30 dd if=\/dev\/mapper\/vg0-snap/);
    expect(text).toContain("lvs -a --reportformat json");
  });

  it("verifies in the same boot only what fio saw complete, from the last phase that completed a write", () => {
    const two = defineScenario({ ...base, name: "t-two", phases: [base.phases[0]!, base.phases[0]!] });
    const plan = translateScenario(two, { seed: 1 });
    expect(plan.boot1).toContain("--aux-path=/tmp/fio-state/1");
    const text = verifyAndCollect(two, plan, { sameBoot: true });
    const verifyBlock = text.slice(text.indexOf("if ["), text.indexOf("\nfi") + 3);
    // Run the generated sh with lvmlab_run stubbed, for each set of phases that wrote something.
    const run = (written: Record<number, number>) => {
      const dir = mkdtempSync(join(tmpdir(), "lvmlab-fio-state-"));
      try {
        const script = verifyBlock.replaceAll("/tmp/fio-state/", `${dir}/`);
        for (const [phase, kib] of Object.entries(written)) {
          mkdirSync(join(dir, phase));
          writeFileSync(join(dir, phase, "written-kib"), `${kib}\n`);
        }
        return execFileSync("sh", ["-c", `M=@@; lvmlab_run() { echo "RUN $*"; }\n${script}`], {
          encoding: "utf8",
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    expect(run({ 0: 400, 1: 12 })).toMatch(
      /^RUN verify\.vg0\/lv0 fio .*--aux-path=.*\/1 --verify_only=1 --verify_state_load=1$/m,
    );
    expect(run({ 0: 400, 1: 0 })).toMatch(
      /^RUN verify\.vg0\/lv0 fio .*--aux-path=.*\/0 --verify_only=1 --verify_state_load=1$/m,
    );
    expect(run({})).toBe("@@ SKIPVERIFY vg0/lv0 no workload phase completed a write\n");
  });

  it("quotes words for sh and maps PE ranges", () => {
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote(`activation{x="y"}`)).toBe(`'activation{x="y"}'`);
    expect(guestArgv("pvmove pv0:0-3 pv1", new Set(["pv0", "pv1"]))).toEqual([
      "pvmove",
      "/dev/mapper/pv0:0-3",
      "/dev/mapper/pv1",
    ]);
    expect(lvDmName("my-vg/lv-1")).toBe("my--vg-lv--1");
    expect(guestLvmConf(["pv0"])).toContain('global_filter = [ "a|^/dev/mapper/pv0$|", "r|.*|" ]');
  });
});
