import { describe, expect, it } from "vitest";
import type { BlockDevice } from "../../../engine/block/device.js";
import { isBlockDeviceError } from "../../../engine/block/errors.js";
import { ErrorTarget } from "../../../engine/dm/error.js";
import { LinearTarget } from "../../../engine/dm/linear.js";
import { MultiSegmentDevice } from "../../../engine/dm/multi-segment.js";
import { StripedTarget } from "../../../engine/dm/striped.js";
import { ZeroTarget } from "../../../engine/dm/zero.js";
import { firstDifference, randInt, rng, TestDisk } from "./harness.js";

const KiB = 1024;

/** Random sector-aligned reads and writes against a reference array; returns ops done. */
function fuzz(device: BlockDevice, seed: string, ops: number): Uint8Array {
  const random = rng(seed);
  const reference = new Uint8Array(device.sizeBytes);
  device.read(0, reference);
  const sectors = device.sizeBytes / 512;
  for (let i = 0; i < ops; i++) {
    const start = randInt(random, sectors);
    const len = 1 + randInt(random, Math.min(64, sectors - start));
    const offset = start * 512;
    if (random() < 0.6) {
      const data = new Uint8Array(len * 512);
      for (let b = 0; b < data.length; b += 64) data[b] = randInt(random, 256);
      device.write(offset, data);
      reference.set(data, offset);
    } else {
      const dst = new Uint8Array(len * 512);
      device.read(offset, dst);
      expect(firstDifference(dst, reference.subarray(offset, offset + dst.length))).toBe(-1);
    }
  }
  const all = new Uint8Array(device.sizeBytes);
  device.read(0, all);
  expect(firstDifference(all, reference)).toBe(-1);
  return reference;
}

describe("linear", () => {
  it("maps onto the device at the offset and prints its table", () => {
    const pv = new TestDisk("pv0", 2048 * KiB);
    const lv = new LinearTarget("vg-lv", { device: pv, offsetSectors: 2048, lengthSectors: 1024 });
    expect(lv.table()).toBe("0 1024 linear pv0 2048");
    expect(lv.status()).toBe("0 1024 linear");
    const ref = fuzz(lv, "linear", 400);
    expect(firstDifference(pv.current.subarray(2048 * 512, 3072 * 512), ref)).toBe(-1);
    expect(pv.current.subarray(0, 2048 * 512).every((b) => b === 0)).toBe(true);
    expect(pv.current.subarray(3072 * 512).every((b) => b === 0)).toBe(true);
  });

  it("rejects misaligned and out-of-range requests and tables that overrun the device", () => {
    const pv = new TestDisk("pv0", 64 * KiB);
    const lv = new LinearTarget("lv", { device: pv, offsetSectors: 0, lengthSectors: 128 });
    expect(() => lv.write(100, new Uint8Array(512))).toThrow(/EINVAL/);
    expect(() => lv.read(127 * 512, new Uint8Array(1024))).toThrow(/past the device end/);
    expect(() => new LinearTarget("lv", { device: pv, offsetSectors: 1, lengthSectors: 128 })).toThrow(
      /do not fit/,
    );
  });
});

describe("striped", () => {
  it("places chunk c on stripe c % n at stripe chunk c / n", () => {
    const pvs = [new TestDisk("pv0", 64 * KiB), new TestDisk("pv1", 64 * KiB), new TestDisk("pv2", 64 * KiB)];
    const lv = new StripedTarget("vg-s", {
      lengthSectors: 3 * 96,
      chunkSizeSectors: 8,
      stripes: pvs.map((device, i) => ({ device, offsetSectors: 8 * i })),
    });
    expect(lv.table()).toBe("0 288 striped 3 8 pv0 0 pv1 8 pv2 16");
    // Write chunk-sized blocks tagged with their chunk number, one call spanning all of them.
    const data = new Uint8Array(lv.sizeBytes);
    for (let c = 0; c < 36; c++) data.fill(c + 1, c * 4096, (c + 1) * 4096);
    lv.write(0, data);
    for (let c = 0; c < 36; c++) {
      const pv = pvs[c % 3]!;
      const at = (8 * (c % 3) + Math.floor(c / 3) * 8) * 512;
      expect(pv.current[at]).toBe(c + 1);
      expect(pv.current[at + 4095]).toBe(c + 1);
    }
    fuzz(lv, "striped", 400);
    expect(lv.status()).toBe("0 288 striped 3 pv0 pv1 pv2 1 AAA");
  });

  it("issues the pieces of a request in parallel: completion is the slowest stripe's", () => {
    const pvs = [new TestDisk("a", 64 * KiB), new TestDisk("b", 64 * KiB)];
    pvs[1]!.latencyNs = 9_000;
    const lv = new StripedTarget("s", {
      lengthSectors: 64,
      chunkSizeSectors: 8,
      stripes: pvs.map((device) => ({ device, offsetSectors: 0 })),
    });
    expect(lv.write(0, new Uint8Array(4096), { issueNs: 50 })).toBe(1_050);
    expect(lv.write(0, new Uint8Array(16384), { issueNs: 50 })).toBe(9_050);
  });

  it("checks the kernel's divisibility rules and marks a failing stripe D", () => {
    const pvs = [new TestDisk("a", 64 * KiB), new TestDisk("b", 64 * KiB)];
    expect(
      () =>
        new StripedTarget("s", {
          lengthSectors: 33,
          chunkSizeSectors: 8,
          stripes: pvs.map((device) => ({ device, offsetSectors: 0 })),
        }),
    ).toThrow(/not divisible by 2 stripes/);
    expect(
      () =>
        new StripedTarget("s", {
          lengthSectors: 36,
          chunkSizeSectors: 8,
          stripes: pvs.map((device) => ({ device, offsetSectors: 0 })),
        }),
    ).toThrow(/not divisible by chunk size/);
    const lv = new StripedTarget("s", {
      lengthSectors: 64,
      chunkSizeSectors: 8,
      stripes: pvs.map((device) => ({ device, offsetSectors: 0 })),
    });
    pvs[1]!.failWrites = true;
    expect(() => lv.write(0, new Uint8Array(8192))).toThrow(/EIO/);
    expect(lv.status()).toBe("0 64 striped 2 a b 1 AD");
  });
});

describe("zero and error", () => {
  it("zero reads zeros and swallows writes; error fails every data request with EIO", () => {
    const zero = new ZeroTarget("z", 16);
    zero.write(0, new Uint8Array(512).fill(7));
    const dst = new Uint8Array(1024).fill(9);
    zero.read(0, dst);
    expect(dst.every((b) => b === 0)).toBe(true);
    const err = new ErrorTarget("e", 16);
    expect(err.table()).toBe("0 16 error");
    for (const op of [
      () => err.read(0, new Uint8Array(512)),
      () => err.write(512, new Uint8Array(512)),
      () => err.discard(0, 512),
    ]) {
      let caught: unknown;
      try {
        op();
      } catch (e) {
        caught = e;
      }
      expect(isBlockDeviceError(caught, "EIO")).toBe(true);
    }
    expect(err.flush()).toBe(0);
  });
});

describe("multi-segment devices", () => {
  it("concatenate targets, split requests at boundaries, and print one table line per segment", () => {
    const pv0 = new TestDisk("pv0", 64 * KiB);
    const pv1 = new TestDisk("pv1", 64 * KiB);
    const lv = new MultiSegmentDevice("vg-lv", [
      new LinearTarget("s0", { device: pv0, offsetSectors: 8, lengthSectors: 40 }),
      new StripedTarget("s1", {
        lengthSectors: 32,
        chunkSizeSectors: 4,
        stripes: [
          { device: pv0, offsetSectors: 64 },
          { device: pv1, offsetSectors: 0 },
        ],
      }),
      new ZeroTarget("s2", 8),
      new LinearTarget("s3", { device: pv1, offsetSectors: 64, lengthSectors: 24 }),
    ]);
    expect(lv.table()).toBe(
      ["0 40 linear pv0 8", "40 32 striped 2 4 pv0 64 pv1 0", "72 8 zero", "80 24 linear pv1 64"].join("\n"),
    );
    // A write spanning all four segments: the zero segment must read back as zeros.
    const data = new Uint8Array(lv.sizeBytes).fill(0xab);
    lv.write(0, data);
    const back = new Uint8Array(lv.sizeBytes);
    lv.read(0, back);
    expect(back.subarray(72 * 512, 80 * 512).every((b) => b === 0)).toBe(true);
    expect(back.subarray(0, 72 * 512).every((b) => b === 0xab)).toBe(true);
    expect(back.subarray(80 * 512).every((b) => b === 0xab)).toBe(true);
    expect(pv1.current[64 * 512]).toBe(0xab);
    expect(pv0.current[8 * 512 - 1]).toBe(0);
  });
});
