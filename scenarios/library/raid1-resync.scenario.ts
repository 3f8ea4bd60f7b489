import { defineScenario } from "../define.js";
import { afterLegBlinkCut } from "./raid1.scenario.js";

const pvs = [
  { name: "pv0", size: "32MiB", profile: "sata-ssd" },
  { name: "pv1", size: "32MiB", profile: "sata-ssd" },
  { name: "pv2", size: "32MiB", profile: "sata-ssd" },
];
const base = ["pvcreate pv0 pv1 pv2", "vgcreate vg0 pv0 pv1 pv2"];
/** Sequential 64 KiB writes over a whole 16 MiB LV, so every region of the extents it leaves holds data. */
const fill = (lv: string) => ({
  workload: {
    lv,
    jobs: [{ name: `fill-${lv.split("/")[1]}`, rw: "write", bs: "64k", size: "16m", iodepth: 4 }],
  },
});
/**
 * A used disk under leg 1: an LV on pv1 is filled and removed, so the extents the raid1 gets there
 * hold other data than leg 0's. Every region the resync skips then shows as a difference.
 */
const usedLeg1 = [
  { lvm: "lvchange -ay vg0/junk" },
  fill("vg0/junk"),
  { lvm: "lvremove -y vg0/junk" },
  { lvm: "lvcreate -an -Zn --type raid1 -m 1 -R 512k -l 4 -n r vg0 pv0 pv1" },
];

export default [
  defineScenario({
    name: "raid1-resync-used-disk-power-cut",
    description:
      "A new raid1 whose leg 1 sits on extents a removed LV filled resyncs from leg 0 with no other I/O; the power fails during the resync (each seed draws which region's copy the cut follows, and how the caches resolve): after the reboot the resync resumes from the recorded checkpoint, so every region must end identical — a checkpoint recorded past what was copied and flushed leaves leg 1's old data behind",
    tags: ["nightly", "raid1", "power-cut", "ordering"],
    seeds: "1..8",
    pvs,
    setup: [...base, "lvcreate -an -Zn -l 4 -n junk vg0 pv1"],
    phases: [
      ...usedLeg1,
      { lvm: "lvchange -ay vg0/r" },
      // While the resync is held after its first region: writes, each flushed, so that none is in
      // flight at the cut and the legs may differ only where the resync has not been.
      {
        workload: {
          lv: "vg0/r",
          jobs: [
            {
              name: "held",
              rw: "randwrite",
              bs: "4k",
              size: "16m",
              number_ios: 32,
              iodepth: 1,
              fsync: 1,
              verify: "xxh64",
            },
          ],
        },
      },
      { wait: "background" },
    ],
    faults: [
      {
        kind: "sync-stall",
        mode: "stall",
        target: "vg0/r",
        at: { event: "raid.resync.step", occurrence: 1 },
        window: { durationNs: 2_000_000_000 },
      },
      { kind: "power-cut", at: { event: "raid.resync.step", occurrence: 9 }, policy: { kind: "drop-all" } },
    ],
    swarm: {
      crash: {
        event: "raid.resync.step",
        occurrence: [2, 30],
        policies: [{ kind: "drop-all" }, { kind: "subset" }, { kind: "keep-all" }],
      },
    },
    // pv2 takes no data I/O, so the unflushed metadata of the lvremove and lvcreate may be lost there
    // (LVM2 never flushes metadata): vgck rewrites it from the copy on the legs' PVs.
    recovery: ["vgck --updatemetadata vg0", "vgchange -ay vg0"],
    expect: { raidLegsIdentical: ["vg0/r"] },
    // The raid1 exists from its first superblock write on: that write's PREFLUSH makes the unflushed
    // commits of the lvremove and lvcreate durable on the legs' PVs. A cut before it (during the fill
    // of another LV, or at the set's creation) may leave the VG as it was, with no raid1 to judge.
    explore: { from: "raid.superblock.write", writes: true },
  }),
  defineScenario({
    name: "raid1-leg-loss-then-power-cut",
    description:
      "A leg of a synced raid1 fails one write (its PV blinks; each seed draws which leg) and the set runs degraded under writes; then the power fails with every cache kept: md recorded the failure in the surviving superblock, so after the reboot the returning leg recovers the regions written without it and the legs end identical",
    tags: ["nightly", "raid1", "pv-loss", "power-cut"],
    seeds: "1..8",
    pvs,
    setup: [...base, "lvcreate -an -Zn --type raid1 -m 1 -R 512k -l 4 --nosync -n r vg0 pv0 pv1"],
    phases: [
      { lvm: "lvchange -ay vg0/r" },
      {
        workload: {
          lv: "vg0/r",
          jobs: [
            {
              name: "degraded",
              rw: "randwrite",
              bs: "4k",
              size: "16m",
              number_ios: 200,
              iodepth: 4,
              fsync: 8,
              verify: "xxh64",
            },
          ],
        },
      },
    ],
    faults: [],
    swarm: {
      choose: {
        leg: ["pv0", "pv1"].map((device) => ({
          label: device,
          faults: [
            {
              kind: "pv-loss" as const,
              id: "loss",
              device,
              at: { write: 40, device },
              window: { untilEvent: "raid.leg.fail" },
            },
            // Between two requests (a raid1 write reaches every live leg at once), and with every
            // cache kept, so the legs differ only where the failed leg missed writes.
            {
              kind: "power-cut" as const,
              at: { after: "loss", edge: "cleared" as const, delayNs: 5_000_000 },
              policy: { kind: "keep-all" as const },
            },
          ],
        })),
      },
    },
    // A cut before the blink disarms it with the run; one while the PV is gone ends the blink at
    // the reboot (see afterLegBlinkCut).
    ...afterLegBlinkCut,
  }),
];
