import { defineScenario } from "../define.js";

// The origin on pv0, the snapshot's COW on pv1: flushing one never flushes the other, so a copy,
// an exception commit or a merge that is not ordered by its own flush or FUA shows after a cut.
const pvs = [
  { name: "pv0", size: "32MiB", profile: "sata-ssd" },
  { name: "pv1", size: "32MiB", profile: "sata-ssd" },
];
const setup = ["pvcreate pv0 pv1", "vgcreate vg0 pv0 pv1", "lvcreate -an -Zn -l 4 -n lv0 vg0 pv0"];
const origin = (name: string, ios: number) => ({
  workload: {
    lv: "vg0/lv0",
    jobs: [
      {
        name,
        rw: "randwrite",
        bs: "4k",
        size: "8m",
        number_ios: ios,
        iodepth: 4,
        fsync: 8,
        end_fsync: 1,
        verify: "xxh64",
      },
    ],
  },
});
const snapshot = { lvm: "lvcreate -s -L 4M -c 4k -n snap vg0/lv0 pv1" };
// Whichever PV kept the newest metadata wins; vgck rewrites the other.
const recovery = ["vgck --updatemetadata vg0", "vgchange -ay vg0"];

/** Origin writes after a snapshot, cut before the COW's `cowWrite`th write; the COW's disk loses its cache. */
function cowCut(options: { readonly name: string; readonly description: string; readonly cowWrite: number }) {
  return defineScenario({
    name: options.name,
    description: options.description,
    tags: ["nightly", "snapshot", "power-cut", "ordering"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [origin("before", 100), snapshot, origin("after", 150)],
    faults: [
      {
        kind: "power-cut",
        at: { write: options.cowWrite, device: "pv1" },
        policy: { kind: "keep-all" },
        perDevice: { pv1: { kind: "drop-all" } },
      },
    ],
    recovery,
  });
}

export default [
  // Just before pv1's 101st write since the faults were armed: part way through "after", and
  // (each new chunk costs pv1 a copy and an area write; a chunk copied before costs none) always
  // a chunk copy, so the newest exception's origin overwrite is already on pv0 and nothing has
  // flushed pv1 since that exception was committed.
  cowCut({
    name: "snapshot-cow-other-pv-cut",
    description:
      "Copy-on-write with the COW on another PV than the origin; the power fails while the origin is written, the origin's disk keeps its cache and the COW's disk loses its own: every exception the origin was overwritten for must be durable with its copied chunk, so the snapshot still shows the origin as it was",
    cowWrite: 101,
  }),
  // One write earlier: always an exception area write, after its chunk was copied and flushed,
  // before the origin may be overwritten.
  cowCut({
    name: "snapshot-cow-other-pv-cut-before-commit",
    description:
      "Copy-on-write with the COW on another PV than the origin; the power fails just before an exception is committed, the origin's disk keeps its cache and the COW's disk loses its own: the origin must not have been overwritten for an exception that was never committed, so the snapshot still shows the origin as it was",
    cowWrite: 100,
  }),
  defineScenario({
    name: "snapshot-merge-other-pv-cut",
    description:
      "lvconvert --merge with the COW on another PV than the origin; the power fails after a few merge steps, the COW's disk keeps its cache and the origin's disk loses its own: merged exceptions may only be dropped once their chunks are durable on the origin, so the resumed merge still ends with the origin exactly as the snapshot was",
    tags: ["nightly", "snapshot", "power-cut", "ordering"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [
      origin("before", 100),
      snapshot,
      origin("after", 100),
      { lvm: "lvchange -an vg0/lv0" },
      { lvm: "lvconvert --merge vg0/snap" },
      { lvm: "lvchange -ay vg0/lv0" },
      { wait: "background" },
    ],
    // The merge starts from the newest exceptions; end_fsync made the origin overwrites they
    // undo durable, so losing pv0's cache can only lose what the merge itself wrote.
    faults: [
      {
        kind: "power-cut",
        at: { event: "snapshot.merge.step", occurrence: 3 },
        policy: { kind: "keep-all" },
        perDevice: { pv0: { kind: "drop-all" } },
      },
    ],
    // As an operator does: the merge again (after a cut before it was on disk; "already merging"
    // when activation resumes it, "failed to find" once it finished), then activation.
    recovery: ["vgck --updatemetadata vg0", "lvconvert --merge vg0/snap", "vgchange -ay vg0"],
    expect: { merged: { "vg0/snap": "vg0/lv0" } },
  }),
];
