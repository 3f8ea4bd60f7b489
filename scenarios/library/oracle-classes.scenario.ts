import { defineScenario } from "../define.js";

const pvs = [
  { name: "pv0", size: "32MiB" },
  { name: "pv1", size: "32MiB" },
];
const setup = ["pvcreate pv0 pv1", "vgcreate vg0 pv0 pv1", "lvcreate -an -Zn -l 4 -n lv0 vg0 pv0"];
// 1 MiB of sequential 4 KiB writes from the start of lv0, flushed; then the same range again.
const pass = (name: string) => ({
  workload: {
    lv: "vg0/lv0",
    jobs: [{ name, rw: "write", bs: "4k", size: "1m", fsync: 16, end_fsync: 1, verify: "xxh64" }],
  },
});

export default [
  defineScenario({
    name: "flakey-dropped-overwrites-lost",
    description:
      "dm-flakey style: pv0 silently drops writes while the flushed first pass is overwritten; the dropped overwrites leave the older generation in place, which the oracle must report lost (a flushed write vanished), not stale",
    tags: ["nightly", "silent-damage", "flakey", "oracle"],
    seeds: "1..8",
    pvs,
    setup,
    // Writes 1-256 are the first pass; the drop window opens at the 300th, inside the second.
    phases: [pass("first"), pass("overwrite")],
    faults: [
      {
        kind: "flakey",
        device: "pv0",
        upNs: 0,
        downNs: 1_000_000_000,
        dropWrites: true,
        at: { write: 300 },
        window: { durationNs: 1_000_000 },
      },
    ],
    // Nothing but lost blocks: an older generation where a newer one was flushed is lost. Detecting
    // them is the own run's job; a crash point before the drop window opens has none to detect, one
    // after it must tolerate them (and still nothing stale, torn or corrupt).
    expect: { tolerates: ["lost"] },
    expectAtOwnCut: { detects: ["lost"] },
  }),
  defineScenario({
    name: "linear-power-cut-torn-required",
    description:
      "Power cut after 59 unflushed 16 KiB writes with the torn policy: some write must come back torn sector by sector, and the oracle must see it (a torn cut that tears nothing tests nothing)",
    tags: ["nightly", "linear", "power-cut", "torn", "oracle"],
    seeds: "1..8",
    pvs,
    setup,
    phases: [
      {
        workload: {
          lv: "vg0/lv0",
          jobs: [
            {
              name: "unflushed",
              rw: "randwrite",
              bs: "16k",
              size: "8m",
              number_ios: 80,
              iodepth: 4,
              fsync: 64,
              verify: "xxh64",
            },
          ],
        },
      },
    ],
    // Each unflushed write is dropped, kept or torn with equal odds, so with 59 of them a tear
    // is all but certain ((2/3)^59 < 1e-10 to miss); every seed must show one.
    faults: [{ kind: "power-cut", at: { write: 60 }, policy: { kind: "torn" } }],
    recovery: ["vgchange -ay vg0"],
    // Only this cut (torn, 59 writes unflushed) must tear; an explored drop-all cut tears nothing.
    expectAtOwnCut: { detects: ["torn"] },
  }),
];
