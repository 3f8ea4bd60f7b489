import { defineScenario } from "../define.js";

const pvs = [
  { name: "pv0", size: "64MiB", profile: "sata-ssd" },
  { name: "pv1", size: "64MiB", profile: "sata-ssd" },
];
const setup = ["pvcreate pv0 pv1", "vgcreate vg0 pv0 pv1", "lvcreate -an -Zn -l 4 -n lv0 vg0 pv0"];
const origin = (name: string, ios: number, size = "8m") => ({
  workload: {
    lv: "vg0/lv0",
    jobs: [{ name, rw: "randwrite", bs: "4k", size, number_ios: ios, iodepth: 4, fsync: 8, verify: "xxh64" }],
  },
});

export default [
  defineScenario({
    name: "snapshot-cow-crash",
    description:
      "Power cut in the middle of copy-on-write: the snapshot still shows the origin as it was when it was taken, and the origin keeps every acknowledged write",
    tags: ["nightly", "snapshot", "power-cut"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [origin("before", 200), { lvm: "lvcreate -s -L 8M -c 4k -n snap vg0/lv0" }, origin("after", 300)],
    faults: [
      {
        kind: "power-cut",
        at: { event: "snapshot.exception.commit", occurrence: 20 },
        policy: { kind: "subset" },
      },
    ],
    // Each seed draws the exception commit the cut follows, the crash policy, and where the COW
    // sits: on the origin's PV (one flush covers both) or on the other PV (each needs its own).
    swarm: {
      crash: {
        event: "snapshot.exception.commit",
        occurrence: [1, 290],
        policies: [{ kind: "subset" }, { kind: "drop-all" }, { kind: "keep-all" }],
      },
      choose: {
        cow: ["pv0", "pv1"].map((pv) => ({
          label: pv === "pv0" ? "cow-on-origin-pv" : "cow-on-other-pv",
          phases: [
            origin("before", 200),
            { lvm: `lvcreate -s -L 8M -c 4k -n snap vg0/lv0 ${pv}` },
            origin("after", 300),
          ],
        })),
      },
    },
    // The snapshot's own metadata commit may have reached only some PVs (LVM2 never flushes it);
    // the highest seqno wins and vgck --updatemetadata rewrites the rest.
    recovery: ["vgck --updatemetadata vg0", "vgchange -ay vg0"],
    // From the first exception commit on: its flush makes the snapshot's own metadata durable. A
    // cut before it can lose the snapshot altogether (LVM2 does not flush metadata writes).
    explore: { from: "snapshot.exception.commit", writes: true, policy: { kind: "drop-all" } },
  }),
  defineScenario({
    name: "snapshot-cow-crash-many-areas",
    description:
      "Power cut once a 4 KiB-chunk snapshot's exceptions fill more than one metadata area (256 each): after the reboot the store is read back area by area, so the snapshot still shows the origin as it was and the origin keeps every acknowledged write",
    tags: ["nightly", "snapshot", "power-cut"],
    seeds: "1..8",
    pvs,
    setup,
    // 3 MiB of sequential origin writes after the snapshot: 768 exceptions, three areas and a bit.
    phases: [
      origin("before", 100),
      { lvm: "lvcreate -s -L 8M -c 4k -n snap vg0/lv0" },
      {
        workload: {
          lv: "vg0/lv0",
          jobs: [{ name: "after", rw: "write", bs: "4k", size: "3m", iodepth: 4, fsync: 8, verify: "xxh64" }],
        },
      },
    ],
    // Every seed cuts past the first area (a reload that stops after one area loses the rest).
    swarm: {
      crash: {
        event: "snapshot.exception.commit",
        occurrence: [300, 760],
        policies: [{ kind: "keep-all" }, { kind: "subset" }, { kind: "drop-all" }],
      },
    },
    recovery: ["vgck --updatemetadata vg0", "vgchange -ay vg0"],
  }),
  defineScenario({
    name: "snapshot-writable-cut",
    description:
      "Writes to the snapshot itself, 4 KiB into 64 KiB chunks, then to the origin, and a power cut at an exception commit: each partly written chunk must hold the origin's old data around the write, and both LVs keep every acknowledged write",
    tags: ["nightly", "snapshot", "power-cut"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [
      origin("before", 300),
      { lvm: "lvcreate -s -L 8M -c 64k -n snap vg0/lv0" },
      {
        workload: {
          lv: "vg0/snap",
          jobs: [
            {
              name: "snap",
              rw: "randwrite",
              bs: "4k",
              size: "8m",
              number_ios: 120,
              iodepth: 4,
              fsync: 8,
              verify: "xxh64",
            },
          ],
        },
      },
      origin("after", 120),
    ],
    swarm: {
      crash: {
        event: "snapshot.exception.commit",
        occurrence: [10, 90],
        policies: [{ kind: "keep-all" }, { kind: "subset" }, { kind: "drop-all" }],
      },
    },
    recovery: ["vgck --updatemetadata vg0", "vgchange -ay vg0"],
  }),
  defineScenario({
    name: "snapshot-overflow",
    description:
      "Origin writes overflow a small snapshot's COW space: the snapshot is invalidated (reads fail, also after the VG is reactivated) and the origin keeps working with all its data",
    tags: ["nightly", "snapshot", "cow-exhaustion"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [
      origin("before", 100),
      { lvm: "lvcreate -s -L 4M -c 4k -n snap vg0/lv0" },
      origin("after", 1500, "16m"),
      // The invalidation must be on disk: reactivated, the store loads its header again.
      { lvm: "vgchange -an vg0" },
      { lvm: "vgchange -ay vg0" },
    ],
    // Only the whole run overflows the COW: a cut before that leaves a valid snapshot that must
    // still read as the origin was (an invalidated one, whose header reached the disk, reads EIO).
    expectAtOwnCut: { snapshotInvalid: ["vg0/snap"] },
  }),
  defineScenario({
    name: "snapshot-merge-crash",
    description:
      "lvconvert --merge is cut by a power failure half way: on the next activation the merge resumes and the origin ends exactly as the snapshot was",
    tags: ["nightly", "snapshot", "power-cut"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [
      origin("before", 200),
      { lvm: "lvcreate -s -L 8M -c 4k -n snap vg0/lv0" },
      origin("after", 200),
      { lvm: "lvchange -an vg0/lv0" },
      { lvm: "lvconvert --merge vg0/snap" },
      { lvm: "lvchange -ay vg0/lv0" },
      { wait: "background" },
    ],
    faults: [
      { kind: "power-cut", at: { event: "snapshot.merge.step", occurrence: 4 }, policy: { kind: "subset" } },
    ],
    recovery: ["vgck --updatemetadata vg0", "vgchange -ay vg0"],
    explore: { from: "snapshot.merge.step", writes: true, policy: { kind: "drop-all" } },
    expect: { merged: { "vg0/snap": "vg0/lv0" } },
  }),
  defineScenario({
    name: "snapshot-cow-exhaustion",
    description:
      "A cow-exhaustion fault fills a snapshot's COW store while the origin is being written: the snapshot is invalidated, reads of it fail, and the origin keeps every write",
    tags: ["nightly", "snapshot", "cow-exhaustion"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [
      origin("before", 100),
      { lvm: "lvcreate -s -L 8M -c 64k -n snap vg0/lv0" },
      origin("after", 400),
    ],
    faults: [
      {
        kind: "cow-exhaustion",
        snapshot: "vg0/snap",
        mode: "fill",
        at: { event: "snapshot.exception.commit", occurrence: 5 },
      },
    ],
    // Only once the fault filled the COW: a cut before that leaves a valid snapshot that must still
    // read as the origin was (an invalidated one, whose header reached the disk, reads EIO).
    expectAtOwnCut: { snapshotInvalid: ["vg0/snap"] },
  }),
  defineScenario({
    name: "snapshot-cow-limit",
    description:
      "The COW store is capped a few chunks above what it uses, as if the COW LV shrank: the next exceptions past the cap invalidate the snapshot and the origin is untouched",
    tags: ["nightly", "snapshot", "cow-exhaustion"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [origin("before", 100), { lvm: "lvcreate -s -L 8M -c 4k -n snap vg0/lv0" }, origin("after", 300)],
    faults: [
      {
        kind: "cow-exhaustion",
        snapshot: "vg0/snap",
        mode: "limit",
        freeChunks: 4,
        at: { event: "snapshot.exception.commit", occurrence: 3 },
        window: { durationNs: 1_000_000_000 },
      },
    ],
    // Only once the fault filled the COW: a cut before that leaves a valid snapshot that must still
    // read as the origin was (an invalidated one, whose header reached the disk, reads EIO).
    expectAtOwnCut: { snapshotInvalid: ["vg0/snap"] },
  }),
];
