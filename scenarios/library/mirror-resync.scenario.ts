import { defineScenario } from "../define.js";

// Legs on pv0 and pv1, the disk log on pv2 (as in mirror-ordering), small PVs.
const pvs = [
  { name: "pv0", size: "32MiB", profile: "sata-ssd" },
  { name: "pv1", size: "32MiB", profile: "sata-ssd" },
  { name: "pv2", size: "32MiB", profile: "sata-ssd" },
];
const base = ["pvcreate pv0 pv1 pv2", "vgcreate vg0 pv0 pv1 pv2"];
const writes = (name: string, options: { ios: number; fsync: number }) => ({
  workload: {
    lv: "vg0/m",
    jobs: [
      {
        name,
        rw: "randwrite",
        bs: "4k",
        size: "16m",
        number_ios: options.ios,
        iodepth: 4,
        fsync: options.fsync,
        verify: "xxh64",
      },
    ],
  },
});

export default [
  defineScenario({
    name: "mirror-resync-transient-leg-loss",
    description:
      "The initial resync of a disk-log mirror stalls while writes land on the default leg only (every region is out of sync), then leg pv1 disappears for exactly one resync copy and comes back: the region whose copy failed must stay dirty in the log, so deactivating and activating the mirror resyncs it and the legs end identical",
    tags: ["nightly", "mirror", "pv-loss", "ordering"],
    seeds: "1..8",
    pvs,
    setup: [...base, "lvcreate -an -Zn --type mirror -m 1 --mirrorlog disk -l 4 -n m vg0 pv0 pv1 pv2"],
    phases: [{ lvm: "lvchange -ay vg0/m" }, writes("during", { ios: 100, fsync: 8 }), { wait: "background" }],
    faults: [
      // Hold the resync after its first region, so the writes reach pv0 alone in the other regions.
      {
        kind: "sync-stall",
        mode: "stall",
        target: "vg0/m",
        at: { event: "mirror.resync.step", occurrence: 1 },
        window: { durationNs: 10_000_000_000 },
      },
      // Once the stall lifts no foreground write is left, so the copy after the 3rd step is the
      // one I/O that meets pv1 gone.
      {
        kind: "pv-loss",
        device: "pv1",
        at: { event: "mirror.resync.step", occurrence: 3 },
        window: { untilEvent: "mirror.leg.fail" },
      },
    ],
    recovery: ["vgchange -an vg0", "vgchange -ay vg0"],
    // A cut before the blink disarms it with the run the cut ended, and one while pv1 is gone ends
    // it at the reboot (the power cycle brings pv1 back): either way the recovery's reactivation
    // resyncs every region still out of sync, so the legs end identical at every point, and every
    // point's VG must be one a command wrote.
    expect: { metadataOldOrNew: true, mirrorLegsIdentical: ["vg0/m"] },
  }),
];
