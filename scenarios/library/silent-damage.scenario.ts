import { defineScenario } from "../define.js";

const pvs = [
  { name: "pv0", size: "64MiB" },
  { name: "pv1", size: "64MiB" },
];
const setup = ["pvcreate pv0 pv1", "vgcreate vg0 pv0 pv1", "lvcreate -an -Zn -l 4 -n lv0 vg0"];
// 1 MiB of sequential 4 KiB writes from the start of lv0, i.e. PV bytes 1 MiB..2 MiB of pv0.
const seq = {
  workload: {
    lv: "vg0/lv0",
    jobs: [{ name: "seq", rw: "write", bs: "4k", size: "1m", fsync: 16, end_fsync: 1, verify: "xxh64" }],
  },
};
const reread = {
  workload: {
    lv: "vg0/lv0",
    jobs: [{ name: "seq2", rw: "write", bs: "4k", offset: "2m", size: "256k", fsync: 16, verify: "xxh64" }],
  },
};

// 16 latent sector errors drawn under the 1 MiB `seq` writes (pv0's sectors 2048..4095).
const underSeq = {
  kind: "latent-sector-errors",
  device: "pv0",
  count: 16,
  rangeStartSector: 2048,
  rangeSectors: 2048,
} as const;
// The same 1 MiB again with other data: every sector of it is written once more.
const rewrite = {
  workload: {
    lv: "vg0/lv0",
    jobs: [{ name: "rewrite", rw: "write", bs: "4k", size: "1m", fsync: 16, end_fsync: 1, verify: "xxh64" }],
  },
};

export default [
  defineScenario({
    name: "bit-rot-detected",
    description:
      "Bits rot at rest in written data on pv0: the oracle reports corrupt blocks, never silently returns them",
    tags: ["nightly", "silent-damage", "bit-rot"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [seq, reread],
    faults: [
      {
        kind: "bit-rot",
        device: "pv0",
        offsetBytes: 1048576,
        lengthBytes: 262144,
        bits: 8,
        at: { write: 300 },
      },
    ],
    // Rot at rest is the fault's damage: detecting it is the own run's job; a crash point before
    // the rot fires has none to detect, one after it must tolerate it (and still lose nothing else).
    expect: { tolerates: ["corrupt"] },
    expectAtOwnCut: { detects: ["corrupt"] },
  }),
  defineScenario({
    name: "misdirected-write-detected",
    description:
      "A write lands at another offset: the block it hit is reported misdirected, not returned as valid data",
    tags: ["nightly", "silent-damage", "misdirected-write"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [seq],
    faults: [{ kind: "misdirected-write", device: "pv0", targetOffsetBytes: 1052672, at: { write: 200 } }],
    // The misdirected write is the fault's damage: detecting it is the own run's job; a crash point
    // before the fault fires has none to detect, one after it must tolerate it.
    expect: { tolerates: ["misdirected", "lost", "stale"] },
    expectAtOwnCut: { detects: ["misdirected"] },
  }),
  defineScenario({
    name: "torn-write-detected",
    description: "A 16 KiB write reaches the media only in part: the block is reported torn",
    tags: ["nightly", "silent-damage", "torn-write"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [
      {
        workload: {
          lv: "vg0/lv0",
          jobs: [
            {
              name: "seq16",
              rw: "write",
              bs: "16k",
              size: "1m",
              fsync: 8,
              end_fsync: 1,
              verify: "xxh64",
              verify_interval: "4k",
            },
          ],
        },
      },
    ],
    faults: [
      { kind: "torn-write", device: "pv0", pattern: "prefix", keepSectors: [0, 1, 2, 3], at: { write: 40 } },
    ],
    // The torn write is the fault's damage: detecting it is the own run's job; a crash point before
    // the fault fires has none to detect, one after it must tolerate it.
    expect: { tolerates: ["torn", "lost", "stale"] },
    expectAtOwnCut: { detects: ["torn"] },
  }),
  defineScenario({
    name: "latent-sector-errors-detected",
    description:
      "Latent sector errors appear under written data: reads fail with EIO and the blocks are reported unreadable",
    tags: ["nightly", "silent-damage", "latent-sector-errors"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [seq, reread],
    faults: [{ ...underSeq, healOnWrite: false, at: { write: 300 } }],
    // The bad sectors are the fault's damage: detecting them is the own run's job; a crash point
    // before the fault fires has none to detect, one after it must tolerate them.
    expect: { tolerates: ["unreadable"] },
    expectAtOwnCut: { detects: ["unreadable"] },
  }),
  defineScenario({
    name: "latent-sector-errors-healed",
    description:
      "Latent sector errors appear under written data while the LV is idle; rewriting the data heals every bad sector (the drive remaps a sector on write, as dm-dust does), so all of it reads back",
    tags: ["nightly", "silent-damage", "latent-sector-errors"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [seq, { wait: { ns: 1_000_000_000 } }, rewrite],
    faults: [
      {
        ...underSeq,
        healOnWrite: true,
        // In the idle second between the two writes (the first takes ~8 ms of virtual time): the
        // real run fires it once the wait is over, before the rewrite.
        at: { timeNs: 500_000_000 },
      },
    ],
    // The bad sectors are on the media, so a cut during the rewrite leaves those it had not yet
    // rewritten, and their blocks read EIO after the reboot; a cut before the errors appear leaves
    // none (the fault belonged to the run the cut ended). The own run rewrites every sector, so
    // there none may be left: the check that catches a drive that never heals.
    expect: { tolerates: ["unreadable"] },
    expectAtOwnCut: { damageAbsent: ["unreadable"] },
  }),
  defineScenario({
    name: "flakey-dropped-writes-detected",
    description:
      "dm-flakey style: pv0 silently drops writes while down; the acknowledged writes it dropped are reported lost",
    tags: ["nightly", "silent-damage", "flakey"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [seq],
    faults: [
      {
        kind: "flakey",
        device: "pv0",
        upNs: 0,
        downNs: 1_000_000_000,
        dropWrites: true,
        at: { write: 50 },
        window: { durationNs: 1_000_000 },
      },
    ],
    // The dropped writes are the fault's damage: detecting them is the own run's job; a crash point
    // before the drop window opens has none to detect, one after it must tolerate them.
    expect: { tolerates: ["lost", "stale"] },
    expectAtOwnCut: { detects: ["lost"] },
  }),
];
