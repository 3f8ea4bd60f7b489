import { defineScenario } from "../define.js";

// Snapshots under concurrent I/O: origin writes queued on exceptions still in flight, and writes
// and reads of the origin while a merge runs. The origin on pv0, the COW on pv1 (as in
// snapshot-ordering), so an exception area that is not durable before the origin changes shows.
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
const recovery = ["vgck --updatemetadata vg0", "vgchange -ay vg0"];

/** Queued origin writes over eight 64 KiB chunks; the power fails before pv1's `cowWrite`th write. */
function queuedCut(options: {
  readonly name: string;
  readonly description: string;
  readonly cowWrite: number;
}) {
  return defineScenario({
    name: options.name,
    description: options.description,
    tags: ["nightly", "snapshot", "power-cut", "ordering"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [
      originJob("before", { rw: "write", size: "512k" }),
      { lvm: "lvcreate -s -L 4M -c 64k -n snap vg0/lv0 pv1" },
      // Eight writes in flight over eight chunks: most chunks are hit again while their first
      // write's exception is still copying, and those writes must wait on that exception too.
      originJob("after", { rw: "randwrite", size: "512k", number_ios: 48, iodepth: 8, norandommap: true }),
    ],
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
  queuedCut({
    name: "snapshot-queued-origin-cut",
    description:
      "Origin writes queue on copy-on-write exceptions in flight (eight writes over eight 64 KiB chunks, several to a chunk whose copy is still running); the power fails among the first copies, the origin's disk keeps its cache and the COW's disk loses its own: no origin write, the first to a chunk or one that found its exception already pending, may reach the origin before that exception is committed, so the snapshot still shows the origin as it was",
    cowWrite: 12,
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
      originJob("before", { rw: "randwrite", size: "8m", number_ios: 100 }),
      { lvm: "lvcreate -s -L 4M -c 4k -n snap vg0/lv0 pv1" },
      originJob("after", { rw: "randwrite", size: "8m", number_ios: 100 }),
      { lvm: "lvchange -an vg0/lv0" },
      { lvm: "lvconvert --merge vg0/snap" },
      { lvm: "lvchange -ay vg0/lv0" },
      originJob("during", { rw: "randrw", size: "8m", number_ios: 120 }),
      { wait: "background" },
    ],
    expect: { merged: { "vg0/snap": "vg0/lv0" } },
  }),
];
