import { defineScenario } from "../define.js";

const pvs = [
  { name: "pv0", size: "64MiB", profile: "sata-ssd" },
  { name: "pv1", size: "64MiB", profile: "sata-ssd" },
  { name: "pv2", size: "64MiB", profile: "sata-ssd" },
];
const setup = ["pvcreate pv0 pv1 pv2", "vgcreate vg0 pv0 pv1 pv2", "lvcreate -an -Zn -l 4 -n lv0 vg0"];
const randwrite = {
  name: "randwrite",
  rw: "randwrite",
  bs: "4k",
  size: "8m",
  number_ios: 300,
  iodepth: 4,
  fsync: 16,
  verify: "xxh64",
};

export default [
  defineScenario({
    name: "linear-power-cut-subset",
    description:
      "Power cut in the middle of random writes to a linear LV; each seed draws the write the cut lands on and how each disk's cache resolves (a random subset, nothing, everything, or torn sectors)",
    tags: ["nightly", "linear", "power-cut"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [{ workload: { lv: "vg0/lv0", jobs: [randwrite] } }],
    faults: [{ kind: "power-cut", at: { write: 150 }, policy: { kind: "subset" } }],
    recovery: ["vgchange -ay vg0"],
    swarm: {
      crash: {
        write: [20, 290],
        policies: [{ kind: "subset" }, { kind: "drop-all" }, { kind: "keep-all" }, { kind: "torn" }],
      },
    },
  }),
  defineScenario({
    name: "linear-power-cut-torn",
    description: "Power cut in the middle of random writes; unflushed writes are torn sector by sector",
    tags: ["nightly", "linear", "power-cut"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [{ workload: { lv: "vg0/lv0", jobs: [{ ...randwrite, bs: "16k" }] } }],
    faults: [{ kind: "power-cut", at: { write: 207 }, policy: { kind: "torn" } }],
    recovery: ["vgchange -ay vg0"],
    // Unflushed writes may legally be torn sector by sector; flushed data must still be whole. And a
    // tear must happen: the cut comes just before an fsync, with 16 KiB writes pending on every seed.
    expect: { damageSeen: ["torn"] },
  }),
  defineScenario({
    name: "linear-fua-power-cut",
    description:
      "Power cut during FUA writes with no flushes: every FUA write must survive, the rest may not",
    tags: ["nightly", "linear", "power-cut"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [
      {
        workload: {
          lv: "vg0/lv0",
          jobs: [{ ...randwrite, fsync: 0, fua_percentage: 50 }],
        },
      },
    ],
    faults: [{ kind: "power-cut", at: { write: 120 }, policy: { kind: "drop-all" } }],
    recovery: ["vgchange -ay vg0"],
  }),
  defineScenario({
    name: "striped-pv-loss",
    description:
      "A striped LV loses one of its three PVs (each seed draws which) mid-workload: the lost stripe reads as unreadable, never as wrong data",
    tags: ["nightly", "striped", "pv-loss"],
    seeds: "1..8",
    pvs,
    setup: [
      "pvcreate pv0 pv1 pv2",
      "vgcreate vg0 pv0 pv1 pv2",
      "lvcreate -an -Zn -i 3 -I 64k -l 6 -n st vg0",
    ],
    phases: [
      {
        workload: {
          lv: "vg0/st",
          jobs: [{ name: "seq", rw: "write", bs: "64k", size: "12m", fsync: 8, verify: "crc32c" }],
        },
      },
    ],
    faults: [],
    swarm: {
      choose: {
        // Which stripe's PV disappears.
        lost: ["pv0", "pv1", "pv2"].map((device) => ({
          label: device,
          faults: [{ kind: "pv-loss" as const, device, at: { write: 120 } }],
        })),
      },
    },
    // The VG is legitimately degraded (a PV is gone), so its metadata cannot be consistent. The lost
    // stripe is the fault's damage: detecting it is the own run's job; a crash point before the PV
    // goes has none to detect, one after it must tolerate it (and still nothing wrong or stale).
    expect: { tolerates: ["unreadable"], metadataConsistent: false },
    expectAtOwnCut: { detects: ["unreadable"] },
  }),
  defineScenario({
    name: "slow-device-data-intact",
    description:
      "One PV turns 20× slower with latency spikes in the middle of a mixed workload: slower, never wrong",
    tags: ["nightly", "linear", "slow-device"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [
      {
        workload: {
          lv: "vg0/lv0",
          jobs: [
            {
              name: "mix",
              rw: "randrw",
              rwmixread: 30,
              bs: "4k",
              size: "8m",
              number_ios: 300,
              fsync: 32,
              verify: "xxh64",
            },
          ],
        },
      },
    ],
    faults: [
      {
        kind: "slow-device",
        device: "pv0",
        factor: 20,
        spikeProbability: 0.05,
        spikeNs: 50_000_000,
        at: { write: 20 },
      },
    ],
  }),
  defineScenario({
    name: "two-lvs-power-cut",
    description:
      "Two LVs allocated one after the other on the same PV take writes in turn, then the power fails: each keeps its own flushed data, neither sees the other's",
    tags: ["nightly", "linear", "power-cut"],
    seeds: "1..8",
    pvs,
    setup: [...setup, "lvcreate -an -Zn -l 4 -n lv1 vg0 pv0", "lvextend -l +2 vg0/lv0 pv0"],
    phases: [
      { workload: { lv: "vg0/lv0", jobs: [{ ...randwrite, size: "24m" }] } },
      { workload: { lv: "vg0/lv1", jobs: [{ ...randwrite, name: "other", size: "16m" }] } },
      { workload: { lv: "vg0/lv0", jobs: [{ ...randwrite, name: "again", size: "24m" }] } },
    ],
    faults: [{ kind: "power-cut", at: { write: 700 }, policy: { kind: "subset" } }],
    recovery: ["vgchange -ay vg0"],
  }),
];
