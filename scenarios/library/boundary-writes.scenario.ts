import { defineScenario } from "../define.js";

// Writes of 4 KiB to 128 KiB at any 4 KiB offset (fio bsrange), so most of them span a region,
// stripe chunk or pool block boundary, which the 4 KiB writes of the other scenarios never do: a
// target that splits, marks or maps a request by its first unit only shows here.
const pvs = [
  { name: "pv0", size: "32MiB", profile: "sata-ssd" },
  { name: "pv1", size: "32MiB", profile: "sata-ssd" },
  { name: "pv2", size: "32MiB", profile: "sata-ssd" },
];
const base = ["pvcreate pv0 pv1 pv2", "vgcreate vg0 pv0 pv1 pv2"];
const largeWrites = (lv: string, ios: number, fsync = 0) => ({
  workload: {
    lv,
    jobs: [
      {
        name: "spanning",
        rw: "randwrite",
        bsrange: "4k-128k",
        size: "16m",
        number_ios: ios,
        iodepth: 4,
        fsync,
        verify: "xxh64",
      },
    ],
  },
});
/** Leg 0's disk keeps its cache and leg 1's loses it: the legs differ wherever a write was in flight. */
const legsApartCut = (write: number) => ({
  kind: "power-cut" as const,
  at: { write },
  policy: { kind: "keep-all" as const },
  perDevice: { pv1: { kind: "drop-all" as const }, pv2: { kind: "drop-all" as const } },
});

export default [
  defineScenario({
    name: "raid1-spanning-writes-cut",
    description:
      "Writes spanning 64 KiB bitmap regions to a synced raid1, then a power cut in which leg 0's disk keeps its cache and leg 1's loses it: every region a write touched, not only its first, must have its bit on disk before the data, so the legs differ only in regions the bitmap calls dirty",
    tags: ["nightly", "raid1", "power-cut", "ordering"],
    seeds: "1..8",
    pvs,
    setup: [...base, "lvcreate -an -Zn --type raid1 -m 1 -R 64k -l 4 --nosync -n r vg0 pv0 pv1"],
    phases: [{ lvm: "lvchange -ay vg0/r" }, { wait: "background" }, largeWrites("vg0/r", 60)],
    faults: [legsApartCut(70)],
    recovery: ["vgchange -ay vg0", "lvchange --syncaction check vg0/r"],
    expect: { raidDivergenceOnlyInDirtyRegions: ["vg0/r"] },
  }),
  defineScenario({
    name: "mirror-spanning-writes-cut",
    description:
      "Writes spanning 64 KiB regions to a synced mirror with a disk log on pv2, then a power cut in which leg 0's disk keeps its cache and leg 1's and the log's lose theirs: every region a write touched must be dirty in the durable log, so the resync after reboot leaves the legs identical",
    tags: ["nightly", "mirror", "power-cut", "ordering"],
    seeds: "1..8",
    pvs,
    setup: [...base, "lvcreate -an -Zn --type mirror -m 1 -R 64k --mirrorlog disk -l 4 -n m vg0 pv0 pv1 pv2"],
    // Sync, then deactivate and activate again so the all-clean log is durable before the writes.
    phases: [
      { lvm: "lvchange -ay vg0/m" },
      { wait: "background" },
      { lvm: "lvchange -an vg0/m" },
      { lvm: "lvchange -ay vg0/m" },
      largeWrites("vg0/m", 60, 8),
    ],
    // VG write 620: after the initial resync, among the writes.
    faults: [legsApartCut(620)],
    recovery: ["vgchange -ay vg0"],
    expect: { mirrorLegsIdentical: ["vg0/m"] },
  }),
  defineScenario({
    name: "striped-spanning-writes",
    description:
      "Writes spanning 64 KiB stripe chunks to a two-stripe LV, then every block read back: each piece of a write must land on its own stripe at its own chunk, as the reads (split the same way) expect",
    tags: ["nightly", "striped"],
    seeds: "1..8",
    pvs,
    setup: [...base, "lvcreate -an -Zn -i 2 -I 64k -l 4 -n s vg0 pv0 pv1"],
    phases: [largeWrites("vg0/s", 80, 8)],
  }),
];
