import fc from "fast-check";
import seedrandom from "seedrandom";
import { describe, expect, it } from "vitest";
import { isBlockDeviceError } from "../../../engine/block/errors.js";
import {
  MemoryDevice,
  MUTATION_DISCARD_FREES_PARTIAL_PAGES,
  PAGE_BYTES,
} from "../../../engine/block/memory.js";
import { filled, firstDifference } from "./helpers.js";

const TiB = 2 ** 40;
const MiB = 2 ** 20;

function readAll(device: MemoryDevice): Uint8Array {
  const dst = new Uint8Array(device.sizeBytes);
  device.read(0, dst);
  return dst;
}

/** Discard sector 1 of a page holding data in sectors 0..7 and report which bytes were lost. */
function discardKeepsNeighbours(device: MemoryDevice): boolean {
  device.write(0, filled(PAGE_BYTES, 0xab));
  device.discard(512, 512);
  const dst = new Uint8Array(PAGE_BYTES);
  device.read(0, dst);
  const zeroed = dst.subarray(512, 1024).every((b) => b === 0);
  const kept = dst.subarray(0, 512).every((b) => b === 0xab) && dst.subarray(1024).every((b) => b === 0xab);
  return zeroed && kept;
}

describe("MemoryDevice", () => {
  it("reads unwritten space as zeros and holds no pages", () => {
    const device = new MemoryDevice("pv0", TiB);
    const dst = filled(8192, 0xff);
    device.read(TiB - 8192, dst);
    expect(dst.every((b) => b === 0)).toBe(true);
    expect(device.residentBytes).toBe(0);
  });

  it("round-trips a sector-aligned write that straddles pages", () => {
    const device = new MemoryDevice("pv0", 64 * 1024);
    const data = new Uint8Array(3 * 512 + PAGE_BYTES);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) & 0xff;
    device.write(PAGE_BYTES - 1536, data);
    const dst = new Uint8Array(data.length);
    device.read(PAGE_BYTES - 1536, dst);
    expect(dst).toEqual(data);
    // Bytes just before the write stay zero.
    const before = new Uint8Array(512);
    device.read(PAGE_BYTES - 2048, before);
    expect(before.every((b) => b === 0)).toBe(true);
    expect(device.mappedBytes).toBe(2 * PAGE_BYTES);
  });

  it("keeps memory proportional to written data on a 1 TiB device", () => {
    const device = new MemoryDevice("big", TiB);
    const random = seedrandom.alea("sparse");
    const writes = 64;
    const block = filled(PAGE_BYTES, 1);
    const offsets = new Set<number>();
    while (offsets.size < writes) offsets.add(Math.floor(random() * (TiB / PAGE_BYTES)) * PAGE_BYTES);
    for (const offsetBytes of offsets) device.write(offsetBytes, block);
    expect(device.mappedBytes).toBe(writes * PAGE_BYTES);
    expect(device.residentBytes).toBeLessThanOrEqual(2 * writes * PAGE_BYTES + 64 * 1024);
    // 16 MiB sequential costs at most twice that (page chunks double), measured on the process too.
    const chunk = filled(MiB, 2);
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 16; i++) device.write(TiB / 2 + i * MiB, chunk);
    const grownBytes = process.memoryUsage().arrayBuffers - before;
    const writtenBytes = writes * PAGE_BYTES + 16 * MiB;
    expect(device.mappedBytes).toBe(writtenBytes);
    expect(device.residentBytes).toBeGreaterThanOrEqual(writtenBytes);
    expect(device.residentBytes).toBeLessThanOrEqual(2 * writtenBytes + 64 * 1024);
    expect(grownBytes).toBeGreaterThan(15 * MiB);
    expect(grownBytes).toBeLessThanOrEqual(2 * writtenBytes + MiB);
  });

  it("discard frees whole pages and zeroes only the covered part of partial ones", () => {
    const device = new MemoryDevice("pv0", 16 * PAGE_BYTES);
    device.write(0, filled(4 * PAGE_BYTES, 9));
    const heldBytes = device.residentBytes;
    device.discard(PAGE_BYTES - 512, 2 * PAGE_BYTES + 1024);
    expect(device.mappedBytes).toBe(2 * PAGE_BYTES);
    // Freed pages stay with the device for reuse: the next writes cost no new memory.
    expect(device.residentBytes).toBe(heldBytes);
    device.write(8 * PAGE_BYTES, filled(2 * PAGE_BYTES, 1));
    expect(device.residentBytes).toBe(heldBytes);
    device.discard(8 * PAGE_BYTES, 2 * PAGE_BYTES);
    const dst = readAll(device);
    expect(dst.subarray(0, PAGE_BYTES - 512).every((b) => b === 9)).toBe(true);
    expect(dst.subarray(PAGE_BYTES - 512, 3 * PAGE_BYTES + 512).every((b) => b === 0)).toBe(true);
    expect(dst.subarray(3 * PAGE_BYTES + 512, 4 * PAGE_BYTES).every((b) => b === 9)).toBe(true);
    expect(device.stats.discardOps).toBe(2);
    expect(device.stats.discardBytes).toBe(4 * PAGE_BYTES + 1024);
  });

  it("a huge discard on a sparse 1 TiB device frees pages without walking the range", () => {
    const device = new MemoryDevice("big", TiB);
    device.write(TiB - PAGE_BYTES, filled(PAGE_BYTES, 5));
    device.write(0, filled(PAGE_BYTES, 5));
    device.discard(0, TiB);
    expect(device.mappedBytes).toBe(0);
    const dst = filled(PAGE_BYTES, 1);
    device.read(TiB - PAGE_BYTES, dst);
    expect(dst.every((b) => b === 0)).toBe(true);
  });

  it("catches the discard-frees-partial-pages mutation", () => {
    expect(discardKeepsNeighbours(new MemoryDevice("ok", 1 * MiB))).toBe(true);
    const broken = new MemoryDevice("broken", 1 * MiB, {
      mutations: new Set([MUTATION_DISCARD_FREES_PARTIAL_PAGES]),
    });
    expect(discardKeepsNeighbours(broken)).toBe(false);
  });

  it("counts ops and bytes per request kind", () => {
    const device = new MemoryDevice("pv0", MiB);
    device.write(0, new Uint8Array(1024));
    device.write(4096, new Uint8Array(512));
    device.read(0, new Uint8Array(2048));
    device.flush();
    expect(device.stats).toEqual({
      readOps: 1,
      readBytes: 2048,
      writeOps: 2,
      writeBytes: 1536,
      flushOps: 1,
      discardOps: 0,
      discardBytes: 0,
    });
  });

  it("returns the issue time as completion and rejects bad requests with EINVAL", () => {
    const device = new MemoryDevice("pv7", MiB);
    expect(device.write(0, new Uint8Array(512), { issueNs: 1234 })).toBe(1234);
    expect(device.read(0, new Uint8Array(512), { issueNs: 99 })).toBe(99);
    for (const attempt of [
      () => device.write(100, new Uint8Array(512)),
      () => device.read(0, new Uint8Array(100)),
      () => device.write(MiB - 512, new Uint8Array(1024)),
      () => device.discard(MiB, 512),
    ]) {
      let caught: unknown;
      try {
        attempt();
      } catch (error) {
        caught = error;
      }
      expect(isBlockDeviceError(caught, "EINVAL")).toBe(true);
      expect(String(caught)).toContain("pv7");
    }
    expect(device.stats.writeOps).toBe(1);
  });

  it("refuses writes past its memory budget with ENOSPC and keeps earlier data", () => {
    const device = new MemoryDevice("thin", MiB, { maxResidentBytes: 2 * PAGE_BYTES });
    device.write(0, filled(2 * PAGE_BYTES, 3));
    device.write(512, filled(512, 4)); // rewriting held pages costs nothing new
    let caught: unknown;
    try {
      device.write(2 * PAGE_BYTES, filled(512, 5));
    } catch (error) {
      caught = error;
    }
    expect(isBlockDeviceError(caught, "ENOSPC")).toBe(true);
    expect(String(caught)).toContain("maxResidentBytes");
    expect(device.mappedBytes).toBe(2 * PAGE_BYTES);
    device.discard(0, PAGE_BYTES);
    expect(() => device.write(2 * PAGE_BYTES, filled(512, 5))).not.toThrow();
  });

  it("clones copy-on-write: neither side sees the other's later writes", () => {
    const original = new MemoryDevice("pv0", MiB);
    original.write(0, filled(2 * PAGE_BYTES, 1));
    const copy = original.clone({ name: "pv0-crash" });
    expect(copy.name).toBe("pv0-crash");
    expect(copy.stats.writeOps).toBe(0);
    copy.write(0, filled(512, 2));
    original.write(PAGE_BYTES, filled(512, 3));
    original.discard(0, 512);
    const a = readAll(original);
    const b = readAll(copy);
    expect([a[0], a[PAGE_BYTES], a[PAGE_BYTES + 512]]).toEqual([0, 3, 1]);
    expect([b[0], b[512], b[PAGE_BYTES]]).toEqual([2, 1, 1]);
  });

  it("lists written pages in offset order, trimmed to the device end", () => {
    const device = new MemoryDevice("pv0", 3 * PAGE_BYTES + 1024);
    device.write(3 * PAGE_BYTES, filled(1024, 8));
    device.write(0, filled(512, 7));
    const pages = [...device.writtenPages()];
    expect(pages.map((p) => p.offsetBytes)).toEqual([0, 3 * PAGE_BYTES]);
    expect(pages[1]?.bytes.length).toBe(1024);
    expect(pages[0]?.bytes[0]).toBe(7);
  });

  it("same seed gives the same bytes", () => {
    const run = (seed: string): Uint8Array => {
      const random = seedrandom.alea(seed);
      const device = new MemoryDevice("pv0", 256 * 1024);
      for (let i = 0; i < 200; i++) {
        const sectors = 1 + Math.floor(random() * 16);
        const offsetBytes = Math.floor(random() * (512 - sectors)) * 512;
        device.write(offsetBytes, filled(sectors * 512, Math.floor(random() * 256)));
      }
      return readAll(device);
    };
    expect(firstDifference(run("s1"), run("s1"))).toBe(-1);
    expect(firstDifference(run("s1"), run("s2"))).not.toBe(-1);
  });

  it("behaves like a flat byte array under random writes, discards and clones", () => {
    const sectors = 40;
    const op = fc.record({
      kind: fc.constantFrom("write", "discard", "clone"),
      sector: fc.nat({ max: sectors - 1 }),
      count: fc.integer({ min: 1, max: 12 }),
      byte: fc.integer({ min: 1, max: 255 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        let device = new MemoryDevice("pv0", sectors * 512);
        const model = new Uint8Array(sectors * 512);
        for (const { kind, sector, count, byte } of ops) {
          const n = Math.min(count, sectors - sector);
          if (kind === "write") {
            device.write(sector * 512, filled(n * 512, byte));
            model.fill(byte, sector * 512, (sector + n) * 512);
          } else if (kind === "discard") {
            device.discard(sector * 512, n * 512);
            model.fill(0, sector * 512, (sector + n) * 512);
          } else {
            const old = device;
            device = old.clone();
            old.write(0, filled(512, 0xee)); // must not leak into the clone
          }
        }
        expect(firstDifference(readAll(device), model)).toBe(-1);
      }),
      { numRuns: 300, seed: 42 },
    );
  });
});

describe("MemoryDevice.borrowContentsOf and release (crash-point branching)", () => {
  it("reads the lender's data, copies before its own writes, and leaves the lender untouched", () => {
    const lender = new MemoryDevice("pv0", 1 << 20);
    lender.write(0, new Uint8Array(8192).fill(1));
    const borrower = new MemoryDevice("pv0", 1 << 20);
    borrower.borrowContentsOf(lender);
    const out = new Uint8Array(8192);
    borrower.read(0, out);
    expect(out.every((b) => b === 1)).toBe(true);
    borrower.write(0, new Uint8Array(512).fill(2));
    const seen = new Uint8Array(512);
    // The lender is read without writing to it, so the loan still holds.
    lender.read(0, seen);
    expect(seen.every((b) => b === 1)).toBe(true);
    borrower.read(0, seen);
    expect(seen.every((b) => b === 2)).toBe(true);
  });

  it("refuses any use once the lender has been written or released", () => {
    const lender = new MemoryDevice("pv0", 1 << 20);
    lender.write(0, new Uint8Array(4096).fill(1));
    const borrower = new MemoryDevice("pv0", 1 << 20);
    borrower.borrowContentsOf(lender);
    lender.write(4096, new Uint8Array(512));
    expect(() => borrower.read(0, new Uint8Array(512))).toThrow(/has changed since/);
    const other = new MemoryDevice("pv0", 1 << 20);
    other.borrowContentsOf(lender);
    lender.release();
    expect(() => other.read(0, new Uint8Array(512))).toThrow(/has changed since/);
    expect(() => lender.write(0, new Uint8Array(512))).toThrow(/was released/);
  });

  it("hands released pages to the next device zeroed when they are taken zeroed", () => {
    const first = new MemoryDevice("a", 1 << 20);
    first.write(0, new Uint8Array(4096).fill(9));
    first.release();
    const second = new MemoryDevice("b", 1 << 20);
    // A partial write takes a zeroed page: the rest of it must read as zeros, not the old 9s.
    second.write(512, new Uint8Array(512).fill(3));
    const out = new Uint8Array(4096);
    second.read(0, out);
    expect(out.subarray(0, 512).every((b) => b === 0)).toBe(true);
    expect(out.subarray(512, 1024).every((b) => b === 3)).toBe(true);
    expect(out.subarray(1024).every((b) => b === 0)).toBe(true);
  });

  it("refuses to borrow into a written device or from one of another size", () => {
    const lender = new MemoryDevice("pv0", 1 << 20);
    const written = new MemoryDevice("pv0", 1 << 20);
    written.write(0, new Uint8Array(512));
    expect(() => written.borrowContentsOf(lender)).toThrow(/must be empty/);
    expect(() => new MemoryDevice("pv0", 2 << 20).borrowContentsOf(lender)).toThrow(/cannot borrow/);
  });
});
