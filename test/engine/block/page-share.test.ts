import { describe, expect, it } from "vitest";
import { VolatileCache } from "../../../engine/block/cache.js";
import type { BlockDevice } from "../../../engine/block/device.js";
import { MemoryDevice, PAGE_BYTES } from "../../../engine/block/memory.js";
import {
  canSharePages,
  concatPages,
  readPagesFrom,
  writePagesTo,
  ZERO_PAGE,
} from "../../../engine/block/page-share.js";
import { TimedDevice } from "../../../engine/block/timed.js";
import { LinearTarget } from "../../../engine/dm/linear.js";
import { MultiSegmentDevice } from "../../../engine/dm/multi-segment.js";
import { DmDevice } from "../../../engine/lvm/activation/dm-device.js";
import { Rng } from "../../../engine/sim/rng.js";
import { HDD_PROFILE } from "../../../engine/sim/timing/profiles.js";
import { FaultyDevice } from "../../../faults/device-wrapper.js";
import { filled } from "./helpers.js";

const MiB = 1024 * 1024;

/** A PV stack as a machine builds it: faults over timing over the volatile cache over memory. */
function stack(name: string) {
  const media = new MemoryDevice(name, 16 * MiB);
  const cache = new VolatileCache(media);
  const timed = new TimedDevice(cache, HDD_PROFILE, { rng: Rng.fromSeed(7).fork(name) });
  return { media, cache, top: new FaultyDevice(timed) };
}

/** The same region copy done with bytes or with pages, on two identical pairs of stacks. */
function copyRegion(how: "bytes" | "pages") {
  const from = stack("src");
  const to = stack("dst");
  from.top.write(0, filled(3 * PAGE_BYTES, 0xa5), { issueNs: 10 });
  from.top.flush({ issueNs: 20 });
  to.top.write(PAGE_BYTES, filled(PAGE_BYTES, 0x11), { issueNs: 30 });
  to.top.flush({ issueNs: 40 });
  const lengthBytes = 8 * PAGE_BYTES;
  let readNs: number;
  let writtenNs: number;
  if (how === "pages") {
    expect(canSharePages(from.top, "read", 0, lengthBytes)).toBe(true);
    expect(canSharePages(to.top, "write", 0, lengthBytes)).toBe(true);
    const read = readPagesFrom(from.top, 0, lengthBytes, { issueNs: 100 });
    readNs = read.doneNs;
    writtenNs = writePagesTo(to.top, 0, read.pages, { issueNs: readNs });
  } else {
    const buffer = new Uint8Array(lengthBytes);
    readNs = from.top.read(0, buffer, { issueNs: 100 });
    writtenNs = to.top.write(0, buffer, { issueNs: readNs });
  }
  return { from, to, readNs, writtenNs };
}

function image(device: BlockDevice, lengthBytes: number): Uint8Array {
  const out = new Uint8Array(lengthBytes);
  device.read(0, out);
  return out;
}

describe("page sharing", () => {
  it("copies a region with the same bytes, times and counters as a byte copy", () => {
    const bytes = copyRegion("bytes");
    const pages = copyRegion("pages");
    expect(pages.readNs).toBe(bytes.readNs);
    expect(pages.writtenNs).toBe(bytes.writtenNs);
    for (const side of ["from", "to"] as const) {
      expect(pages[side].top.stats).toEqual(bytes[side].top.stats);
      expect(pages[side].cache.stats).toEqual(bytes[side].cache.stats);
      expect(pages[side].top.writeCount).toBe(bytes[side].top.writeCount);
    }
    expect(pages.to.cache.pendingWrites).toBe(1);
    // Read back through the cache's log, then after the write-back adopted the pages.
    expect(image(pages.to.top, 8 * PAGE_BYTES)).toEqual(image(bytes.to.top, 8 * PAGE_BYTES));
    const flushedNs = [bytes, pages].map((run) => run.to.top.flush({ issueNs: run.writtenNs }));
    expect(flushedNs[1]).toBe(flushedNs[0]);
    expect(pages.to.media.stats).toEqual(bytes.to.media.stats);
    expect(image(pages.to.media, 8 * PAGE_BYTES)).toEqual(image(bytes.to.media, 8 * PAGE_BYTES));
    expect(pages.to.media.mappedBytes).toBe(bytes.to.media.mappedBytes);
  });

  it("keeps both sides copy-on-write: later writes to either leave the other alone", () => {
    const { from, to, writtenNs } = copyRegion("pages");
    to.top.flush({ issueNs: writtenNs });
    from.top.write(0, filled(PAGE_BYTES, 0x01));
    from.top.flush();
    to.top.write(2 * PAGE_BYTES, filled(512, 0x02));
    to.top.write(5 * PAGE_BYTES, filled(PAGE_BYTES, 0x03));
    to.top.flush();
    const src = image(from.media, 8 * PAGE_BYTES);
    const dst = image(to.media, 8 * PAGE_BYTES);
    expect(src.subarray(0, PAGE_BYTES)).toEqual(filled(PAGE_BYTES, 0x01));
    expect(src.subarray(2 * PAGE_BYTES, 3 * PAGE_BYTES)).toEqual(filled(PAGE_BYTES, 0xa5));
    expect(src.subarray(5 * PAGE_BYTES, 6 * PAGE_BYTES)).toEqual(filled(PAGE_BYTES, 0));
    expect(dst.subarray(0, PAGE_BYTES)).toEqual(filled(PAGE_BYTES, 0xa5));
    expect(dst.subarray(2 * PAGE_BYTES, 2 * PAGE_BYTES + 512)).toEqual(filled(512, 0x02));
    expect(dst.subarray(2 * PAGE_BYTES + 512, 3 * PAGE_BYTES)).toEqual(filled(PAGE_BYTES - 512, 0xa5));
    expect(dst.subarray(5 * PAGE_BYTES, 6 * PAGE_BYTES)).toEqual(filled(PAGE_BYTES, 0x03));
    // Unwritten source pages travel as the zero page, which no one may change.
    expect(ZERO_PAGE.every((b) => b === 0)).toBe(true);
    from.media.release();
    to.media.release();
    expect(ZERO_PAGE.every((b) => b === 0)).toBe(true);
  });

  it("drops or keeps logged pages at a power cut like any logged write", () => {
    for (const kind of ["drop-all", "keep-all"] as const) {
      const { to } = copyRegion("pages");
      const outcome = to.cache.powerCut({ kind });
      expect(outcome.pendingWrites).toBe(1);
      const dst = image(to.media, 8 * PAGE_BYTES);
      const expected = kind === "keep-all" ? 0xa5 : 0;
      expect(dst.subarray(0, PAGE_BYTES)).toEqual(filled(PAGE_BYTES, expected));
      expect(dst.subarray(PAGE_BYTES, 2 * PAGE_BYTES)).toEqual(
        filled(PAGE_BYTES, kind === "keep-all" ? 0xa5 : 0x11),
      );
    }
  });

  it("writes back only the live sectors of logged pages a FUA write partly replaced", () => {
    const { to, writtenNs } = copyRegion("pages");
    to.top.write(PAGE_BYTES, filled(1024, 0x77), { issueNs: writtenNs, fua: true });
    to.top.flush();
    const dst = image(to.media, 2 * PAGE_BYTES);
    expect(dst.subarray(PAGE_BYTES, PAGE_BYTES + 1024)).toEqual(filled(1024, 0x77));
    expect(dst.subarray(PAGE_BYTES + 1024, 2 * PAGE_BYTES)).toEqual(filled(PAGE_BYTES - 1024, 0xa5));
  });

  it("refuses to share what a layer would have to change or merge, and falls back to bytes", () => {
    const from = stack("src");
    from.top.write(0, filled(PAGE_BYTES, 0x5a));
    // A range the cache's log covers must be merged from the log: no page read.
    expect(canSharePages(from.top, "read", 0, PAGE_BYTES)).toBe(false);
    expect(canSharePages(from.top, "read", PAGE_BYTES, PAGE_BYTES)).toBe(true);
    // Not whole pages, or past the end.
    expect(canSharePages(from.top, "read", 512, PAGE_BYTES)).toBe(false);
    expect(canSharePages(from.top, "write", 16 * MiB, PAGE_BYTES)).toBe(false);
    // An active fault may change bytes: the wrapper passes no pages while it has one.
    const remove = from.top.addEffect({ label: "test#0", stage: 70 });
    expect(canSharePages(from.top, "write", PAGE_BYTES, PAGE_BYTES)).toBe(false);
    remove();
    // The fallbacks give the same bytes.
    const read = readPagesFrom(from.top, 0, 2 * PAGE_BYTES);
    expect(concatPages(read.pages).subarray(0, PAGE_BYTES)).toEqual(filled(PAGE_BYTES, 0x5a));
    const plain = new MemoryDevice("plain", MiB);
    const facade: BlockDevice = {
      name: plain.name,
      sizeBytes: plain.sizeBytes,
      stats: plain.stats,
      read: (o, d, opt) => plain.read(o, d, opt),
      write: (o, d, opt) => plain.write(o, d, opt),
      flush: (opt) => plain.flush(opt),
      discard: (o, l, opt) => plain.discard(o, l, opt),
    };
    writePagesTo(facade, 0, read.pages);
    expect(image(plain, PAGE_BYTES)).toEqual(filled(PAGE_BYTES, 0x5a));
  });

  it("passes pages through device-mapper linear segments within one target", () => {
    const pv = new MemoryDevice("pv", 16 * MiB);
    pv.write(MiB, filled(2 * PAGE_BYTES, 0x42));
    const sectorsOf = (bytes: number) => bytes / 512;
    const table = new MultiSegmentDevice("vg-lv", [
      new LinearTarget("vg-lv", { device: pv, offsetSectors: sectorsOf(MiB), lengthSectors: sectorsOf(MiB) }),
      new LinearTarget("vg-lv", {
        device: pv,
        offsetSectors: sectorsOf(8 * MiB),
        lengthSectors: sectorsOf(MiB),
      }),
    ]);
    const lv = new DmDevice("vg-lv", table);
    expect(canSharePages(lv, "read", 0, 2 * PAGE_BYTES)).toBe(true);
    // A range across two segments is split into two requests: no page passing.
    expect(canSharePages(lv, "read", MiB - PAGE_BYTES, 2 * PAGE_BYTES)).toBe(false);
    const read = readPagesFrom(lv, 0, 2 * PAGE_BYTES);
    expect(concatPages(read.pages)).toEqual(filled(2 * PAGE_BYTES, 0x42));
    writePagesTo(lv, MiB, read.pages);
    const landed = new Uint8Array(2 * PAGE_BYTES);
    pv.read(8 * MiB, landed);
    expect(landed).toEqual(filled(2 * PAGE_BYTES, 0x42));
    expect(lv.stats).toMatchObject({
      readOps: 1,
      readBytes: 2 * PAGE_BYTES,
      writeOps: 1,
      writeBytes: 2 * PAGE_BYTES,
    });
    expect(table.stats).toMatchObject({ readOps: 1, writeOps: 1 });
    expect(table.targets[1]!.stats).toMatchObject({ writeOps: 1, writeBytes: 2 * PAGE_BYTES });
  });

  it("throws on a page request a memory device cannot serve", () => {
    const media = new MemoryDevice("m", MiB);
    expect(() => media.readPages(512, PAGE_BYTES)).toThrow(/not whole 4096-byte pages/);
    expect(() => media.writePages(0, [new Uint8Array(512)])).toThrow(/shared page is 4096 bytes/);
  });
});
