import { defineScenario } from "../define.js";
import { setup } from "./pvmove.scenario.js";

// Small PVs, with pvmove-*'s setup: lv0 gets three one-extent segments on pv0, interleaved with
// two small LVs, so the move has several segments and checkpoints between them.
const pvs = [
  { name: "pv0", size: "32MiB", profile: "sata-ssd" },
  { name: "pv1", size: "32MiB", profile: "sata-ssd" },
  { name: "pv2", size: "32MiB", profile: "sata-ssd" },
  { name: "pv3", size: "32MiB", profile: "sata-ssd" },
];
const writes = (name: string, ios: number) => ({
  workload: {
    lv: "vg0/lv0",
    jobs: [
      {
        name,
        rw: "randwrite",
        bs: "4k",
        size: "12m",
        number_ios: ios,
        iodepth: 4,
        fsync: 8,
        end_fsync: 1,
        verify: "xxh64",
      },
    ],
  },
});
// After any cut the metadata on the PVs may differ (LVM2 never flushes it): the newest copy wins
// and vgck rewrites the rest; activation resumes the move and pvmove waits for it (or starts it
// again when the cut lost the move's own first commit).
const recovery = ["vgck --updatemetadata vg0", "vgchange -ay vg0", "pvmove pv0 pv1"];

export default [
  defineScenario({
    name: "pvmove-checkpoint-cut-prefix",
    description:
      "Power cut right after the 1st pvmove checkpoint commit: the destination keeps only a prefix of its cache while the other PVs keep the checkpoint, so a checkpoint committed before the copied segment was flushed points at data that never reached the destination",
    tags: ["nightly", "pvmove", "power-cut", "ordering"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [writes("before", 150), { lvm: "pvmove -b pv0 pv1" }, { wait: "background" }],
    // pv1 keeps its first two unflushed writes: on the real engine the checkpoint's text and
    // header (the copy was flushed before it); with the copy unflushed, the writes queued ahead of
    // the checkpoint, so (part of) the copy is lost while pv0, pv2 and pv3 keep the checkpoint.
    faults: [
      {
        kind: "power-cut",
        at: { event: "pvmove.checkpoint", occurrence: 1 },
        policy: { kind: "keep-all" },
        perDevice: { pv1: { kind: "prefix", count: 2 } },
      },
    ],
    recovery,
    expect: { noPvmoveLeft: true, pvsEmpty: ["pv0"], lvExtents: { "vg0/lv0": 3 } },
  }),
  defineScenario({
    name: "pvmove-finish-cut-dest-cache-lost",
    description:
      "Power cut right after pvmove's finishing writes: the destination loses its whole cache while the other PVs keep the finished VG, so a finish committed before the last segment's copy was flushed leaves the LV on a destination without its data",
    tags: ["nightly", "pvmove", "power-cut", "ordering"],
    seeds: "1..8",
    pvs,
    setup,
    // Only lv0 moves, so the last segment copied holds written data.
    phases: [writes("before", 150), { lvm: "pvmove -b -n lv0 pv0 pv1" }, { wait: "background" }],
    faults: [
      {
        kind: "power-cut",
        at: { event: "pvmove.finish", occurrence: 1 },
        policy: { kind: "keep-all" },
        // The last segment's copy is a single region write here, so only dropping it all shows it.
        perDevice: { pv1: { kind: "drop-all" } },
      },
    ],
    recovery: ["vgck --updatemetadata vg0", "vgchange -ay vg0"],
    expect: { noPvmoveLeft: true, lvExtents: { "vg0/lv0": 3 } },
  }),
  defineScenario({
    name: "pvmove-writes-on-moved-segment-cut",
    description:
      "Foreground writes land on a segment pvmove already moved (checkpointed, now on the destination only), then the power fails at the next checkpoint; the resumed move must not copy that segment again from the stale source",
    tags: ["nightly", "pvmove", "power-cut", "ordering"],
    seeds: "1..8",
    pvs,
    setup,
    // The poller checkpoints every 15 s of virtual time: at 20 s the first segment is moved and
    // the second is copying, so about a third of the writes hit the moved segment.
    phases: [
      writes("before", 100),
      { lvm: "pvmove -b pv0 pv1" },
      { wait: { ns: 20_000_000_000 } },
      writes("on-moved", 150),
      { wait: "background" },
    ],
    faults: [
      { kind: "power-cut", at: { event: "pvmove.checkpoint", occurrence: 2 }, policy: { kind: "drop-all" } },
    ],
    recovery,
    expect: { noPvmoveLeft: true, pvsEmpty: ["pv0"], lvExtents: { "vg0/lv0": 3 } },
  }),
];
