import { defineScenario } from "../define.js";

const pvs = [
  { name: "pv0", size: "32MiB", profile: "sata-ssd" },
  { name: "pv1", size: "32MiB", profile: "sata-ssd" },
  { name: "pv2", size: "32MiB", profile: "sata-ssd" },
];
const base = ["pvcreate pv0 pv1 pv2", "vgcreate vg0 pv0 pv1 pv2"];
/** Random writes with no flushes, half of them FUA (`fua_percentage`). */
const fuaWrites = (lv: string, job: Record<string, string | number | boolean>) => ({
  workload: {
    lv,
    jobs: [{ name: "fua", rw: "randwrite", bs: "4k", fsync: 0, fua_percentage: 50, verify: "xxh64", ...job }],
  },
});

export default [
  defineScenario({
    name: "stacked-fua-power-cut",
    description:
      "Power cut during FUA writes with no flushes through a stacked target (each seed draws a core-log mirror, a raid1 or a striped LV): every FUA write must survive, so each leg or stripe must get the write with FUA too",
    tags: ["nightly", "mirror", "raid1", "power-cut", "ordering"],
    seeds: "1..8",
    pvs,
    setup: [...base, "lvcreate -an -Zn --type mirror -m 1 --mirrorlog core -l 4 -n m vg0 pv0 pv1"],
    phases: [
      { lvm: "lvchange -ay vg0/m" },
      { wait: "background" },
      fuaWrites("vg0/m", { size: "16m", number_ios: 200, iodepth: 4 }),
    ],
    // A core log never flushes the legs, so only FUA makes a write durable before the cut.
    faults: [{ kind: "power-cut", at: { write: 150 }, policy: { kind: "drop-all" } }],
    swarm: {
      choose: {
        stack: [
          {
            label: "raid1",
            setup: [...base, "lvcreate -an -Zn --type raid1 -m 1 -R 512k -l 4 --nosync -n m vg0 pv0 pv1"],
          },
          { label: "mirror-core-log" },
          { label: "striped", setup: [...base, "lvcreate -an -Zn -i 2 -I 64k -l 4 -n m vg0 pv0 pv1"] },
        ],
      },
    },
    recovery: ["vgchange -ay vg0"],
  }),
  defineScenario({
    name: "fua-overwrite-power-cut",
    description:
      "FUA and cached writes overwrite the same few blocks of a linear LV (64 blocks, 200 writes), then the power fails (each seed draws the write and how the cache resolves: a subset, everything, or torn sectors): a FUA write supersedes the cached writes under it, so no crash may bring an older cached write back over it",
    tags: ["nightly", "linear", "power-cut", "ordering"],
    seeds: "1..8",
    pvs: [{ name: "pv0", size: "32MiB", profile: "sata-ssd" }],
    setup: ["pvcreate pv0", "vgcreate vg0 pv0", "lvcreate -an -Zn -l 2 -n lv0 vg0"],
    // One write at a time: every overwrite is ordered after the one before it.
    phases: [fuaWrites("vg0/lv0", { size: "256k", io_size: "800k", norandommap: true, iodepth: 1 })],
    faults: [{ kind: "power-cut", at: { write: 150 }, policy: { kind: "keep-all" } }],
    swarm: {
      crash: {
        write: [60, 195],
        policies: [{ kind: "keep-all" }, { kind: "subset" }, { kind: "torn" }],
      },
    },
    recovery: ["vgchange -ay vg0"],
  }),
  defineScenario({
    name: "fua-overlap-power-cut",
    description:
      "FUA and cached writes, four in flight, overwrite eight blocks of a linear LV with repeats (norandommap), then the power fails: two writes to one block in flight together are unordered, so either may be what the block holds, but a write issued after both completed supersedes them, and no acknowledged FUA write may be lost",
    tags: ["nightly", "linear", "power-cut", "ordering"],
    seeds: "1..8",
    pvs: [{ name: "pv0", size: "16MiB", profile: "sata-ssd" }],
    setup: ["pvcreate pv0", "vgcreate vg0 pv0", "lvcreate -an -Zn -l 1 -n lv0 vg0"],
    phases: [
      fuaWrites("vg0/lv0", { size: "32k", io_size: "1200k", norandommap: true, iodepth: 4, fsync: 8 }),
    ],
    faults: [{ kind: "power-cut", at: { write: 120 }, policy: { kind: "subset" } }],
    recovery: ["vgchange -ay vg0"],
  }),
  defineScenario({
    name: "thin-fua-power-cut",
    description:
      "FUA and cached writes with no flushes to a thin LV whose blocks are provisioned as they are written, then the power fails: a FUA write to a new block is acknowledged only once the pool committed its mapping, so every FUA write survives",
    tags: ["nightly", "thin", "power-cut", "ordering"],
    seeds: "1..8",
    pvs: [{ name: "pv0", size: "32MiB", profile: "sata-ssd" }],
    setup: [
      "pvcreate pv0",
      "vgcreate vg0 pv0",
      "lvcreate -T -L 8M vg0/pool",
      "lvcreate -V 16M -T vg0/pool -n thin",
    ],
    phases: [fuaWrites("vg0/thin", { size: "16m", number_ios: 120, iodepth: 4 })],
    faults: [{ kind: "power-cut", at: { write: 100 }, policy: { kind: "drop-all" } }],
    recovery: ["vgchange -ay vg0"],
  }),
  defineScenario({
    name: "snapshot-origin-fua-power-cut",
    description:
      "FUA and cached writes with no flushes to an origin with a snapshot (each first write to a chunk queues on its exception), then the power fails: every FUA write survives on the origin, and the snapshot still shows the origin as it was",
    tags: ["nightly", "snapshot", "power-cut", "ordering"],
    seeds: "1..8",
    // The COW on pv1: its commits' flushes never flush the origin's writes on pv0.
    pvs: [
      { name: "pv0", size: "32MiB", profile: "sata-ssd" },
      { name: "pv1", size: "32MiB", profile: "sata-ssd" },
    ],
    setup: ["pvcreate pv0 pv1", "vgcreate vg0 pv0 pv1", "lvcreate -an -Zn -l 2 -n lv0 vg0 pv0"],
    phases: [
      fuaWrites("vg0/lv0", { size: "4m", number_ios: 40, iodepth: 4, fua_percentage: 0, end_fsync: 1 }),
      { lvm: "lvcreate -s -L 4M -n snap vg0/lv0 pv1" },
      fuaWrites("vg0/lv0", { size: "4m", number_ios: 120, iodepth: 4 }),
    ],
    faults: [
      {
        kind: "power-cut",
        at: { event: "snapshot.exception.commit", occurrence: 60 },
        policy: { kind: "drop-all" },
      },
    ],
    // The snapshot's metadata commit may still sit in pv0's cache: vgck rewrites the stale copy.
    recovery: ["vgck --updatemetadata vg0", "vgchange -ay vg0"],
  }),
];
