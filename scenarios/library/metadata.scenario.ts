import { defineScenario } from "../define.js";

const pvs = [
  { name: "pv0", size: "64MiB" },
  { name: "pv1", size: "64MiB" },
  { name: "pv2", size: "64MiB" },
];
const setup = ["pvcreate pv0 pv1 pv2", "vgcreate vg0 pv0 pv1 pv2", "lvcreate -an -Zn -l 4 -n lv0 vg0"];
const writes = {
  workload: {
    lv: "vg0/lv0",
    jobs: [{ name: "seq", rw: "write", bs: "4k", size: "1m", fsync: 16, end_fsync: 1, verify: "xxh64" }],
  },
};

// A VG whose text is large enough (48 small LVs) that its metadata ring (1020 KiB per area)
// wraps after a few dozen commits: each copy starts where the last ended, and the one that runs
// past the end continues at offset 512 (`_next_rlocn_offset`, `_write_mda_text`).
const RING_LVS = 48;
const ringSetup = [
  "pvcreate pv0 pv1",
  // 1 MiB extents: room for the 48 LVs on two 64 MiB PVs.
  "vgcreate -s 1m vg0 pv0 pv1",
  "lvcreate -an -Zn -l 4 -n lv0 vg0",
  ...Array.from({ length: RING_LVS }, (_, i) => `lvcreate -an -Zn -l 1 -n small${i} vg0`),
];
/** Tag changes enough to wrap the ring once after setup (the cut ends the run where it wraps). */
const RING_COMMITS = 80;

export default [
  defineScenario({
    name: "metadata-ring-wrap-power-cut",
    description:
      "A power cut as a VG's metadata copy wraps round its ring (continuing at offset 512): the scan must read the wrapped copy whole, or the old one, and the data LV written before and after stays intact",
    tags: ["nightly", "metadata", "power-cut"],
    seeds: "1..8",
    pvs: pvs.slice(0, 2),
    setup: ringSetup,
    phases: [
      writes,
      ...Array.from({ length: RING_COMMITS }, (_, i) => ({
        lvm: `lvchange --addtag ring${i} vg0/small${i % RING_LVS}`,
      })),
    ],
    // The cut fires at the commit of the first or the second PV's copy that wraps; a ring that
    // never wraps never fires it, and the case fails. Each seed draws which commit and how the
    // caches resolve: keep-all and subset keep the wrapped copy, so the scan after the reboot
    // reads across the wrap (and at the second commit, both PVs' copies do).
    swarm: {
      choose: {
        cut: [1, 2].flatMap((occurrence) =>
          (["keep-all", "subset", "drop-all"] as const).map((kind) => ({
            label: `wrapped-commit-${occurrence}-${kind}`,
            faults: [
              {
                kind: "power-cut" as const,
                at: { event: "metadata.commit", where: { wraps: true }, occurrence },
                policy: { kind },
              },
            ],
          })),
        ),
      },
    },
    recovery: ["vgck --updatemetadata vg0", "vgchange -ay vg0"],
    expect: { metadataOldOrNew: true, lvExtents: { "vg0/lv0": 4 } },
  }),
  defineScenario({
    name: "metadata-commit-power-cut",
    description:
      "Power cut at every step of an lvcreate's metadata commit on 3 PVs (each seed draws one or two metadata areas per PV): the scan sees the old or the new VG, and a commit that reached one PV wins",
    tags: ["nightly", "metadata", "power-cut"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [writes, { lvm: "lvcreate -an -Zn -l 2 -n new vg0" }],
    faults: [
      { kind: "power-cut", at: { event: "metadata.commit", occurrence: 2 }, policy: { kind: "subset" } },
    ],
    // Each seed draws which area's commit the cut follows, how the caches resolve, and whether
    // each PV holds one metadata area or two (`--pvmetadatacopies 2`: one at each end), so that
    // a write skipping or mixing up a PV's second area shows (`metadataConsistent` checks every area).
    swarm: {
      crash: {
        event: "metadata.commit",
        occurrence: [1, 3],
        policies: [{ kind: "subset" }, { kind: "drop-all" }, { kind: "keep-all" }],
      },
      choose: {
        copies: [
          { label: "one-mda-per-pv" },
          {
            label: "two-mdas-per-pv",
            setup: ["pvcreate --pvmetadatacopies 2 pv0 pv1 pv2", ...setup.slice(1)],
          },
        ],
      },
    },
    // LVM2 writes metadata with O_DIRECT and never flushes the disk cache, so a cut may keep the
    // old or the new VG; either way every copy must agree after vgck and the data must be intact.
    recovery: ["vgck --updatemetadata vg0", "vgchange -ay vg0"],
    // Whatever the cut keeps, the VG read back is exactly the old or the new one, by content.
    expect: { metadataOldOrNew: true },
    explore: { from: "metadata.write", writes: true, policy: { kind: "drop-all" } },
  }),
  defineScenario({
    name: "metadata-commit-first-pv-cache-lost",
    description:
      "Power cut once every PV committed an lvcreate: pv0's disk cache is lost, pv1's and pv2's persist, so the new VG is read from pv1 and must be exactly what lvcreate wrote",
    tags: ["nightly", "metadata", "power-cut"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [writes, { lvm: "lvcreate -an -Zn -l 2 -n new vg0" }],
    // Each disk has its own cache: pv0 loses everything since its last flush (the lvcreate's text
    // and headers), the others keep theirs. A commit that wrote anything but the new text to the
    // later metadata areas comes back here as a VG no command wrote.
    faults: [
      {
        kind: "power-cut",
        at: { event: "metadata.commit", occurrence: 3 },
        policy: { kind: "keep-all" },
        perDevice: { pv0: { kind: "drop-all" } },
      },
    ],
    recovery: ["vgck --updatemetadata vg0", "vgchange -ay vg0"],
    // At any cut the VG read back is one a command wrote; only this one (every PV committed, pv0's
    // copy lost) leaves the new LV behind a lower seqno on pv0 that vgck warns about.
    expect: { metadataOldOrNew: true },
    expectAtOwnCut: { lvExtents: { "vg0/new": 2 }, messages: ["WARNING: ignoring metadata seqno"] },
  }),
  defineScenario({
    name: "metadata-seqno-disagree",
    description:
      "A power cut after the first PV committed an lvextend: PVs disagree on the seqno, the highest wins, vgck --updatemetadata repairs the rest",
    tags: ["nightly", "metadata", "power-cut"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [writes, { lvm: "lvextend -l +2 vg0/lv0" }],
    faults: [
      { kind: "power-cut", at: { event: "metadata.commit", occurrence: 2 }, policy: { kind: "keep-all" } },
    ],
    recovery: ["vgck --updatemetadata vg0", "vgchange -ay vg0"],
    // The commit reached pv0 (keep-all keeps its cached writes): the highest seqno rolls forward.
    // Elsewhere the PVs agree (before or after the commit), so only this cut shows both; at every
    // cut the VG read back is one a command wrote.
    expect: { metadataOldOrNew: true },
    expectAtOwnCut: { messages: ["WARNING: ignoring metadata seqno"], lvExtents: { "vg0/lv0": 6 } },
  }),
  defineScenario({
    name: "metadata-corrupt-one-pv",
    description:
      "One PV's metadata area checksum is damaged: the other copies serve, vgck --updatemetadata rewrites it",
    tags: ["nightly", "metadata", "metadata-corruption"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [writes],
    faults: [{ kind: "metadata-corruption", scope: "one", field: "checksum", at: { write: 10 } }],
    // A crash point before the 10th write leaves the fault armed, and the first vgck's own commit
    // writes can fire it after the reboot; vgchange -ay then warns "repair VG metadata on pv0 with
    // vgck --updatemetadata", and the operator does. Harmless when the copies already agree.
    recovery: ["vgck --updatemetadata vg0", "vgchange -ay vg0", "vgck --updatemetadata vg0"],
  }),
  defineScenario({
    name: "metadata-corrupt-all-but-one",
    description:
      "The metadata text is damaged on all but one PV: the last good copy is enough to repair the VG",
    tags: ["nightly", "metadata", "metadata-corruption"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [writes],
    faults: [{ kind: "metadata-corruption", scope: "all-but-one", field: "text", at: { write: 10 } }],
    recovery: ["vgck --updatemetadata vg0", "vgchange -ay vg0"],
  }),
  defineScenario({
    name: "metadata-corrupt-every-first-mda",
    description:
      "PVs made with --pvmetadatacopies 2 have the text of their first metadata area damaged on every PV: the copies at the end of each disk still hold the VG, so the scan finds it there and vgck --updatemetadata rewrites the first areas",
    tags: ["nightly", "metadata", "metadata-corruption"],
    seeds: "1..8",
    pvs,
    setup: ["pvcreate --pvmetadatacopies 2 pv0 pv1 pv2", ...setup.slice(1)],
    phases: [writes],
    faults: [{ kind: "metadata-corruption", scope: "all", field: "text", mdaIndex: 0, at: { write: 10 } }],
    recovery: ["vgck --updatemetadata vg0", "vgchange -ay vg0"],
  }),
  defineScenario({
    name: "vgcfgrestore-after-metadata-loss",
    description:
      "Every PV's metadata text is destroyed; vgcfgrestore from the backup taken at setup brings the VG and its data back",
    tags: ["nightly", "metadata", "metadata-corruption"],
    seeds: "1..8",
    pvs,
    setup: [...setup, "vgcfgbackup -f /etc/lvm/backup/vg0 vg0"],
    phases: [writes],
    faults: [{ kind: "metadata-corruption", scope: "all", field: "text", at: { write: 10 } }],
    recovery: ["vgcfgrestore -f /etc/lvm/backup/vg0 vg0", "vgchange -ay vg0"],
  }),
  defineScenario({
    name: "metadata-unflushed-commit-torn",
    description:
      "LVM2 writes metadata text and then the header with O_DIRECT and no flush between them; a torn cut can persist a header whose text is torn (seeds 1, 2, 4, 6-8 do, on one or more PVs), and vgcfgrestore from the backup repairs every copy",
    tags: ["nightly", "metadata", "power-cut"],
    seeds: "1..8",
    pvs,
    setup: [...setup, "lvcreate -an -Zn -l 2 -n lv1 vg0", "vgcfgbackup -f /etc/lvm/backup/vg0 vg0"],
    phases: [writes, { lvm: "lvremove -f vg0/lv1" }],
    // The cut comes after every PV committed the lvremove: each cache still holds text and header.
    faults: [
      {
        kind: "power-cut",
        at: { event: "metadata.commit", occurrence: 3 },
        policy: { kind: "torn" },
      },
    ],
    recovery: ["vgcfgrestore -f /etc/lvm/backup/vg0 vg0", "vgchange -ay vg0"],
  }),
];
