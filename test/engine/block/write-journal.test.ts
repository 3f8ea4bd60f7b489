import { describe, expect, it } from "vitest";
import { VolatileCache } from "../../../engine/block/cache.js";
import type { CrashPolicy } from "../../../engine/block/crash-state.js";
import { MemoryDevice } from "../../../engine/block/memory.js";
import {
  decodeJournals,
  emptyJournal,
  encodeJournals,
  JournalFormatError,
  JournalingDevice,
  powerCutJournal,
} from "../../../engine/block/write-journal.js";

const SIZE = 1024 * 1024;

function fill(byte: number, sectors: number): Uint8Array {
  return new Uint8Array(sectors * 512).fill(byte);
}

/** A run of writes with a flush in the middle, overlaps, a FUA write and a discard. */
function run(device: {
  write: MemoryDevice["write"];
  flush: MemoryDevice["flush"];
  discard: MemoryDevice["discard"];
}): void {
  device.write(0, fill(1, 8));
  device.write(4096, fill(2, 4));
  device.flush();
  device.write(0, fill(3, 2));
  device.write(512, fill(4, 4));
  device.write(8192, fill(5, 8), { fua: true });
  device.write(4096, fill(6, 1));
  device.discard(16384, 4096);
  device.write(16384, fill(7, 2));
  device.write(1024, fill(8, 1));
}

function bytesOf(device: MemoryDevice): Uint8Array {
  const out = new Uint8Array(32768);
  device.read(0, out);
  return out;
}

describe("JournalingDevice and powerCutJournal", () => {
  const policies: CrashPolicy[] = [
    { kind: "drop-all" },
    { kind: "keep-all" },
    { kind: "prefix", count: 3 },
    { kind: "subset", seed: 7 },
    { kind: "torn", seed: 7 },
    { kind: "torn", seed: 12345 },
  ];
  for (const policy of policies) {
    it(`crashes exactly as a volatile cache does under ${policy.kind}`, () => {
      // The reference: the same requests through a VolatileCache, then its power cut.
      const referenceDisk = new MemoryDevice("pv0", SIZE);
      const cache = new VolatileCache(referenceDisk);
      run(cache);
      const expected = cache.powerCut(policy);
      // The journal: written through (reads see the newest data), crashed later from the journal.
      const disk = new MemoryDevice("pv0", SIZE);
      const journal = emptyJournal();
      const journaling = new JournalingDevice(disk, journal);
      run(journaling);
      const newest = new Uint8Array(512);
      disk.read(1024, newest);
      expect(newest[0]).toBe(8);
      // Through the file format, as a later invocation reads it.
      const reloaded = decodeJournals(encodeJournals(new Map([["pv0", journal]]))).get("pv0")!;
      const outcome = powerCutJournal(disk, reloaded, policy);
      expect(bytesOf(disk)).toEqual(bytesOf(referenceDisk));
      expect([outcome.pendingWrites, outcome.keptWrites, outcome.tornWrites]).toEqual([
        expected.pendingWrites,
        expected.keptWrites,
        expected.tornWrites,
      ]);
      expect(reloaded.entries).toHaveLength(0);
    });
  }

  it("empties on flush and writes back its oldest data when full", () => {
    const disk = new MemoryDevice("pv0", SIZE);
    const journal = emptyJournal();
    const device = new JournalingDevice(disk, journal, { maxJournalBytes: 7 * 512 });
    device.write(0, fill(1, 2));
    device.write(0, fill(2, 2));
    device.write(0, fill(3, 2));
    // 2 pre-image sectors + 3 writes of 2 sectors exceed 7 sectors: the oldest write became durable.
    expect(journal.entries.map((e) => e.data[0])).toEqual([2, 3]);
    expect(journal.preimages.get(0)?.[0]).toBe(1);
    powerCutJournal(disk, journal, { kind: "drop-all" });
    const sector = new Uint8Array(512);
    disk.read(0, sector);
    expect(sector[0]).toBe(1);
    device.write(0, fill(9, 1));
    device.flush();
    expect(journal.entries).toHaveLength(0);
    expect(journal.preimages.size).toBe(0);
  });

  it("refuses a damaged journal file, naming the byte", () => {
    const bytes = encodeJournals(
      new Map([
        [
          "a.img",
          {
            preimages: new Map(),
            entries: [{ kind: "write", offsetBytes: 0, data: fill(1, 1), lengthBytes: 0 }],
          },
        ],
      ]),
    );
    expect(() => decodeJournals(bytes.subarray(0, bytes.length - 3))).toThrow(JournalFormatError);
    expect(() => decodeJournals(bytes.subarray(0, bytes.length - 3))).toThrow(
      /truncated at byte \d+ \(record data\)/,
    );
    const bad = bytes.slice();
    bad[0] = 0;
    expect(() => decodeJournals(bad)).toThrow("bad magic at byte 0");
    expect(decodeJournals(bytes).get("a.img")?.entries[0]?.data[0]).toBe(1);
  });
});
