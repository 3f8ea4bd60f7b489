/**
 * Power cuts during a metadata commit: 3 PVs hold seqno N; we commit N+1 and cut the power at
 * every trace event and at every block write (before it lands, and torn half-way), then reboot
 * (scan the devices as they are). The scan must read exactly the old or the new metadata, and the
 * new one whenever at least one mda committed it (LVM2's roll-forward rule).
 */
import { describe, expect, it } from "vitest";
import type { MemoryDevice } from "../../../engine/block/memory.js";
import {
  commitVgMetadata,
  type MetadataAreaRef,
  MUTATION_COMMIT_BEFORE_TEXT,
  writeVgMetadata,
} from "../../../engine/format/commit.js";
import { lvmCrc } from "../../../engine/format/crc.js";
import { MDA_HEADER_BYTES, parseMdaHeader } from "../../../engine/format/mda-header.js";
import { type PvLayout, writeFreshPv } from "../../../engine/format/pv-layout.js";
import { scanDevices } from "../../../engine/format/scan.js";
import { isSimulationHalt, SimulationHalt } from "../../../engine/sim/halt.js";
import type { Mutations } from "../../../engine/sim/mutations.js";
import { NO_MUTATIONS } from "../../../engine/sim/mutations.js";
import { Trace } from "../../../engine/sim/trace.js";
import { areasOn, type Cut, PowerCutDevice, pvDevice, testUuid, vgText } from "./helpers.js";

// A small mda (16 KiB) so that a few commits walk the whole circular buffer and wrap.
const MDA_BYTES = 16384;
const DEVICE_BYTES = 4 * 1024 * 1024;
const LAYOUT: PvLayout = {
  deviceSizeBytes: DEVICE_BYTES,
  metadataAreas: [{ offsetBytes: 4096, sizeBytes: MDA_BYTES }],
  peStartSectors: 48,
  dataEndBytes: DEVICE_BYTES,
};

interface Scenario {
  readonly devices: MemoryDevice[];
  readonly areas: MetadataAreaRef[];
  readonly uuids: string[];
  readonly oldText: Uint8Array;
  readonly newText: Uint8Array;
  readonly oldSeqno: number;
}

/** Three PVs that went through `history` commits; the last one is the "old" metadata. */
function scenario(history: number): Scenario {
  const devices: MemoryDevice[] = [];
  const areas: MetadataAreaRef[] = [];
  const uuids = [0, 1, 2].map(testUuid);
  for (const [i, pvUuid] of uuids.entries()) {
    const device = pvDevice(`pv${i}.img`, DEVICE_BYTES);
    writeFreshPv(device, { pvUuid, layout: LAYOUT, inVg: true });
    devices.push(device);
    areas.push({ device, pvUuid, mdaIndex: 0, startBytes: 4096 });
  }
  let oldText: Uint8Array = new Uint8Array(0);
  for (let seqno = 1; seqno <= history; seqno++) {
    oldText = vgText({ seqno, pvUuids: uuids, lvs: seqno % 5 });
    commitVgMetadata(writeVgMetadata(areas, oldText, { vgName: "vg0", seqno }));
  }
  const newText = vgText({ seqno: history + 1, pvUuids: uuids, lvs: (history % 5) + 3 });
  return { devices, areas, uuids, oldText, newText, oldSeqno: history };
}

/** Runs the N+1 commit on copies of the devices with a cut; returns the crash state and whether it fired. */
function runWithCut(
  s: Scenario,
  cut: Cut | undefined,
  mutations: Mutations,
): { devices: MemoryDevice[]; halted: boolean } {
  const copies = s.devices.map((d) => d.clone());
  const counter = { writes: 0 };
  const wrapped = copies.map((d) => new PowerCutDevice(d, cut, counter));
  const trace = new Trace();
  if (cut?.mode === "after-event") {
    trace.subscribe((event) => {
      if (event.index === cut.at) throw new SimulationHalt("power-cut", `${event.name} #${event.occurrence}`);
    });
  }
  const seqno = s.oldSeqno + 1;
  try {
    const write = writeVgMetadata(areasOn(s.areas, wrapped), s.newText, {
      vgName: "vg0",
      seqno,
      trace,
      mutations,
    });
    commitVgMetadata(write, { trace, mutations });
  } catch (error) {
    if (!isSimulationHalt(error)) throw error;
    return { devices: copies, halted: true };
  }
  return { devices: copies, halted: false };
}

/** How many mdas hold a valid header whose committed slot is the new copy. */
function committedNew(devices: readonly MemoryDevice[], newText: Uint8Array): number {
  let count = 0;
  for (const device of devices) {
    const bytes = new Uint8Array(MDA_HEADER_BYTES);
    device.read(4096, bytes);
    const parsed = parseMdaHeader(bytes, { device: device.name, expectedStartBytes: 4096 });
    if (parsed.badFields !== 0) continue;
    if (
      parsed.header.committed.checksum === lvmCrc(newText) &&
      parsed.header.committed.sizeBytes === newText.length
    ) {
      count++;
    }
  }
  return count;
}

/** The oracle: undefined when the crash state is acceptable, else what is wrong. */
function violation(s: Scenario, devices: readonly MemoryDevice[]): string | undefined {
  const result = scanDevices(devices);
  if (result.vgs.length !== 1)
    return `expected one VG, scan found ${result.vgs.length} (${result.warnings.join(" | ")})`;
  const vg = result.vgs[0]!;
  const decode = (t: Uint8Array): string => new TextDecoder().decode(t.subarray(0, -1));
  const isOld = vg.seqno === s.oldSeqno && vg.text === decode(s.oldText);
  const isNew = vg.seqno === s.oldSeqno + 1 && vg.text === decode(s.newText);
  if (!isOld && !isNew) return `scan read seqno ${vg.seqno}, neither the old nor the new metadata`;
  const reached = committedNew(devices, s.newText);
  if (reached > 0 && !isNew)
    return `the new copy is committed on ${reached} mda(s) but the scan read seqno ${vg.seqno}`;
  if (reached === 0 && isNew) return "the scan read the new metadata although no mda committed it";
  if (vg.missingPvUuids.length > 0) return `PVs went missing: ${vg.missingPvUuids.join(", ")}`;
  return undefined;
}

/** Every cut point of one scenario; returns the violations and how many crash states were checked. */
function sweep(
  s: Scenario,
  mutations: Mutations,
): { violations: string[]; states: number; wrapped: boolean } {
  const violations: string[] = [];
  let states = 0;
  const clean = runWithCut(s, undefined, mutations);
  expect(clean.halted).toBe(false);
  const totalWrites = clean.devices.reduce((n, d) => n + d.stats.writeOps, 0);
  const trace = new Trace();
  const probe = s.devices.map((d) => d.clone());
  commitVgMetadata(
    writeVgMetadata(areasOn(s.areas, probe), s.newText, {
      vgName: "vg0",
      seqno: s.oldSeqno + 1,
      trace,
      mutations,
    }),
    { trace, mutations },
  );
  const totalEvents = trace.count();
  const cuts: Cut[] = [
    ...Array.from({ length: totalWrites }, (_, i) => ({ mode: "before-write" as const, at: i + 1 })),
    ...Array.from({ length: totalWrites }, (_, i) => ({ mode: "torn-write" as const, at: i + 1 })),
    ...Array.from({ length: totalEvents }, (_, i) => ({ mode: "after-event" as const, at: i + 1 })),
  ];
  for (const cut of cuts) {
    const { devices, halted } = runWithCut(s, cut, mutations);
    expect(halted, `cut ${cut.mode} #${cut.at} did not fire`).toBe(true);
    states++;
    const problem = violation(s, devices);
    if (problem !== undefined) violations.push(`${cut.mode} #${cut.at}: ${problem}`);
  }
  // The new copy wraps when the write needs two text writes on a PV (3 PVs × 3 writes otherwise).
  return { violations, states, wrapped: totalWrites > 9 };
}

describe("power cut during a metadata commit", () => {
  it("leaves old or new metadata at every trace event and block write, new once any mda committed", () => {
    let states = 0;
    let wrapped = 0;
    const violations: string[] = [];
    for (let history = 1; history <= 16; history++) {
      const result = sweep(scenario(history), NO_MUTATIONS);
      states += result.states;
      if (result.wrapped) wrapped++;
      violations.push(...result.violations.map((v) => `history ${history}: ${v}`));
    }
    expect(violations).toEqual([]);
    expect(wrapped).toBeGreaterThan(0);
    expect(states).toBeGreaterThan(200);
  });

  it("catches the slot0-before-text mutation (a header naming text that never landed)", () => {
    const violations: string[] = [];
    for (let history = 1; history <= 3; history++) {
      violations.push(...sweep(scenario(history), new Set([MUTATION_COMMIT_BEFORE_TEXT])).violations);
    }
    expect(violations.length).toBeGreaterThan(0);
    expect(violations.some((v) => v.includes("committed on"))).toBe(true);
  });
});
