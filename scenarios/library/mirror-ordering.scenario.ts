import { defineScenario } from "../define.js";

// Legs on pv0 and pv1, the disk log on pv2: a flush of one never flushes another, so a mark,
// a clear or a leg write that is not ordered by its own flush shows after a cut.
const pvs = [
  { name: "pv0", size: "32MiB", profile: "sata-ssd" },
  { name: "pv1", size: "32MiB", profile: "sata-ssd" },
  { name: "pv2", size: "32MiB", profile: "sata-ssd" },
];
const setup = [
  "pvcreate pv0 pv1 pv2",
  "vgcreate vg0 pv0 pv1 pv2",
  "lvcreate -an -Zn --type mirror -m 1 --mirrorlog disk -l 4 -n m vg0 pv0 pv1 pv2",
];
const writes = (name: string, ios: number, iodepth = 4) => ({
  workload: {
    lv: "vg0/m",
    jobs: [
      { name, rw: "randwrite", bs: "4k", size: "16m", number_ios: ios, iodepth, fsync: 8, verify: "xxh64" },
    ],
  },
});
// Sync first, then deactivate and activate again: activation rewrites and flushes the log, so
// the all-clean log is durable before the writes start (a resync's clears are never flushed).
const synced = [
  { lvm: "lvchange -ay vg0/m" },
  { wait: "background" as const },
  { lvm: "lvchange -an vg0/m" },
  { lvm: "lvchange -ay vg0/m" },
];

export default [
  defineScenario({
    name: "mirror-disk-log-cut-leg-and-log-lost",
    description:
      "Power cut in the middle of a mirror write, after leg pv0 got the data and before leg pv1 did: pv0 keeps its cache, pv1 and the log's PV lose theirs; every region whose legs may differ must be dirty in the durable log, so the resync after reboot leaves the legs identical",
    tags: ["nightly", "mirror", "power-cut", "ordering"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [...synced, writes("during", 200)],
    faults: [
      {
        kind: "power-cut",
        // pv1's 30th write: the 8 resync copies, then the 22nd mirror write's second leg, five
        // writes after the last fsync. pv0 already holds that write and pv1 never gets it, so only
        // a durable dirty mark makes the resync reconcile them. (A timed cut would fire during
        // the sync wait, and no trace event falls between a write's data and the next pass.)
        at: { write: 30, device: "pv1" },
        policy: { kind: "keep-all" },
        perDevice: { pv1: { kind: "drop-all" }, pv2: { kind: "drop-all" } },
      },
    ],
    recovery: ["vgchange -ay vg0"],
    expect: { mirrorLegsIdentical: ["vg0/m"] },
  }),
  defineScenario({
    name: "mirror-transient-leg-loss",
    description:
      "Leg pv1 disappears for exactly one write and comes back: the region that write missed must stay out of sync, so deactivating and activating the mirror resyncs it and the legs end identical",
    tags: ["nightly", "mirror", "pv-loss", "ordering"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [...synced, writes("during", 120, 1)],
    faults: [
      {
        kind: "pv-loss",
        device: "pv1",
        at: { event: "mirror.region.mark", occurrence: 60 },
        window: { untilEvent: "mirror.leg.fail" },
      },
    ],
    recovery: ["vgchange -an vg0", "vgchange -ay vg0"],
    expect: { mirrorLegsIdentical: ["vg0/m"] },
  }),
];
