import { defineScenario } from "../define.js";

const pvs = [
  { name: "pv0", size: "64MiB", profile: "sata-ssd" },
  { name: "pv1", size: "64MiB", profile: "sata-ssd" },
  { name: "pv2", size: "64MiB", profile: "sata-ssd" },
];
const base = ["pvcreate pv0 pv1 pv2", "vgcreate vg0 pv0 pv1 pv2"];
/**
 * Recovery and verdict after a cut in a scenario where a leg's PV blinks. The operator activates
 * the VG (a leg the superblocks mark failed is re-added and recovers) and refreshes the LV (a leg
 * that failed again is revived), then runs the repair and `vgreduce --removemissing` one runs when
 * unsure a PV came back. After a power cycle it always has (a blink cut short ends at the reboot;
 * a blink not yet begun was disarmed with the run), so both find nothing to do, and every point's
 * metadata must be consistent; the real-vs-model test still compares what they print. Kernel 6.1
 * resyncs no dirty region of a synced set after a crash, so at every point only the bitmap's clean
 * regions must match; identical legs hold at the own run only.
 */
export const afterLegBlinkCut = {
  recovery: [
    "vgchange -ay vg0",
    "lvchange --refresh vg0/r",
    "lvconvert --repair -y vg0/r",
    "vgreduce --removemissing vg0",
  ],
  expect: { raidDivergenceOnlyInDirtyRegions: ["vg0/r"] },
  expectAtOwnCut: { raidLegsIdentical: ["vg0/r"] },
};
/** A 16 MiB raid1 with 512 KiB regions (32 regions) on pv0 and pv1. */
/**
 * For the scenarios that add a leg while the set is in use: after a power cut the operator
 * activates the VG; a recovery the cut interrupted resumes from the superblocks, but kernel 6.1
 * resyncs nothing of a synced set's dirty regions: the legs may differ where writes were in
 * flight, never where the bitmap calls a region clean. The own run ends with identical legs.
 */
const afterRecoveryCut = {
  recovery: ["vgchange -ay vg0"],
  expect: { raidDivergenceOnlyInDirtyRegions: ["vg0/r"], segtypes: { "vg0/r": ["raid1"] } },
  expectAtOwnCut: { raidLegsIdentical: ["vg0/r"] },
};
const raid = [...base, "lvcreate -an -Zn --type raid1 -m 1 -R 512k -l 4 -n r vg0 pv0 pv1"];
/** The same, created in sync, so the phases start with no resync writes (block-write counts stay stable). */
const raidNosync = [...base, "lvcreate -an -Zn --type raid1 -m 1 -R 512k -l 4 --nosync -n r vg0 pv0 pv1"];
const synced = [{ lvm: "lvchange -ay vg0/r" }, { wait: "background" as const }];
const writes = (name: string, options: { ios: number; offset?: string; size?: string; fsync?: number }) => ({
  workload: {
    lv: "vg0/r",
    jobs: [
      {
        name,
        rw: "randwrite",
        bs: "4k",
        offset: options.offset ?? "0",
        size: options.size ?? "8m",
        number_ios: options.ios,
        iodepth: 4,
        fsync: options.fsync ?? 0,
        verify: "xxh64",
      },
    ],
  },
});
/** Long enough for the bitmap daemon (5 s period) to clear every idle region's bit. */
const bitmapIdle = { wait: { ns: 20_000_000_000 } };
/** Random 4 KiB writes to another LV (so the PV extents it leaves behind hold data). */
const fill = (lv: string, ios: number) => ({
  workload: {
    lv,
    jobs: [
      {
        name: `fill-${lv.split("/")[1]}`,
        rw: "randwrite",
        bs: "4k",
        size: "8m",
        number_ios: ios,
        iodepth: 4,
      },
    ],
  },
});

/**
 * Writes to a synced raid1, then a power cut in which leg 0's disk keeps its cache and leg 1's
 * loses it: the legs differ wherever writes were in flight (the divergence scenarios share it).
 */
const divergenceCut = {
  phases: [...synced, writes("in-flight", { ios: 80, offset: "0", size: "16m" })],
  faults: [
    {
      kind: "power-cut" as const,
      at: { write: 120 },
      policy: { kind: "subset" as const },
      perDevice: { pv0: { kind: "keep-all" as const }, pv1: { kind: "drop-all" as const } },
    },
  ],
};

export default [
  defineScenario({
    name: "raid1-leg-loss-repair",
    description:
      "A synced raid1 loses a leg's PV mid-workload and keeps serving I/O degraded (the failure recorded in the superblocks); under the default raid_fault_policy=warn nothing is replaced until the operator runs lvconvert --repair, which rebuilds the leg on the free PV",
    tags: ["nightly", "raid1", "pv-loss"],
    seeds: "1..8",
    pvs,
    setup: raidNosync,
    phases: [...synced, writes("before", { ios: 60, fsync: 8 }), writes("during", { ios: 80, fsync: 8 })],
    // pv1's 100th block write falls among the "during" writes (the leg takes ~80 before them).
    faults: [{ kind: "pv-loss", device: "pv1", at: { write: 100, device: "pv1" } }],
    // After a power cut the LV is inactive, and lvconvert --repair needs it active: the operator
    // activates it first (degraded when pv1 is gone). At a cut before the loss there is nothing to
    // replace, and kernel 6.1 resyncs nothing after the crash: the legs may differ where writes were
    // in flight, so identical legs are the own run's promise, and clean regions identical everyone's.
    recovery: ["vgchange -ay vg0", "lvconvert --repair -y vg0/r"],
    expect: {
      raidDivergenceOnlyInDirtyRegions: ["vg0/r"],
      segtypes: { "vg0/r": ["raid1"] },
      metadataConsistent: false,
    },
    expectAtOwnCut: { raidLegsIdentical: ["vg0/r"] },
  }),
  defineScenario({
    name: "raid1-leg-loss-allocate",
    description:
      "The same leg loss with raid_fault_policy=allocate: the dmeventd-style monitor (on by default) runs lvconvert --repair --use-policies by itself, the new leg on the free PV recovers, and no operator step is needed",
    tags: ["nightly", "raid1", "pv-loss"],
    seeds: "1..8",
    pvs,
    setup: raidNosync,
    phases: [
      { lvm: "lvchange -ay --config activation/raid_fault_policy=allocate vg0/r" },
      { wait: "background" },
      writes("before", { ios: 60, fsync: 8 }),
      writes("during", { ios: 80, fsync: 8 }),
      { wait: "background" },
    ],
    faults: [{ kind: "pv-loss", device: "pv1", at: { write: 100, device: "pv1" } }],
    // After a power cut the operator activates the VG with the same policy (lvm.conf's, here given
    // on the command line). A leg whose PV was already gone at activation fails before the monitor
    // watches the LV, so the operator runs the repair dmeventd would have run (after the own run's
    // repair it finds nothing to replace). Kernel 6.1 resyncs nothing after the crash: identical
    // legs are the own run's promise, clean regions identical everyone's.
    recovery: [
      "vgchange -ay --config activation/raid_fault_policy=allocate vg0",
      "lvconvert --repair --use-policies --config activation/raid_fault_policy=allocate vg0/r",
    ],
    expect: {
      raidDivergenceOnlyInDirtyRegions: ["vg0/r"],
      segtypes: { "vg0/r": ["raid1"] },
      metadataConsistent: false,
    },
    expectAtOwnCut: { raidLegsIdentical: ["vg0/r"] },
  }),
  defineScenario({
    name: "raid1-power-cut-ordinary-writes",
    description:
      "Power cut during ordinary writes to a synced raid1 after earlier unflushed writes went idle: kernel 6.1 resyncs nothing after the reboot, so the legs may differ, but only in regions whose write-intent bit is still set",
    tags: ["nightly", "raid1", "power-cut"],
    seeds: "1..8",
    pvs,
    setup: raidNosync,
    phases: [
      ...synced,
      writes("idle-later", { ios: 120, offset: "0", size: "8m" }),
      bitmapIdle,
      writes("in-flight", { ios: 60, offset: "12m", size: "4m" }),
    ],
    // Block write ~330 falls among the in-flight writes (after ~280 writes of the phases before).
    faults: [{ kind: "power-cut", at: { write: 330 }, policy: { kind: "subset" } }],
    recovery: ["vgchange -ay vg0"],
    expect: { raidDivergenceOnlyInDirtyRegions: ["vg0/r"] },
    explore: { from: "raid.bitmap.clear", to: "raid.bitmap.mark", writes: true, policy: { kind: "subset" } },
  }),
  defineScenario({
    name: "raid1-power-cut-at-bitmap-clear",
    description:
      "Unflushed writes to a synced raid1 go idle and the bitmap daemon clears their regions; the power fails right after that bitmap write, with leg 1's disk losing its cache: md flushes the legs (PREFLUSH) before it writes cleared bits, so no region the bitmap calls clean differs between the legs",
    tags: ["nightly", "raid1", "power-cut"],
    seeds: "1..8",
    pvs,
    setup: raidNosync,
    phases: [...synced, bitmapIdle, writes("unflushed", { ios: 40, offset: "0", size: "4m" }), bitmapIdle],
    // The first clear drops the new set's initial bits; the second, the regions the writes dirtied.
    faults: [
      {
        kind: "power-cut",
        at: { event: "raid.bitmap.clear", occurrence: 2 },
        policy: { kind: "subset" },
        perDevice: { pv0: { kind: "keep-all" }, pv1: { kind: "drop-all" } },
      },
    ],
    recovery: ["vgchange -ay vg0"],
    expect: { raidDivergenceOnlyInDirtyRegions: ["vg0/r"] },
  }),
  defineScenario({
    name: "raid1-upconvert-power-cut",
    description:
      "lvconvert -m2 adds a third leg to a synced raid1 under writes and the power fails while the new leg recovers: the superblocks still record its recovery offset, so after the reboot it recovers again from leg 0 instead of being taken as in sync",
    tags: ["nightly", "raid1", "power-cut", "lvconvert"],
    seeds: "1..8",
    pvs,
    setup: raid,
    phases: [
      ...synced,
      writes("before", { ios: 60, fsync: 8 }),
      // The bits of those writes clear: only the superblocks know what the new leg still lacks.
      bitmapIdle,
      { lvm: "lvconvert -y -m2 vg0/r" },
      writes("during-recovery", { ios: 40, offset: "8m", size: "8m", fsync: 8 }),
      { wait: "background" },
    ],
    faults: [
      { kind: "power-cut", at: { event: "raid.recover.step", occurrence: 8 }, policy: { kind: "subset" } },
    ],
    // A cut between the PVs' copies of a commit leaves seqnos apart, which activation only warns
    // about: the operator updates the metadata, as the metadata scenarios do.
    // The VG read back before that repair must be one a command wrote (metadataOldOrNew).
    recovery: ["vgck --updatemetadata vg0", "vgchange -ay vg0"],
    expect: {
      raidDivergenceOnlyInDirtyRegions: ["vg0/r"],
      segtypes: { "vg0/r": ["raid1"] },
      metadataOldOrNew: true,
    },
    // Its own cut (the 8th recovery step) leaves the new leg half recovered: read the LV back
    // before the recovery resumes to the end; no read may come from past the leg's recovery offset.
    expectAtOwnCut: { readsStableThroughResync: ["vg0/r"] },
  }),
  defineScenario({
    name: "raid1-reads-during-recovery",
    description:
      "Random reads at queue depth 8 while lvconvert -m2's new third leg recovers: md's read balancing spreads them over the legs, but never onto the new leg past its recovery offset, so every read returns the data written before",
    tags: ["nightly", "raid1", "lvconvert"],
    seeds: "1..8",
    pvs,
    setup: raid,
    phases: [
      ...synced,
      writes("data", { ios: 200, fsync: 8 }),
      { lvm: "lvconvert -y -m2 vg0/r" },
      {
        workload: {
          lv: "vg0/r",
          jobs: [
            {
              name: "reads",
              rw: "randread",
              bs: "4k",
              size: "8m",
              number_ios: 400,
              iodepth: 8,
              verify: "xxh64",
            },
          ],
        },
      },
      { wait: "background" },
    ],
    ...afterRecoveryCut,
  }),
  defineScenario({
    name: "raid1-downconvert-during-recovery",
    description:
      "While a new third leg recovers, the operator asks lvconvert -m0 to drop the two in-sync legs: LVM2 refuses (Unable to remove all primary source devices), the recovery finishes and all three legs hold the data",
    tags: ["nightly", "raid1", "lvconvert"],
    seeds: "1..8",
    pvs,
    setup: raid,
    phases: [
      ...synced,
      writes("data", { ios: 60, fsync: 8 }),
      { lvm: "lvconvert -y -m2 vg0/r" },
      { lvm: "lvconvert -y -m0 vg0/r pv0 pv1", expectExit: 5 },
      { wait: "background" },
    ],
    ...afterRecoveryCut,
  }),
  defineScenario({
    name: "raid1-extend-resyncs-new-part",
    description:
      "lvextend grows a synced raid1 into extents two removed LVs had filled with different data: the kernel resyncs the grown part from leg 0, so the legs end identical there too",
    tags: ["nightly", "raid1", "lvextend"],
    seeds: "1..8",
    pvs,
    // Not --nosync: LVM2 skips the resync of a NOTSYNCED LV's grown part (as it would here).
    setup: [...raid, "lvcreate -an -Zn -l 2 -n junk0 vg0 pv0", "lvcreate -an -Zn -l 2 -n junk1 vg0 pv1"],
    phases: [
      { lvm: "lvchange -ay vg0/junk0" },
      { lvm: "lvchange -ay vg0/junk1" },
      fill("vg0/junk0", 64),
      fill("vg0/junk1", 64),
      { lvm: "lvremove -y vg0/junk0" },
      { lvm: "lvremove -y vg0/junk1" },
      ...synced,
      { lvm: "lvextend -l +2 vg0/r" },
      writes("after", { ios: 40, fsync: 8 }),
      { wait: "background" },
    ],
    // After a power cut the operator activates the VG (a resync the cut interrupted resumes from its
    // checkpoint); dirty regions of a synced set are not resynced by kernel 6.1 (see above).
    recovery: ["vgchange -ay vg0"],
    expect: { raidDivergenceOnlyInDirtyRegions: ["vg0/r"] },
    expectAtOwnCut: { raidLegsIdentical: ["vg0/r"] },
  }),
  defineScenario({
    name: "raid1-silent-divergence",
    description:
      "Power cut during writes to a synced raid1 where leg 0's disk kept its cache and leg 1's lost it: activation resyncs nothing (kernel 6.1), the legs stay different, and a later `lvchange --syncaction check` counts the mismatches",
    tags: ["nightly", "raid1", "power-cut"],
    seeds: "1..8",
    pvs,
    setup: raidNosync,
    ...divergenceCut,
    recovery: ["vgchange -ay vg0", "lvchange --syncaction check vg0/r"],
    expect: { raidDivergenceOnlyInDirtyRegions: ["vg0/r"] },
    // Only this cut (leg 1's cache lost, leg 0's kept, writes in flight) leaves legs to count apart.
    expectAtOwnCut: { raidMismatches: { "vg0/r": "some" } },
  }),
  defineScenario({
    name: "raid1-silent-divergence-repair",
    description:
      "The same power cut, then `lvchange --syncaction repair`: the scrub copies leg 0 over the differing windows and the legs end identical",
    tags: ["nightly", "raid1", "power-cut"],
    seeds: "1..8",
    pvs,
    setup: raidNosync,
    ...divergenceCut,
    recovery: ["vgchange -ay vg0", "lvchange --syncaction repair vg0/r"],
    expect: { raidLegsIdentical: ["vg0/r"] },
  }),
  defineScenario({
    name: "raid1-power-cut-during-resync",
    description:
      "Power cut while the initial resync of a new raid1 runs under foreground writes: after the reboot the resync resumes, and the legs end identical",
    tags: ["nightly", "raid1", "power-cut"],
    seeds: "1..8",
    pvs,
    setup: raid,
    phases: [
      { lvm: "lvchange -ay vg0/r" },
      writes("during-resync", { ios: 80, fsync: 8 }),
      { wait: "background" },
    ],
    faults: [
      { kind: "power-cut", at: { event: "raid.resync.step", occurrence: 12 }, policy: { kind: "subset" } },
    ],
    recovery: ["vgchange -ay vg0"],
    expect: { raidDivergenceOnlyInDirtyRegions: ["vg0/r"] },
    explore: {
      from: "raid.resync.step",
      to: "raid.superblock.write",
      writes: true,
      policy: { kind: "subset" },
    },
  }),
  defineScenario({
    name: "raid1-transient-leg-loss",
    description:
      "A raid1 leg's PV vanishes for a while under writes and comes back: the LV keeps working degraded, `lvchange --refresh` revives the leg, and only the regions written while it was away are recovered; the legs end identical",
    tags: ["nightly", "raid1", "pv-loss"],
    seeds: "1..8",
    pvs,
    setup: raid,
    phases: [
      ...synced,
      writes("before", { ios: 60, fsync: 8 }),
      bitmapIdle,
      writes("while-lost", { ios: 80, offset: "8m", size: "8m", fsync: 8 }),
      { lvm: "lvchange --refresh vg0/r" },
      { wait: "background" },
    ],
    faults: [
      {
        kind: "pv-loss",
        device: "pv1",
        at: { event: "raid.bitmap.clear", occurrence: 2 },
        window: { untilEvent: "raid.leg.fail" },
      },
    ],
    ...afterLegBlinkCut,
  }),
];
