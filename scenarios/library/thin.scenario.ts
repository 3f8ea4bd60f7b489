import { defineScenario } from "../define.js";
import type { ScenarioInput } from "../schema.js";

// The spare and the pool's data go to pv0 and _tmeta to pv1 (LVM2 allocates the metadata as the
// data's log area, on another PV when one fits it; real LVM2 2.03.16 made this layout, issue 20):
// data and metadata then sit behind separate write caches, as a commit that forgets to flush the
// data would show.
const pvs = [
  { name: "pv0", size: "22MiB", profile: "sata-ssd" },
  { name: "pv1", size: "64MiB", profile: "sata-ssd" },
];
const setup = (pool: string) => [
  "pvcreate pv0 pv1",
  "vgcreate vg0 pv0 pv1",
  `lvcreate -T ${pool} vg0/pool`,
  "lvcreate -V 32M -T vg0/pool -n thin",
];
const writes = (name: string, ios: number, extra: Record<string, unknown> = {}) => ({
  workload: {
    lv: "vg0/thin",
    jobs: [
      {
        name,
        rw: "randwrite",
        bs: "4k",
        size: "32m",
        number_ios: ios,
        iodepth: 4,
        fsync: 8,
        verify: "xxh64",
        ...extra,
      },
    ],
  },
});

// thin-discard: sequential 64 KiB writes, one pool block each, over [offset, offset + size).
const discardWrites = (name: string, offset: string, size: string) => ({
  workload: {
    lv: "vg0/thin",
    jobs: [
      { name, rw: "write", bs: "64k", offset, size, iodepth: 4, fsync: 8, end_fsync: 1, verify: "xxh64" },
    ],
  },
});

// thin-metadata-fill: a 2 MiB _tmeta (512 blocks, 51 of them the kernel's reserve) filled by real
// provisioning. Every thin snapshot shares the origin's mapping leaves; the writes after it shadow
// each leaf they touch, so each round pins about one more copy of the origin's leaves.
const FILL_ROUNDS = 38;
const fillWrites = (name: string, ios: number, fsync = 64) =>
  writes(name, ios, { size: "1g", fsync, do_verify: false });
const fillRounds = Array.from({ length: FILL_ROUNDS }, (_, i) => [
  { lvm: `lvcreate -s -K vg0/thin -n s${i + 1}` },
  fillWrites(`round${i + 1}`, 30),
]).flat();

/** A 4 MiB queue_if_no_space pool that fills up; `held` says what must become of the writes it held. */
function queueingPool(options: {
  name: string;
  description: string;
  phases: ScenarioInput["phases"];
  recovery?: string[];
  operator?: ScenarioInput["operator"];
  held: "resumed" | "timed-out";
}) {
  return defineScenario({
    name: options.name,
    description: options.description,
    tags: ["nightly", "thin", "out-of-space"],
    seeds: "1..8",
    pvs,
    setup: setup("-L 4M"),
    phases: options.phases,
    ...(options.operator === undefined ? {} : { operator: options.operator }),
    ...(options.recovery === undefined ? {} : { recovery: options.recovery }),
    expect: { thinChecked: ["vg0/pool"], thinPoolMode: { "vg0/pool": "write" } },
    // Only the scenario's own run fills the pool and holds writes: a cut before the pool fills
    // leaves none held, and a cut while some are held loses them with the machine (none was
    // acknowledged), so the rebooted pool holds none either.
    expectAtOwnCut: { thinHeldWrites: { "vg0/pool": options.held } },
  });
}

export default [
  defineScenario({
    name: "thin-provision-crash",
    description:
      "Power cut while a thin LV provisions blocks: every mapping a flush committed survives with its data, uncommitted provisioning is lost cleanly, and the pool metadata passes the thin_check recount",
    tags: ["nightly", "thin", "power-cut"],
    seeds: "1..8",
    pvs,
    setup: setup("-L 16M"),
    phases: [writes("provision", 300)],
    faults: [
      { kind: "power-cut", at: { event: "thin.provision", occurrence: 60 }, policy: { kind: "subset" } },
    ],
    recovery: ["vgchange -ay vg0"],
    explore: { from: "thin.provision", to: "thin.commit", writes: true, policy: { kind: "drop-all" } },
    expect: { thinChecked: ["vg0/pool"] },
  }),
  defineScenario({
    name: "thin-commit-crash",
    description:
      "Power cut right after a pool commit wrote its superblock, before the final flush: the superblock is old or new, and either way every block it points to was flushed first",
    tags: ["nightly", "thin", "power-cut"],
    seeds: "1..8",
    pvs,
    setup: setup("-L 16M"),
    phases: [writes("provision", 200)],
    faults: [
      {
        kind: "power-cut",
        at: { event: "thin.commit.superblock-written", occurrence: 6 },
        policy: { kind: "subset" },
      },
    ],
    recovery: ["vgchange -ay vg0"],
    expect: { thinChecked: ["vg0/pool"] },
  }),
  defineScenario({
    name: "thin-snapshot-crash",
    description:
      "Power cut while an origin breaks sharing with its thin snapshot: the snapshot keeps the origin's old blocks, the origin keeps every flushed write, and the shared reference counts add up",
    tags: ["nightly", "thin", "snapshot", "power-cut"],
    seeds: "1..8",
    pvs,
    setup: setup("-L 16M"),
    phases: [writes("before", 150), { lvm: "lvcreate -s -K vg0/thin -n snap" }, writes("after", 150)],
    faults: [
      { kind: "power-cut", at: { event: "thin.provision", occurrence: 200 }, policy: { kind: "subset" } },
    ],
    recovery: ["vgchange -ay vg0"],
    expect: { thinChecked: ["vg0/pool"] },
  }),
  defineScenario({
    name: "thin-data-full",
    description:
      "Random writes fill a thin pool's data space under load: the pool goes out_of_data_space, further provisioning fails with ENOSPC (error_if_no_space), and every acknowledged write is intact",
    tags: ["nightly", "thin", "out-of-space"],
    seeds: "1..8",
    pvs,
    setup: setup("--errorwhenfull y -L 4M"),
    phases: [writes("fill", 400)],
    expect: { thinChecked: ["vg0/pool"] },
    // A pool goes out_of_data_space only when a provision finds no free block: a cut before the
    // pool fills leaves free blocks, and a full pool reactivated after a cut is in write mode until
    // its next provision fails (dm-thin keeps no mode on disk).
    expectAtOwnCut: { thinPoolMode: { "vg0/pool": "out-of-data-space" } },
  }),
  defineScenario({
    name: "thin-discard",
    description:
      "A 4 MiB thin pool filled to 75%, then 2 MiB of the thin LV discarded: the pool unmaps those 32 whole blocks, drops their data reference counts and the commit returns them (Data% falls to 25%); the discarded range reads as zeros, writes that need the freed blocks fit (error_if_no_space would fail them otherwise), and every acknowledged write is intact",
    tags: ["nightly", "thin", "discard"],
    seeds: "1..8",
    pvs,
    setup: setup("--errorwhenfull y -L 4M"),
    phases: [
      discardWrites("fill", "0", "3m"),
      { lvm: "lvs --noheadings -o lv_name,data_percent vg0/pool" },
      { discard: { lv: "vg0/thin", offset: "0", length: "2m" } },
      { lvm: "lvs --noheadings -o lv_name,data_percent vg0/pool" },
      discardWrites("refill", "8m", "2560k"),
      { lvm: "lvs --noheadings -o lv_name,data_percent vg0/pool" },
    ],
    expect: { thinChecked: ["vg0/pool"], thinPoolMode: { "vg0/pool": "write" } },
    // The phases' lvs print Data% only when the run reaches them: a cut stops the phases.
    expectAtOwnCut: { messages: ["pool 75.00", "pool 25.00", "pool 87.50"] },
  }),
  defineScenario({
    name: "thin-zeroing-reuses-blocks",
    description:
      "A zeroing thin pool (the default) that does not pass discards down fills 48 of its 64 blocks, a discard returns 32, then 4 KiB writes provision blocks the pool hands out again: the rest of each newly provisioned block must read as zeros, never as the discarded data it held, and every block of the thin LV is read back to show it",
    tags: ["nightly", "thin", "discard"],
    seeds: "1..8",
    pvs,
    // nopassdown: the discard leaves the freed blocks' old data on the PV for the reuse to find.
    setup: setup("--errorwhenfull y --discards nopassdown -L 4M"),
    // One verify unit (4 KiB) for every job on the LV: the fill writes 4 KiB blocks too.
    phases: [
      {
        workload: {
          lv: "vg0/thin",
          jobs: [
            {
              name: "fill",
              rw: "write",
              bs: "4k",
              size: "3m",
              iodepth: 4,
              fsync: 32,
              end_fsync: 1,
              verify: "xxh64",
            },
          ],
        },
      },
      { discard: { lv: "vg0/thin", offset: "0", length: "2m" } },
      {
        workload: {
          lv: "vg0/thin",
          jobs: [
            {
              name: "partial",
              rw: "randwrite",
              bs: "4k",
              offset: "8m",
              size: "2m",
              number_ios: 96,
              iodepth: 4,
              fsync: 8,
              verify: "xxh64",
            },
          ],
        },
      },
    ],
    expect: { thinChecked: ["vg0/pool"], thinPoolMode: { "vg0/pool": "write" }, thinZeroed: ["vg0/thin"] },
  }),
  defineScenario({
    name: "thin-discard-crash",
    description:
      "Power cut while writes reuse the blocks a discard returned to the pool: the discarded range reads as zeros or as the new writes, every flushed write survives, and thin_check's recount of the reused blocks adds up",
    tags: ["nightly", "thin", "discard", "power-cut"],
    seeds: "1..8",
    pvs,
    setup: setup("--errorwhenfull y -L 4M"),
    phases: [
      discardWrites("fill", "0", "3m"),
      { discard: { lv: "vg0/thin", offset: "0", length: "2m" } },
      discardWrites("refill", "8m", "2560k"),
    ],
    faults: [
      { kind: "power-cut", at: { event: "thin.provision", occurrence: 70 }, policy: { kind: "subset" } },
    ],
    recovery: ["vgchange -ay vg0"],
    expect: { thinChecked: ["vg0/pool"], thinPoolMode: { "vg0/pool": "write" } },
  }),
  defineScenario({
    name: "thin-fio-trimwrite-crash",
    description:
      "fio rw=randtrimwrite over 2 MiB of a 75%-full 4 MiB pool: each 64 KiB trim unmaps one whole pool block and the write of the same range provisions afresh, so the pool has room only if the trims return their blocks; the power fails part way: trimmed ranges read as their old data, zeros or the new writes, every flushed write survives, and thin_check's recount adds up",
    tags: ["nightly", "thin", "discard", "power-cut"],
    seeds: "1..4",
    pvs,
    setup: setup("--errorwhenfull y -L 4M"),
    phases: [
      discardWrites("fill", "0", "3m"),
      {
        workload: {
          lv: "vg0/thin",
          jobs: [
            {
              name: "trimwrite",
              rw: "randtrimwrite",
              bs: "64k",
              size: "2m",
              iodepth: 4,
              fsync: 4,
              end_fsync: 1,
              verify: "xxh64",
            },
          ],
        },
      },
      { lvm: "lvs --noheadings -o lv_name,data_percent vg0/pool" },
    ],
    // fill provisions 48 blocks; the 16th write of the trimwrite job needs a block a trim returned.
    faults: [
      { kind: "power-cut", at: { event: "thin.provision", occurrence: 70 }, policy: { kind: "subset" } },
    ],
    recovery: ["vgchange -ay vg0"],
    expect: { thinChecked: ["vg0/pool"], thinPoolMode: { "vg0/pool": "write" } },
  }),
  defineScenario({
    name: "thin-discard-reuse-cut",
    description:
      "A discard with no flush after it frees 32 blocks of a full thin LV in the pool's open transaction; another thin LV then needs more blocks than the pool has free at its last commit, and the power fails before any flush: a block freed in the open transaction may be handed out only after the commit that frees it (the pool commits first), so after the cut the discarded range reads as its old data or zeros, never as the other LV's writes",
    tags: ["nightly", "thin", "discard", "power-cut"],
    seeds: "1..8",
    pvs,
    setup: [...setup("--errorwhenfull y -L 4M"), "lvcreate -V 32M -T vg0/pool -n other"],
    phases: [
      discardWrites("fill", "0", "3m"),
      { discard: { lv: "vg0/thin", offset: "0", length: "2m", flush: false } },
      // 40 blocks with no flush: the 16 free at the last commit, then 24 of the 32 just freed.
      {
        workload: {
          lv: "vg0/other",
          jobs: [{ name: "refill", rw: "write", bs: "64k", size: "2560k", iodepth: 4, verify: "xxh64" }],
        },
      },
    ],
    // fill provisions 48 blocks; refill's 22nd provision is among those that need a freed block.
    faults: [
      { kind: "power-cut", at: { event: "thin.provision", occurrence: 70 }, policy: { kind: "keep-all" } },
    ],
    recovery: ["vgchange -ay vg0"],
    expect: { thinChecked: ["vg0/pool"], thinPoolMode: { "vg0/pool": "write" } },
  }),
  defineScenario({
    name: "thin-discard-under-snapshot",
    description:
      "A thin snapshot shares every block of its origin; 1 MiB of the origin is then discarded: the pool unmaps those blocks from the origin only, each keeps the snapshot's reference (thin_check's recount agrees), writes after it take other blocks, and the snapshot still reads the origin as it was",
    tags: ["nightly", "thin", "discard"],
    seeds: "1..8",
    pvs,
    setup: setup("--errorwhenfull y -L 4M"),
    phases: [
      discardWrites("fill", "0", "1m"),
      { lvm: "lvcreate -s -K vg0/thin -n snap" },
      { discard: { lv: "vg0/thin", offset: "0", length: "1m" } },
      discardWrites("refill", "8m", "2m"),
    ],
    expect: { thinChecked: ["vg0/pool"], thinPoolMode: { "vg0/pool": "write" } },
  }),
  defineScenario({
    name: "thin-repair",
    description:
      'A bit flips in the inactive pool\'s space map: activation fails with "Manual repair required!", lvconvert --repair rebuilds the metadata with thin_repair into the spare (the damaged copy kept as pool_meta0), and the origin and its thin snapshot read back every acknowledged write',
    tags: ["nightly", "thin", "repair", "metadata-corruption"],
    seeds: "1..8",
    pvs,
    setup: setup("-L 16M"),
    phases: [
      writes("before", 100),
      { lvm: "lvcreate -s -K vg0/thin -n snap" },
      writes("after", 100),
      { lvm: "vgchange -an vg0" },
      { lvm: "vgchange -ay vg0", expectExit: 5 },
    ],
    faults: [
      {
        kind: "thin-metadata-corruption",
        pool: "vg0/pool",
        structure: "space-map",
        at: { event: "thin.pool.close", occurrence: 1 },
      },
    ],
    recovery: ["lvconvert --repair vg0/pool", "vgchange -ay vg0"],
    expect: {
      thinChecked: ["vg0/pool"],
      segtypes: { "vg0/pool_meta0": ["linear"] },
      messages: ["holds a backup of the unrepaired metadata"],
    },
  }),
  defineScenario({
    name: "thin-autoextend",
    description:
      "Random writes fill a 4 MiB thin pool with thin_pool_autoextend_threshold=70: the kernel's low-water event makes dmeventd run lvextend --use-policies, the pool grows before it is full, and no write ever fails for space",
    tags: ["nightly", "thin", "out-of-space", "autoextend"],
    seeds: "1..8",
    pvs,
    setup: [
      "pvcreate pv0 pv1",
      "vgcreate vg0 pv0 pv1",
      "lvcreate -T -L 4M --config 'activation/thin_pool_autoextend_threshold=70 activation/thin_pool_autoextend_percent=50' vg0/pool",
      "lvcreate -V 32M -T vg0/pool -n thin",
    ],
    phases: [writes("fill", 300)],
    expect: { thinChecked: ["vg0/pool"], thinPoolMode: { "vg0/pool": "write" } },
  }),
  defineScenario({
    name: "thin-metadata-full",
    description:
      "The pool's metadata runs out while provisioning: dm-thin aborts the transaction, writes needs_check and goes read-only (writes needing a block fail, mapped data stays readable and writable); activation still works read-only, and lvconvert --repair brings back every acknowledged write with the pool writable",
    tags: ["nightly", "thin", "out-of-space", "repair"],
    seeds: "1..8",
    pvs,
    setup: setup("-L 16M"),
    phases: [
      writes("fill", 200),
      { lvm: "lvs --noheadings -o lv_name,lv_attr vg0/pool" },
      { lvm: "vgchange -an vg0" },
      { lvm: "vgchange -ay vg0" },
      // Reactivated, the pool is still read-only: NEEDS_CHECK was written to its superblock.
      { lvm: "lvs --noheadings -o lv_attr,lv_name vg0/pool" },
      { lvm: "vgchange -an vg0" },
    ],
    faults: [
      {
        kind: "thin-metadata-exhaustion",
        pool: "vg0/pool",
        freeBlocks: 0,
        at: { event: "thin.commit", occurrence: 4 },
      },
    ],
    recovery: ["lvconvert --repair vg0/pool", "vgchange -ay vg0"],
    expect: {
      thinChecked: ["vg0/pool"],
      thinPoolMode: { "vg0/pool": "write" },
      messages: ["holds a backup of the unrepaired metadata"],
    },
    // Only the metadata exhaustion sets needs_check; an explored cut replaces that fault, and the
    // phases' lvs that show it do not run after a cut.
    // State c: the live pool's metadata has needs_check (`lv_attr_dup_with_info_and_seg_status`).
    expectAtOwnCut: { messages: ["pool twi-cotzM-", "twi-cotzM- pool"] },
  }),
  // A pool with the default queue_if_no_space fills up; what becomes of the writes it holds.
  queueingPool({
    name: "thin-data-full-queue",
    description:
      "A pool with the default queue_if_no_space fills up and nobody grows it: writes needing a block are held, fail with ENOSPC exactly no_space_timeout (60 s) after the pool filled (the pool switches to error IO), later ones fail at once, existing data stays intact, and lvextend of the pool makes it writable again with nothing lost",
    phases: [writes("fill", 300), { wait: { ns: 61_000_000_000 } }, writes("after-timeout", 20)],
    recovery: ["lvextend -L +8M vg0/pool"],
    held: "timed-out",
  }),
  queueingPool({
    name: "thin-data-full-grow",
    description:
      "A pool with the default queue_if_no_space fills up under load and the operator extends it 5 s later, inside no_space_timeout: the writes held meanwhile are resumed and complete, the workload finishes, and no acknowledged write is lost",
    phases: [writes("fill", 300)],
    operator: [
      {
        on: { event: "thin.pool.mode", occurrence: 1 },
        afterNs: 5_000_000_000,
        lvm: "lvextend -L +24M vg0/pool",
      },
    ],
    held: "resumed",
  }),
  defineScenario({
    name: "thin-metadata-fill",
    description:
      'Real provisioning fills a 2 MiB pool metadata device: thin snapshots of an origin that keeps writing pin copies of its mapping leaves until a commit finds no free metadata blocks beyond the kernel\'s reserve ("No free metadata blocks"); the pool goes out-of-metadata-space (lv_attr M, writes needing a block fail, snapshots are refused: "has read-only metadata"), and lvextend --poolmetadatasize makes it writable again with every acknowledged write intact',
    tags: ["nightly", "thin", "out-of-space"],
    seeds: "1",
    pvs: [{ name: "pv0", size: "256MiB", profile: "nvme" }],
    setup: [
      "pvcreate pv0",
      "vgcreate -s 1M vg0 pv0",
      "lvcreate -T -L 200M -c 64k -Zn --poolmetadatasize 2M vg0/pool",
      "lvcreate -V 1G -T vg0/pool -n thin",
    ],
    phases: [
      fillWrites("base", 1500),
      ...fillRounds,
      // The last round writes on, with no flush to commit, past the point where the metadata is
      // full: only the kernel's own commit before it spends the reserve stops it there.
      { lvm: "lvcreate -s -K vg0/thin -n last" },
      fillWrites("last", 400, 0),
      { lvm: "lvs --noheadings -o lv_name,lv_attr,metadata_percent vg0/pool" },
      { lvm: "lvcreate -s -K vg0/thin -n late", expectExit: 5 },
    ],
    recovery: ["lvextend --poolmetadatasize +2M vg0/pool", "lvs --noheadings -o lv_name,lv_attr vg0/pool"],
    expect: { thinChecked: ["vg0/pool"], thinPoolMode: { "vg0/pool": "write" } },
    // Only the run past its last round fills the metadata, and the phases that show it do not run
    // after a cut. The recovery's lvs shows the pool active only in the own run (no reboot); after a
    // cut the pool comes back inactive and the read-back activates it.
    expectAtOwnCut: {
      thinMetadataReserveKept: ["vg0/pool"],
      messages: ["pool twi-aot-M- 100.00", "has read-only metadata", "pool twi-aot---"],
    },
  }),
];
