import { defineScenario } from "../define.js";

// Two metadata areas per PV (`--pvmetadatacopies 2`: one at the start, one at the end), so every
// commit writes six areas and a write that skips or reorders one of a PV's two shows.
const pvs = [
  { name: "pv0", size: "32MiB" },
  { name: "pv1", size: "32MiB" },
  { name: "pv2", size: "32MiB" },
];
const setup = [
  "pvcreate --pvmetadatacopies 2 pv0 pv1 pv2",
  "vgcreate vg0 pv0 pv1 pv2",
  "lvcreate -an -Zn -l 4 -n lv0 vg0",
];
const writes = {
  workload: {
    lv: "vg0/lv0",
    jobs: [{ name: "seq", rw: "write", bs: "4k", size: "1m", fsync: 16, end_fsync: 1, verify: "xxh64" }],
  },
};

export default [
  defineScenario({
    name: "metadata-two-areas-commit-power-cut",
    description:
      "PVs with two metadata areas each; the power fails during an lvcreate's commit (each seed draws which of the six area commits the cut follows, and how the caches resolve): the scan sees the old or the new VG, and after vgck --updatemetadata every area of every PV holds it",
    tags: ["nightly", "metadata", "power-cut"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [writes, { lvm: "lvcreate -an -Zn -l 2 -n new vg0" }],
    faults: [
      { kind: "power-cut", at: { event: "metadata.commit", occurrence: 3 }, policy: { kind: "subset" } },
    ],
    swarm: {
      crash: {
        event: "metadata.commit",
        occurrence: [1, 6],
        policies: [{ kind: "subset" }, { kind: "drop-all" }, { kind: "keep-all" }],
      },
    },
    recovery: ["vgck --updatemetadata vg0", "vgchange -ay vg0"],
    expect: { metadataOldOrNew: true },
  }),
];
