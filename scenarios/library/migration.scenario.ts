import { defineScenario } from "../define.js";

/**
 * The usual disk migrations `lvmlab rehearse` rehearses (scenarios/rehearse/plans/), as nightly
 * regression cases of the recovery the rehearsal recommends: vg0 has lv_home on the old disk pv0
 * and lv_db across pv1 and pv0; the plan adds pv2, moves pv0 onto it under writes, and takes pv0
 * out. A power cut lands in the pvmove; the operator recovers and finishes the plan.
 */
const setup = [
  "pvcreate pv0 pv1",
  "vgcreate vg0 pv0 pv1",
  "lvcreate -an -Zn -l 2 -n lv_home vg0 pv0",
  "lvcreate -an -Zn -l 1 -n lv_db vg0 pv1",
  "lvextend -l +1 vg0/lv_db pv0",
];
const writes = (name: string, lv: string) => ({
  workload: {
    lv,
    jobs: [
      { name, rw: "randwrite", bs: "4k", size: "8m", number_ios: 96, iodepth: 4, fsync: 8, verify: "xxh64" },
    ],
  },
});
const plan = [
  writes("home-before", "vg0/lv_home"),
  writes("db-before", "vg0/lv_db"),
  { lvm: "vgextend vg0 pv2" },
  { lvm: "pvmove -b pv0 pv2" },
  writes("home-during", "vg0/lv_home"),
  { wait: "background" as const },
  { lvm: "vgreduce vg0 pv0" },
  { lvm: "pvremove pv0" },
];
const finish = ["vgreduce vg0 pv0", "pvremove pv0"];
const expect = { noPvmoveLeft: true, lvExtents: { "vg0/lv_home": 2, "vg0/lv_db": 2 } };

/** One migration: the three disks' profiles, where the cut lands, and the operator's recovery. */
function migration(options: {
  readonly name: string;
  readonly description: string;
  readonly profiles: readonly [string, string, string];
  readonly newDiskSize?: string;
  readonly cutAt: { readonly event: string; readonly occurrence: number };
  readonly phases?: typeof plan;
  readonly recovery: readonly string[];
}) {
  return defineScenario({
    name: options.name,
    description: options.description,
    tags: ["nightly", "pvmove", "power-cut", "migration"],
    seeds: "1..8",
    pvs: options.profiles.map((profile, i) => ({
      name: `pv${i}`,
      size: i === 2 ? (options.newDiskSize ?? "32MiB") : "32MiB",
      profile,
    })),
    setup,
    phases: [...(options.phases ?? plan)],
    faults: [{ kind: "power-cut", at: options.cutAt, policy: { kind: "keep-all" } }],
    recovery: [...options.recovery, ...finish],
    expect,
  });
}

export default [
  migration({
    name: "migrate-replace-failing-disk",
    description:
      "Replace a disk (hdd → hdd): a power cut at a pvmove checkpoint under writes; vgchange -ay and pvmove resume the move, then the plan finishes and every LV verifies",
    profiles: ["hdd", "hdd", "hdd"],
    cutAt: { event: "pvmove.checkpoint", occurrence: 1 },
    recovery: ["vgchange -ay vg0", "pvmove pv0 pv2"],
  }),
  migration({
    name: "migrate-hdd-to-ssd-abort",
    description:
      "HDD → SSD: a power cut while pvmove copies; pvmove --abort leaves copied segments on the SSD, the move runs again and the plan finishes",
    profiles: ["hdd", "hdd", "sata-ssd"],
    cutAt: { event: "mirror.resync.step", occurrence: 3 },
    recovery: ["vgchange -ay --poll n vg0", "pvmove --abort", "pvmove pv0 pv2"],
  }),
  migration({
    name: "migrate-local-to-san-restore",
    description:
      "Local disk → SAN LUN (non-volatile cache): a power cut at the pvmove's first metadata commit; vgcfgrestore of the backup taken before the move, then the move runs again",
    profiles: ["sata-ssd", "sata-ssd", "custom:bw=400MiB,rlat=300us,wlat=250us,flat=100us,par=16,cache=off"],
    newDiskSize: "64MiB",
    cutAt: { event: "pvmove.start", occurrence: 1 },
    phases: [...plan.slice(0, 3), { lvm: "vgcfgbackup -f /root/before-pvmove.vg vg0" }, ...plan.slice(3)],
    recovery: ["vgcfgrestore -f /root/before-pvmove.vg vg0", "vgchange -ay vg0", "pvmove pv0 pv2"],
  }),
];
