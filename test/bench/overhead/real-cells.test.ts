import { describe, expect, it } from "vitest";
import {
  REAL_BENCH_PVS,
  RealBenchUnsupportedError,
  realBenchPlan,
  realFioLine,
  throttledProfileSpec,
} from "../../../bench/overhead/real-cells.js";
import { runCell } from "../../../bench/overhead/run.js";
import { workloadByName } from "../../../bench/overhead/workloads.js";
import { resolveProfile } from "../../../engine/sim/timing/resolve.js";

const MiB = 1024 * 1024;
const BASE = { lvBytes: 24 * MiB, randomIos: 512, seed: 3 };

describe("overhead configs on real LVM2", () => {
  it("lays each config out as the model does: legs, stripes, log and COW on their own PVs", () => {
    const plan = realBenchPlan({
      ...BASE,
      configs: [
        "mirror-2leg-core",
        "mirror-2leg-disk",
        "raid1-2leg",
        "striped-3",
        "origin-4snap-64k-overwrite",
      ],
      workloads: ["randwrite-4k-qd32"],
    });
    expect(plan.setup).toEqual(["pvcreate -y pv0 pv1 pv2 pv3", "vgcreate bench pv0 pv1 pv2 pv3"]);
    const setup = Object.fromEntries(plan.cells.map((c) => [c.config, c.setup]));
    // Linear is added first: every ratio's baseline.
    expect(plan.cells.map((c) => c.config)).toEqual([
      "linear",
      "mirror-2leg-core",
      "mirror-2leg-disk",
      "raid1-2leg",
      "striped-3",
      "origin-4snap-64k-overwrite",
    ]);
    expect(setup.linear).toEqual(["lvcreate -y -Wn -Zn -L 24m -n lv bench pv0"]);
    expect(setup["mirror-2leg-core"]).toEqual([
      "lvcreate -y -Wn -Zn -L 24m -n lv --type mirror -m 1 --mirrorlog core -R 2m --nosync bench pv0 pv1",
    ]);
    expect(setup["mirror-2leg-disk"]![0]).toMatch(/--mirrorlog disk .* bench pv0 pv1 pv3$/);
    expect(setup["raid1-2leg"]![0]).toMatch(/--type raid1 -m 1 --nosync bench pv0 pv1$/);
    expect(setup["striped-3"]![0]).toMatch(/-i 3 -I 64k bench pv0 pv1 pv2$/);
    const snap = setup["origin-4snap-64k-overwrite"]!;
    expect(snap.filter((l) => l.startsWith("lvcreate -y -s -c 64k -L 32m -n snap")).length).toBe(4);
    expect(snap.every((l) => !l.includes(" -s ") || l.endsWith("bench/lv pv1"))).toBe(true);
    // The overwrite pass: every chunk copied after the snapshots exist, before the measured run.
    expect(snap.at(-1)).toMatch(/^fio .*--name=fill .*--size=25165824/);
    for (const cell of plan.cells) expect(cell.teardown).toEqual(["lvremove -y -f bench"]);
    // pv1 holds four COWs of 32 MiB beside the LV.
    expect(plan.pvs.map((p) => p.name)).toEqual([...REAL_BENCH_PVS]);
    expect(plan.pvs[1]!.sizeBytes).toBeGreaterThanOrEqual(24 * MiB + 4 * 32 * MiB);
  });

  it("fills before the snapshots for reads, and runs the model's job in fio", () => {
    const plan = realBenchPlan({
      ...BASE,
      configs: ["origin-1snap-4k-first"],
      workloads: ["randread-4k-qd32"],
    });
    const snap = plan.cells.find((c) => c.config === "origin-1snap-4k-first")!;
    expect(snap.setup[1]).toMatch(/--name=fill/);
    expect(snap.setup[2]).toMatch(/^lvcreate -y -s -c 4k/);
    expect(snap.fio).toBe(
      "fio --minimal --name=randread-4k-qd32 --filename=/dev/mapper/bench-lv --rw=randread --bs=4k --iodepth=32 --direct=1 --ioengine=libaio --size=25165824 --randseed=3 --number_ios=512",
    );
    expect(realFioLine(workloadByName("write-1m-qd8"), BASE)).not.toMatch(/number_ios/);
    expect(realFioLine(workloadByName("randrw70-4k-qd32"), BASE)).toMatch(/--rwmixread=70/);
  });

  it("builds thin configs as the model lays them out: _tdata on pv0, _tmeta on pv1, 64 KiB chunks", () => {
    const plan = realBenchPlan({
      ...BASE,
      configs: ["thin-first", "thin-overwrite", "thin-1snap-first"],
      workloads: ["randwrite-4k-qd32"],
    });
    const setup = Object.fromEntries(plan.cells.map((c) => [c.config, c.setup]));
    const pool = [
      "lvcreate -y -Wn -Zn -L 24m -n pool bench pv0",
      "lvcreate -y -Wn -Zn -L 4m -n pmeta bench pv1",
      "lvconvert -y --type thin-pool --poolmetadata bench/pmeta --poolmetadataspare n -c 64k --zero y bench/pool",
      "lvcreate -y -V 24m -T bench/pool -n lv",
    ];
    // A first write pass finds the thin LV unprovisioned; an overwrite pass finds it written twice.
    expect(setup["thin-first"]).toEqual(pool);
    expect(setup["thin-overwrite"]!.slice(0, 4)).toEqual(pool);
    expect(setup["thin-overwrite"]!.slice(4).map((l) => /--name=fill/.test(l))).toEqual([true, true]);
    // A snapshot shares the written LV: data room for the LV and one broken-sharing copy.
    const snap = setup["thin-1snap-first"]!;
    expect(snap[0]).toBe("lvcreate -y -Wn -Zn -L 48m -n pool bench pv0");
    expect(snap[4]).toMatch(/--name=fill/);
    expect(snap[5]).toBe("lvcreate -y -s -n snap0 bench/lv");
    expect(snap).toHaveLength(6);
  });

  it("refuses what real disks cannot reproduce", () => {
    const plan = (configs: string[], lvBytes = BASE.lvBytes) =>
      realBenchPlan({ ...BASE, lvBytes, configs, workloads: ["write-1m-qd8"] });
    expect(() => plan(["pvmove"])).toThrow(RealBenchUnsupportedError);
    expect(() => plan(["mirror-2leg-core-sharedbus"])).toThrow(/shared bus/);
    expect(() => plan(["linear"], 18 * MiB)).toThrow(/multiple of 12 MiB/);
    expect(() => plan(["no-such-config"])).toThrow(/Unknown overhead config/);
  });

  it("models the realdm disks with QEMU's limits", () => {
    const spec = throttledProfileSpec({ iops: 250, bytesPerSec: 25 * MiB });
    const profile = resolveProfile(spec);
    expect(profile.iopsLimit).toBe(250);
    expect(profile.bandwidthBytesPerSec).toBe(25 * MiB);
    expect(profile.mergeLimitBytes).toBe(1280 * 1024);
    expect(profile.flushLatencyNs).toBe(4_000_000);
    // The model runs on it: a snapshot's first writes cost about half of linear's throughput.
    const cell = (config: string) =>
      runCell(
        { config, workload: "randwrite-4k-qd32", profile: spec, seed: 1, repetition: 0 },
        { lvBytes: 12 * MiB, randomIos: 128 },
      );
    const ratio = cell("origin-1snap-4k-first").mbps / cell("linear").mbps;
    expect(ratio).toBeGreaterThan(0.3);
    expect(ratio).toBeLessThan(0.7);
  });
});
