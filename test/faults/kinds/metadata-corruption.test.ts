import { describe, expect, it } from "vitest";
import type { BlockDevice } from "../../../engine/block/device.js";
import { lvmCrc } from "../../../engine/format/crc.js";
import { BAD_MDA, encodeMdaHeader, parseMdaHeader } from "../../../engine/format/mda-header.js";
import { placeMetadataText, readMetadataText, writeMetadataText } from "../../../engine/format/mda-text.js";
import {
  DEFAULT_MDA_SIZE_BYTES,
  DEFAULT_MDA_START_BYTES,
  writeFreshPv,
} from "../../../engine/format/pv-layout.js";
import type { FaultSpecInput } from "../../../faults/schema.js";
import { hashMedia, type Machine, MiB, makeMachine } from "../machine.js";

const area = { startBytes: DEFAULT_MDA_START_BYTES, sizeBytes: DEFAULT_MDA_SIZE_BYTES };
const pvNames = ["pv0", "pv1", "pv2", "pv3"];

// A real PV: label, pv_header, mda header, and one committed copy of metadata text in slot 0.
function formatPv(device: BlockDevice, index: number): void {
  writeFreshPv(device, { pvUuid: `abcdefghijklmnopqrstuvwxyz0123${index}${index}`, inVg: true });
  const text = new TextEncoder().encode(`vg0 {\nid = "x"\nseqno = 1\n}\n# pv ${index}\n\u0000`);
  const placement = placeMetadataText(area.sizeBytes, undefined, {
    sizeBytes: text.length,
    vgName: "vg0",
    seqno: 1,
    device: device.name,
  });
  writeMetadataText(device, area.startBytes, placement, text);
  const committed = {
    offsetBytes: placement.offsetBytes,
    sizeBytes: text.length,
    checksum: lvmCrc(text),
    flags: 0,
  };
  device.write(area.startBytes, encodeMdaHeader(area, { committed }));
}

function machineWith(spec: FaultSpecInput, seed = 1): Machine {
  const machine = makeMachine({ seed, devices: pvNames, sizeBytes: 4 * MiB, specs: [spec] });
  for (const [i, name] of pvNames.entries()) formatPv(machine.media.get(name)!, i);
  return machine;
}

function health(machine: Machine, name: string): { badFields: number; text: string } {
  const media = machine.media.get(name)!;
  const bytes = new Uint8Array(512);
  media.read(area.startBytes, bytes);
  const parsed = parseMdaHeader(bytes, { device: name, expectedStartBytes: area.startBytes });
  const text = readMetadataText(media, area, parsed.header.committed);
  return { badFields: parsed.badFields, text: text.ok ? "ok" : text.problem };
}

describe("metadata-corruption", () => {
  it("formats healthy PVs (the oracle the other cases compare against)", () => {
    const machine = machineWith({ kind: "metadata-corruption", at: { timeNs: 10 } });
    for (const name of pvNames) expect(health(machine, name)).toEqual({ badFields: 0, text: "ok" });
  });

  it("damages the header checksum of exactly one PV at the given time", () => {
    const machine = machineWith({ kind: "metadata-corruption", at: { timeNs: 10 }, field: "checksum" });
    machine.scheduler.run(9);
    expect(pvNames.map((n) => health(machine, n).badFields)).toEqual([0, 0, 0, 0]);
    machine.scheduler.run();
    const damaged = pvNames.filter((n) => health(machine, n).badFields !== 0);
    expect(damaged).toHaveLength(1);
    expect(health(machine, damaged[0]!)).toEqual({ badFields: BAD_MDA.CHECKSUM, text: "ok" });
    const effect = machine.sink.fired[0]?.effect as { damaged: { device: string; byteOffset: number }[] };
    expect(effect.damaged[0]?.device).toBe(damaged[0]);
    expect(effect.damaged[0]?.byteOffset).toBeLessThan(area.startBytes + 4);
  });

  it("damages the magic (with the checksum that covers it) on all but one PV", () => {
    const machine = machineWith({
      kind: "metadata-corruption",
      at: { timeNs: 10 },
      field: "magic",
      scope: "all-but-one",
    });
    machine.scheduler.run();
    const bad = pvNames.map((n) => health(machine, n).badFields);
    expect(bad.filter((b) => b === (BAD_MDA.MAGIC | BAD_MDA.CHECKSUM))).toHaveLength(3);
    expect(bad.filter((b) => b === 0)).toHaveLength(1);
  });

  it("damages the committed text of several PVs, located through the label and pv_header", () => {
    const machine = machineWith({
      kind: "metadata-corruption",
      at: { timeNs: 10 },
      field: "text",
      scope: "several",
      count: 2,
    });
    machine.scheduler.run();
    const states = pvNames.map((n) => health(machine, n));
    expect(states.filter((s) => s.text === "checksum" && s.badFields === 0)).toHaveLength(2);
    expect(states.filter((s) => s.text === "ok")).toHaveLength(2);
  });

  it("limits the choice to the listed devices and is seeded: same seed same bytes, replayable", () => {
    const spec: FaultSpecInput = {
      kind: "metadata-corruption",
      at: { timeNs: 10 },
      devices: ["pv2", "pv3"],
      scope: "one",
    };
    const chosen = new Set<string>();
    for (let seed = 1; seed <= 5; seed += 1) {
      const a = machineWith(spec, seed);
      a.scheduler.run();
      const b = machineWith(spec, seed);
      b.scheduler.run();
      expect(hashMedia(b)).toEqual(hashMedia(a));
      const damaged = pvNames.filter((n) => health(a, n).badFields !== 0);
      expect(damaged.length).toBe(1);
      expect(["pv2", "pv3"]).toContain(damaged[0]);
      chosen.add(damaged[0]!);
      const replay = makeMachine({ seed: 99, devices: pvNames, sizeBytes: 4 * MiB, records: a.sink.fired });
      for (const [i, name] of pvNames.entries()) formatPv(replay.media.get(name)!, i);
      replay.scheduler.run();
      expect(hashMedia(replay)).toEqual(hashMedia(a));
    }
    expect(chosen.size).toBe(2);
  });

  it("refuses to corrupt text that was never committed", () => {
    const machine = makeMachine({
      specs: [{ kind: "metadata-corruption", at: { timeNs: 1 }, field: "text", mdaOffsetBytes: 4096 }],
    });
    expect(() => machine.scheduler.run()).toThrow(/found no committed metadata text on pv[01]/);
  });
});
