import { defineScenario } from "../define.js";

const pvs = [
  { name: "pv0", size: "64MiB", profile: "sata-ssd" },
  { name: "pv1", size: "64MiB", profile: "sata-ssd" },
  { name: "pv2", size: "64MiB", profile: "sata-ssd" },
  { name: "pv3", size: "64MiB", profile: "sata-ssd" },
];
// lv0 gets three segments on pv0, interleaved with two small LVs, as lvextend leaves it.
export const setup = [
  "pvcreate pv0 pv1 pv2 pv3",
  "vgcreate vg0 pv0 pv1 pv2 pv3",
  "lvcreate -an -Zn -l 1 -n lv0 vg0 pv0",
  "lvcreate -an -Zn -l 1 -n gap1 vg0 pv0",
  "lvextend -l +1 vg0/lv0 pv0",
  "lvcreate -an -Zn -l 1 -n gap2 vg0 pv0",
  "lvextend -l +1 vg0/lv0 pv0",
];
const writes = (name: string, ios = 200) => ({
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
        verify: "xxh64",
      },
    ],
  },
});
const explore = {
  from: "pvmove.start",
  to: "pvmove.finish",
  writes: true,
  policy: { kind: "drop-all" as const },
};

export default [
  defineScenario({
    name: "pvmove-cut-resume",
    description:
      "Power cut at the 2nd pvmove checkpoint of a 3-segment LV under concurrent writes; after reboot vgchange -ay resumes the move from the last recorded segment",
    tags: ["nightly", "pvmove", "power-cut"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [writes("before"), { lvm: "pvmove -b pv0 pv1" }, writes("during"), { wait: "background" }],
    faults: [
      { kind: "power-cut", at: { event: "pvmove.checkpoint", occurrence: 2 }, policy: { kind: "drop-all" } },
    ],
    // Each seed draws the checkpoint the cut follows, the crash policy, and whether the foreground
    // writes run while the copy starts or once some segments have moved (so they land on moved ones).
    swarm: {
      crash: {
        event: "pvmove.checkpoint",
        occurrence: [1, 4],
        policies: [{ kind: "drop-all" }, { kind: "keep-all" }],
      },
      choose: {
        interleave: [
          { label: "writes-during-copy" },
          {
            label: "writes-after-moves",
            phases: [
              writes("before"),
              { lvm: "pvmove -b pv0 pv1" },
              { wait: { ns: 40_000_000 } },
              writes("during"),
              { wait: "background" },
            ],
          },
        ],
      },
    },
    // vgchange -ay resumes an interrupted move in the background; pvmove with the same source then
    // waits for it ("Detected pvmove in progress"), or starts it again when a cut before the setup
    // commit reached the disks lost the move altogether (LVM2 never flushes metadata writes).
    // A subset or torn cut between pvmove's two finishing commits leaves the hidden `error` LV
    // pvmove0 without PVMOVE: LVM2 neither polls nor finishes it, and `lvs -a` shows it until the
    // operator removes it, as here (elsewhere "Failed to find logical volume"; a move still
    // running is LOCKED and lvremove refuses it, so noPvmoveLeft still catches a stuck move).
    recovery: ["vgchange -ay vg0", "pvmove pv0 pv1", "lvremove vg0/pvmove0"],
    // Under subset or torn cuts (--explore --policies) the VG may come back old or new, as in LVM2.
    expect: { noPvmoveLeft: true, pvsEmpty: ["pv0"], lvExtents: { "vg0/lv0": 3 }, metadataOldOrNew: true },
    explore,
  }),
  defineScenario({
    name: "pvmove-cut-foreground-resume",
    description:
      "Power cut in the middle of a segment copy; after reboot the operator runs vgchange -ay --poll n and a bare pvmove, which finishes the move in the foreground",
    tags: ["nightly", "pvmove", "power-cut"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [writes("before"), { lvm: "pvmove -b pv0 pv1" }, writes("during"), { wait: "background" }],
    // drop-all: what was not flushed is gone, in order. (Torn and subset cuts can also persist a
    // metadata header without its text on every PV, since LVM2 never flushes between the two:
    // see metadata-unflushed-commit-torn.)
    faults: [
      { kind: "power-cut", at: { event: "mirror.resync.step", occurrence: 3 }, policy: { kind: "drop-all" } },
    ],
    // Then, as an operator does, the same pvmove again (nothing to move once it finished, or a
    // fresh start when the cut came before its setup was on disk) and any orphan pvmove0 removed.
    recovery: ["pvmove", "vgchange -ay --poll n vg0", "pvmove", "pvmove pv0 pv1", "lvremove vg0/pvmove0"],
    expect: { noPvmoveLeft: true, pvsEmpty: ["pv0"] },
    // The first bare pvmove skips the inactive LV only when a cut left the move on disk, as this
    // scenario's own cut (mid-copy) does; a cut before the move's setup or after its finish does not.
    expectAtOwnCut: { messages: ["Skipping inactive LV"] },
  }),
  defineScenario({
    name: "pvmove-cut-abort",
    description:
      "Power cut after the 1st checkpoint, then pvmove --abort: checkpointed segments stay on the destination, the rest on the source, nothing is lost",
    tags: ["nightly", "pvmove", "power-cut"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [writes("before"), { lvm: "pvmove -b pv0 pv1" }, writes("during"), { wait: "background" }],
    faults: [
      { kind: "power-cut", at: { event: "pvmove.checkpoint", occurrence: 1 }, policy: { kind: "keep-all" } },
    ],
    recovery: ["vgchange -ay --poll n vg0", "pvmove --abort"],
    expect: { noPvmoveLeft: true, lvExtents: { "vg0/lv0": 3 } },
    explore: { ...explore, to: "pvmove.checkpoint" },
  }),
  defineScenario({
    name: "pvmove-atomic-cut",
    description:
      "An --atomic pvmove cut mid-copy: after reboot it resumes as one unit and every extent ends on the destination",
    tags: ["nightly", "pvmove", "power-cut"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [
      writes("before"),
      { lvm: "pvmove -b --atomic pv0 pv2" },
      writes("during"),
      { wait: "background" },
    ],
    faults: [
      { kind: "power-cut", at: { event: "mirror.resync.step", occurrence: 4 }, policy: { kind: "drop-all" } },
    ],
    // As an operator does (and pvmove-cut-resume): activation resumes the move; running the same
    // pvmove again waits for it, or starts it when the cut came before its setup was on disk; an
    // orphan pvmove0 left between the two finishing commits is removed.
    recovery: ["vgchange -ay vg0", "pvmove --atomic pv0 pv2", "lvremove vg0/pvmove0"],
    expect: { noPvmoveLeft: true, pvsEmpty: ["pv0"] },
  }),
  defineScenario({
    name: "pvmove-two-moves-cut",
    description:
      "Two moves from different source PVs run at once; a power cut hits both, and activation resumes both",
    tags: ["nightly", "pvmove", "power-cut"],
    seeds: "1..8",
    pvs,
    setup: [
      "pvcreate pv0 pv1 pv2 pv3",
      "vgcreate vg0 pv0 pv1 pv2 pv3",
      "lvcreate -an -Zn -l 3 -n lv0 vg0 pv0",
      "lvcreate -an -Zn -l 3 -n lv1 vg0 pv1",
    ],
    phases: [
      writes("before"),
      { lvm: "pvmove -b pv0 pv2" },
      { lvm: "pvmove -b pv1 pv3" },
      writes("during"),
      { wait: "background" },
    ],
    faults: [
      { kind: "power-cut", at: { event: "mirror.resync.step", occurrence: 5 }, policy: { kind: "keep-all" } },
    ],
    // As in pvmove-atomic-cut: the same moves again (each waits for its resumed move or starts it),
    // then any orphan pvmove LV removed.
    recovery: [
      "vgchange -ay vg0",
      "pvmove pv0 pv2",
      "pvmove pv1 pv3",
      "lvremove vg0/pvmove0",
      "lvremove vg0/pvmove1",
    ],
    expect: { noPvmoveLeft: true, pvsEmpty: ["pv0", "pv1"] },
  }),
  defineScenario({
    name: "pvmove-cut-between-finish-writes",
    description:
      "Power cut between pvmove's two finishing metadata writes: the LV is on its new PV and the pvmove LV is left as the error-segment orphan LVM2 leaves, which lvs -a shows until the operator removes it",
    tags: ["nightly", "pvmove", "power-cut"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [writes("before", 100), { lvm: "pvmove pv0 pv1" }],
    // pv0 holds 5 segments (lv0's three, gap1, gap2). Metadata writes on 4 PVs: setup 1-4, four
    // checkpoints 5-20, finish write A 21-24, write B from 25. A cut as B starts (keep-all keeps A
    // on every PV) leaves LVM2's orphan: pvmove0 as an error LV, every LV already on its new PV.
    faults: [
      { kind: "power-cut", at: { event: "metadata.write", occurrence: 25 }, policy: { kind: "keep-all" } },
    ],
    // The operator looks (`lvs -a`), runs the same pvmove again (it finishes a move a cut
    // interrupted, or starts one a cut before its setup lost) and removes the orphan, as in
    // pvmove-cut-resume; elsewhere lvremove finds no pvmove0.
    recovery: ["vgchange -ay vg0", "lvs -a -o lv_name,segtype vg0", "pvmove pv0 pv1", "lvremove vg0/pvmove0"],
    expect: { lvExtents: { "vg0/lv0": 3 }, pvsEmpty: ["pv0"], noPvmoveLeft: true },
    // Only this cut, between the finishing commits, leaves pvmove0 as an `error` LV: lvs shows it so.
    expectAtOwnCut: { messages: ["[pvmove0] error"] },
  }),
  defineScenario({
    name: "pvmove-stall-then-cut",
    description:
      "Faults compose: the pvmove copy stalls, writes go on, and 50 ms into the stall the power fails; after reboot the move resumes and finishes",
    tags: ["nightly", "pvmove", "sync-stall", "power-cut"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [writes("before"), { lvm: "pvmove -b pv0 pv1" }, writes("during"), { wait: "background" }],
    faults: [
      {
        kind: "sync-stall",
        id: "stall",
        mode: "stall",
        target: "vg0/pvmove0",
        at: { event: "pvmove.start", occurrence: 1 },
        window: { durationNs: 1_000_000_000 },
      },
      { kind: "power-cut", at: { after: "stall", delayNs: 50_000_000 }, policy: { kind: "drop-all" } },
    ],
    recovery: ["vgchange -ay vg0", "pvmove pv0 pv1"],
    expect: { noPvmoveLeft: true, pvsEmpty: ["pv0"] },
  }),
];
