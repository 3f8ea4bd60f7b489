import { defineScenario } from "../define.js";

const pvs = [
  { name: "pv0", size: "64MiB", profile: "sata-ssd" },
  { name: "pv1", size: "64MiB", profile: "sata-ssd" },
  { name: "pv2", size: "64MiB", profile: "sata-ssd" },
  { name: "pv3", size: "64MiB", profile: "sata-ssd" },
];
const base = ["pvcreate pv0 pv1 pv2 pv3", "vgcreate vg0 pv0 pv1 pv2 pv3"];
const writes = (name: string, ios = 200) => ({
  workload: {
    lv: "vg0/m",
    jobs: [
      { name, rw: "randwrite", bs: "4k", size: "8m", number_ios: ios, iodepth: 4, fsync: 8, verify: "xxh64" },
    ],
  },
});

export default [
  defineScenario({
    name: "mirror-core-log-cut-reads-during-resync",
    description:
      "A power cut under writes to a core-log mirror: activation resyncs the whole mirror from the default leg, and the LV is read back while that copy has barely begun; each block must read then as it will once the legs agree, so a read of a region not yet resynced must come from the default leg",
    tags: ["nightly", "mirror", "power-cut"],
    seeds: "1..8",
    pvs,
    // Without --nosync: every activation of a core-log mirror copies the default leg to the other.
    setup: [...base, "lvcreate -an -Zn --type mirror -m 1 --mirrorlog core -l 4 -n m vg0 pv0 pv1"],
    phases: [{ wait: "background" }, writes("before", 300)],
    // Each seed draws the write the cut follows and how the legs' caches resolve: under subset a
    // write acknowledged but not flushed can survive on one leg only.
    swarm: {
      crash: {
        write: [200, 290],
        policies: [{ kind: "subset" }, { kind: "keep-all" }, { kind: "drop-all" }],
      },
    },
    recovery: ["vgchange -ay vg0"],
    expect: { mirrorLegsIdentical: ["vg0/m"] },
    // A core log knows nothing after a reboot, so the own run's recovery always starts a full resync.
    expectAtOwnCut: { readsStableThroughResync: ["vg0/m"] },
  }),
  defineScenario({
    name: "mirror-leg-loss-remove",
    description:
      "A 2-leg mirror (core log) loses a leg's PV (each seed draws which) mid-workload and keeps serving I/O; lvconvert --repair with the default remove policy turns it linear",
    tags: ["nightly", "mirror", "pv-loss"],
    seeds: "1..8",
    pvs,
    setup: [...base, "lvcreate -an -Zn --type mirror -m 1 --mirrorlog core --nosync -l 4 -n m vg0 pv0 pv1"],
    phases: [writes("before"), writes("during", 300)],
    faults: [],
    swarm: {
      choose: {
        // Which leg's PV disappears: the primary (default read) leg or the secondary.
        leg: ["pv0", "pv1"].map((device) => ({
          label: device,
          faults: [{ kind: "pv-loss" as const, device, at: { write: 250 } }],
        })),
      },
    },
    // After a power cut the mirror is inactive: the operator activates it before the repair. Only
    // the loss turns it linear; a cut before it leaves the mirror to resync on activation.
    recovery: ["vgchange -ay vg0", "lvconvert --repair --use-policies vg0/m", "vgreduce --removemissing vg0"],
    expect: { metadataConsistent: false },
    expectAtOwnCut: { segtypes: { "vg0/m": ["linear"] } },
  }),
  defineScenario({
    name: "mirror-leg-loss-allocate",
    description:
      "A 2-leg mirror with a disk log loses a leg; lvconvert --repair with mirror_image_fault_policy=allocate rebuilds the leg on a free PV and resyncs it",
    tags: ["nightly", "mirror", "pv-loss"],
    seeds: "1..8",
    pvs,
    setup: [
      ...base,
      "lvcreate -an -Zn --type mirror -m 1 --mirrorlog disk --nosync -l 4 -n m vg0 pv0 pv1 pv2",
    ],
    phases: [writes("before"), writes("during", 300)],
    faults: [{ kind: "pv-loss", device: "pv1", at: { write: 250 } }],
    // After a power cut the mirror is inactive: the operator activates it (its disk log resyncs the
    // regions in flight) before the repair. A cut after the loss leaves it partial, which activation
    // refuses: the repair then runs on the inactive mirror, and the operator activates it after.
    recovery: [
      "vgchange -ay vg0",
      `lvconvert --repair --use-policies --config activation{mirror_image_fault_policy="allocate"} vg0/m`,
      "vgchange -ay vg0",
    ],
    expect: { segtypes: { "vg0/m": ["mirror"] }, mirrorLegsIdentical: ["vg0/m"], metadataConsistent: false },
  }),
  defineScenario({
    name: "mirror-crash-core-log",
    description:
      "Power cut in the middle of mirror writes with a core log: after reboot the whole mirror resyncs from the default leg and the legs end identical",
    tags: ["nightly", "mirror", "power-cut"],
    seeds: "1..8",
    pvs,
    // No --nosync: a NOTSYNCED mirror is loaded "nosync" again after a reboot and never resyncs
    // (LVM2's "Don't read what you didn't write!"); this one syncs first, as lvcreate waits for.
    setup: [...base, "lvcreate -an -Zn --type mirror -m 1 --mirrorlog core -l 4 -n m vg0 pv0 pv1"],
    phases: [{ lvm: "lvchange -ay vg0/m" }, { wait: "background" }, writes("before"), writes("during", 300)],
    faults: [{ kind: "power-cut", at: { write: 300 }, policy: { kind: "subset" } }],
    recovery: ["vgchange -ay vg0"],
    expect: { mirrorLegsIdentical: ["vg0/m"] },
  }),
  defineScenario({
    name: "mirror-crash-disk-log",
    description:
      "Power cut in the middle of mirror writes with a disk log: regions marked dirty before each write are resynced after reboot, and the legs end identical",
    tags: ["nightly", "mirror", "power-cut"],
    seeds: "1..8",
    pvs,
    setup: [...base, "lvcreate -an -Zn --type mirror -m 1 --mirrorlog disk -l 4 -n m vg0 pv0 pv1 pv2"],
    phases: [{ lvm: "lvchange -ay vg0/m" }, { wait: "background" }, writes("before"), writes("during", 300)],
    faults: [
      { kind: "power-cut", at: { event: "mirror.region.mark", occurrence: 40 }, policy: { kind: "subset" } },
    ],
    // Each seed draws the region mark the cut follows (of about 500) and the crash policy.
    swarm: {
      crash: {
        event: "mirror.region.mark",
        occurrence: [10, 480],
        policies: [{ kind: "subset" }, { kind: "drop-all" }, { kind: "keep-all" }],
      },
    },
    recovery: ["vgchange -ay vg0"],
    expect: { mirrorLegsIdentical: ["vg0/m"] },
    explore: { from: "mirror.region.mark", writes: true, policy: { kind: "drop-all" } },
  }),
  defineScenario({
    name: "mirror-latent-errors-one-leg",
    description:
      "Latent sector errors appear under the default leg: reads retry on the in-sync leg, so every block still reads back correctly",
    tags: ["nightly", "mirror", "latent-sector-errors"],
    seeds: "1..8",
    pvs,
    setup: [...base, "lvcreate -an -Zn --type mirror -m 1 --mirrorlog core --nosync -l 4 -n m vg0 pv0 pv1"],
    phases: [writes("before", 300), writes("after", 50)],
    faults: [
      {
        kind: "latent-sector-errors",
        device: "pv0",
        count: 64,
        rangeStartSector: 2048,
        rangeSectors: 16384,
        healOnWrite: false,
        at: { write: 320 },
      },
    ],
  }),
  defineScenario({
    name: "mirror-slow-leg-during-resync",
    description:
      "During the initial resync under foreground writes, one leg turns very slow for a while (like dm-delay): the resync still finishes and the legs end identical",
    tags: ["nightly", "mirror", "sync-stall"],
    seeds: "1..8",
    pvs,
    setup: [...base, "lvcreate -an -Zn --type mirror -m 1 --mirrorlog disk -l 4 -n m vg0 pv0 pv1 pv2"],
    phases: [{ lvm: "lvchange -ay vg0/m" }, writes("during", 300), { wait: "background" }],
    faults: [
      {
        kind: "sync-stall",
        mode: "slow-leg",
        device: "pv1",
        delayNs: 20_000_000,
        at: { event: "mirror.resync.step", occurrence: 2 },
        window: { durationNs: 500_000_000 },
      },
    ],
    expect: { mirrorLegsIdentical: ["vg0/m"] },
  }),
  defineScenario({
    name: "mirror-sync-stall-foreground-io",
    description:
      "The initial resync stalls for 300 ms of virtual time while foreground writes go on; when it resumes it finishes, and every write is on both legs",
    tags: ["nightly", "mirror", "sync-stall"],
    seeds: "1..8",
    pvs,
    setup: [...base, "lvcreate -an -Zn --type mirror -m 1 --mirrorlog disk -l 4 -n m vg0 pv0 pv1 pv2"],
    phases: [{ lvm: "lvchange -ay vg0/m" }, writes("during", 300), { wait: "background" }],
    faults: [
      {
        kind: "sync-stall",
        mode: "stall",
        target: "vg0/m",
        at: { event: "mirror.resync.step", occurrence: 1 },
        window: { durationNs: 300_000_000 },
      },
    ],
    // After a power cut the operator activates the mirror, and its disk log resumes the resync.
    recovery: ["vgchange -ay vg0"],
    expect: { mirrorLegsIdentical: ["vg0/m"] },
  }),
];
