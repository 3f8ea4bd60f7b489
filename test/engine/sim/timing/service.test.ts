import { describe, expect, it } from "vitest";
import { Rng } from "../../../../engine/sim/rng.js";
import { customProfile } from "../../../../engine/sim/timing/custom.js";
import { rotationalLatencyNs, seekNs } from "../../../../engine/sim/timing/hdd.js";
import { HDD_PROFILE, NVME_PROFILE } from "../../../../engine/sim/timing/profiles.js";
import { serviceBreakdown, serviceNs } from "../../../../engine/sim/timing/service.js";

const MiB = 1024 * 1024;
const mechanics = HDD_PROFILE.hdd!;

describe("bandwidth and latency", () => {
  it("takes 10 ms to move 1 MiB at 100 MiB/s", () => {
    const profile = customProfile({ bandwidthBytesPerSec: 100 * MiB });
    expect(serviceNs(profile, { op: "write", offsetBytes: 0, lengthBytes: MiB })).toBe(10_000_000);
    expect(serviceNs(profile, { op: "read", offsetBytes: 0, lengthBytes: MiB })).toBe(10_000_000);
  });

  it("adds the fixed latency of the operation to the transfer", () => {
    const profile = customProfile({
      bandwidthBytesPerSec: 1e9,
      readLatencyNs: 70_000,
      writeLatencyNs: 20_000,
      flushLatencyNs: 500_000,
    });
    // 4096 bytes at 1e9 B/s is 4096 ns.
    expect(serviceNs(profile, { op: "read", offsetBytes: 0, lengthBytes: 4096 })).toBe(74_096);
    expect(serviceNs(profile, { op: "write", offsetBytes: 0, lengthBytes: 4096 })).toBe(24_096);
    expect(serviceNs(profile, { op: "flush", offsetBytes: 0, lengthBytes: 0 })).toBe(500_000);
    expect(serviceNs(profile, { op: "discard", offsetBytes: 0, lengthBytes: 64 * MiB })).toBe(20_000);
  });

  it("charges a FUA write a flush only when the device has a volatile cache", () => {
    const fields = { bandwidthBytesPerSec: 1e9, writeLatencyNs: 10_000, flushLatencyNs: 300_000 };
    const fua = { op: "write", offsetBytes: 0, lengthBytes: 4096, fua: true } as const;
    const cached = serviceBreakdown(customProfile({ ...fields, volatileCache: true }), fua);
    const protectedCache = serviceBreakdown(customProfile({ ...fields, volatileCache: false }), fua);
    expect(cached.commitNs).toBe(300_000);
    expect(cached.totalNs).toBe(10_000 + 4096 + 300_000);
    expect(protectedCache.commitNs).toBe(0);
    expect(protectedCache.totalNs).toBe(10_000 + 4096);
  });

  it("rejects malformed requests naming the field", () => {
    expect(() => serviceNs(NVME_PROFILE, { op: "read", offsetBytes: -512, lengthBytes: 512 })).toThrow(
      /offsetBytes must be an integer >= 0, got -512/,
    );
    expect(() => serviceNs(NVME_PROFILE, { op: "read", offsetBytes: 0, lengthBytes: 1.5 })).toThrow(
      /lengthBytes/,
    );
  });
});

describe("jitter", () => {
  const request = { op: "read", offsetBytes: 0, lengthBytes: 4096 } as const;

  it("is absent without a timing stream", () => {
    expect(serviceNs(NVME_PROFILE, request)).toBe(NVME_PROFILE.readLatencyNs + Math.round(4096e9 / 3.3e9));
  });

  it("replays exactly from the same seed and differs across seeds", () => {
    const run = (seed: number) => {
      const rng = Rng.fromSeed(seed).fork("timing");
      return Array.from({ length: 50 }, () => serviceNs(NVME_PROFILE, request, { rng }));
    };
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
  });

  it("stays within ± the profile's jitter fraction of the latency", () => {
    const rng = Rng.fromSeed(3);
    const latencies = Array.from(
      { length: 2000 },
      () => serviceBreakdown(NVME_PROFILE, request, { rng }).latencyNs,
    );
    const lo = NVME_PROFILE.readLatencyNs * (1 - NVME_PROFILE.jitterFraction);
    const hi = NVME_PROFILE.readLatencyNs * (1 + NVME_PROFILE.jitterFraction);
    expect(latencies.filter((v) => v < lo - 1 || v > hi + 1)).toEqual([]);
    expect(Math.min(...latencies)).toBeLessThan(NVME_PROFILE.readLatencyNs * 0.95);
    expect(Math.max(...latencies)).toBeGreaterThan(NVME_PROFILE.readLatencyNs * 1.05);
  });
});

describe("hard disk mechanics", () => {
  it("serves sequential requests far faster than random ones of the same size", () => {
    const rng = Rng.fromSeed(10);
    const size = 4096;
    let head = 0;
    let sequentialNs = 0;
    for (let i = 0; i < 200; i++) {
      sequentialNs += serviceNs(
        HDD_PROFILE,
        { op: "read", offsetBytes: head, lengthBytes: size },
        { rng, headOffsetBytes: head },
      );
      head += size;
    }
    let randomNs = 0;
    for (let i = 0; i < 200; i++) {
      const offsetBytes = rng.int(mechanics.sizeBytes / size) * size;
      randomNs += serviceNs(
        HDD_PROFILE,
        { op: "read", offsetBytes, lengthBytes: size },
        { rng, headOffsetBytes: head },
      );
      head = offsetBytes + size;
    }
    // A 4 KiB sequential read is command overhead plus 29 µs of transfer; a random one adds ≈ 8.5 ms
    // of seek and ≈ 4.2 ms of rotation.
    expect(sequentialNs / 200).toBeLessThan(300_000);
    expect(randomNs / 200).toBeGreaterThan(10_000_000);
    expect(randomNs / sequentialNs).toBeGreaterThan(30);
  });

  it("pays no positioning when a request starts where the previous one ended", () => {
    const at = 5 * MiB;
    const sequential = serviceBreakdown(
      HDD_PROFILE,
      { op: "write", offsetBytes: at, lengthBytes: 512 },
      { headOffsetBytes: at },
    );
    const backwards = serviceBreakdown(
      HDD_PROFILE,
      { op: "write", offsetBytes: at, lengthBytes: 512 },
      { headOffsetBytes: at + 512 },
    );
    expect(sequential.positioningNs).toBe(0);
    // A 512-byte move seeks about one track; without a stream the rotational wait is the average,
    // half of 60e9 / 7200 ns.
    const expectedNs = mechanics.trackToTrackSeekNs + 60e9 / 7200 / 2;
    expect(Math.abs(backwards.positioningNs - expectedNs)).toBeLessThan(1000);
  });

  it("grows the seek with distance, from track-to-track to full stroke", () => {
    const fractions = [1e-9, 1e-4, 0.01, 0.1, 0.3, 0.5, 0.8, 1];
    const seeks = fractions.map((f) => seekNs(mechanics, Math.round(f * mechanics.sizeBytes)));
    for (let i = 1; i < seeks.length; i++) expect(seeks[i]!).toBeGreaterThan(seeks[i - 1]!);
    expect(seekNs(mechanics, 0)).toBe(0);
    expect(seeks[0]!).toBeCloseTo(1_000_000, -3);
    expect(seeks.at(-1)!).toBeCloseTo(20_000_000, -1);
    expect(seekNs(mechanics, -mechanics.sizeBytes / 2)).toBe(seekNs(mechanics, mechanics.sizeBytes / 2));
  });

  it("averages the datasheet seek time over uniformly random start and end points", () => {
    const rng = Rng.fromSeed(99);
    let total = 0;
    const samples = 20_000;
    for (let i = 0; i < samples; i++) {
      total += seekNs(mechanics, (rng.next() - rng.next()) * mechanics.sizeBytes);
    }
    expect(Math.abs(total / samples - 8_500_000)).toBeLessThan(100_000);
  });

  it("averages rotational latency to half a revolution", () => {
    const rng = Rng.fromSeed(4);
    const samples = Array.from({ length: 20_000 }, () => rotationalLatencyNs(mechanics, rng));
    const halfRevolutionNs = 4_166_667; // 7200 rpm: 8.333 ms per turn
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    expect(Math.abs(mean - halfRevolutionNs)).toBeLessThan(60_000); // sd of the mean ≈ 17 µs
    expect(Math.max(...samples)).toBeLessThan(2 * halfRevolutionNs);
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
  });
});
