import { describe, expect, it } from "vitest";
import { benchResults, benchScript, type GuestBenchPlan, parseFioTerse } from "../../real/bench-script.js";
import { parseTranscript } from "../../real/transcript.js";

/** A fio terse v3 line (166 fields, as fio 3.33 prints) with the given read and write figures. */
function terse(
  job: string,
  w: { kib: number; iops: number; ms: number },
  r = { kib: 0, iops: 0, ms: 0 },
  error = 0,
) {
  const f = Array.from({ length: 166 }, () => "0");
  f[0] = "3";
  f[1] = "fio-3.33";
  f[2] = job;
  f[4] = String(error);
  [f[5], f[7], f[8]] = [String(r.kib), String(r.iops), String(r.ms)];
  [f[46], f[48], f[49]] = [String(w.kib), String(w.iops), String(w.ms)];
  return f.join(";");
}

const PLAN: GuestBenchPlan = {
  pvs: [
    { name: "pv0", sizeBytes: 64 << 20 },
    { name: "pv1", sizeBytes: 64 << 20 },
  ],
  setup: ["pvcreate -y pv0 pv1", "vgcreate bench pv0 pv1"],
  cells: [
    {
      config: "linear",
      workload: "randwrite-4k-qd32",
      setup: ["lvcreate -y -L 24m -n lv bench pv0"],
      fio: "fio --minimal --name=randwrite-4k-qd32 --filename=/dev/mapper/bench-lv",
      teardown: ["lvremove -y -f bench"],
    },
    {
      config: "mirror-2leg-core",
      workload: "randwrite-4k-qd32",
      setup: ["lvcreate -y --type mirror -m 1 -L 24m -n lv bench pv0 pv1"],
      fio: "fio --minimal --name=randwrite-4k-qd32 --filename=/dev/mapper/bench-lv",
      teardown: ["lvremove -y -f bench"],
    },
  ],
};

/** The marked lines a guest prints for the plan, each step exiting with `exit(label)`. */
function transcriptLines(exit: (label: string) => number | undefined, fioOut: string[]): string[] {
  const labels = ["bench.setup.0", "bench.setup.1"];
  PLAN.cells.forEach((_, i) => {
    labels.push(`cell.${i}.setup.0`, `cell.${i}.fio`, `cell.${i}.teardown.0`);
  });
  return labels.flatMap((l) => {
    const code = exit(l);
    const out = l.endsWith(".fio") ? [`@@LVMLAB OUT ${l} ${fioOut[Number(l.split(".")[1])]}`] : [];
    return [`@@LVMLAB CMD ${l} x`, ...out, ...(code === undefined ? [] : [`@@LVMLAB EXIT ${l} ${code}`])];
  });
}

describe("real benchmark guest script", () => {
  it("builds, measures and tears down every cell with PV names turned into the guest's devices", () => {
    const script = benchScript(PLAN);
    expect(script).toContain(': "$' + '{D_pv0:=/dev/vdb}"');
    expect(script).toContain('dmsetup create pv0 --table "0 131072 linear $D_pv0 0"');
    expect(script).toContain('dmsetup create pv1 --table "0 131072 linear $D_pv1 0"');
    expect(script).toContain("lvmlab_run bench.setup.1 vgcreate bench /dev/mapper/pv0 /dev/mapper/pv1");
    const order = [
      "lvmlab_run cell.0.setup.0 lvcreate -y -L 24m -n lv bench /dev/mapper/pv0",
      "lvmlab_run cell.0.fio fio --minimal",
      "lvmlab_run cell.0.teardown.0 lvremove -y -f bench",
      "lvmlab_run cell.1.setup.0 lvcreate -y --type mirror -m 1 -L 24m -n lv bench /dev/mapper/pv0 /dev/mapper/pv1",
      "lvmlab_run cell.1.fio fio",
    ].map((s) => script.indexOf(s));
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(() => benchScript({ ...PLAN, cells: [] })).toThrow(/no cells/);
  });

  it("parses fio's terse v3 fields", () => {
    const job = parseFioTerse(
      terse("mix", { kib: 600, iops: 75, ms: 2000 }, { kib: 1400, iops: 175, ms: 1990 }),
    );
    expect(job).toEqual({
      job: "mix",
      error: 0,
      readKib: 1400,
      readIops: 175,
      readRuntimeMs: 1990,
      writeKib: 600,
      writeIops: 75,
      writeRuntimeMs: 2000,
    });
    expect(() => parseFioTerse("fio: some error")).toThrow(/not a fio terse v3 line/);
    expect(() => parseFioTerse(terse("x", { kib: -1, iops: 1, ms: 1 }))).toThrow(/field 47/);
  });

  it("reads every cell's throughput from its fio step", () => {
    const lines = transcriptLines(
      () => 0,
      [terse("a", { kib: 2048, iops: 252, ms: 2029 }), terse("b", { kib: 2048, iops: 126, ms: 4058 })],
    );
    const results = benchResults(PLAN, parseTranscript(lines));
    expect(results.map((r) => [r.config, r.iops, r.runtimeMs])).toEqual([
      ["linear", 252, 2029],
      ["mirror-2leg-core", 126, 4058],
    ]);
    expect(results[0]!.mbps).toBeCloseTo((2048 * 1024) / 2.029 / 1e6, 6);
  });

  it("fails on a cell that did not run, not a missing row", () => {
    const ok = [
      terse("a", { kib: 2048, iops: 252, ms: 2029 }),
      terse("b", { kib: 2048, iops: 126, ms: 4058 }),
    ];
    const failedSetup = transcriptLines((l) => (l === "cell.1.setup.0" ? 5 : 0), ok);
    expect(() => benchResults(PLAN, parseTranscript(failedSetup))).toThrow(
      /mirror-2leg-core\/randwrite-4k-qd32: cell.1.setup.0 "x" exited 5/,
    );
    const cutShort = transcriptLines((l) => (l === "cell.1.fio" ? undefined : 0), ok);
    expect(() => benchResults(PLAN, parseTranscript(cutShort))).toThrow(/did not finish/);
    const fioError = transcriptLines(() => 0, [ok[0]!, terse("b", { kib: 0, iops: 0, ms: 0 }, undefined, 5)]);
    expect(() => benchResults(PLAN, parseTranscript(fioError))).toThrow(/fio error 5/);
    const noTerse = transcriptLines(() => 0, [ok[0]!, "fio: engine libaio not loadable"]);
    expect(() => benchResults(PLAN, parseTranscript(noTerse))).toThrow(/0 terse lines/);
    const missing = parseTranscript(transcriptLines(() => 0, ok).filter((l) => !l.includes("cell.1.")));
    expect(() => benchResults(PLAN, missing)).toThrow(/never ran/);
  });
});
