import { describe, expect, it } from "vitest";
import type { BlockDevice, IoOptions, WriteOptions } from "../../../engine/block/device.js";
import { MemoryDevice } from "../../../engine/block/memory.js";
import { printConfig } from "../../../engine/format/config-print.js";
import { Host } from "../../../engine/lvm/host.js";
import { runLvm } from "../../../engine/lvm/run.js";
import { findVg, scanHost } from "../../../engine/lvm/vg-read.js";
import { MUTATION_SAME_SEQNO } from "../../../engine/lvm/vg-write.js";
import { exportVg } from "../../../engine/metadata/export.js";
import { SimulationHalt } from "../../../engine/sim/halt.js";
import { Trace } from "../../../engine/sim/trace.js";
import { DEVICE_BYTES } from "./helpers.js";

/** Passes requests through and cuts the power (before the write lands) at write number `cutAt`. */
class CuttingDevice implements BlockDevice {
  writes = 0;
  constructor(
    readonly inner: BlockDevice,
    readonly cut: { at: number; count: number },
  ) {}
  get name(): string {
    return this.inner.name;
  }
  get sizeBytes(): number {
    return this.inner.sizeBytes;
  }
  get stats() {
    return this.inner.stats;
  }
  read(offsetBytes: number, dst: Uint8Array, options?: IoOptions): number {
    return this.inner.read(offsetBytes, dst, options);
  }
  write(offsetBytes: number, data: Uint8Array, options?: WriteOptions): number {
    this.cut.count++;
    if (this.cut.count === this.cut.at)
      throw new SimulationHalt("power-cut", `block write ${this.cut.count}`);
    return this.inner.write(offsetBytes, data, options);
  }
  flush(options?: IoOptions): number {
    return this.inner.flush(options);
  }
  discard(offsetBytes: number, lengthBytes: number, options?: IoOptions): number {
    return this.inner.discard(offsetBytes, lengthBytes, options);
  }
}

const NAMES = ["pv-a", "pv-b", "pv-c"];

interface Scenario {
  readonly setup: readonly string[];
  readonly command: string;
  readonly vg: string;
}

/** The VG a fresh host reads from the devices, as printed metadata (or "none"). */
function readBack(
  devices: readonly MemoryDevice[],
  vgName: string,
  order: "forward" | "reverse" = "forward",
): string {
  // A reboot may enumerate disks in any order; the answer must not depend on it.
  const listed = order === "forward" ? devices : [...devices].reverse();
  const host = new Host({ devices: listed.map((d) => [d.name, d] as const), seed: "reader" });
  const handle = findVg(scanHost(host), vgName);
  return handle === undefined ? "none" : printConfig({ items: [exportVg(handle.vg)] }, { style: "file" });
}

function runScenario(
  scenario: Scenario,
  cut: { kind: "write" | "event"; at: number } | undefined,
  mutations: ReadonlySet<string> = new Set(),
): { devices: MemoryDevice[]; halted: boolean; commits: number; events: number; writes: number } {
  const devices = NAMES.map((n) => new MemoryDevice(n, DEVICE_BYTES));
  const setupHost = new Host({ devices: devices.map((d) => [d.name, d] as const), seed: "crash" });
  for (const line of scenario.setup) {
    const r = runLvm(setupHost, line.split(" "));
    if (r.exitCode !== 0) throw new Error(`Setup ${line} failed: ${r.stderr}`);
  }
  const counter = { at: cut?.kind === "write" ? cut.at : -1, count: 0 };
  const trace = new Trace();
  let events = 0;
  let commits = 0;
  trace.subscribe((event) => {
    events++;
    if (event.name === "metadata.commit") commits++;
    if (cut?.kind === "event" && events === cut.at) throw new SimulationHalt("power-cut", event.name);
  });
  const host = new Host({
    devices: devices.map((d) => [d.name, new CuttingDevice(d, counter)] as const),
    seed: "crash-run",
    trace,
    mutations,
  });
  try {
    const r = runLvm(host, scenario.command.split(" "));
    if (r.exitCode !== 0) throw new Error(`${scenario.command} failed: ${r.stderr}`);
    return { devices, halted: false, commits, events, writes: counter.count };
  } catch (error) {
    if (!(error instanceof SimulationHalt)) throw error;
    return { devices, halted: true, commits, events, writes: counter.count };
  }
}

const SCENARIOS: Record<string, Scenario> = {
  vgextend: {
    setup: ["pvcreate pv-a pv-b pv-c", "vgcreate vg0 pv-a pv-b", "lvcreate -an -l 3 -n lv0 vg0"],
    command: "vgextend vg0 pv-c",
    vg: "vg0",
  },
  "lvcreate on a 3-PV VG": {
    setup: ["vgcreate vg0 pv-a pv-b pv-c", "lvcreate -an -l 2 -n lv0 vg0"],
    command: "lvcreate -an -i 3 -l 6 -n st vg0",
    vg: "vg0",
  },
};

/** Cuts at every block write and trace event; returns the cut points that read neither old nor new. */
function crashViolations(
  scenario: Scenario,
  mutations: ReadonlySet<string> = new Set(),
): {
  violations: string[];
  sawOld: number;
  sawNew: number;
  cuts: number;
} {
  const before = runScenario({ ...scenario, command: "vgs" }, undefined);
  const oldText = readBack(before.devices, scenario.vg);
  const full = runScenario(scenario, undefined, mutations);
  const newText = readBack(full.devices, scenario.vg);
  expect(newText).not.toBe(oldText);
  const cuts = [
    ...Array.from({ length: full.writes }, (_, i) => ({ kind: "write" as const, at: i + 1 })),
    ...Array.from({ length: full.events }, (_, i) => ({ kind: "event" as const, at: i + 1 })),
  ];
  const violations: string[] = [];
  let sawOld = 0;
  let sawNew = 0;
  for (const cut of cuts) {
    const run = runScenario(scenario, cut, mutations);
    if (!run.halted) violations.push(`${cut.kind} ${cut.at}: no power cut happened`);
    const text = readBack(run.devices, scenario.vg);
    if (readBack(run.devices, scenario.vg, "reverse") !== text) {
      violations.push(`${cut.kind} ${cut.at}: the VG read depends on the order the disks are scanned`);
    }
    if (text === oldText) sawOld++;
    else if (text === newText) sawNew++;
    else violations.push(`${cut.kind} ${cut.at}: read neither the old nor the new VG`);
    // Roll-forward: once any mda committed the new copy, the scan must choose it.
    if (run.commits > 0 && text !== newText)
      violations.push(`${cut.kind} ${cut.at}: a committed change was lost`);
  }
  return { violations, sawOld, sawNew, cuts: cuts.length };
}

describe("a power cut during a metadata update leaves the old or the new VG", () => {
  for (const [title, scenario] of Object.entries(SCENARIOS)) {
    it(`${title}: at every block write and every trace event`, () => {
      const result = crashViolations(scenario);
      expect(result.violations).toEqual([]);
      expect(result.cuts).toBeGreaterThan(15);
      expect(result.sawOld).toBeGreaterThan(0);
      expect(result.sawNew).toBeGreaterThan(0);
    });
  }

  it("catches a writer that does not raise seqno (mutation lvm.vg-write.same-seqno)", () => {
    const result = crashViolations(SCENARIOS["lvcreate on a 3-PV VG"]!, new Set([MUTATION_SAME_SEQNO]));
    expect(result.violations.length).toBeGreaterThan(0);
    expect(result.violations.join("\n")).toMatch(/depends on the order|a committed change was lost|neither/);
  });
});
