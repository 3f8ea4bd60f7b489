import { defineScenario } from "../define.js";
import type { ScenarioInput } from "../schema.js";

// The origin on pv0, the snapshot's COW on pv1: flushing one never flushes the other, so a copy,
// an exception commit or a merge that is not ordered by its own flush or FUA shows after a cut.
const pvs = [
  { name: "pv0", size: "32MiB", profile: "sata-ssd" },
  { name: "pv1", size: "32MiB", profile: "sata-ssd" },
];
const setup = ["pvcreate pv0 pv1", "vgcreate vg0 pv0 pv1", "lvcreate -an -Zn -l 4 -n lv0 vg0 pv0"];
const originJob = (name: string, job: Record<string, unknown>) => ({
  workload: {
    lv: "vg0/lv0",
    jobs: [{ name, bs: "4k", iodepth: 4, fsync: 8, end_fsync: 1, verify: "xxh64", ...job }],
  },
});
const origin = (name: string, ios: number) =>
  originJob(name, { rw: "randwrite", size: "8m", number_ios: ios });
const snapshot = { lvm: "lvcreate -s -L 4M -c 4k -n snap vg0/lv0 pv1" };
// Whichever PV kept the newest metadata wins; vgck rewrites the other.
const recovery = ["vgck --updatemetadata vg0", "vgchange -ay vg0"];
// An operator rolling the origin back to the snapshot asks for the merge again after a crash: the
// cut may have come before lvconvert --merge ran, or before its metadata (never flushed by LVM2)
// reached a disk. "already merging" when activation resumes it, "failed to find" once it finished.
const mergeRecovery = ["vgck --updatemetadata vg0", "lvconvert --merge vg0/snap", "vgchange -ay vg0"];

// lvconvert --merge of the origin's snapshot as an operator runs it: the merge starts when the
// origin is activated again.
const merge = [
  { lvm: "lvchange -an vg0/lv0" },
  { lvm: "lvconvert --merge vg0/snap" },
  { lvm: "lvchange -ay vg0/lv0" },
];

/** Origin writes after a snapshot, cut before the COW's `cowWrite`th write; the COW's disk loses its cache. */
function cowCut(options: {
  readonly name: string;
  readonly description: string;
  readonly cowWrite: number;
  readonly phases?: ScenarioInput["phases"];
}) {
  return defineScenario({
    name: options.name,
    description: options.description,
    tags: ["nightly", "snapshot", "power-cut", "ordering"],
    seeds: "1..8",
    pvs,
    setup,
    phases: options.phases ?? [origin("before", 100), snapshot, origin("after", 150)],
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
    phases: [origin("before", 100), snapshot, origin("after", 100), ...merge, { wait: "background" }],
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
    recovery: mergeRecovery,
    expect: { merged: { "vg0/snap": "vg0/lv0" } },
  }),
  // Shapes the other snapshot scenarios never take: chunks larger than an I/O, a COW over extents
  // a removed snapshot used, a merge while the origin has another snapshot.
  defineScenario({
    name: "snapshot-large-chunk-crash",
    description:
      "A snapshot with 64 KiB chunks under 4 KiB origin writes, cut by a power failure at a drawn exception commit: each write copies the whole chunk around it, and the snapshot reads every 4 KiB block of a copied chunk from its own place in the COW",
    tags: ["nightly", "snapshot", "power-cut"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [
      origin("before", 100),
      { lvm: "lvcreate -s -L 8M -c 64k -n snap vg0/lv0 pv1" },
      origin("after", 120),
    ],
    faults: [
      {
        kind: "power-cut",
        at: { event: "snapshot.exception.commit", occurrence: 40 },
        policy: { kind: "subset" },
      },
    ],
    // 120 writes over 128 chunks leave some 75 exceptions; the cut falls among them.
    swarm: {
      crash: {
        event: "snapshot.exception.commit",
        occurrence: [1, 60],
        policies: [{ kind: "subset" }, { kind: "drop-all" }, { kind: "keep-all" }],
      },
    },
    recovery,
  }),
  defineScenario({
    name: "snapshot-cow-reuse-reactivate",
    description:
      "A snapshot past its first metadata area is removed and a new one takes the same COW extents; when it fills exactly its own first area it must zero the next one, or the old snapshot's entries load as exceptions when the VG is reactivated",
    tags: ["nightly", "snapshot"],
    seeds: "1..8",
    pvs,
    setup,
    // "churn" leaves some 330 exceptions, past the 256 of the first 4 KiB area, so the old COW's
    // second area holds entries. "fill" then copies exactly 256 chunks: the new snapshot's first
    // area is full and its second is never written, only (correctly) zeroed.
    phases: [
      origin("before", 50),
      { lvm: "lvcreate -s -L 4M -c 4k -n old vg0/lv0 pv1" },
      origin("churn", 400),
      { lvm: "lvremove -f vg0/old" },
      { lvm: "lvcreate -s -L 4M -c 4k -n snap vg0/lv0 pv1" },
      originJob("fill", { rw: "write", size: "1m" }),
      { lvm: "vgchange -an vg0" },
      { lvm: "vgchange -ay vg0" },
    ],
  }),
  defineScenario({
    name: "snapshot-merge-keeps-other-snapshot",
    description:
      "lvconvert --merge of one snapshot while the origin has a second one, cut by a power failure at a drawn merge step: the merged origin reads as the merged snapshot was, and the second snapshot still reads as the origin was when it was taken",
    tags: ["nightly", "snapshot", "power-cut"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [
      origin("before", 80),
      { lvm: "lvcreate -s -L 4M -c 4k -n snap vg0/lv0 pv1" },
      origin("between", 80),
      // A sequential stretch: 32 consecutive exceptions the merge copies back as runs.
      originJob("stretch", { rw: "write", offset: "4m", size: "128k" }),
      { lvm: "lvcreate -s -L 4M -c 4k -n keep vg0/lv0 pv1" },
      ...merge,
      { wait: "background" },
    ],
    faults: [
      { kind: "power-cut", at: { event: "snapshot.merge.step", occurrence: 10 }, policy: { kind: "subset" } },
    ],
    swarm: {
      crash: {
        event: "snapshot.merge.step",
        occurrence: [1, 40],
        policies: [{ kind: "subset" }, { kind: "drop-all" }, { kind: "keep-all" }],
      },
    },
    recovery: mergeRecovery,
    expect: { merged: { "vg0/snap": "vg0/lv0" } },
  }),
  // Snapshots under concurrent I/O: origin writes queued on exceptions still in flight, and reads
  // and writes of the origin while a merge runs.
  cowCut({
    name: "snapshot-queued-origin-cut",
    description:
      "Origin writes queue on copy-on-write exceptions in flight (eight writes over eight 64 KiB chunks, several to a chunk whose copy is still running); the power fails among the first copies, the origin's disk keeps its cache and the COW's disk loses its own: no origin write, the first to a chunk or one that found its exception already pending, may reach the origin before that exception is committed, so the snapshot still shows the origin as it was",
    cowWrite: 12,
    phases: [
      originJob("before", { rw: "write", size: "512k" }),
      { lvm: "lvcreate -s -L 4M -c 64k -n snap vg0/lv0 pv1" },
      // Eight writes in flight over eight chunks: most chunks are hit again while their first
      // write's exception is still copying, and those writes must wait on that exception too.
      originJob("after", { rw: "randwrite", size: "512k", number_ios: 48, iodepth: 8, norandommap: true }),
    ],
  }),
  defineScenario({
    name: "snapshot-merge-under-writes",
    description:
      "Reads and writes of the origin while lvconvert --merge runs: the origin shows the snapshot's content from the moment the merge starts, a write to a chunk still in the COW goes to the COW and a read of it comes from there, the merge copies it back, and the merged origin holds every write made during the merge",
    tags: ["nightly", "snapshot"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [
      origin("before", 100),
      snapshot,
      origin("after", 100),
      ...merge,
      originJob("during", { rw: "randrw", size: "8m", number_ios: 120 }),
      { wait: "background" },
    ],
    recovery: mergeRecovery,
    expect: { merged: { "vg0/snap": "vg0/lv0" } },
  }),
];
