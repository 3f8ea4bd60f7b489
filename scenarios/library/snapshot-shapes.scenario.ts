import { defineScenario } from "../define.js";

// Snapshot shapes the other snapshot scenarios never take: chunks larger than an I/O, a COW over
// extents a removed snapshot used, a merge while the origin has another snapshot, and an overflowed
// snapshot reactivated. The COW sits on pv1, the origin on pv0, so each needs its own flush.
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
const recovery = ["vgck --updatemetadata vg0", "vgchange -ay vg0"];

export default [
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
      {
        workload: {
          lv: "vg0/lv0",
          jobs: [
            {
              name: "fill",
              rw: "write",
              bs: "4k",
              size: "1m",
              iodepth: 4,
              fsync: 8,
              end_fsync: 1,
              verify: "xxh64",
            },
          ],
        },
      },
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
      {
        workload: {
          lv: "vg0/lv0",
          jobs: [
            {
              name: "stretch",
              rw: "write",
              bs: "4k",
              offset: "4m",
              size: "128k",
              iodepth: 4,
              fsync: 8,
              end_fsync: 1,
              verify: "xxh64",
            },
          ],
        },
      },
      { lvm: "lvcreate -s -L 4M -c 4k -n keep vg0/lv0 pv1" },
      { lvm: "lvchange -an vg0/lv0" },
      { lvm: "lvconvert --merge vg0/snap" },
      { lvm: "lvchange -ay vg0/lv0" },
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
    recovery,
    expect: { merged: { "vg0/snap": "vg0/lv0" } },
  }),
];
